use leptos::prelude::*;

use crate::i18n::{k, use_i18n};

#[component]
pub fn NotFound() -> impl IntoView {
    let i = use_i18n();
    view! {
        <section class="page">
            <h1>{i.s(k::NOT_FOUND)}</h1>
            <a href="/" class="button">{i.s(k::NAV_PATROL)}</a>
        </section>
    }
}
