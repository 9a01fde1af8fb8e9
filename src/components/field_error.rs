use latarnia_core::FieldError;
use leptos::prelude::*;

use crate::i18n::use_i18n;

/// The error message under a form field, in the user's language; `id` is what the field's
/// `aria-describedby` points to.
#[component]
pub fn FieldErrorText(errors: RwSignal<Vec<FieldError>>, field: &'static str) -> impl IntoView {
    let i = use_i18n();
    move || {
        errors.with(|errs| errs.iter().find(|e| e.field == field).map(|e| e.code)).map(|code| {
            view! {
                <p class="field-error" id=format!("err-{field}") data-testid=format!("error-{field}") role="alert">
                    {i.sv("err", code)}
                </p>
            }
        })
    }
}
