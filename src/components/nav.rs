use leptos::prelude::*;
use leptos_router::hooks::use_location;

use latarnia_core::protocol::{BED_HOLDS, CONTACTS, COUNT_PEOPLE, PATROLS};

use crate::i18n::{k, use_i18n};
use crate::routes::AppRoute;

/// The bottom navigation, within reach of a thumb: at most five destinations, so every label
/// fits whole on a 320 px phone. A field worker's are the field screens and "Więcej" / "More",
/// a sheet above the bar with the rest (reports, Akcja ZIMA, the coordinators' report); a
/// partner agency's four fit on the bar.
#[component]
pub fn Nav() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<crate::state::AppState>();
    let path = use_location().pathname;
    let more_open = RwSignal::new(false);
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
    // Patrols and contacts are not a partner agency's (the server refuses them both).
    let field = move || state.may_write(PATROLS);
    let rest = move || {
        view! {
            {link(AppRoute::Reports, "nav-reports", k::NAV_REPORTS, "☎")}
            {link(AppRoute::Zima, "nav-zima", k::NAV_ZIMA, "❄")}
        }
    };
    let on_rest = move || {
        let p = path.get();
        [AppRoute::Reports, AppRoute::Zima, AppRoute::Indicators, AppRoute::Counts, AppRoute::Facilities]
            .iter()
            .any(|r| p.starts_with(r.href().as_str()))
            .then_some("true")
    };
    // A facility's reception: its desk and the directory, nothing of the field work.
    let facility = move || state.is_facility();
    view! {
        <nav class="bottom-nav" aria-label=i.s(k::NAV_LABEL)>
            {move || facility().then(|| view! {
                {link(AppRoute::Reception, "nav-reception", k::NAV_RECEPTION, "⌂")}
                {link(AppRoute::Facilities, "nav-facilities", k::NAV_FACILITIES, "☷")}
            })}
            <Show when=move || !facility()>
            {move || field().then(|| link(AppRoute::Patrol, "nav-patrol", k::NAV_PATROL, "◉"))}
            {move || state.may_write(CONTACTS).then(|| link(AppRoute::History, "nav-contacts", k::NAV_CONTACTS, "☰"))}
            {link(AppRoute::Sites, "nav-sites", k::NAV_SITES, "⌂")}
            {link(AppRoute::Map, "nav-map", k::NAV_MAP, "▦")}
            {move || (!field()).then(rest)}
            {move || field().then(|| view! {
                <button type="button" class="nav-more" data-testid="nav-more" data-current=on_rest
                    aria-expanded=move || more_open.get().to_string() aria-controls="nav-sheet"
                    on:click=move |_| more_open.update(|o| *o = !*o)>
                    <span class="nav-icon" aria-hidden="true">"⋯"</span>
                    <span>{i.s(k::NAV_MORE)}</span>
                </button>
                // A tap on a destination or on "Close" closes it: it never stays over the content.
                {move || more_open.get().then(|| view! {
                    <div id="nav-sheet" class="nav-sheet" role="dialog" aria-label=i.s(k::NAV_MORE_TITLE)
                        data-testid="nav-sheet" on:click=move |_| more_open.set(false)>
                        {rest()}
                        {move || state.may_write(BED_HOLDS).then(|| link(AppRoute::Facilities, "nav-facilities", k::NAV_FACILITIES, "☷"))}
                        {move || state.may_write(COUNT_PEOPLE).then(|| link(AppRoute::Counts, "nav-count", k::NAV_COUNT, "#"))}
                        {move || state.is_coordinator().then(|| link(AppRoute::Indicators, "nav-indicators", k::NAV_INDICATORS, "▤"))}
                        <button type="button" class="nav-sheet-close" data-testid="nav-sheet-close">{i.s(k::NAV_CLOSE)}</button>
                    </div>
                })}
            })}
            </Show>
        </nav>
    }
}
