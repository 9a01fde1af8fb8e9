//! Language, theme, and what the phone keeps.

use leptos::prelude::*;

use leptos::task::spawn_local;

use crate::components::erasure_form::ErasureForm;
use crate::components::map_view::tile_settings;
use crate::i18n::{k, use_i18n, Lang};
use crate::state::{AppState, Theme};
use crate::storage::Store;
use crate::sync;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let info = state.resource(move || async move {
        let store = state.store();
        let clock = store.clock().await.ok();
        let pending = store.outbox().await.map(|o| o.len()).ok();
        (clock.map(|c| c.client_id.to_string()), pending)
    });
    let confirm = RwSignal::new(false);
    let pending = move || state.sync.get().pending;
    let sign_out = move |force: bool| {
        if pending() > 0 && !force {
            confirm.set(true);
            return;
        }
        spawn_local(crate::session::sign_out(state));
    };
    let user =
        move || state.session.get().map(|s| format!("{} ({})", s.user.display_name, s.user.login)).unwrap_or_default();
    let window =
        state.resource(move || async move { state.store().sync_state().await.ok().and_then(|s| s.window_days) });
    view! {
        <section class="page">
            <h1>{i.s(k::SETTINGS_TITLE)}</h1>
            <p class="meta">{i.s(k::SIGNED_IN_AS)}" "<strong data-testid="signed-in-as">{user}</strong></p>
            <button data-testid="lock-now" class="secondary" on:click=move |_| crate::session::lock_now(state)>{i.s(k::LOCK_NOW)}</button>
            <p class="hint">{move || {
                let minutes = state.session.with(|s| s.as_ref().map(|s| s.phone.lock_after_minutes));
                let minutes = minutes.unwrap_or(latarnia_core::lock::DEFAULT_LOCK_AFTER_MINUTES);
                i.t(k::LOCK_NOW_HINT).replace("{n}", &minutes.to_string())
            }}</p>
            // What this phone keeps (the field-sized window of the last sync).
            {move || window.get().flatten().map(|days| view! {
                <p class="hint" data-testid="settings-window">{move || match days {
                    0 => i.t(k::SETTINGS_WINDOW_ALL).to_owned(),
                    n => i.t(k::SETTINGS_WINDOW).replace("{n}", &n.to_string()),
                }}</p>
            })}
            <button data-testid="logout" class="secondary" on:click=move |_| sign_out(false)>{i.s(k::LOGOUT)}</button>
            <Show when=move || !state.online.get()>
                <p class="hint">{i.s(k::LOGOUT_OFFLINE)}</p>
            </Show>
            <Show when=move || confirm.get()>
                <div class="banner banner-error" role="alert" data-testid="logout-warning">
                    <span>{move || i.t(k::LOGOUT_WARNING).replace("{n}", &pending().to_string())}</span>
                    <button data-testid="logout-sync" class="primary" disabled=move || !state.online.get()
                        on:click=move |_| { confirm.set(false); sync::sync_now(state) }>{i.s(k::SYNC_NOW)}</button>
                    <button data-testid="logout-cancel" class="secondary" on:click=move |_| confirm.set(false)>{i.s(k::LOGOUT_CANCEL)}</button>
                    <button data-testid="logout-confirm" class="danger" on:click=move |_| sign_out(true)>{i.s(k::LOGOUT_CONFIRM)}</button>
                </div>
            </Show>
            <label for="lang-select">{i.s(k::SETTINGS_LANGUAGE)}</label>
            <select id="lang-select" data-testid="lang-select"
                on:change=move |ev| if let Some(l) = Lang::from_code(&event_target_value(&ev)) {
                    // English's texts are a part of their own: the language changes once they are there.
                    leptos::task::spawn_local(async move {
                        crate::i18n::load(l).await;
                        state.lang.set(l);
                    });
                }>
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

            // A coordinators' form, in this screen's own part (`split_settings`).
            <Show when=move || state.is_coordinator()>
                <ErasureForm/>
            </Show>

            <h2>{i.s(k::SETTINGS_MAP)}</h2>
            <p class="hint">{i.s(k::SETTINGS_MAP_HINT)}</p>
            <dl class="facts">
                <dt>{i.s(k::SETTINGS_TILE_URL)}</dt>
                <dd class="mono" data-testid="settings-tile-url">{tile_settings().0}</dd>
            </dl>
        </section>
    }
}
