//! One sector of a count being prepared: its name, its corners (typed, or tapped on the map
//! while it is the sector being drawn) and its team — members, a partner agency going along,
//! where and when they meet.

use latarnia_core::count::{corners_text, parse_corners, Sector, Team};
use latarnia_core::validate::split_team;
use latarnia_core::{FieldError, PartnerAgency};
use leptos::prelude::*;
use uuid::Uuid;

use crate::components::contact_item::{local_input, parse_local_input};
use crate::components::optional_enum_select::OptionalEnumSelect;
use crate::i18n::{k, use_i18n};

/// A sector's fields as the form holds them.
#[derive(Clone, Copy)]
pub struct SectorDraft {
    pub id: Uuid,
    pub name: RwSignal<String>,
    pub corners: RwSignal<String>,
    pub team: RwSignal<String>,
    pub partner: RwSignal<Option<PartnerAgency>>,
    pub meeting_point: RwSignal<String>,
    pub meeting_at: RwSignal<String>,
}

impl SectorDraft {
    pub fn new(s: &Sector) -> Self {
        SectorDraft {
            id: s.id,
            name: RwSignal::new(s.name.clone()),
            corners: RwSignal::new(corners_text(&s.corners)),
            team: RwSignal::new(s.team.members.join(", ")),
            partner: RwSignal::new(s.team.partner),
            meeting_point: RwSignal::new(s.team.meeting_point.clone()),
            meeting_at: RwSignal::new(s.team.meeting_at.map(local_input).unwrap_or_default()),
        }
    }

    /// The sector as typed; a corner line that is not two numbers is named as the error.
    pub fn build(&self) -> Result<Sector, FieldError> {
        let corners = parse_corners(&self.corners.get_untracked())
            .ok_or(FieldError { field: "sectors", code: "sector_polygon" })?;
        Ok(Sector {
            id: self.id,
            name: self.name.get_untracked().trim().to_owned(),
            corners,
            team: Team {
                members: split_team(&self.team.get_untracked()),
                partner: self.partner.get_untracked(),
                meeting_point: self.meeting_point.get_untracked().trim().to_owned(),
                meeting_at: parse_local_input(&self.meeting_at.get_untracked()),
            },
        })
    }

    /// A corner tapped on the map, added at the end.
    pub fn add_corner(&self, lat: f64, lon: f64) {
        self.corners.update(|text| {
            if !text.trim().is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&crate::components::coordinates::pair(lat, lon, 6));
        });
    }
}

#[component]
pub fn SectorEditor(
    sector: SectorDraft,
    /// The sector map taps add corners to.
    drawing: RwSignal<Option<Uuid>>,
    on_remove: Callback<()>,
) -> impl IntoView {
    let i = use_i18n();
    let id = sector.id;
    let is_drawing = move || drawing.get() == Some(id);
    let text = |value: RwSignal<String>, testid: &'static str, label: usize, kind: &'static str| {
        view! {
            <label class="field">
                <span>{i.s(label)}</span>
                <input type=kind data-testid=testid autocomplete="off" prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))/>
            </label>
        }
    };
    view! {
        <fieldset class="sector" data-testid="count-sector" data-drawing=move || is_drawing().to_string()>
            <legend>{move || sector.name.get()}</legend>
            {text(sector.name, "count-sector-name", k::COUNT_SECTOR_NAME, "text")}
            <label class="field">
                <span>{i.s(k::COUNT_SECTOR_CORNERS)}</span>
                <textarea data-testid="count-sector-corners" rows=4 autocomplete="off" inputmode="decimal"
                    prop:value=move || sector.corners.get()
                    on:input=move |ev| sector.corners.set(event_target_value(&ev))></textarea>
            </label>
            <button type="button" data-testid="count-sector-draw" aria-pressed=move || is_drawing().to_string()
                on:click=move |_| drawing.set(if is_drawing() { None } else { Some(id) })>
                {move || if is_drawing() { i.t(k::COUNT_SECTOR_DRAW_DONE) } else { i.t(k::COUNT_SECTOR_DRAW) }}
            </button>
            {text(sector.team, "count-team", k::COUNT_TEAM, "text")}
            <label class="field">
                <span>{i.s(k::COUNT_PARTNER)}</span>
                <OptionalEnumSelect id="count-partner" prefix="partner" value=sector.partner none=k::COUNT_PARTNER_NONE/>
            </label>
            {text(sector.meeting_point, "count-meeting-point", k::COUNT_MEETING_POINT, "text")}
            {text(sector.meeting_at, "count-meeting-at", k::COUNT_MEETING_AT, "datetime-local")}
            <button type="button" class="danger" data-testid="count-sector-remove" on:click=move |_| on_remove.run(())>
                {i.s(k::COUNT_SECTOR_REMOVE)}
            </button>
        </fieldset>
    }
}
