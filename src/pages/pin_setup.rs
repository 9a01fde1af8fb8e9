//! Setting the PIN after a sign-in: nothing about the people met is kept on the phone before
//! it can be sealed under a key the PIN opens.

use latarnia_core::lock;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::keypad::Keypad;
use crate::i18n::{k, use_i18n};
use crate::state::AppState;

#[derive(Clone, Copy, PartialEq)]
enum Field {
    Pin,
    Again,
}

#[component]
pub fn PinSetupPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let pin = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    // The field the on-screen keypad types into: the one last touched.
    let active = RwSignal::new(Field::Pin);
    let keys = RwSignal::new(String::new());
    Effect::new(move |_| {
        let typed = keys.get();
        match active.get_untracked() {
            Field::Pin => pin.set(typed),
            Field::Again => again.set(typed),
        }
    });
    let error = RwSignal::new(None::<usize>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (p, a) = (pin.get_untracked(), again.get_untracked());
        if let Err(problem) = lock::check_new_pin(&p, &a) {
            error.set(Some(crate::session::pin_problem_key(problem)));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            if let Err(key) = crate::session::set_pin(state, &p, &a).await {
                error.set(Some(key));
                busy.set(false);
            }
        });
    };
    let digits =
        |ev: &leptos::ev::Event| event_target_value(ev).chars().filter(char::is_ascii_digit).collect::<String>();
    let choose = move |f: Field| {
        active.set(f);
        keys.set(match f {
            Field::Pin => pin.get_untracked(),
            Field::Again => again.get_untracked(),
        });
    };
    view! {
        <section class="page lock">
            <h1>{i.s(k::PIN_TITLE)}</h1>
            <p class="hint">{i.s(k::PIN_INTRO)}</p>
            <form on:submit=submit novalidate autocomplete="off">
                <label for="pin-set">{i.s(k::PIN_NEW)}</label>
                <input id="pin-set" data-testid="pin-set" class="pin" type="password" inputmode="numeric"
                    autocomplete="off" maxlength=lock::MAX_DIGITS.to_string() prop:value=pin
                    class:active=move || active.get() == Field::Pin
                    aria-invalid=move || error.get().is_some().to_string()
                    on:focus=move |_| choose(Field::Pin)
                    on:input=move |ev| { let d = digits(&ev); pin.set(d.clone()); keys.set(d); }/>
                <label for="pin-confirm">{i.s(k::PIN_AGAIN)}</label>
                <input id="pin-confirm" data-testid="pin-confirm" class="pin" type="password" inputmode="numeric"
                    autocomplete="off" maxlength=lock::MAX_DIGITS.to_string() prop:value=again
                    class:active=move || active.get() == Field::Again
                    aria-invalid=move || error.get().is_some().to_string()
                    on:focus=move |_| choose(Field::Again)
                    on:input=move |ev| { let d = digits(&ev); again.set(d.clone()); keys.set(d); }/>
                <Keypad value=keys max=lock::MAX_DIGITS disabled=busy/>
                {move || error.get().map(|key| view! {
                    <p class="field-error" role="alert" data-testid="pin-error">{i.s(key)}</p>
                })}
                <button type="submit" data-testid="pin-submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { i.t(k::PIN_BUSY) } else { i.t(k::PIN_SUBMIT) }}
                </button>
            </form>
        </section>
    }
}
