//! Setting the PIN after a sign-in: nothing about the people met is kept on the phone before
//! it can be sealed under a key the PIN opens.

use latarnia_core::lock;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::keypad::{press, Keypad, PinInput};
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
    let field = move |f: Field| if f == Field::Pin { pin } else { again };
    let on_key = Callback::new(move |key| press(field(active.get_untracked()), key, lock::MAX_DIGITS));
    let invalid = Signal::derive(move || error.get().is_some());
    let is = move |f: Field| Signal::derive(move || active.get() == f);
    view! {
        <section class="page lock">
            <h1>{i.s(k::PIN_TITLE)}</h1>
            <p class="hint">{i.s(k::PIN_INTRO)}</p>
            <form on:submit=submit novalidate autocomplete="off">
                // The two fields side by side: with the keypad and "save" on a short phone's
                // screen without scrolling.
                <div class="pin-pair">
                    <div>
                        <label for="pin-set">{i.s(k::PIN_NEW)}</label>
                        <PinInput id="pin-set" value=pin invalid=invalid active=is(Field::Pin)
                            on_focus=Callback::new(move |_| active.set(Field::Pin))/>
                    </div>
                    <div>
                        <label for="pin-confirm">{i.s(k::PIN_AGAIN)}</label>
                        <PinInput id="pin-confirm" value=again invalid=invalid active=is(Field::Again)
                            on_focus=Callback::new(move |_| active.set(Field::Again))/>
                    </div>
                </div>
                <Keypad on_key=on_key disabled=busy/>
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
