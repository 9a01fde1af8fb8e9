//! Preparing a count (coordinators): its name and window, the town split into sectors drawn
//! on the map over the places, each sector's team. The questionnaire travels with the count as
//! data (the ministry's template by default).

use latarnia_core::count::{parse_corners, validate_count, Count, Sector, Team};
use latarnia_core::{FieldError, Site};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::contact_item::{local_input, parse_local_input};
use crate::components::field_error::FieldErrorText;
use crate::components::map_view::{map_points, MapShape, MapView};
use crate::components::questionnaire_editor::QuestionnaireEditor;
use crate::components::sector_editor::{SectorDraft, SectorEditor};
use crate::components::text_field::{Input, TextField};
use crate::i18n::{k, use_i18n};
use crate::platform;
use crate::state::AppState;

/// The form's sectors as areas on the map (the one being drawn marked), corners that do not
/// read yet left out.
fn shapes(sectors: &[SectorDraft], drawing: Option<uuid::Uuid>) -> Vec<MapShape> {
    sectors
        .iter()
        .map(|s| MapShape {
            label: s.name.get(),
            corners: s.corners.with(|t| parse_corners(t).unwrap_or_default()).iter().map(|c| (c.lat, c.lon)).collect(),
            classes: if drawing == Some(s.id) { "drawing" } else { "" },
        })
        .collect()
}

#[component]
pub fn CountForm(count: Count, places: Vec<Site>) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let navigate = use_navigate();
    let original = StoredValue::new(count.clone());
    let name = RwSignal::new(count.name.clone());
    let starts = RwSignal::new(local_input(count.starts_at));
    let ends = RwSignal::new(local_input(count.ends_at));
    let sectors = RwSignal::new(count.sectors.iter().map(SectorDraft::new).collect::<Vec<_>>());
    let drawing = RwSignal::new(None::<uuid::Uuid>);
    let questionnaire = RwSignal::new(count.questionnaire.clone());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let busy = RwSignal::new(false);

    let points = Signal::stored(map_points(&places, &[], &places));
    let areas = Signal::derive(move || sectors.with(|s| shapes(s, drawing.get())));
    let on_tap = Callback::new(move |(lat, lon): (f64, f64)| {
        let Some(id) = drawing.get_untracked() else { return };
        sectors.with_untracked(|s| {
            if let Some(s) = s.iter().find(|s| s.id == id) {
                s.add_corner(lat, lon);
            }
        });
    });
    let add_sector = move |_| {
        let n = sectors.with_untracked(Vec::len) + 1;
        let s = Sector {
            id: platform::new_uuid(),
            name: format!("{} {n}", i.t(k::COUNT_SECTOR_NAME)),
            corners: Vec::new(),
            team: Team::default(),
        };
        let draft = SectorDraft::new(&s);
        sectors.update(|all| all.push(draft));
        drawing.set(Some(s.id));
    };

    let build = move || -> Result<Count, Vec<FieldError>> {
        let mut errs = Vec::new();
        let starts_at = parse_local_input(&starts.get_untracked());
        let ends_at = parse_local_input(&ends.get_untracked());
        if starts_at.is_none() {
            errs.push(FieldError { field: "starts_at", code: "date_invalid" });
        }
        if ends_at.is_none() {
            errs.push(FieldError { field: "ends_at", code: "date_invalid" });
        }
        let mut built = Vec::new();
        for s in sectors.get_untracked() {
            match s.build() {
                Ok(s) => built.push(s),
                Err(e) if !errs.contains(&e) => errs.push(e),
                Err(_) => {}
            }
        }
        let base = original.get_value();
        let c = Count {
            name: name.get_untracked().trim().to_owned(),
            starts_at: starts_at.unwrap_or(base.starts_at),
            ends_at: ends_at.unwrap_or(base.ends_at),
            sectors: built,
            questionnaire: questionnaire.get_untracked(),
            ..base
        };
        if let Err(e) = validate_count(&c) {
            errs.extend(e.0);
        }
        if errs.is_empty() {
            Ok(c)
        } else {
            Err(errs)
        }
    };
    let save = move |_| {
        let id = original.with_value(|c| c.id);
        let navigate = navigate.clone();
        state.submit_form(build(), &original.get_value(), errors, busy, move || {
            state.notify(k::COUNT_SAVED, None);
            navigate(&format!("/count/{id}"), Default::default());
        });
    };

    view! {
        <form class="count-form" on:submit=|ev| ev.prevent_default()>
            <TextField id="count-name" field="name" label=k::COUNT_NAME value=name errors/>
            <TextField id="count-starts" field="starts_at" label=k::COUNT_STARTS value=starts errors input=Input::DateTime/>
            <TextField id="count-ends" field="ends_at" label=k::COUNT_ENDS value=ends errors input=Input::DateTime/>
            <h2>{i.s(k::COUNT_SECTORS)}</h2>
            <MapView points shapes=areas here=Signal::stored(None) on_tap fit=true testid="count-map"/>
            <p class="hint" aria-live="polite">
                {move || drawing.get().is_some().then(|| i.t(k::COUNT_SECTOR_DRAWING))}
            </p>
            <FieldErrorText errors field="sectors"/>
            <For each=move || sectors.get() key=|s| s.id let:sector>
                <SectorEditor sector drawing on_remove=Callback::new(move |_| {
                    sectors.update(|all| all.retain(|s| s.id != sector.id));
                })/>
            </For>
            <button type="button" data-testid="count-sector-add" on:click=add_sector>{i.s(k::COUNT_SECTOR_ADD)}</button>
            <QuestionnaireEditor questionnaire errors/>
            <button type="button" class="primary big" data-testid="count-save" disabled=move || busy.get() on:click=save>
                {i.s(k::SAVE)}
            </button>
        </form>
    }
}
