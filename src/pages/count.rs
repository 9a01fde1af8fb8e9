//! One count (`/count/<id>`; `new` to prepare one). The coordinator prepares it (name, window,
//! sectors drawn on the map, teams) and watches it live as the teams' phones sync: each
//! sector's places visited and people counted, teams not heard from yet, then the gmina's
//! table. Every team member picks their sector here.

use latarnia_core::count::{assign, default_questionnaire, progress, table, Count, CountPerson, CountVisit};
use latarnia_core::Site;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::components::contact_item::parse_local_input;
use crate::components::count_form::CountForm;
use crate::components::count_progress::CountProgress;
use crate::components::count_table::CountTableView;
use crate::components::from_store::FromStore;
use crate::i18n::{k, use_i18n};
use crate::platform;
use crate::state::AppState;
use crate::storage::{Query, Store, StoreError};

#[derive(Clone)]
struct Loaded {
    count: Count,
    places: Vec<Site>,
    visits: Vec<CountVisit>,
    people: Vec<CountPerson>,
}

/// A new count: tonight from 20:00 to 6:00 the next morning (the phone's time), the ministry's
/// questionnaire, no sectors yet.
fn new_count(id: Uuid, name: &str) -> Count {
    let now = platform::now();
    let tonight = format!("{}T20:00", latarnia_core::shown::iso_date(chrono::Local::now().date_naive()));
    let starts_at = parse_local_input(&tonight).unwrap_or(now);
    Count {
        id,
        name: format!("{name} {}", chrono::Datelike::year(&starts_at)),
        starts_at,
        ends_at: starts_at + chrono::Duration::hours(10),
        sectors: Vec::new(),
        questionnaire: default_questionnaire(),
        entered_total: None,
    }
}

/// The count `id` (`new`: a new one) with the places and what the teams have sent so far.
async fn read(state: AppState, id: &str, name: &str) -> Result<Loaded, StoreError> {
    let places: Vec<Site> = state.live::<Site>().await?;
    if id == "new" {
        let count = new_count(platform::new_uuid(), name);
        return Ok(Loaded { count, places, visits: Vec::new(), people: Vec::new() });
    }
    let id = Uuid::parse_str(id).map_err(|_| StoreError::NotFound)?;
    let count = match state.store().get::<Count>(id).await? {
        Some(c) if !c.deleted => c.data,
        _ => return Err(StoreError::NotFound),
    };
    let q = Query { parent: Some(id), ..Default::default() };
    let visits = state.store().list::<CountVisit>(&q).await?.into_iter().map(|r| r.data).collect();
    // The table's time (read by `cargo xtask bench`): the questionnaires read, then summed.
    platform::mark("count-table-start");
    let people = state.store().list::<CountPerson>(&q).await?.into_iter().map(|r| r.data).collect();
    Ok(Loaded { count, places, visits, people })
}

#[component]
pub fn CountPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id")).unwrap_or_default();
    let coordinator = move || state.is_coordinator() && state.may_write(latarnia_core::protocol::COUNTS);
    // What the live view shows, read again as the teams' phones sync.
    let loaded = state.resource(move || {
        let id = id();
        async move { read(state, &id, "").await }
    });
    // What the form edits, read once: a sync while the coordinator draws never resets the form
    // (it is drawn apart from the live view for the same reason).
    let editing = crate::loaded::Loaded::new(move || {
        let (id, name) = (id(), i.t(k::COUNT_HISTORY_NAME));
        async move { read(state, &id, name).await.map(|l| (l.count, l.places)) }
    });
    let edit_form =
        move || view! { <FromStore resource=editing children=|(count, places)| view! { <CountForm count places/> }/> };
    let live = move |l: Loaded| {
        // The last count's read stays up while the next is read: nothing of it is shown.
        if l.count.id.to_string() != id() {
            return None;
        }
        let Loaded { count, places, visits, people, .. } = l;
        platform::mark("count-assign-start");
        let assignment = assign(places.iter().map(|s| (s.id, s.position.lat, s.position.lon)), &count.sectors);
        platform::measure("count-assign", "count-assign-start");
        let sector_progress = progress(&assignment, &visits, &people);
        let outside: Vec<String> = assignment
            .outside
            .iter()
            .filter_map(|id| places.iter().find(|s| s.id == *id).map(|s| s.label.clone()))
            .collect();
        let t = table(&count.questionnaire, &people);
        platform::measure("count-table", "count-table-start");
        let id = count.id;
        Some(view! {
            <h1>{count.name.clone()}</h1>
            <h2 class="no-print">{i.s(k::COUNT_SECTOR_CHOOSE)}</h2>
            <ul class="plain-list no-print">
                {count.sectors.iter().map(|s| view! {
                    <li>
                        <a class="row-link" data-testid="count-sector-link" href=format!("/count/{id}/sectors/{}", s.id)>
                            <span>{s.name.clone()}</span>
                            <span class="hint">{s.team.members.join(", ")}</span>
                        </a>
                    </li>
                }).collect_view()}
            </ul>
            <Show when=coordinator>
                <CountProgress sectors=count.sectors.clone() progress=sector_progress.clone() outside=outside.clone()/>
                <CountTableView name=count.name.clone() questionnaire=count.questionnaire.clone() table=t.clone()/>
            </Show>
        })
    };
    move || {
        if id() == "new" {
            return if coordinator() {
                view! {
                    <section class="page count-page">
                        <h1>{i.s(k::COUNT_NEW)}</h1>
                        {edit_form}
                    </section>
                }
                .into_any()
            } else {
                view! { <section class="page"><p class="notice">{i.s(k::COUNT_NOT_COORDINATOR)}</p></section> }
                    .into_any()
            };
        }
        view! {
            <section class="page count-page">
                <FromStore resource=loaded children=live/>
                <Show when=coordinator>
                    <details class="count-edit no-print">
                        <summary data-testid="count-edit">{i.s(k::COUNT_SECTORS)}</summary>
                        {edit_form}
                    </details>
                </Show>
            </section>
        }
        .into_any()
    }
}
