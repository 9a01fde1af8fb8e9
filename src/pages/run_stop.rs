//! One stop of a meal run (`/zima/stops/<id>`), offline: a link to the place in the phone's
//! maps app, the checklist — people found, meals, hot drinks, blankets, sleeping bags, their
//! condition, ambulance, shelter, refused, notes — or "skip" with a reason. A done stop that
//! found people is also a contact at the place (written here, linked by `contact_id`), and
//! checks the report it came from.

use latarnia_core::shown::Shown;
use latarnia_core::zima::maps_link;
use latarnia_core::{FieldError, Item, MealRun, MealRunStop, Report, ReportStatus, StopStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};
use uuid::Uuid;

use crate::components::check_box::CheckBox;
use crate::components::field_error::FieldErrorText;
use crate::components::from_store::FromStore;
use crate::components::optional_enum_select::OptionalEnumSelect;
use crate::components::stepper::Stepper;
use crate::components::text_field::{Input, TextField};
use crate::i18n::{k, use_i18n};
use crate::platform;
use crate::routes::AppRoute;
use crate::state::AppState;
use crate::storage::{Edit, Query, Store, StoreError};

/// The items a stop counts, in the checklist's order.
const STOP_ITEMS: [Item; 4] = [Item::HotMeal, Item::HotDrink, Item::Blanket, Item::SleepingBag];

#[component]
pub fn RunStopPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let params = use_params_map();
    let loaded = crate::loaded::Loaded::new(move || {
        let id = params.with(|p| p.get("id")).unwrap_or_default();
        async move {
            let id = Uuid::parse_str(&id).map_err(|_| StoreError::NotFound)?;
            match state.store().get::<MealRunStop>(id).await? {
                Some(r) if !r.deleted => Ok(r.data),
                _ => Err(StoreError::NotFound),
            }
        }
    });
    view! { <FromStore resource=loaded page=true children=|stop| view! { <StopForm stop/> }/> }
}

/// After a stop is recorded: the run starts with its first stop and ends with its last.
async fn mark_run(state: AppState, run_id: Uuid) -> Result<(), StoreError> {
    let stops = state.store().list::<MealRunStop>(&Query { parent: Some(run_id), ..Default::default() }).await?;
    let times: Vec<_> = stops.iter().filter_map(|s| s.data.done_at).collect();
    let finished = stops.iter().all(|s| s.data.status != StopStatus::Planned);
    let now = platform::now();
    state
        .update::<MealRun>(run_id, |r| {
            if r.started_at.is_none() {
                r.started_at = times.iter().min().copied().or(Some(now));
            }
            if finished && r.ended_at.is_none() {
                r.ended_at = Some(now.max(r.started_at.unwrap_or(now)));
            }
        })
        .await
        .map(|_| ())
}

#[component]
fn StopForm(stop: MealRunStop) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let navigate = use_navigate();

    let people = RwSignal::new(stop.people_found);
    let given: Vec<(Item, RwSignal<u32>)> =
        STOP_ITEMS.iter().map(|&it| (it, RwSignal::new(stop.given.get(&it).copied().unwrap_or(0)))).collect();
    let condition = RwSignal::new(stop.condition);
    let ambulance = RwSignal::new(stop.ambulance_called);
    let shelter = RwSignal::new(stop.taken_to_shelter);
    let refused = RwSignal::new(stop.refused);
    let notes = RwSignal::new(stop.notes.clone());
    let skip_reason = RwSignal::new(stop.skip_reason.clone());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let busy = RwSignal::new(false);

    let record = {
        let given = given.clone();
        let stop = stop.clone();
        move |status: StopStatus| {
            let navigate = navigate.clone();
            let now = platform::now();
            let mut s = MealRunStop {
                status,
                people_found: people.get_untracked(),
                given: given.iter().map(|(it, n)| (*it, n.get_untracked())).filter(|(_, n)| *n > 0).collect(),
                condition: condition.get_untracked(),
                ambulance_called: ambulance.get_untracked(),
                taken_to_shelter: shelter.get_untracked(),
                refused: refused.get_untracked(),
                notes: notes.get_untracked(),
                skip_reason: skip_reason.get_untracked().trim().to_owned(),
                done_at: (status == StopStatus::Done).then_some(now),
                ..stop.clone()
            };
            if status == StopStatus::Skipped {
                // A skipped stop keeps no result.
                s.people_found = 0;
                s.given.clear();
            }
            let mut errs = latarnia_core::validate::meal_run_stop(&s).err().map(|e| e.0).unwrap_or_default();
            errs.extend(latarnia_core::validate::no_national_ids(&[("notes", &s.notes)]));
            if !errs.is_empty() {
                return errors.set(errs);
            }
            errors.set(Vec::new());
            busy.set(true);
            spawn_local(async move {
                // The contact this stop counts as (people found), written once and then updated.
                if s.status == StopStatus::Done && s.people_found > 0 {
                    let cid = s.contact_id.unwrap_or_else(platform::new_uuid);
                    if state.write(Edit::Save(s.as_contact(cid, now))).await.is_err() {
                        return busy.set(false);
                    }
                    s.contact_id = Some(cid);
                }
                let (run_id, report, contact) = (s.run_id, s.report_id, s.contact_id);
                let done = s.status == StopStatus::Done;
                if state.write(Edit::Save(s)).await.is_err() {
                    return busy.set(false);
                }
                if let (Some(rid), true) = (report, done) {
                    let _ = state
                        .update::<Report>(rid, |r| {
                            if r.is_open() {
                                r.status = ReportStatus::Checked;
                                r.contact_id = contact;
                                r.checked_at = Some(now);
                            }
                        })
                        .await;
                }
                let _ = mark_run(state, run_id).await;
                busy.set(false);
                state.notify(k::RUN_STOP_SAVED, None);
                navigate(&AppRoute::Run(run_id).href(), Default::default());
            });
        }
    };
    let done = {
        let record = record.clone();
        move |_| record(StopStatus::Done)
    };
    let skip = move |_| record(StopStatus::Skipped);

    view! {
        <section class="page stop-form">
            <h1>{format!("{}. {}", stop.seq, stop.label)}</h1>
            <a class="button" href=maps_link(&stop.position) target="_blank" rel="noopener" data-testid="run-stop-maps">
                {i.s(k::RUN_STOP_OPEN_MAPS)}
            </a>
            {match stop.status {
                StopStatus::Planned => None,
                StopStatus::Done => Some(view! {
                    <p class="notice" data-testid="run-stop-result">
                        <strong>{i.s(k::RUN_STOP_RESULT_DONE)}</strong>
                        {stop.done_at.map(|t| format!(" {}", crate::components::contact_item::local_time(t, Shown::Time)))}
                        " — "{i.s(k::RUN_STOP_RESULT_CORRECT)}
                    </p>
                }.into_any()),
                StopStatus::Skipped => Some(view! {
                    <p class="notice" data-testid="run-stop-result">
                        <strong>{i.s(k::RUN_STOP_RESULT_SKIPPED)}</strong>" "{stop.skip_reason.clone()}
                        " — "{i.s(k::RUN_STOP_RESULT_CORRECT)}
                    </p>
                }.into_any()),
            }}
            <h2>{i.s(k::RUN_STOP_FOUND)}</h2>
            <Stepper value=people label=Signal::derive(move || i.t(k::RUN_STOP_PEOPLE).to_owned()) testid="stop-people".to_string() max=200/>
            <FieldErrorText errors field="people_found"/>
            {given.iter().map(|(it, n)| {
                let item = *it;
                view! {
                    <Stepper value=*n label=Signal::derive(move || i.value("item", item.as_str()))
                        testid=format!("stop-given-{}", item.as_str())/>
                }
            }).collect_view()}
            <label for="stop-condition">{i.s(k::CONTACT_CONDITION)}</label>
            <OptionalEnumSelect id="stop-condition" prefix="condition" value=condition none=k::UNKNOWN/>
            <CheckBox testid="stop-ambulance" label=k::RUN_STOP_AMBULANCE value=ambulance/>
            <CheckBox testid="stop-shelter" label=k::RUN_STOP_SHELTER value=shelter/>
            <CheckBox testid="stop-refused" label=k::RUN_STOP_REFUSED value=refused/>
            <TextField id="stop-notes" field="notes" label=k::CONTACT_NOTES value=notes errors input=Input::Lines(2)/>
            <button type="button" class="primary huge" data-testid="run-stop-done" disabled=move || busy.get() on:click=done>
                {i.s(k::RUN_STOP_DONE)}
            </button>
            <h2>{i.s(k::RUN_STOP_SKIP_TITLE)}</h2>
            <TextField id="run-stop-skip-reason" field="skip_reason" label=k::RUN_STOP_SKIP_REASON value=skip_reason errors/>
            <button type="button" class="big" data-testid="run-stop-skip" disabled=move || busy.get() on:click=skip>
                {i.s(k::RUN_STOP_SKIP)}
            </button>
        </section>
    }
}
