//! A person's erasure request (GDPR art. 17), for coordinators and admins: the pseudonym, a
//! confirmation, then the server erases it from every contact and this phone syncs at once.

use latarnia_core::FieldError;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::field_error::FieldErrorText;
use crate::i18n::{k, use_i18n};
use crate::state::AppState;
use crate::sync;

#[component]
pub fn ErasureForm() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let pseudonym = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let result = RwSignal::new(None::<Result<u64, usize>>);
    let ask = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        result.set(None);
        if latarnia_core::retention::pseudonym_key(&pseudonym.get_untracked()).is_empty() {
            errors.set(vec![FieldError { field: "pseudonym", code: "pseudonym_empty" }]);
            return;
        }
        errors.set(Vec::new());
        confirming.set(true);
    };
    let erase = move |_| {
        let Some(session) = state.session.get_untracked() else { return };
        busy.set(true);
        spawn_local(async move {
            let r = crate::api::erase_pseudonym(&session.token, &pseudonym.get_untracked()).await;
            busy.set(false);
            confirming.set(false);
            if r.is_ok() {
                pseudonym.set(String::new());
                sync::sync_now(state);
            }
            result.set(Some(r));
        });
    };
    view! {
        <h2>{i.s(k::ERASURE_TITLE)}</h2>
        <p class="hint">{i.s(k::ERASURE_HINT)}</p>
        <form data-testid="erasure-form" on:submit=ask novalidate autocomplete="off">
            <label for="erasure-pseudonym">{i.s(k::ERASURE_PSEUDONYM)}</label>
            <input id="erasure-pseudonym" data-testid="erasure-pseudonym" type="text" autocomplete="off"
                aria-describedby="err-pseudonym" prop:value=move || pseudonym.get()
                on:input=move |ev| { pseudonym.set(event_target_value(&ev)); confirming.set(false); } />
            <FieldErrorText errors=errors field="pseudonym" />
            <button type="submit" data-testid="erasure-submit" class="secondary"
                disabled=move || !state.online.get() || busy.get()>{i.s(k::ERASURE_SUBMIT)}</button>
        </form>
        <Show when=move || !state.online.get()>
            <p class="hint">{i.s(k::ERASURE_OFFLINE)}</p>
        </Show>
        <Show when=move || confirming.get()>
            <div class="banner banner-error" role="alert" data-testid="erasure-confirm-box">
                <span>{move || i.t(k::ERASURE_CONFIRM_TEXT).replace("{p}", pseudonym.get().trim())}</span>
                <button data-testid="erasure-confirm" class="danger" disabled=move || busy.get() on:click=erase>
                    {i.s(k::ERASURE_CONFIRM)}
                </button>
                <button data-testid="erasure-cancel" class="secondary" on:click=move |_| confirming.set(false)>
                    {i.s(k::ERASURE_CANCEL)}
                </button>
            </div>
        </Show>
        {move || result.get().map(|r| match r {
            Ok(n) => view! { <p role="status" data-testid="erasure-result">{i.t(k::ERASURE_DONE).replace("{n}", &n.to_string())}</p> }.into_any(),
            Err(key) => view! { <p role="alert" class="field-error" data-testid="erasure-error">{i.s(key)}</p> }.into_any(),
        })}
    }
}
