//! A meal run (`/zima/runs/<id>`; `new` to plan one). Planning: date, forecast, team, vehicle,
//! depot, load; stops proposed from the places where people were found last time and the open
//! reports; the order planned as a short round trip (nearest neighbour and 2-opt in `core`),
//! reorderable by hand. Running: the stops in order (offline throughout), what is left in the
//! vehicle, and the summary.

use latarnia_core::route::{self, Route};
use latarnia_core::validate::split_team;
use latarnia_core::zima::{candidates, load_left, on_other_runs, summary, Candidate};
use latarnia_core::{
    default_load, Contact, FieldError, Forecast, LoadLine, MealRun, MealRunStop, Position, Report, Site,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};
use uuid::Uuid;

use crate::components::coordinates::{coordinate, shown, Coordinates};
use crate::components::field_error::FieldErrorText;
use crate::components::from_store::FromStore;
use crate::components::run_progress::RunProgress;
use crate::components::stepper::Stepper;
use crate::components::zima_banner::tonight;
use crate::i18n::{k, use_i18n, I18n};
use crate::platform::{self, Gps};
use crate::routes::AppRoute;
use crate::state::AppState;
use crate::storage::{Edit, Query, Store, StoreError};

async fn all<T: latarnia_core::protocol::Record>(state: AppState) -> Result<Vec<T>, StoreError> {
    Ok(state.store().list::<T>(&Query::default()).await?.into_iter().map(|r| r.data).collect())
}

#[derive(Clone)]
enum Loaded {
    /// A new run; `taken`: each candidate is already a stop of another run that night.
    Plan {
        run: MealRun,
        candidates: Vec<Candidate>,
        taken: Vec<bool>,
    },
    Run {
        run: MealRun,
        stops: Vec<MealRunStop>,
    },
}

#[component]
pub fn RunPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let params = use_params_map();
    let loaded = crate::loaded::Loaded::new(move || {
        let id = params.with(|p| p.get("id")).unwrap_or_default();
        // A run being worked re-reads as its stops sync; a plan is read once.
        if id != "new" {
            state.revision.track();
        }
        async move {
            if id == "new" {
                let (sites, contacts, reports) =
                    (all::<Site>(state).await?, all::<Contact>(state).await?, all::<Report>(state).await?);
                let night = tonight();
                let forecast = all::<Forecast>(state).await?.into_iter().find(|f| f.date == night).map(|f| f.min_c);
                // The depot of the last run, else where the phone is.
                let last = state.store().list::<MealRun>(&Query { limit: Some(1), ..Default::default() }).await?;
                let (depot_label, depot) = match last.into_iter().next() {
                    Some(r) => (r.data.depot_label, r.data.depot),
                    None => match state.gps.get_untracked() {
                        Gps::Fix { position, .. } => (String::new(), position),
                        _ => (String::new(), Position { lat: f64::NAN, lon: f64::NAN, accuracy_m: 0.0 }),
                    },
                };
                let run = MealRun {
                    id: platform::new_uuid(),
                    date: night,
                    forecast_min_c: forecast,
                    team: Vec::new(),
                    vehicle: String::new(),
                    depot_label,
                    depot: Position { accuracy_m: 0.0, ..depot },
                    load: default_load(),
                    planned_distance_m: 0.0,
                    planned_minutes: 0.0,
                    started_at: None,
                    ended_at: None,
                    created_at: platform::now(),
                };
                let candidates = candidates(&sites, &contacts, &reports);
                let taken =
                    on_other_runs(&candidates, &all::<MealRun>(state).await?, &all::<MealRunStop>(state).await?, night);
                Ok(Loaded::Plan { run, candidates, taken })
            } else {
                let id = Uuid::parse_str(&id).map_err(|_| StoreError::NotFound)?;
                let run = match state.store().get::<MealRun>(id).await? {
                    Some(r) if !r.deleted => r.data,
                    _ => return Err(StoreError::NotFound),
                };
                let mut stops: Vec<MealRunStop> = state
                    .store()
                    .list::<MealRunStop>(&Query { parent: Some(id), ..Default::default() })
                    .await?
                    .into_iter()
                    .map(|r| r.data)
                    .collect();
                latarnia_core::order::sort_by_key(&mut stops, |s| s.seq);
                Ok(Loaded::Run { run, stops })
            }
        }
    });
    let page = move |loaded| {
        match loaded {
        // Planning is the coordinator's (a partner may not write runs at all).
        Loaded::Plan { .. } if !(state.is_coordinator() && state.may_write(latarnia_core::protocol::MEAL_RUNS)) => {
            view! { <section class="page"><p class="notice" data-testid="run-plan-not-allowed">{use_i18n().s(k::RUN_PLAN_NOT_ALLOWED)}</p></section> }
                .into_any()
        }
        Loaded::Plan { run, candidates, taken } => view! { <RunPlan run candidates taken/> }.into_any(),
        Loaded::Run { run, stops } => view! { <RunView run stops/> }.into_any(),
    }
    };
    view! { <FromStore resource=loaded page=true children=page/> }
}

fn km(m: f64) -> String {
    format!("{} km", crate::platform::fixed(m / 1000.0, 1))
}

/// A load item's name: translated for the usual ones, as typed for the team's own.
fn item_label(i: I18n, item: &str) -> String {
    let key = format!("item_{item}");
    match crate::i18n::lookup(i.lang(), &key) {
        text if text == key => item.to_owned(),
        text => text.to_owned(),
    }
}

#[component]
fn RunPlan(run: MealRun, candidates: Vec<Candidate>, taken: Vec<bool>) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let navigate = use_navigate();

    let date = RwSignal::new(run.date.to_string());
    let forecast = RwSignal::new(run.forecast_min_c.map(|t| t.to_string()).unwrap_or_default());
    let team = RwSignal::new(platform::pref("last_team").unwrap_or_default());
    let vehicle = RwSignal::new(String::new());
    let depot_label = RwSignal::new(run.depot_label.clone());
    let depot_lat = RwSignal::new(shown(run.depot.lat));
    let depot_lon = RwSignal::new(shown(run.depot.lon));
    // The load checklist: the usual items, and any the team adds for the night.
    let load: RwSignal<Vec<(String, RwSignal<u32>)>> =
        RwSignal::new(run.load.iter().map(|l| (l.item.clone(), RwSignal::new(l.quantity))).collect());
    let new_item = RwSignal::new(String::new());
    let add_item = move |_| {
        let name = new_item.get_untracked().trim().to_owned();
        if !name.is_empty() && load.with_untracked(|l| l.iter().all(|(item, _)| *item != name)) {
            load.update(|l| l.push((name, RwSignal::new(1))));
            new_item.set(String::new());
        }
    };
    // Proposed stops start chosen, but for those another vehicle has tonight; the coordinator
    // adds or removes any.
    let chosen: Vec<(Candidate, RwSignal<bool>)> =
        candidates.into_iter().zip(&taken).map(|(c, taken)| (c, RwSignal::new(!taken))).collect();
    let taken = StoredValue::new(taken);
    let chosen = StoredValue::new(chosen);
    // The planned order: indices into `chosen`, with the route's length and time.
    let order = RwSignal::new(Vec::<usize>::new());
    let route = RwSignal::new(None::<Route>);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let busy = RwSignal::new(false);

    let depot =
        move || Position { lat: coordinate(&depot_lat.get()), lon: coordinate(&depot_lon.get()), accuracy_m: 0.0 };
    let picked = move || -> Vec<usize> {
        chosen.with_value(|c| c.iter().enumerate().filter(|(_, (_, on))| on.get_untracked()).map(|(n, _)| n).collect())
    };
    let positions =
        move |idx: &[usize]| -> Vec<Position> { chosen.with_value(|c| idx.iter().map(|&n| c[n].0.position).collect()) };
    let plan = move |_| {
        let d = depot();
        if !(d.lat.is_finite() && d.lon.is_finite()) {
            return errors.set(vec![FieldError { field: "lat", code: "lat_range" }]);
        }
        let idx = picked();
        if idx.is_empty() {
            route.set(None);
            return errors.set(vec![FieldError { field: "stops", code: "run_no_stops" }]);
        }
        errors.update(|e| e.retain(|e| e.field != "stops"));
        platform::mark("route-start");
        let r = route::plan(&d, &positions(&idx));
        platform::measure("route-plan", "route-start");
        order.set(r.order.iter().map(|&o| idx[o]).collect());
        route.set(Some(r));
    };
    // Moves a stop one place up by hand; the length and time follow.
    let move_up = move |pos: usize| {
        if pos == 0 {
            return;
        }
        order.update(|o| o.swap(pos - 1, pos));
        let o = order.get_untracked();
        route.set(Some(route::route_for(&depot(), &positions(&o), (0..o.len()).collect())));
    };

    let save = {
        move |_| {
            let navigate = navigate.clone();
            let o = order.get_untracked();
            let Some(r) = route.get_untracked() else { return };
            let run = MealRun {
                date: date.get_untracked().parse::<chrono::NaiveDate>().unwrap_or(run.date),
                forecast_min_c: latarnia_core::validate::temperature(&forecast.get_untracked()).ok(),
                team: split_team(&team.get_untracked()),
                vehicle: vehicle.get_untracked().trim().to_owned(),
                depot_label: depot_label.get_untracked().trim().to_owned(),
                depot: depot(),
                load: load.with_untracked(|l| {
                    l.iter().map(|(item, n)| LoadLine { item: item.clone(), quantity: n.get_untracked() }).collect()
                }),
                planned_distance_m: r.distance_m,
                planned_minutes: r.minutes,
                ..run.clone()
            };
            if let Err(e) = latarnia_core::validate::meal_run(&run) {
                return errors.set(e.0);
            }
            let stops: Vec<MealRunStop> = chosen.with_value(|c| {
                o.iter()
                    .enumerate()
                    .map(|(seq, &n)| c[n].0.to_stop(platform::new_uuid(), run.id, seq as u32 + 1))
                    .collect()
            });
            busy.set(true);
            spawn_local(async move {
                let id = run.id;
                let mut ok = state.write(Edit::Save(run)).await.is_ok();
                for s in stops {
                    ok = ok && state.write(Edit::Save(s)).await.is_ok();
                }
                busy.set(false);
                if ok {
                    platform::set_pref("last_team", &team.get_untracked());
                    state.notify(k::RUN_SAVED, None);
                    navigate(&AppRoute::Run(id).href(), Default::default());
                }
            });
        }
    };

    let text = move |id: &'static str, label: usize, value: RwSignal<String>| {
        view! {
            <label for=id>{i.s(label)}</label>
            <input id=id data-testid=id autocomplete="off" prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))/>
        }
    };

    view! {
        <section class="page run-plan">
            <h1>{i.s(k::RUN_NEW)}</h1>
            <label for="run-date">{i.s(k::ZIMA_DATE)}</label>
            <input id="run-date" type="date" data-testid="run-date" prop:value=move || date.get()
                on:input=move |ev| date.set(event_target_value(&ev))/>
            {text("run-forecast", k::ZIMA_FORECAST, forecast)}
            <FieldErrorText errors field="forecast_min_c"/>
            {text("run-team", k::PATROL_TEAM, team)}
            <FieldErrorText errors field="team"/>
            {text("run-vehicle", k::RUN_VEHICLE, vehicle)}
            {text("run-depot", k::RUN_DEPOT, depot_label)}
            <FieldErrorText errors field="depot_label"/>
            <Coordinates lat=depot_lat lon=depot_lon prefix="run-depot" errors/>

            <h2>{i.s(k::RUN_LOAD)}</h2>
            {move || load.get().into_iter().map(|(item, n)| {
                let label = item_label(i, &item);
                view! { <Stepper value=n label=label testid=format!("run-load-{item}") max=9999/> }
            }).collect_view()}
            <div class="add-line">
                <input data-testid="run-load-item" autocomplete="off" placeholder=i.s(k::RUN_LOAD_ITEM)
                    aria-label=i.s(k::RUN_LOAD_ITEM)
                    prop:value=move || new_item.get() on:input=move |ev| new_item.set(event_target_value(&ev))/>
                <button type="button" data-testid="run-load-add" on:click=add_item>{i.s(k::RUN_LOAD_ADD)}</button>
            </div>
            <FieldErrorText errors field="load"/>

            <h2>{i.s(k::RUN_CANDIDATES)}</h2>
            {chosen.with_value(Vec::is_empty).then(|| view! {
                <p class="empty" data-testid="run-no-candidates">{i.s(k::RUN_NO_CANDIDATES)}</p>
            })}
            <ul class="plain-list" data-testid="run-candidates">
                {chosen.with_value(|c| c.iter().enumerate().map(|(n, (cand, on))| {
                    let on = *on;
                    let mut note = if cand.report_id.is_some() {
                        i.t(k::RUN_FROM_REPORT).to_owned()
                    } else {
                        format!("{} {}", cand.people_last_time, i.t(k::SITE_VISIT_PEOPLE))
                    };
                    let taken = taken.with_value(|t| t[n]);
                    if taken {
                        note = format!("{note} · {}", i.t(k::RUN_ON_OTHER_RUN));
                    }
                    view! {
                        <li>
                            <label class="check">
                                <input type="checkbox" data-testid="run-candidate" data-other-run=taken.to_string() prop:checked=move || on.get()
                                    on:change=move |ev| on.set(event_target_checked(&ev))/>
                                <span>{cand.label.clone()}" · "{note}</span>
                            </label>
                        </li>
                    }
                }).collect_view())}
            </ul>
            <FieldErrorText errors field="stops"/>
            <button type="button" class="big" data-testid="run-plan" on:click=plan>{i.s(k::RUN_PLAN)}</button>

            {move || route.get().map(|r| {
                let o = order.get();
                view! {
                    <p data-testid="run-distance" data-metres=crate::platform::fixed(r.distance_m, 0)>
                        {format!("{} · ~{} min", km(r.distance_m), crate::platform::fixed(r.minutes, 0))}
                    </p>
                    <ol class="plain-list stop-order" data-testid="run-stop-list">
                        {o.iter().enumerate().map(|(pos, &n)| {
                            let label = chosen.with_value(|c| c[n].0.label.clone());
                            view! {
                                <li data-testid="run-stop">
                                    <span>{format!("{}. {label}", pos + 1)}</span>
                                    <button type="button" data-testid="run-stop-up" disabled=pos == 0
                                        aria-label=move || format!("{} ↑", i.t(k::RUN_MOVE_UP))
                                        on:click=move |_| move_up(pos)>"↑"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                    <button type="button" class="primary big" data-testid="run-save" disabled=move || busy.get()
                        on:click=save.clone()>{i.s(k::SAVE)}</button>
                }
            })}
        </section>
    }
}

#[component]
fn RunView(run: MealRun, stops: Vec<MealRunStop>) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let navigate = leptos_router::hooks::use_navigate();
    let run_id = run.id;
    let delete = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            if state.set_run_deleted(run_id, true).await.is_ok() {
                state.notify(k::RUN_DELETED, None);
                navigate(&AppRoute::Zima.href(), Default::default());
            }
        });
    };
    let s = summary(&run, &stops);
    let left = load_left(&run.load, &stops);
    let given: Vec<(String, u32)> = s.given.iter().map(|(item, n)| (item.as_str().to_owned(), *n)).collect();
    view! {
        <section class="page run-view">
            <h1>"Akcja ZIMA · "<span class="nowrap">{latarnia_core::shown::iso_date(run.date)}</span></h1>
            <p class="meta">{move || {
                // What was filled in, and only that: no separators around an empty vehicle or team.
                let forecast = run.forecast_min_c.map(|t| latarnia_core::validate::celsius(t, i.lang() == crate::i18n::Lang::Pl));
                latarnia_core::shown::parts([run.vehicle.clone(), run.team.join(", "), run.depot_label.clone(), forecast.unwrap_or_default()])
            }}</p>
            <p>{format!("{} · ~{} min", km(run.planned_distance_m), crate::platform::fixed(run.planned_minutes, 0))}</p>
            <ol class="plain-list" data-testid="run-stop-list">
                {stops.into_iter().map(|st| view! {
                    <li data-testid="run-stop" data-status=st.status.as_str()>
                        <a class="row-link" href=AppRoute::RunStop(st.id).href()>
                            <span>{format!("{}. {}", st.seq, st.label)}</span>
                            <span>{i.sv("stop_status", st.status.as_str())}</span>
                        </a>
                    </li>
                }).collect_view()}
            </ol>
            <h2>{i.s(k::RUN_LOAD_LEFT)}</h2>
            <ul class="plain-list" data-testid="run-load">
                {left.into_iter().map(|l| {
                    let label = item_label(i, &l.item);
                    view! { <li><span>{label}</span>" "<strong>{l.quantity}</strong></li> }
                }).collect_view()}
            </ul>
            <h2>{i.s(k::RUN_SUMMARY)}</h2>
            <dl class="facts" data-testid="run-summary" data-complete=s.complete.to_string()
                data-visited=s.visited data-skipped=s.skipped data-people=s.people>
                <dt>{i.s(k::RUN_VISITED)}</dt><dd><RunProgress summary=s.clone()/></dd>
                <dt>{i.s(k::SUMMARY_PEOPLE)}</dt><dd>{s.people}</dd>
                {given.into_iter().map(|(item, n)| {
                    let label = item_label(i, &item);
                    view! { <dt>{label}</dt><dd data-testid=format!("run-given-{item}")>{n}</dd> }
                }).collect_view()}
                <dt>{i.s(k::RUN_DURATION)}</dt><dd>{s.minutes.map(|m| format!("{m} min")).unwrap_or_else(|| "—".into())}</dd>
                <dt>{i.s(k::RUN_DISTANCE)}</dt><dd>{km(s.distance_m)}</dd>
            </dl>
            <Show when=move || state.may_delete(latarnia_core::protocol::MEAL_RUNS)>
                <button type="button" class="danger big" data-testid="run-delete" on:click=delete.clone()>
                    {i.s(k::RUN_DELETE)}
                </button>
            </Show>
        </section>
    }
}
