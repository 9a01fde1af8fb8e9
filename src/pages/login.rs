//! Signing in: online, once; afterwards the session is kept with the data and works offline.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{k, use_i18n};
use crate::platform;
use crate::state::AppState;

#[component]
pub fn LoginPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let login = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<usize>);
    let busy = RwSignal::new(false);
    let send = move || {
        let (l, p) = (login.get_untracked(), password.get_untracked());
        if l.trim().is_empty() || p.is_empty() {
            error.set(Some(k::LOGIN_EMPTY));
            return;
        }
        busy.set(true);
        error.set(None);
        // A new session starts on the patrol screen, whatever page signed out: the signed-in
        // app's router reads the address when it starts.
        platform::go_to(&crate::routes::AppRoute::Patrol.href());
        spawn_local(async move {
            let result = crate::session::sign_in(state, &l, &p).await;
            busy.set(false);
            if let Err(key) = result {
                error.set(Some(key));
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send();
    };
    // What was typed into the page's own form before the app started is taken over, and sent
    // if it was.
    if let Some(shell) = platform::take_shell("sign-in-shell", &["shell-login", "shell-password"]) {
        let mut values = shell.values.into_iter();
        login.set(values.next().unwrap_or_default());
        password.set(values.next().unwrap_or_default());
        if let Some(id) = shell.focused.and_then(|f| ["login-login", "login-password"].get(f)) {
            platform::focus_when_drawn(id);
        }
        if shell.sent {
            send();
        }
    }
    view! {
        <section class="page login">
            <h1>{i.s(k::LOGIN_TITLE)}</h1>
            {move || state.signed_out_why.get().map(|key| view! {
                <p class="banner banner-error" role="alert" data-testid="signed-out-why">{i.s(key)}</p>
            })}
            <Show when=move || state.access.get() == crate::session::Access::PasswordOnly>
                <p class="banner banner-error" role="alert" data-testid="pin-locked-out">{i.s(k::PIN_LOCKED_OUT)}</p>
            </Show>
            <p class="hint">{i.s(k::LOGIN_INTRO)}</p>
            <form on:submit=submit novalidate>
                <label for="login-login">{i.s(k::LOGIN_LOGIN)}</label>
                <input id="login-login" data-testid="login-login" autocomplete="username" autocapitalize="none"
                    prop:value=login on:input=move |ev| login.set(event_target_value(&ev))
                    aria-invalid=move || error.get().is_some().to_string()/>
                <label for="login-password">{i.s(k::LOGIN_PASSWORD)}</label>
                <input id="login-password" data-testid="login-password" type="password" autocomplete="current-password"
                    prop:value=password on:input=move |ev| password.set(event_target_value(&ev))
                    aria-invalid=move || error.get().is_some().to_string()/>
                {move || error.get().map(|key| view! {
                    <p class="field-error" role="alert" data-testid="login-error">{i.s(key)}</p>
                })}
                <button type="submit" data-testid="login-submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { i.t(k::LOGIN_BUSY) } else { i.t(k::LOGIN_SUBMIT) }}
                </button>
            </form>
        </section>
    }
}
