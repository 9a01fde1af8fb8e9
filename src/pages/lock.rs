//! The lock screen: the PIN opens the app, offline too. Wrong PINs make the worker wait longer
//! and longer; the tenth leaves only the password.

use latarnia_core::lock;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::keypad::{press, Keypad, PinInput};
use crate::i18n::{k, use_i18n};
use crate::platform;
use crate::session::{self, UnlockError};
use crate::state::AppState;

#[component]
pub fn LockPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let pin = RwSignal::new(String::new());
    let error = RwSignal::new(None::<UnlockError>);
    let busy = RwSignal::new(false);
    let unlock = move || {
        if busy.get_untracked() {
            return;
        }
        let typed = pin.get_untracked();
        if typed.is_empty() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let result = session::unlock(state, &typed).await;
            if let Err(e) = result {
                pin.set(String::new());
                error.set(Some(e));
                busy.set(false);
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        unlock();
    };
    // What was typed into the page's own lock screen before the app started is taken over, and
    // sent if it was.
    if let Some(shell) = platform::take_shell("lock-shell", &["lock-shell-pin"]) {
        pin.set(shell.values.into_iter().next().unwrap_or_default());
        if shell.focused.is_some() {
            platform::focus_when_drawn("lock-pin");
        }
        if shell.sent {
            unlock();
        }
    }
    let seconds = |ms: u64| ms.div_ceil(1_000).to_string();
    let message = move || {
        error.get().map(|e| match e {
            UnlockError::Wrong { left, wait_ms: 0 } => i.t(k::LOCK_WRONG).replace("{n}", &left.to_string()),
            UnlockError::Wrong { left, wait_ms } => {
                i.t(k::LOCK_WRONG_WAIT).replace("{n}", &left.to_string()).replace("{s}", &seconds(wait_ms))
            }
            UnlockError::Wait(ms) => i.t(k::LOCK_WAIT).replace("{s}", &seconds(ms)),
            UnlockError::LockedOut => i.t(k::LOCK_OUT).to_owned(),
            UnlockError::Failed(key) => i.t(key).to_owned(),
        })
    };
    view! {
        <section class="page lock">
            <h1>{i.s(k::LOCK_TITLE)}</h1>
            <p class="hint">{i.s(k::LOCK_INTRO)}</p>
            <form on:submit=submit novalidate autocomplete="off">
                <label for="lock-pin">{i.s(k::LOCK_PIN)}</label>
                <PinInput id="lock-pin" value=pin invalid=Signal::derive(move || error.get().is_some())/>
                <Keypad on_key=Callback::new(move |key| press(pin, key, lock::MAX_DIGITS)) disabled=busy/>
                {move || message().map(|text| view! {
                    <p class="field-error" role="alert" data-testid="lock-error">{text}</p>
                })}
                <button type="submit" data-testid="lock-submit" class="primary"
                    disabled=move || busy.get() || pin.with(String::is_empty)>{i.s(k::LOCK_SUBMIT)}</button>
            </form>
            <p class="hint">{i.s(k::LOCK_FORGOT)}</p>
        </section>
    }
}
