//! "Where can this person sleep tonight": from the contact form, the facilities with beds that
//! take this person (sex and age band from the form, a dog, a wheelchair, not sober ticked
//! here), open now, with a free bed first and then nearest, each with its free beds and how old
//! that number is — offline, from what the phone holds. A tap holds a bed: the hold is saved at
//! once (it counts here at once and goes to the facility with the next sync); a hold the server
//! refuses because the facility is full says so and the next facility is offered.

use std::collections::HashSet;

use latarnia_core::facilities::{find_beds, BedHold, Facility, HoldStatus, Needs};
use latarnia_core::protocol::BED_HOLDS;
use latarnia_core::reports::distance_text;
use latarnia_core::shown::Shown;
use latarnia_core::{AgeBand, Gender, Position, ReferralKind};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::components::check_box::CheckBox;
use crate::components::contact_item::local_time;
use crate::components::facility_summary::FreeBeds;
use crate::components::from_store::FromStore;
use crate::i18n::{k, use_i18n, Lang};
use crate::platform;
use crate::state::AppState;
use crate::storage::{Edit, Store, StoreError};

/// What the finder reads: the directory, the recent holds (those the server refused left
/// out: they keep nothing), the refused ones of this contact, and the team on patrol.
#[derive(Clone)]
struct Finder {
    facilities: Vec<Facility>,
    holds: Vec<BedHold>,
    refused: Vec<BedHold>,
    team: Vec<String>,
}

async fn read(state: AppState, contact: Uuid) -> Result<Finder, StoreError> {
    let store = state.store();
    let (facilities, holds, rejected, patrol) =
        futures::join!(state.live::<Facility>(), state.recent_holds(), store.rejected(), state.open_patrol());
    let refused_ids: HashSet<Uuid> =
        rejected?.into_iter().filter(|r| r.collection == BED_HOLDS).map(|r| r.id).collect();
    let (refused, holds): (Vec<BedHold>, Vec<BedHold>) = holds?.into_iter().partition(|h| refused_ids.contains(&h.id));
    let refused = refused.into_iter().filter(|h| h.contact_id == Some(contact)).collect();
    Ok(Finder { facilities: facilities?, holds, refused, team: patrol?.map(|p| p.team).unwrap_or_default() })
}

#[component]
pub fn BedFinder(
    contact_id: Uuid,
    position: Option<Position>,
    gender: RwSignal<Option<Gender>>,
    age_band: RwSignal<Option<AgeBand>>,
    /// A bed was held at a facility of this referral kind.
    on_held: Callback<ReferralKind>,
) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let open = RwSignal::new(false);
    let (dog, wheelchair, intoxicated) = (RwSignal::new(false), RwSignal::new(false), RwSignal::new(false));
    let busy = RwSignal::new(false);
    let data = state.resource(move || read(state, contact_id));
    // A refusal arriving with a sync is said at once, wherever the worker has scrolled to.
    let refusals_seen = StoredValue::new(None::<usize>);
    Effect::new(move |_| {
        let Some(Ok(d)) = data.get() else { return };
        let n = d.refused.len();
        if refusals_seen.get_value().is_some_and(|seen| n > seen) {
            state.notify_error(k::BED_HOLD_REFUSED_TOAST);
        }
        refusals_seen.set_value(Some(n));
    });
    let hold = move |f: Facility, team: Vec<String>| {
        busy.set(true);
        let needs = Needs {
            gender: gender.get_untracked(),
            age_band: age_band.get_untracked(),
            dog: dog.get_untracked(),
            wheelchair: wheelchair.get_untracked(),
            intoxicated: intoxicated.get_untracked(),
        };
        let h = BedHold {
            id: platform::new_uuid(),
            facility_id: f.id,
            contact_id: Some(contact_id),
            held_at: platform::now(),
            minutes: f.hold_minutes(),
            needs,
            team,
            status: HoldStatus::Held,
            status_at: None,
        };
        spawn_local(async move {
            if let Ok(Some(_)) = state.write(Edit::Save(h)).await {
                if let Some(kind) = f.kind.referral() {
                    on_held.run(kind);
                }
                state.notify(k::BED_HELD, None);
            }
            busy.set(false);
        });
    };
    let cancel = move |id: Uuid| {
        spawn_local(async move {
            let now = platform::now();
            if state
                .update::<BedHold>(id, |h| {
                    h.status = HoldStatus::Cancelled;
                    h.status_at = Some(now);
                })
                .await
                .is_ok()
            {
                state.notify(k::BED_HOLD_CANCELLED, None);
            }
        });
    };
    let list = move |d: Finder| {
        let now = platform::now();
        let needs = Needs {
            gender: gender.get(),
            age_band: age_band.get(),
            dog: dog.get(),
            wheelchair: wheelchair.get(),
            intoxicated: intoxicated.get(),
        };
        let comma = i.lang() == Lang::Pl;
        let mine: Vec<BedHold> =
            d.holds.iter().filter(|h| h.contact_id == Some(contact_id) && h.active(now)).cloned().collect();
        let name_of = |id: Uuid| d.facilities.iter().find(|f| f.id == id).map(|f| f.name.clone()).unwrap_or_default();
        // A facility that refused this person's hold is offered last, as full, until its next count.
        let full: HashSet<Uuid> = d
            .refused
            .iter()
            .filter(|h| d.facilities.iter().any(|f| f.id == h.facility_id && f.beds_at.is_none_or(|t| t <= h.held_at)))
            .map(|h| h.facility_id)
            .collect();
        let mut candidates = find_beds(&d.facilities, &d.holds, &needs, position, now);
        latarnia_core::order::sort_by_key(&mut candidates, |c| full.contains(&c.facility.id));
        let held_somewhere = !mine.is_empty();
        let team = d.team.clone();
        view! {
            {mine.into_iter().map(|h| {
                let until = local_time(h.expires_at(), Shown::Time);
                let text = i.t(k::BED_HELD_AT).replace("{name}", &name_of(h.facility_id)).replace("{time}", &until);
                view! {
                    <p class="notice held" data-testid="bed-hold-status" role="status">
                        <span>{text}</span>
                        <button type="button" data-testid="bed-hold-cancel" on:click=move |_| cancel(h.id)>
                            {i.s(k::BED_HOLD_CANCEL)}
                        </button>
                    </p>
                }
            }).collect_view()}
            {d.refused.iter().filter(|h| full.contains(&h.facility_id)).map(|h| view! {
                <p class="warning" data-testid="bed-hold-refused" role="alert">
                    {i.t(k::BED_HOLD_REFUSED).replace("{name}", &name_of(h.facility_id))}
                </p>
            }).collect_view()}
            {if candidates.is_empty() {
                view! { <p class="empty" data-testid="bed-none">{i.s(k::BED_NONE)}</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list bed-candidates" data-testid="bed-candidates">
                        {candidates.into_iter().map(|c| {
                            let f = c.facility.clone();
                            let refused = full.contains(&f.id);
                            let free = if refused { Some(0) } else { c.free };
                            let can_hold = !held_somewhere && free.is_some_and(|n| n > 0);
                            let team = team.clone();
                            let distance = c.distance_m.map(|m| distance_text(m, comma));
                            let phone = f.phone.clone();
                            let kind = f.kind.as_str();
                            let shown = f.clone();
                            let (name, label) = (f.name.clone(), f.name.clone());
                            view! {
                                <li class="facility-item" data-testid="facility-item" data-facility=label>
                                    <strong>{name}</strong>
                                    <span class="meta">{i.sv("facility_kind", kind)}{distance.map(|d| format!(" · {d}"))}</span>
                                    {if refused {
                                        view! { <span class="beds none" data-testid="facility-free" data-free="0">{i.s(k::FAC_NONE_FREE)}</span> }.into_any()
                                    } else {
                                        view! { <FreeBeds facility=shown holds=d.holds.clone() now/> }.into_any()
                                    }}
                                    <div class="actions">
                                        {(!phone.is_empty()).then(|| view! {
                                            <a class="button" href=format!("tel:{}", phone.replace(' ', ""))>{i.s(k::FAC_CALL)}</a>
                                        })}
                                        // Only where a bed can be held: a full facility, or a
                                        // person with a bed already, has nothing to press.
                                        {can_hold.then(|| view! {
                                            <button type="button" class="primary" data-testid="bed-hold"
                                                disabled=move || busy.get()
                                                on:click=move |_| hold(f.clone(), team.clone())>
                                                {i.s(k::BED_HOLD)}
                                            </button>
                                        })}
                                    </div>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        }
    };
    view! {
        <section class="bed-finder" data-testid="bed-finder">
            <button type="button" class="big" data-testid="referral-find-bed" aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>
                {i.s(k::BED_FIND)}
            </button>
            <Show when=move || open.get()>
                <fieldset class="choices">
                    <legend>{i.s(k::BED_NEEDS)}</legend>
                    <CheckBox testid="bed-need-dog" label=k::BED_NEED_DOG value=dog/>
                    <CheckBox testid="bed-need-wheelchair" label=k::BED_NEED_WHEELCHAIR value=wheelchair/>
                    <CheckBox testid="bed-need-intoxicated" label=k::BED_NEED_INTOXICATED value=intoxicated/>
                </fieldset>
                <FromStore resource=data children=list/>
            </Show>
        </section>
    }
}
