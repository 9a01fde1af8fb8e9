use leptos::prelude::*;

use crate::i18n::use_i18n;
use crate::storage::StoreError;

/// A storage error as the user reads it, in their language.
#[component]
pub fn StoreErrorBanner(error: StoreError) -> impl IntoView {
    let i = use_i18n();
    view! { <p class="banner banner-error" role="alert">{i.s(error.message_key())}</p> }
}
