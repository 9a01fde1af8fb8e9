//! Akcja ZIMA (`/zima`): the organisation's threshold and the night's forecast (coordinators),
//! and the night's meal runs with their progress as their stops sync.

use chrono::NaiveDate;
use latarnia_core::protocol::{FORECASTS, MEAL_RUNS};
use latarnia_core::validate;
use latarnia_core::zima::summary;
use latarnia_core::{FieldError, Forecast, MealRun, MealRunStop, ZimaSettings};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::run_progress::RunProgress;
use crate::components::text_field::{Input, TextField};
use crate::components::zima_banner::{tonight, zima_settings};
use crate::i18n::{k, use_i18n};
use crate::routes::AppRoute;
use crate::state::AppState;
use crate::storage::{Edit, Query, Store, StoreError};

#[component]
pub fn ZimaPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    // The forecast and the threshold are the coordinator's; planning a run, too (the role
    // table says who may write runs at all: never a partner).
    let coordinator = move || state.may_write(FORECASTS) && state.may_write(MEAL_RUNS) && state.is_coordinator();
    let sees_runs = move || state.may_write(MEAL_RUNS);

    let threshold = RwSignal::new(String::new());
    let night = RwSignal::new(tonight().to_string());
    let forecast = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let comma = move || i.lang() == crate::i18n::Lang::Pl;
    let typed =
        move |t: f64| if comma() { crate::platform::number(t).replace('.', ",") } else { crate::platform::number(t) };
    spawn_local(async move {
        threshold.set(typed(zima_settings(state).await.threshold_c));
    });
    // The saved forecast of the chosen night, shown as saved (and again when the page reopens).
    let saved = state.resource(move || {
        let night = night.get().parse::<NaiveDate>().ok();
        async move {
            let night = night?;
            let id = Forecast::id_for(night);
            state.store().get::<Forecast>(id).await.ok().flatten().filter(|r| !r.deleted).map(|r| r.data.min_c)
        }
    });
    Effect::new(move |_| {
        if let Some(saved) = saved.get() {
            forecast.set(saved.map(typed).unwrap_or_default());
        }
    });

    let save_threshold = move |_| {
        let t = match validate::temperature(&threshold.get_untracked()) {
            Ok(t) => t,
            Err(code) => return errors.set(vec![FieldError { field: "threshold_c", code }]),
        };
        spawn_local(async move {
            let settings = ZimaSettings { threshold_c: t, ..zima_settings(state).await };
            match state.write(Edit::Save(settings)).await {
                Ok(_) => {
                    errors.set(Vec::new());
                    state.notify(k::ZIMA_SAVED, None);
                }
                Err(StoreError::Invalid(e)) => errors.set(e.0),
                Err(_) => {}
            }
        });
    };
    let save_forecast = move |_| {
        let Ok(date) = night.get_untracked().parse::<NaiveDate>() else {
            return errors.set(vec![FieldError { field: "date", code: "date_invalid" }]);
        };
        let t = match validate::temperature(&forecast.get_untracked()) {
            Ok(t) => t,
            Err(code) => return errors.set(vec![FieldError { field: "min_c", code }]),
        };
        spawn_local(async move {
            match state.write(Edit::Save(Forecast::new(date, t))).await {
                Ok(_) => {
                    errors.set(Vec::new());
                    state.notify(k::ZIMA_SAVED, None);
                }
                Err(StoreError::Invalid(e)) => errors.set(e.0),
                Err(_) => {}
            }
        });
    };

    // The runs, newest night first, with their progress.
    let runs = state.resource(move || async move {
        let store = state.store();
        let runs = store.list::<MealRun>(&Query { limit: Some(20), ..Default::default() }).await?;
        let mut out = Vec::new();
        for r in runs {
            let stops: Vec<MealRunStop> = store
                .list::<MealRunStop>(&Query { parent: Some(r.id), ..Default::default() })
                .await?
                .into_iter()
                .map(|s| s.data)
                .collect();
            let s = summary(&r.data, &stops);
            out.push((r.data, s));
        }
        Ok::<_, StoreError>(out)
    });

    view! {
        <section class="page">
            <h1>"Akcja ZIMA"</h1>
            <Show when=coordinator>
                <fieldset class="zima-settings">
                    <legend>{i.s(k::ZIMA_NIGHT)}</legend>
                    <TextField id="zima-date" field="date" label=k::ZIMA_DATE value=night errors input=Input::Date/>
                    <TextField id="zima-forecast" field="min_c" label=k::ZIMA_FORECAST value=forecast errors input=Input::Decimal/>
                    <p class="hint" data-testid="zima-forecast-saved">
                        {move || match saved.get().flatten() {
                            Some(t) => format!("{} {}", i.t(k::ZIMA_FORECAST_SAVED), validate::celsius(t, comma())),
                            None => i.t(k::ZIMA_FORECAST_NONE).to_owned(),
                        }}
                    </p>
                    <button type="button" class="primary" data-testid="zima-forecast-save" on:click=save_forecast>
                        {i.s(k::SAVE)}
                    </button>
                    <TextField id="zima-threshold" field="threshold_c" label=k::ZIMA_THRESHOLD value=threshold errors
                        input=Input::Decimal/>
                    <button type="button" data-testid="zima-threshold-save" on:click=save_threshold>{i.s(k::SAVE)}</button>
                </fieldset>
                <a class="button primary big" href=AppRoute::NewRun.href() data-testid="run-new">{i.s(k::RUN_NEW)}</a>
            </Show>
            <Show when=sees_runs>
            <h2>{i.s(k::ZIMA_RUNS)}</h2>
            <ul class="plain-list" data-testid="run-list">
                {move || runs.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|(run, s)| {
                    view! {
                        <li data-testid="run-item" data-complete=s.complete.to_string()>
                            <a class="row-link" href=AppRoute::Run(run.id).href()>
                                <span>{latarnia_core::zima::run_title(&run)}</span>
                                <RunProgress summary=s.clone()/>
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <Show when=coordinator>
                <DeletedRuns/>
            </Show>
            </Show>
        </section>
    }
}

/// Runs deleted by mistake, for the coordinator to restore (with their stops and contacts).
#[component]
fn DeletedRuns() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let deleted = state.resource(move || async move {
        let q = Query { deleted: true, limit: Some(20), ..Default::default() };
        state.store().list_data::<MealRun>(&q).await
    });
    move || {
        let runs = deleted.get().and_then(Result::ok).unwrap_or_default();
        (!runs.is_empty()).then(|| {
            view! {
                <details class="deleted" data-testid="run-deleted-list">
                    <summary>{i.s(k::RUN_DELETED_LIST)}</summary>
                    <ul class="plain-list">
                        {runs.into_iter().map(|r| {
                            let id = r.id;
                            view! {
                                <li data-testid="run-deleted">
                                    <span>{latarnia_core::zima::run_title(&r)}</span>
                                    <button type="button" data-testid="run-restore" on:click=move |_| {
                                        spawn_local(async move {
                                            if state.set_run_deleted(id, false).await.is_ok() {
                                                state.notify(k::RUN_RESTORED, None);
                                            }
                                        });
                                    }>{i.s(k::RESTORE)}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </details>
            }
        })
    }
}
