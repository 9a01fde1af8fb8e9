//! A facility of the directory, new (`/facilities/new`) or edited (`/facilities/<id>`), by a
//! coordinator: what the register says (name, type, address, operator, places), how to reach
//! it, its hours as typed on a poster ("pn-pt 18:00-8:00"), whom it takes and on what
//! conditions, how long it keeps a held bed, and its reception's accounts. Everyone else sees
//! the facility's details.

use latarnia_core::facilities::{hours_text, parse_hours, validate_facility, Facility, FacilityKind};
use latarnia_core::{FieldError, Position};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use uuid::Uuid;

use crate::components::check_box::CheckBox;
use crate::components::coordinates::{coordinate, shown, Coordinates};
use crate::components::enum_select::EnumSelect;
use crate::components::facility_summary::takes_text;
use crate::components::field_error::FieldErrorText;
use crate::components::from_store::FromStore;
use crate::components::text_field::{Input, TextField};
use crate::i18n::{k, use_i18n};
use crate::platform;
use crate::state::AppState;
use crate::storage::{Store, StoreError};

#[component]
pub fn FacilityFormPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let params = use_params_map();
    let initial = crate::loaded::Loaded::new(move || {
        let id = params.with(|p| p.get("id")).unwrap_or_default();
        async move {
            if id == "new" {
                return Ok((Facility::new(platform::new_uuid(), "", FacilityKind::NightShelter), true));
            }
            let id = Uuid::parse_str(&id).map_err(|_| StoreError::NotFound)?;
            match state.store().get::<Facility>(id).await? {
                Some(r) if !r.deleted => Ok((r.data, false)),
                _ => Err(StoreError::NotFound),
            }
        }
    });
    view! {
        <FromStore resource=initial page=true children=move |(facility, is_new)| {
            if state.is_coordinator() {
                view! { <FacilityForm facility is_new/> }.into_any()
            } else {
                view! { <FacilityDetails facility/> }.into_any()
            }
        }/>
    }
}

/// A facility as a worker reads it.
#[component]
fn FacilityDetails(facility: Facility) -> impl IntoView {
    let i = use_i18n();
    let f = facility;
    let hours = if f.hours.is_empty() { i.t(k::FAC_ALWAYS_OPEN).to_owned() } else { hours_text(&f.hours) };
    let takes = takes_text(i, &f);
    view! {
        <section class="page facility-details">
            <h1>{f.name.clone()}</h1>
            <p class="meta">{i.value("facility_kind", f.kind.as_str())}</p>
            <p>{f.address.clone()}</p>
            {(!f.phone.is_empty()).then(|| view! {
                <p><a class="button" href=format!("tel:{}", f.phone.replace(' ', ""))>"☎ "{f.phone.clone()}</a></p>
            })}
            <h2>{i.s(k::FAC_HOURS)}</h2>
            <pre class="hours">{hours}</pre>
            <p>{takes}</p>
            {(!f.operator.is_empty()).then(|| view! { <p class="meta">{f.operator.clone()}</p> })}
        </section>
    }
}

#[component]
fn FacilityForm(facility: Facility, is_new: bool) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let navigate = use_navigate();
    let f = facility.clone();
    let name = RwSignal::new(f.name.clone());
    let kind = RwSignal::new(f.kind);
    let address = RwSignal::new(f.address.clone());
    let phone = RwSignal::new(f.phone.clone());
    let operator = RwSignal::new(f.operator.clone());
    let lat = RwSignal::new(f.position.map(|p| shown(p.lat)).unwrap_or_default());
    let lon = RwSignal::new(f.position.map(|p| shown(p.lon)).unwrap_or_default());
    let hours = RwSignal::new(hours_text(&f.hours));
    let closed = RwSignal::new(f.closed_days.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"));
    let capacity = RwSignal::new(f.capacity.map(|n| n.to_string()).unwrap_or_default());
    let hold_minutes = RwSignal::new(f.hold_minutes.map(|n| n.to_string()).unwrap_or_default());
    let logins = RwSignal::new(f.logins.join(", "));
    let takes = [
        ("facility-takes-men", k::FAC_TAKES_MEN, RwSignal::new(f.takes.men)),
        ("facility-takes-women", k::FAC_TAKES_WOMEN, RwSignal::new(f.takes.women)),
        ("facility-takes-families", k::FAC_TAKES_FAMILIES, RwSignal::new(f.takes.families)),
    ];
    let c = f.conditions;
    let conditions = [
        ("facility-sobriety", k::FAC_COND_SOBRIETY_REQUIRED, RwSignal::new(c.sobriety_required)),
        ("facility-id", k::FAC_COND_ID_REQUIRED, RwSignal::new(c.id_required)),
        ("facility-referral", k::FAC_COND_REFERRAL_REQUIRED, RwSignal::new(c.referral_required)),
        ("facility-dogs", k::FAC_COND_DOGS_ALLOWED, RwSignal::new(c.dogs_allowed)),
        ("facility-wheelchair", k::FAC_COND_WHEELCHAIR_ACCESS, RwSignal::new(c.wheelchair_access)),
    ];
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let busy = RwSignal::new(false);
    let number = |s: &str, field: &'static str, code: &'static str, errs: &mut Vec<FieldError>| -> Option<u32> {
        let t = s.trim();
        if t.is_empty() {
            return None;
        }
        t.parse().map_err(|_| errs.push(FieldError { field, code })).ok()
    };
    let build = move || -> Result<Facility, Vec<FieldError>> {
        let mut errs = Vec::new();
        let position = match (lat.get_untracked().trim().is_empty(), lon.get_untracked().trim().is_empty()) {
            (true, true) => None,
            _ => Some(Position {
                lat: coordinate(&lat.get_untracked()),
                lon: coordinate(&lon.get_untracked()),
                accuracy_m: 0.0,
            }),
        };
        let parsed_hours = parse_hours(&hours.get_untracked()).unwrap_or_else(|_| {
            errs.push(FieldError { field: "hours", code: "hours_invalid" });
            Vec::new()
        });
        let closed_days = closed
            .get_untracked()
            .split([',', '\n', ' '])
            .filter(|s| !s.trim().is_empty())
            .filter_map(|s| {
                s.trim().parse().map_err(|_| errs.push(FieldError { field: "closed_days", code: "date_invalid" })).ok()
            })
            .collect();
        let record = Facility {
            name: name.get_untracked().trim().to_owned(),
            kind: kind.get_untracked(),
            address: address.get_untracked().trim().to_owned(),
            phone: phone.get_untracked().trim().to_owned(),
            operator: operator.get_untracked().trim().to_owned(),
            position,
            hours: parsed_hours,
            closed_days,
            capacity: number(&capacity.get_untracked(), "capacity", "beds_range", &mut errs),
            hold_minutes: number(&hold_minutes.get_untracked(), "hold_minutes", "hold_minutes_range", &mut errs),
            logins: logins
                .get_untracked()
                .split([',', ' ', '\n'])
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            takes: latarnia_core::facilities::Takes {
                men: takes[0].2.get_untracked(),
                women: takes[1].2.get_untracked(),
                families: takes[2].2.get_untracked(),
            },
            conditions: latarnia_core::facilities::Conditions {
                sobriety_required: conditions[0].2.get_untracked(),
                id_required: conditions[1].2.get_untracked(),
                referral_required: conditions[2].2.get_untracked(),
                dogs_allowed: conditions[3].2.get_untracked(),
                wheelchair_access: conditions[4].2.get_untracked(),
            },
            ..facility.clone()
        };
        if let Err(e) = validate_facility(&record) {
            errs.extend(e.0);
        }
        if errs.is_empty() {
            Ok(record)
        } else {
            Err(errs)
        }
    };
    let original = f.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        state.submit_form(build(), &original, errors, busy, move || {
            state.notify(k::FAC_SAVED, None);
            navigate("/facilities", Default::default());
        });
    };
    let check =
        |(testid, label, value): (&'static str, usize, RwSignal<bool>)| view! { <CheckBox testid label value/> };
    view! {
        <form class="page facility-form" on:submit=save novalidate autocomplete="off">
            <h1>{move || if is_new { i.t(k::FAC_NEW) } else { i.t(k::FAC_EDIT) }}</h1>
            <TextField id="facility-name" field="name" label=k::FAC_NAME value=name errors/>
            <label for="facility-kind">{i.s(k::FAC_KIND)}</label>
            <EnumSelect id="facility-kind" prefix="facility_kind" value=kind/>
            <TextField id="facility-address" field="address" label=k::FAC_ADDRESS value=address errors/>
            <TextField id="facility-phone" field="phone" label=k::FAC_PHONE value=phone errors/>
            <TextField id="facility-operator" field="operator" label=k::FAC_OPERATOR value=operator errors/>
            <Coordinates lat lon prefix="facility" errors/>
            <TextField id="facility-hours" field="hours" label=k::FAC_HOURS value=hours errors input=Input::Lines(4)/>
            <p class="hint">{i.s(k::FAC_HOURS_HINT)}</p>
            <TextField id="facility-closed" field="closed_days" label=k::FAC_CLOSED_DAYS value=closed errors input=Input::Lines(2)/>
            <fieldset class="choices">
                <legend>{i.s(k::FAC_TAKES)}</legend>
                {takes.into_iter().map(check).collect_view()}
            </fieldset>
            <fieldset class="choices">
                <legend>{i.s(k::FAC_CONDITIONS)}</legend>
                {conditions.into_iter().map(check).collect_view()}
            </fieldset>
            <TextField id="facility-capacity" field="capacity" label=k::FAC_CAPACITY value=capacity errors input=Input::Count/>
            <TextField id="facility-hold-minutes" field="hold_minutes" label=k::FAC_HOLD_MINUTES value=hold_minutes errors input=Input::Count/>
            <TextField id="facility-logins" field="logins" label=k::FAC_LOGINS value=logins errors/>
            <p class="hint">{i.s(k::FAC_LOGINS_HINT)}</p>
            <FieldErrorText errors field="position"/>
            <div class="form-actions">
                <button type="submit" class="primary big" data-testid="facility-save" disabled=move || busy.get()>{i.s(k::SAVE)}</button>
            </div>
        </form>
    }
}
