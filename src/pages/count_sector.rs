//! A team's sector on count night (`/count/<id>/sectors/<sector>`), offline throughout: its
//! places on the map and in a walking order, each marked visited (people found, empty, not
//! accessible); at a place, one questionnaire per person; a place not on the map added there
//! and then (it falls into the sector by its position).

use latarnia_core::count::{assign, walking_order, Count, CountPerson, CountVisit, Sector, VisitOutcome};
use latarnia_core::shown::Shown;
use latarnia_core::Site;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::components::coordinates;
use crate::components::count_person_form::CountPersonForm;
use crate::components::from_store::FromStore;
use crate::components::map_view::{map_points, MapShape, MapView};
use crate::i18n::{k, use_i18n};
use crate::platform::{self, Gps};
use crate::state::AppState;
use crate::storage::{Edit, Query, Store, StoreError};

#[derive(Clone)]
struct Loaded {
    count: Count,
    sector: Sector,
    /// The sector's places in walking order.
    places: Vec<Site>,
    /// Whether the order starts where the phone is (else at the sector's first place).
    from_here: bool,
    visits: Vec<CountVisit>,
    people: Vec<CountPerson>,
}

/// A questionnaire being filled at a place. It takes the screen, apart from the list, so that a
/// sync re-reading the list never resets what is being typed.
#[derive(Clone)]
struct Asking {
    site: Uuid,
    label: String,
    questionnaire: latarnia_core::count::Questionnaire,
}

#[component]
pub fn CountSectorPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let asking = RwSignal::new(None::<Asking>);
    let params = use_params_map();
    let watch = platform::watch_position(move |g| state.gps.set(g));
    on_cleanup(move || {
        if let Some(id) = watch {
            platform::stop_watching(id);
        }
    });
    // The walking order starts where the team stands: read again once the first fix is in
    // (not at every fix: the list would move under the worker's thumb).
    let has_fix = Memo::new(move |_| matches!(state.gps.get(), Gps::Fix { .. }));
    let loaded = state.resource(move || {
        // Read, not only tracked: a memo nobody has read is not computed, so it would never
        // hear of the fix (`loaded.rs`).
        let _ = has_fix.get();
        let (id, sid) = params.with(|p| (p.get("id").unwrap_or_default(), p.get("sector").unwrap_or_default()));
        async move {
            let (Ok(id), Ok(sid)) = (Uuid::parse_str(&id), Uuid::parse_str(&sid)) else {
                return Err(StoreError::NotFound);
            };
            let count = match state.store().get::<Count>(id).await? {
                Some(c) if !c.deleted => c.data,
                _ => return Err(StoreError::NotFound),
            };
            let sector = count.sectors.iter().find(|s| s.id == sid).cloned().ok_or(StoreError::NotFound)?;
            let sites: Vec<Site> = state.live::<Site>().await?;
            let assignment = assign(sites.iter().map(|s| (s.id, s.position.lat, s.position.lon)), &count.sectors);
            let mine: Vec<(Uuid, f64, f64)> = assignment
                .by_sector
                .get(&sid)
                .map(|ids| {
                    ids.iter()
                        .filter_map(|id| sites.iter().find(|s| s.id == *id))
                        .map(|s| (s.id, s.position.lat, s.position.lon))
                        .collect()
                })
                .unwrap_or_default();
            let from = match state.gps.get_untracked() {
                Gps::Fix { position, .. } => Some((position.lat, position.lon)),
                _ => None,
            };
            let places = walking_order(from, &mine)
                .into_iter()
                .filter_map(|id| sites.iter().find(|s| s.id == id).cloned())
                .collect();
            let q = Query { parent: Some(id), ..Default::default() };
            let visits = state.store().list::<CountVisit>(&q).await?.into_iter().map(|r| r.data).collect();
            let people = state.store().list::<CountPerson>(&q).await?.into_iter().map(|r| r.data).collect();
            Ok::<_, StoreError>(Loaded { count, sector, places, from_here: from.is_some(), visits, people })
        }
    });
    let form = move || {
        let a = asking.get()?;
        let (count_id, sector_id) = params.with(|p| {
            (p.get("id").and_then(|i| Uuid::parse_str(&i).ok()), p.get("sector").and_then(|i| Uuid::parse_str(&i).ok()))
        });
        Some(view! {
            <section class="page count-sector-page">
                <h1>{a.label.clone()}</h1>
                <CountPersonForm questionnaire=a.questionnaire count_id=count_id.unwrap_or_default() sector_id
                    site_id=Some(a.site) on_done=Callback::new(move |_| asking.set(None))/>
            </section>
        })
    };
    view! {
        <Show when=move || asking.with(Option::is_none) fallback=form>
            <FromStore resource=loaded page=true children=move |l| view! { <SectorView l asking/> }/>
        </Show>
    }
}

#[component]
fn SectorView(l: Loaded, asking: RwSignal<Option<Asking>>) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let Loaded { count, sector, places, from_here, visits, people } = l;
    let (count_id, sector_id) = (count.id, sector.id);
    let points = Signal::stored(map_points(&places, &[], &places));
    let shape = Signal::stored(vec![MapShape {
        label: sector.name.clone(),
        corners: sector.corners.iter().map(|c| (c.lat, c.lon)).collect(),
        classes: "",
    }]);
    let here = Signal::derive(move || match state.gps.get() {
        Gps::Fix { position, .. } => Some(position),
        _ => None,
    });
    let visits = StoredValue::new(visits);
    let mark = move |site: Uuid, outcome: VisitOutcome| {
        // One visit per place and count: marking again changes it.
        let existing = visits.with_value(|v| v.iter().find(|v| v.site_id == site).cloned());
        let visit = match existing {
            Some(v) => CountVisit { outcome, at: platform::now(), ..v },
            None => CountVisit {
                id: platform::new_uuid(),
                count_id,
                site_id: site,
                sector_id: Some(sector_id),
                outcome,
                at: platform::now(),
            },
        };
        spawn_local(async move {
            if let Ok(Some(_)) = state.write(Edit::Save(visit)).await {
                state.notify(k::COUNT_VISIT_SAVED, None);
            }
        });
    };
    let back = format!("/count/{count_id}/sectors/{sector_id}");
    let add_place = move || {
        let at = match state.gps.get() {
            Gps::Fix { position, .. } => format!("&{}", coordinates::query(position.lat, position.lon)),
            _ => String::new(),
        };
        format!("/sites/new?back={back}{at}")
    };
    let questionnaire = count.questionnaire.clone();
    let team = sector.team.clone();
    let meeting = match (team.meeting_point.is_empty(), team.meeting_at) {
        (true, None) => String::new(),
        (_, at) => format!(
            "{}: {} {}",
            i.t(k::COUNT_MEETING_POINT),
            team.meeting_point,
            at.map(|a| crate::components::contact_item::local_time(a, Shown::Time)).unwrap_or_default()
        ),
    };
    let empty = places.is_empty();
    let rows = places
        .into_iter()
        .map(|site| {
            let sid = site.id;
            let outcome = visits.with_value(|v| v.iter().find(|v| v.site_id == sid).map(|v| v.outcome));
            let here_count = people.iter().filter(|p| p.site_id == Some(sid) && !p.is_double()).count();
            let status = match outcome {
                Some(o) => i.value("count_outcome", o.as_str()),
                None => i.t(k::COUNT_NOT_VISITED).to_owned(),
            };
            let questionnaire = questionnaire.clone();
            let label = site.label.clone();
            let button = move |o: VisitOutcome, testid: &'static str, label: usize| {
                let pressed = (outcome == Some(o)).to_string();
                view! {
                    <button type="button" data-testid=testid aria-pressed=pressed on:click=move |_| mark(sid, o)>
                        {i.s(label)}
                    </button>
                }
            };
            view! {
                <li class="count-place" data-testid="count-place" data-visited=outcome.is_some().to_string()>
                    <h3>{site.label.clone()}</h3>
                    <p class="hint">
                        <span data-testid="count-place-status">{status}</span>
                        " · "<span data-testid="count-place-people">{here_count}</span>" "{i.s(k::COUNT_COUNTED_HERE)}
                    </p>
                    <div class="actions">
                        {button(VisitOutcome::PeopleFound, "count-visit-people", k::COUNT_VISIT_PEOPLE)}
                        {button(VisitOutcome::Empty, "count-visit-empty", k::COUNT_VISIT_EMPTY)}
                        {button(VisitOutcome::NotAccessible, "count-visit-closed", k::COUNT_VISIT_CLOSED)}
                    </div>
                    <button type="button" class="primary" data-testid="count-person" on:click=move |_| {
                        // Asking people means people were found here.
                        if outcome != Some(VisitOutcome::PeopleFound) {
                            mark(sid, VisitOutcome::PeopleFound);
                        }
                        asking.set(Some(Asking { site: sid, label: label.clone(), questionnaire: questionnaire.clone() }));
                    }>{i.s(k::COUNT_PERSON_ADD)}</button>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="page count-sector-page">
            <h1>{sector.name.clone()}</h1>
            <p class="hint">{
                latarnia_core::shown::parts([count.name.clone(), team.members.join(", ")])
            }</p>
            {(!meeting.is_empty()).then(|| view! { <p class="hint">{meeting}</p> })}
            <MapView points shapes=shape here fit=true testid="count-sector-map"/>
            {empty.then(|| view! { <p class="empty">{i.s(k::COUNT_SECTOR_EMPTY)}</p> })}
            <ol class="plain-list count-places" data-testid="count-places" data-from-here=from_here.to_string()>{rows}</ol>
            <a class="button big" data-testid="count-add-place" href=add_place>{i.s(k::COUNT_ADD_PLACE)}</a>
        </section>
    }
}
