use leptos::prelude::*;

use crate::i18n::{k, use_i18n};
use crate::platform;
use crate::routes::AppRoute;
use crate::state::AppState;

/// The top bar: online or offline in large letters, storage problems, and the update offer.
#[component]
pub fn StatusBar() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let (online, reachable) = (state.online, state.reachable);
    // Online by the browser's word is not enough: a line that reaches nothing (a weak signal,
    // a Wi-Fi asking to sign in) is "no connection", as the sync finds it.
    let connected = move || online.get() && reachable.get();
    view! {
        <header class="status-bar">
            <span class="app-name">"Latarnia"</span>
            <span
                data-testid="online-status"
                class="online-status"
                class:offline=move || !connected()
                class:unreachable=move || online.get() && !reachable.get()
                role="status"
                data-online=move || online.get().to_string()
                data-reachable=move || reachable.get().to_string()
            >
                {move || match (online.get(), reachable.get()) {
                    (false, _) => i.t(k::STATUS_OFFLINE),
                    (true, false) => i.t(k::STATUS_UNREACHABLE),
                    (true, true) => i.t(k::STATUS_ONLINE),
                }}
            </span>
            // The report page and the settings sit here, out of the way of the field screens in
            // the bottom navigation (which keeps six items of 48 px or more at 320 px).
            <Show when=move || state.is_coordinator()>
                <a class="settings-link report-link" href=AppRoute::Indicators.href() data-testid="nav-reports-page">
                    <span aria-hidden="true">"∑ "</span>{i.s(k::NAV_INDICATORS)}
                </a>
            </Show>
            <Show when=move || state.session.with(Option::is_some)>
                <a class="settings-link" href=AppRoute::Settings.href() data-testid="nav-settings"
                    aria-label=i.s(k::NAV_SETTINGS) title=i.s(k::NAV_SETTINGS)>"⚙"</a>
            </Show>
        </header>
        {move || state.storage_problem.get().map(|key| view! {
            <div class="banner banner-error" role="alert" data-testid="storage-problem">{i.s(key)}</div>
        })}
        <Show when=move || state.update_ready.get()>
            <div class="banner banner-info" role="status">
                <span>{i.s(k::UPDATE_READY)}</span>
                <button data-testid="update-reload" on:click=|_| platform::apply_update()>
                    {i.s(k::UPDATE_RELOAD)}
                </button>
            </div>
        </Show>
    }
}
