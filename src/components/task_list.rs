//! The open reports as the patrol's tasks: those assigned to this patrol first, then the most
//! urgent. Each names its place or the caller's landmark, how far it is from the worker, a link
//! to directions in the maps app, and urgent ones stand out. Checking one opens the contact
//! form linked to it.

use latarnia_core::reports::{distance_text, whereabouts, work_order};
use latarnia_core::zima::maps_link;
use latarnia_core::{Report, Site, Urgency};
use leptos::prelude::*;
use uuid::Uuid;

use crate::i18n::{k, use_i18n, Lang};
use crate::platform::Gps;
use crate::routes::AppRoute;
use crate::state::AppState;
use crate::storage::{Store, StoreError};

#[component]
pub fn TaskList(patrol_id: Uuid) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    // Read again after every write of the patrol (each quick contact): so only the reports and
    // the few places the open ones name, never the whole map.
    let data = state.resource(move || {
        async move {
            let store = state.store();
            let mut open: Vec<Report> = state.live::<Report>().await?.into_iter().filter(Report::is_open).collect();
            work_order(&mut open);
            // Stable: keeps the work order within each group.
            latarnia_core::order::sort_by_key(&mut open, |r| r.assigned_patrol != Some(patrol_id));
            let mut sites: Vec<Site> = Vec::new();
            for id in open.iter().filter_map(|r| r.site_id) {
                if let Some(s) = store.get::<Site>(id).await? {
                    sites.push(s.data);
                }
            }
            Ok::<_, StoreError>((open, sites))
        }
    });
    let here = move || match state.gps.get() {
        Gps::Fix { position, .. } => Some(position),
        _ => None,
    };
    view! {
        <h2>{i.s(k::TASKS_TITLE)}</h2>
        <ul class="plain-list task-list" data-testid="task-list">
            {move || {
                let (open, sites) = data.get().and_then(Result::ok).unwrap_or_default();
                if open.is_empty() {
                    return view! { <li class="empty" data-testid="tasks-empty">{i.s(k::TASKS_EMPTY)}</li> }.into_any();
                }
                let here = here();
                let comma = i.lang() == Lang::Pl;
                open.into_iter().map(|r| {
                    let w = whereabouts(&r, &sites, here.as_ref());
                    let href = format!("{}?report={}", AppRoute::NewContact.href(), r.id);
                    let urgent = r.urgency == Urgency::Urgent;
                    let class = match (r.assigned_patrol == Some(patrol_id), urgent) {
                        (true, true) => "ours urgent",
                        (true, false) => "ours",
                        (false, true) => "urgent",
                        (false, false) => "",
                    };
                    let place = [w.label.clone(), w.note.clone()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" — ");
                    let distance = w.distance_m.map(|m| i.t(k::TASKS_AWAY).replace("{d}", &distance_text(m, comma)));
                    view! {
                        <li data-testid="task-item" data-urgency=r.urgency.as_str() class=class>
                            <div>
                                {urgent.then(|| view! { <span class="badge urgent" data-testid="task-urgent">{i.s(k::TASKS_URGENT)}</span>" " })}
                                <strong>{r.description.clone()}</strong>
                                {(!place.is_empty()).then(|| view! { <span class="meta" data-testid="task-place">{place}</span> })}
                                {distance.map(|d| view! { <span class="meta" data-testid="task-distance">{d}</span> })}
                            </div>
                            <div class="task-actions">
                                {w.position.map(|p| view! {
                                    <a class="button" href=maps_link(&p) target="_blank" rel="noopener" data-testid="task-maps">
                                        {i.s(k::TASKS_OPEN_MAPS)}
                                    </a>
                                })}
                                <a class="button" href=href data-testid="task-check">{i.s(k::TASK_CHECK)}</a>
                            </div>
                        </li>
                    }
                }).collect_view().into_any()
            }}
        </ul>
    }
}
