use leptos::prelude::*;
use leptos_router::hooks::use_location;

use latarnia_core::protocol::{CONTACTS, PATROLS};

use crate::i18n::{k, use_i18n};
use crate::routes::AppRoute;

/// The bottom navigation, within reach of a thumb.
#[component]
pub fn Nav() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<crate::state::AppState>();
    let path = use_location().pathname;
    let link = move |route: AppRoute, testid: &'static str, label: usize, icon: &'static str| {
        let href = route.href();
        let here = href.clone();
        let current = move || {
            let p = path.get();
            let on = match here.as_str() {
                "/" => p == "/" || p.starts_with("/patrols") || p == "/contacts/new",
                "/contacts" => p.starts_with("/contacts") && p != "/contacts/new",
                _ => p.starts_with(&here),
            };
            on.then_some("page")
        };
        view! {
            <a href=href data-testid=testid aria-current=current>
                <span class="nav-icon" aria-hidden="true">{icon}</span>
                <span>{i.s(label)}</span>
            </a>
        }
    };
    view! {
        <nav class="bottom-nav" aria-label=i.s(k::NAV_LABEL)>
            // Patrols and contacts are not a partner agency's (the server refuses them both).
            {move || state.may_write(PATROLS).then(|| link(AppRoute::Patrol, "nav-patrol", k::NAV_PATROL, "◉"))}
            {move || state.may_write(CONTACTS).then(|| link(AppRoute::History, "nav-contacts", k::NAV_CONTACTS, "☰"))}
            {link(AppRoute::Map, "nav-map", k::NAV_MAP, "▦")}
            {link(AppRoute::Sites, "nav-sites", k::NAV_SITES, "⌂")}
            {link(AppRoute::Reports, "nav-reports", k::NAV_REPORTS, "☎")}
            {link(AppRoute::Zima, "nav-zima", k::NAV_ZIMA, "❄")}
        </nav>
    }
}
