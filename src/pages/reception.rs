//! A facility's reception (`/facility`, the home of a `facility` account): its free beds set in
//! three taps (the number, − or +, save) and the beds held for it — who is coming, with whom,
//! until when — each marked arrived or not arrived.

use latarnia_core::facilities::{BedHold, Facility, HoldStatus, MAX_BEDS};
use latarnia_core::shown::Shown;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::components::contact_item::local_time;
use crate::components::facility_summary::{FreeBeds, OpenNow};
use crate::components::from_store::FromStore;
use crate::components::stepper::Stepper;
use crate::i18n::{k, use_i18n, I18n};
use crate::platform;
use crate::state::AppState;
use crate::storage::StoreError;

/// The person a hold is for, in the words the door needs: "kobieta · z psem".
pub fn needs_text(i: I18n, h: &BedHold) -> String {
    let n = h.needs;
    let mut parts: Vec<String> = Vec::new();
    if let Some(g) = n.gender {
        parts.push(i.value("gender", g.as_str()));
    }
    if let Some(a) = n.age_band {
        parts.push(i.value("age", a.as_str()));
    }
    for (on, key) in
        [(n.dog, k::BED_NEED_DOG), (n.wheelchair, k::BED_NEED_WHEELCHAIR), (n.intoxicated, k::BED_NEED_INTOXICATED)]
    {
        if on {
            parts.push(i.t(key).to_owned());
        }
    }
    if parts.is_empty() {
        parts.push(i.t(k::UNKNOWN).to_owned());
    }
    let text = parts.join(" · ");
    let mut chars = text.chars();
    chars.next().map_or(text.clone(), |first| first.to_uppercase().chain(chars).collect())
}

#[component]
pub fn ReceptionPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let login = move || state.session.with(|s| s.as_ref().map(|s| s.user.login.clone()).unwrap_or_default());
    let data = state.resource(move || {
        let login = login();
        async move {
            let ours: Vec<Facility> =
                state.live::<Facility>().await?.into_iter().filter(|f| f.staffed_by(&login)).collect();
            let holds = state.recent_holds().await?;
            Ok::<_, StoreError>((ours, holds))
        }
    });
    view! {
        <section class="page reception">
            <h1>{i.s(k::RECEPTION_TITLE)}</h1>
            <FromStore resource=data children=move |(ours, holds): (Vec<Facility>, Vec<BedHold>)| {
                if ours.is_empty() {
                    return view! { <p class="notice" data-testid="reception-none">{i.s(k::RECEPTION_NONE)}</p> }.into_any();
                }
                ours.into_iter().map(|f| {
                    let mine: Vec<BedHold> = holds.iter().filter(|h| h.facility_id == f.id).cloned().collect();
                    view! { <FacilityDesk facility=f holds=mine/> }
                }).collect_view().into_any()
            }/>
        </section>
    }
}

/// One facility's desk: its beds and its holds.
#[component]
fn FacilityDesk(facility: Facility, holds: Vec<BedHold>) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let now = platform::now();
    // Empty beds as the app knows them: the last count less the people who arrived since. Beds
    // held for people still on their way are counted as empty here; the app takes them off.
    let arrived: Vec<BedHold> = holds.iter().filter(|h| h.status == HoldStatus::Arrived).cloned().collect();
    let beds = RwSignal::new(facility.free_now(&arrived, now).unwrap_or(0));
    let busy = RwSignal::new(false);
    let id = facility.id;
    let save = move |_| {
        busy.set(true);
        let n = beds.get_untracked();
        spawn_local(async move {
            let at = platform::now();
            let saved = state
                .update::<Facility>(id, |f| {
                    f.free_beds = Some(n);
                    f.beds_at = Some(at);
                })
                .await;
            busy.set(false);
            if saved.is_ok() {
                state.notify(k::RECEPTION_BEDS_SAVED, None);
            }
        });
    };
    let answer = move |hold: Uuid, status: HoldStatus| {
        spawn_local(async move {
            let at = platform::now();
            let saved = state
                .update::<BedHold>(hold, |h| {
                    h.status = status;
                    h.status_at = Some(at);
                })
                .await;
            if saved.is_ok() {
                state.notify(
                    if status == HoldStatus::Arrived { k::BED_ARRIVED_SAVED } else { k::BED_NOT_ARRIVED_SAVED },
                    None,
                );
            }
        });
    };
    let mut waiting: Vec<BedHold> = holds.iter().filter(|h| h.active(now)).cloned().collect();
    latarnia_core::order::sort_by_key(&mut waiting, |h| h.held_at);
    let mut answered: Vec<BedHold> =
        holds.iter().filter(|h| matches!(h.status, HoldStatus::Arrived | HoldStatus::NotArrived)).cloned().collect();
    latarnia_core::order::sort_by_key(&mut answered, |h| std::cmp::Reverse(h.status_at));
    let name = facility.name.clone();
    view! {
        <article class="desk" data-testid="reception-facility">
            <h2>{name}</h2>
            <p class="meta"><OpenNow facility=facility.clone() now/></p>
            <FreeBeds facility=facility.clone() holds=holds.clone() now/>
            <Stepper value=beds label=Signal::derive(move || i.t(k::RECEPTION_BEDS).to_owned())
                testid="facility-beds".into() max=MAX_BEDS/>
            <button type="button" class="primary big" data-testid="facility-beds-save" disabled=move || busy.get() on:click=save>
                {i.s(k::RECEPTION_BEDS_SAVE)}
            </button>
            <p class="hint">{i.s(k::RECEPTION_BEDS_HINT)}</p>
            <h3>{i.s(k::RECEPTION_HOLDS)}</h3>
            {if waiting.is_empty() {
                view! { <p class="empty" data-testid="bed-hold-list-empty">{i.s(k::RECEPTION_NO_HOLDS)}</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list holds" data-testid="bed-hold-list">
                        {waiting.into_iter().map(|h| {
                            let until = local_time(h.expires_at(), Shown::Time);
                            let held = local_time(h.held_at, Shown::Time);
                            let who = needs_text(i, &h);
                            let team = h.team.join(", ");
                            let id = h.id;
                            view! {
                                <li class="hold" data-testid="bed-hold-item">
                                    <strong>{who}</strong>
                                    <span class="meta">{move || i.t(k::RECEPTION_HOLD_TIMES).replace("{held}", &held).replace("{until}", &until)}</span>
                                    {(!team.is_empty()).then(|| view! {
                                        <span class="meta">{move || i.t(k::RECEPTION_HOLD_TEAM).replace("{team}", &team)}</span>
                                    })}
                                    <div class="actions">
                                        <button type="button" class="primary" data-testid="bed-arrived"
                                            on:click=move |_| answer(id, HoldStatus::Arrived)>{i.s(k::BED_ARRIVED)}</button>
                                        <button type="button" data-testid="bed-not-arrived"
                                            on:click=move |_| answer(id, HoldStatus::NotArrived)>{i.s(k::BED_NOT_ARRIVED)}</button>
                                    </div>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {(!answered.is_empty()).then(|| view! {
                <details class="answered">
                    <summary>{i.s(k::RECEPTION_ANSWERED)}</summary>
                    <ul class="plain-list">
                        {answered.into_iter().map(|h| {
                            let status = if h.status == HoldStatus::Arrived { k::BED_ARRIVED } else { k::BED_NOT_ARRIVED };
                            let at = h.status_at.map(|t| local_time(t, Shown::Time)).unwrap_or_default();
                            view! { <li data-testid="bed-hold-answered">{needs_text(i, &h)}" — "{i.s(status)}" "{at}</li> }
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </article>
    }
}
