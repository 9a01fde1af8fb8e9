//! The map of places (`/map`): every place as a marker by type and status, the open reports,
//! the phone's position; a tap on the map offers a new place there, a tap on a marker opens it.

use latarnia_core::{Contact, Report, Site};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::coordinates;
use crate::components::map_view::{map_points, MapView};
use crate::components::site_filter_bar::{SiteFilterBar, SiteFilters};
use crate::i18n::{k, use_i18n};
use crate::platform::{self, Gps};
use crate::routes::AppRoute;
use crate::state::AppState;
use crate::storage::{Query, Store, StoreError};

#[component]
pub fn MapPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let navigate = use_navigate();
    let filters = SiteFilters::new();

    let watch = platform::watch_position(move |g| state.gps.set(g));
    on_cleanup(move || {
        if let Some(id) = watch {
            platform::stop_watching(id);
        }
    });

    // Places, reports (and contacts for the days filter) in one read, so the markers are set
    // once, not once per collection.
    let data = state.resource(move || {
        let need_contacts = filters.unvisited_days.with(|d| !d.trim().is_empty());
        async move {
            let sites: Vec<Site> = state.live::<Site>().await?;
            let reports: Vec<Report> = state.live::<Report>().await?;
            let contacts: Vec<Contact> = if need_contacts {
                state.store().list::<Contact>(&Query::default()).await?.into_iter().map(|c| c.data).collect()
            } else {
                Vec::new()
            };
            Ok::<_, StoreError>((sites, reports, contacts))
        }
    });
    let points = Memo::new(move |_| {
        let Some(Ok((sites, reports, contacts))) = data.get() else { return Vec::new() };
        let shown = filters.apply(sites.clone(), &contacts);
        map_points(&shown, &reports, &sites)
    });
    let here = Signal::derive(move || match state.gps.get() {
        Gps::Fix { position, .. } => Some(position),
        _ => None,
    });
    let tapped = RwSignal::new(None::<(f64, f64)>);
    let on_tap = Callback::new(move |at: (f64, f64)| tapped.set(Some(at)));
    let on_select = Callback::new(move |(kind, id): (String, String)| {
        let path = if kind == "report" { "reports" } else { "sites" };
        navigate(&format!("/{path}/{id}"), Default::default());
    });

    view! {
        <section class="page map-page">
            <h1 class="visually-hidden">{i.s(k::NAV_MAP)}</h1>
            <details class="map-filters">
                <summary>{i.s(k::MAP_FILTERS)}</summary>
                <SiteFilterBar filters/>
            </details>
            <MapView points=Signal::from(points) here on_tap on_select fit=true testid="map"/>
            {move || tapped.get().map(|(lat, lon)| view! {
                <div class="map-bar">
                    <span>{coordinates::pair(lat, lon, 5)}</span>
                    <a class="button primary" data-testid="map-add-here"
                        href=format!("{}?{}", AppRoute::NewSite.href(), coordinates::query(lat, lon))>
                        {i.s(k::MAP_ADD_HERE)}
                    </a>
                </div>
            })}
        </section>
    }
}
