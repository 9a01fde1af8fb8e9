//! A report from the 24 h line, new (`/reports/new`) or worked on (`/reports/<id>`): where
//! (a place from the map, or a position), what, how urgent; then assigned to a patrol or a
//! worker, checked (with the contact made there) and closed with its outcome.

use latarnia_core::reports::default_source;
use latarnia_core::shown::Shown;
use latarnia_core::{validate, FieldError, Patrol, Position, Report, ReportSource, Site};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};
use uuid::Uuid;

use crate::components::contact_item::{local_input, local_time, parse_local_input};
use crate::components::coordinates::{coordinate, shown, Coordinates};
use crate::components::enum_select::EnumSelect;
use crate::components::field_error::FieldErrorText;
use crate::components::from_store::FromStore;
use crate::components::map_view::{map_points, MapView};
use crate::components::place_select::{place_options, PlaceSelect};
use crate::components::text_field::{Input, TextField};
use crate::i18n::{k, use_i18n};
use crate::platform::{self, Gps};
use crate::routes::AppRoute;
use crate::state::AppState;
use crate::storage::{Edit, Query, Store, StoreError};

#[derive(Clone)]
struct Loaded {
    report: Report,
    is_new: bool,
    sites: Vec<Site>,
    patrols: Vec<Patrol>,
}

#[component]
pub fn ReportFormPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let params = use_params_map();
    let initial = crate::loaded::Loaded::new(move || {
        let id = params.with(|p| p.get("id")).unwrap_or_default();
        async move {
            let store = state.store();
            let sites = state.live::<Site>().await?;
            // Patrols out now, to assign to (partners do not see patrols: the list is empty).
            let patrols = store
                .list::<Patrol>(&Query { limit: Some(50), ..Default::default() })
                .await?
                .into_iter()
                .map(|r| r.data)
                .filter(|p| p.ended_at.is_none())
                .collect();
            let (report, is_new) = if id == "new" {
                // Who files it is its source (a city guard's account files "Straż Miejska") and
                // is written on it.
                let (source, filed_by) = state.session.with_untracked(|s| match s {
                    Some(s) => (default_source(s.user.role, &s.user.display_name), s.user.display_name.clone()),
                    None => (ReportSource::Phone24h, String::new()),
                });
                let report =
                    Report { source, filed_by, ..Report::new(platform::new_uuid(), platform::now(), String::new()) };
                (report, true)
            } else {
                let id = Uuid::parse_str(&id).map_err(|_| StoreError::NotFound)?;
                match store.get::<Report>(id).await? {
                    Some(r) if !r.deleted => (r.data, false),
                    _ => return Err(StoreError::NotFound),
                }
            };
            Ok(Loaded { report, is_new, sites, patrols })
        }
    });
    view! {
        <FromStore resource=initial page=true
            children=|Loaded { report, is_new, sites, patrols }| view! { <ReportForm report is_new sites patrols/> }/>
    }
}

#[component]
fn ReportForm(report: Report, is_new: bool, sites: Vec<Site>, patrols: Vec<Patrol>) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let navigate = use_navigate();

    // The phone's position while the form is open ("use my position", the map's dot).
    let watch = platform::watch_position(move |g| state.gps.set(g));
    on_cleanup(move || {
        if let Some(id) = watch {
            platform::stop_watching(id);
        }
    });
    let received = RwSignal::new(local_input(report.received_at));
    let place_note = RwSignal::new(report.place_note.clone());
    let source = RwSignal::new(report.source);
    let site_id = RwSignal::new(report.site_id);
    let lat = RwSignal::new(report.position.map(|p| shown(p.lat)).unwrap_or_default());
    let lon = RwSignal::new(report.position.map(|p| shown(p.lon)).unwrap_or_default());
    let description = RwSignal::new(report.description.clone());
    let urgency = RwSignal::new(report.urgency);
    let status = RwSignal::new(report.status);
    let assigned_patrol = RwSignal::new(report.assigned_patrol);
    let assigned_to = RwSignal::new(report.assigned_to.clone());
    let outcome = RwSignal::new(report.outcome.clone());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let busy = RwSignal::new(false);

    let here = match state.gps.get_untracked() {
        Gps::Fix { position, .. } => Some(position),
        _ => None,
    };
    let site_options = place_options(&sites, here.as_ref(), 5);
    // The map: the mapped places, and a pin for the report's own position (a tap or a drag).
    let places = map_points(&sites, &[], &[]);
    let pin = Signal::derive(move || {
        let (la, lo) = (coordinate(&lat.get()), coordinate(&lon.get()));
        (la.is_finite() && lo.is_finite()).then_some((la, lo))
    });
    let on_pin = Callback::new(move |(la, lo): (f64, f64)| {
        lat.set(shown(la));
        lon.set(shown(lo));
    });
    let here_now = Signal::derive(move || match state.gps.get() {
        Gps::Fix { position, .. } => Some(position),
        _ => None,
    });
    let use_gps = move |_| {
        if let Gps::Fix { position, .. } = state.gps.get_untracked() {
            lat.set(shown(position.lat));
            lon.set(shown(position.lon));
        }
    };

    let build = {
        let base = report.clone();
        move || -> Result<Report, Vec<FieldError>> {
            let at = parse_local_input(&received.get_untracked());
            let (la, lo) = (lat.get_untracked(), lon.get_untracked());
            let typed = !(la.trim().is_empty() && lo.trim().is_empty());
            let r = Report {
                received_at: at.unwrap_or(base.received_at),
                source: source.get_untracked(),
                site_id: site_id.get_untracked(),
                position: typed.then(|| Position { lat: coordinate(&la), lon: coordinate(&lo), accuracy_m: 0.0 }),
                place_note: place_note.get_untracked().trim().to_owned(),
                description: description.get_untracked().trim().to_owned(),
                urgency: urgency.get_untracked(),
                status: status.get_untracked(),
                assigned_patrol: assigned_patrol.get_untracked(),
                assigned_to: assigned_to.get_untracked().trim().to_owned(),
                outcome: outcome.get_untracked().trim().to_owned(),
                ..base.clone()
            };
            let mut errs = validate::report(&r).err().map(|e| e.0).unwrap_or_default();
            let texts =
                [("description", r.description.as_str()), ("place_note", &r.place_note), ("outcome", &r.outcome)];
            errs.extend(validate::no_national_ids(&texts));
            if at.is_none() {
                errs.push(FieldError { field: "received_at", code: "at_invalid" });
            }
            if errs.is_empty() {
                Ok(r)
            } else {
                Err(errs)
            }
        }
    };

    let original = report.clone();
    let save = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let navigate = navigate.clone();
            state.submit_form(build(), &original, errors, busy, move || {
                state.notify(k::REPORT_SAVED, None);
                navigate(&AppRoute::Reports.href(), Default::default());
            });
        }
    };

    let id = report.id;
    let may_delete = move || !is_new && state.is_coordinator();
    let delete = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            if let Ok(Some(_)) = state.write(Edit::<Report>::Delete(id)).await {
                state.notify(k::REPORT_DELETED, None);
                navigate(&AppRoute::Reports.href(), Default::default());
            }
        });
    };

    // The contact made when it was checked: a link for those who may read contacts.
    let contact = report.contact_id.filter(|_| !state.is_partner());
    let checked_at = report.checked_at.map(|t| local_time(t, Shown::DateTime));

    view! {
        <form class="page report-form" on:submit=save novalidate autocomplete="off">
            <h1>{move || if is_new { i.t(k::REPORT_NEW) } else { i.t(k::REPORT_TITLE) }}</h1>

            <TextField id="report-received" field="received_at" label=k::REPORT_RECEIVED value=received errors
                input=Input::DateTime/>

            <label for="report-source">{i.s(k::REPORT_SOURCE)}</label>
            <EnumSelect id="report-source" prefix="report_source" value=source/>

            <TextField id="report-description" field="description" label=k::REPORT_DESCRIPTION value=description errors
                input=Input::Lines(3)/>

            <label for="report-site">{i.s(k::REPORT_SITE)}</label>
            <PlaceSelect id="report-site" testid="report-site" options=site_options value=site_id/>
            <fieldset class="position">
                <legend>{i.s(k::REPORT_POSITION)}</legend>
                <MapView points=places here=here_now pin on_pin testid="report-map"/>
                <p class="hint">{i.s(k::REPORT_MAP_HINT)}</p>
                <button type="button" class="big" data-testid="report-use-gps" on:click=use_gps
                    disabled=move || !matches!(state.gps.get(), Gps::Fix { .. })>{i.s(k::SITE_USE_GPS)}</button>
                <Coordinates lat lon prefix="report" errors/>
                <FieldErrorText errors field="position"/>
            </fieldset>
            <TextField id="report-place-note" field="place_note" label=k::REPORT_PLACE_NOTE value=place_note errors/>
            {(!report.filed_by.is_empty()).then(|| view! {
                <p class="hint" data-testid="report-filed-by">{i.s(k::REPORT_FILED_BY)}" "{report.filed_by.clone()}</p>
            })}

            <label for="report-urgency">{i.s(k::REPORT_URGENCY)}</label>
            <EnumSelect id="report-urgency" prefix="urgency" value=urgency/>

            <label for="report-status">{i.s(k::REPORT_STATUS)}</label>
            <EnumSelect id="report-status" prefix="report_status" value=status/>

            <label for="report-patrol">{i.s(k::REPORT_PATROL)}</label>
            <select id="report-patrol" data-testid="report-patrol"
                on:change=move |ev| assigned_patrol.set(Uuid::parse_str(&event_target_value(&ev)).ok())>
                <option value="" selected=move || assigned_patrol.get().is_none()>{i.s(k::NONE)}</option>
                {patrols.into_iter().map(|p| {
                    let label = format!("{} · {}", local_time(p.started_at, Shown::DayTime), p.team.join(", "));
                    view! { <option value=p.id.to_string() selected=move || assigned_patrol.get() == Some(p.id)>{label}</option> }
                }).collect_view()}
            </select>
            <TextField id="report-assigned-to" field="assigned_to" label=k::REPORT_ASSIGNED_TO value=assigned_to errors/>

            {checked_at.map(|t| view! { <p class="hint" data-testid="report-checked-at">{i.s(k::REPORT_CHECKED_AT)}" "{t}</p> })}
            {contact.map(|c| view! {
                <p><a href=AppRoute::Contact(c).href() data-testid="report-contact">{i.s(k::REPORT_CONTACT)}</a></p>
            })}

            <TextField id="report-outcome" field="outcome" label=k::REPORT_OUTCOME value=outcome errors input=Input::Lines(2)/>

            <div class="form-actions">
                <button type="submit" class="primary big" data-testid="report-save" disabled=move || busy.get()>
                    {i.s(k::SAVE)}
                </button>
                <Show when=may_delete>
                    <button type="button" class="danger big" data-testid="report-delete" on:click=delete.clone()>
                        {i.s(k::DELETE)}
                    </button>
                </Show>
            </div>
        </form>
    }
}
