use leptos::prelude::*;
use leptos_router::hooks::use_location;

use latarnia_core::protocol::{CONTACTS, PATROLS};

use crate::i18n::{k, use_i18n};
use crate::routes::AppRoute;

/// At most this many destinations in the bottom bar, so every label fits whole on a 320 px
/// phone; the rest open from "Więcej".
pub const BAR_MAX: usize = 5;

/// One destination: where, its test id, its label's key, its icon.
type Destination = (AppRoute, &'static str, usize, &'static str);

/// The bottom navigation, within reach of a thumb: the field screens, and behind "Więcej" /
/// "More" the rest (reports, Akcja ZIMA, the coordinators' report).
#[component]
pub fn Nav() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<crate::state::AppState>();
    let path = use_location().pathname;
    let more_open = RwSignal::new(false);
    // Going anywhere closes the sheet.
    Effect::new(move |_| {
        path.track();
        more_open.set(false);
    });
    let destinations = move || -> Vec<Destination> {
        let mut d = Vec::new();
        // Patrols and contacts are not a partner agency's (the server refuses them both).
        if state.may_write(PATROLS) {
            d.push((AppRoute::Patrol, "nav-patrol", k::NAV_PATROL, "◉"));
        }
        if state.may_write(CONTACTS) {
            d.push((AppRoute::History, "nav-contacts", k::NAV_CONTACTS, "☰"));
        }
        d.push((AppRoute::Sites, "nav-sites", k::NAV_SITES, "⌂"));
        d.push((AppRoute::Map, "nav-map", k::NAV_MAP, "▦"));
        d.push((AppRoute::Reports, "nav-reports", k::NAV_REPORTS, "☎"));
        d.push((AppRoute::Zima, "nav-zima", k::NAV_ZIMA, "❄"));
        if state.is_coordinator() {
            d.push((AppRoute::Indicators, "nav-indicators", k::NAV_INDICATORS, "▤"));
        }
        d
    };
    // Everything fits: no "More". Else the first four, and "More" as the fifth.
    let split = move || {
        let mut all = destinations();
        let rest = if all.len() > BAR_MAX { all.split_off(BAR_MAX - 1) } else { Vec::new() };
        (all, rest)
    };
    let link = move |(route, testid, label, icon): Destination| {
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
            {move || {
                let (bar, rest) = split();
                let more = (!rest.is_empty()).then(|| {
                    let on_rest = rest.iter().map(|d| d.0.href()).collect::<Vec<_>>();
                    let current = move || {
                        let p = path.get();
                        on_rest.iter().any(|h| p.starts_with(h.as_str())).then_some("true")
                    };
                    view! {
                        <button type="button" class="nav-more" data-testid="nav-more" data-current=current
                            aria-expanded=move || more_open.get().to_string() aria-controls="nav-sheet"
                            on:click=move |_| more_open.update(|o| *o = !*o)>
                            <span class="nav-icon" aria-hidden="true">"⋯"</span>
                            <span>{i.s(k::NAV_MORE)}</span>
                        </button>
                        <Show when=move || more_open.get()>
                            <div id="nav-sheet" class="nav-sheet" role="dialog" aria-label=i.s(k::NAV_MORE_TITLE)
                                data-testid="nav-sheet">
                                {rest.clone().into_iter().map(link).collect_view()}
                                <button type="button" class="nav-sheet-close" data-testid="nav-sheet-close"
                                    on:click=move |_| more_open.set(false)>{i.s(k::NAV_CLOSE)}</button>
                            </div>
                        </Show>
                    }
                });
                view! { {bar.into_iter().map(link).collect_view()} {more} }
            }}
        </nav>
    }
}
