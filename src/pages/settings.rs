//! Language, theme, and what the phone keeps.

use leptos::prelude::*;

use crate::i18n::{k, use_i18n, Lang};
use crate::state::{AppState, Theme};
use crate::storage::Store;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let info = LocalResource::new(move || {
        state.revision.track();
        async move {
            let store = state.store();
            let clock = store.clock().await.ok();
            let pending = store.outbox().await.map(|o| o.len()).ok();
            (clock.map(|c| c.client_id.to_string()), pending)
        }
    });
    view! {
        <section class="page">
            <h1>{i.s(k::SETTINGS_TITLE)}</h1>
            <label for="lang-select">{i.s(k::SETTINGS_LANGUAGE)}</label>
            <select id="lang-select" data-testid="lang-select"
                on:change=move |ev| if let Some(l) = Lang::from_code(&event_target_value(&ev)) { state.lang.set(l) }>
                <option value="pl" selected=move || state.lang.get() == Lang::Pl>"Polski"</option>
                <option value="en" selected=move || state.lang.get() == Lang::En>"English"</option>
            </select>
            <label for="theme-select">{i.s(k::SETTINGS_THEME)}</label>
            <select id="theme-select" data-testid="theme-select"
                on:change=move |ev| state.theme.set(if event_target_value(&ev) == "light" { Theme::Light } else { Theme::Dark })>
                <option value="dark" selected=move || state.theme.get() == Theme::Dark>{i.s(k::THEME_DARK)}</option>
                <option value="light" selected=move || state.theme.get() == Theme::Light>{i.s(k::THEME_LIGHT)}</option>
            </select>

            <h2>{i.s(k::SETTINGS_STORAGE)}</h2>
            <dl class="facts">
                <dt>{i.s(k::SETTINGS_PERSISTED)}</dt>
                <dd data-testid="storage-persisted">
                    {move || match state.persisted.get() {
                        Some(true) => i.t(k::PERSISTED_YES),
                        Some(false) => i.t(k::PERSISTED_NO),
                        None => i.t(k::PERSISTED_UNKNOWN),
                    }}
                </dd>
                <dt>{i.s(k::SETTINGS_PENDING)}</dt>
                <dd data-testid="settings-pending">{move || info.get().and_then(|(_, p)| p).map(|p| p.to_string()).unwrap_or_default()}</dd>
                <dt>{i.s(k::SETTINGS_DEVICE)}</dt>
                <dd class="mono">{move || info.get().and_then(|(c, _)| c).unwrap_or_default()}</dd>
                <dt>{i.s(k::SETTINGS_VERSION)}</dt>
                <dd>{env!("CARGO_PKG_VERSION")}</dd>
            </dl>
        </section>
    }
}
