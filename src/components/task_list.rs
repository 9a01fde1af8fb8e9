//! The open reports as the patrol's tasks: those assigned to this patrol first, then the most
//! urgent. Checking one opens the contact form linked to it.

use latarnia_core::{Report, Site};
use leptos::prelude::*;
use uuid::Uuid;

use crate::i18n::{k, use_i18n};
use crate::pages::reports::{report_place, work_order};
use crate::routes::AppRoute;
use crate::state::AppState;
use crate::storage::{Store, StoreError};

#[component]
pub fn TaskList(patrol_id: Uuid) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    // Read again after every write of the patrol (each quick contact): so only the reports and
    // the few places the open ones name, never the whole map.
    let data = LocalResource::new(move || {
        state.revision.track();
        async move {
            let store = state.store();
            let mut open: Vec<Report> = state.live::<Report>().await?.into_iter().filter(Report::is_open).collect();
            work_order(&mut open);
            // Stable: keeps the work order within each group.
            open.sort_by_key(|r| r.assigned_patrol != Some(patrol_id));
            let mut sites: Vec<Site> = Vec::new();
            for id in open.iter().filter_map(|r| r.site_id) {
                if let Some(s) = store.get::<Site>(id).await? {
                    sites.push(s.data);
                }
            }
            Ok::<_, StoreError>(open.into_iter().map(|r| (report_place(&r, &sites), r)).collect::<Vec<_>>())
        }
    });
    let tasks = move || data.get().and_then(Result::ok).unwrap_or_default();
    view! {
        <h2>{i.s(k::TASKS_TITLE)}</h2>
        <ul class="plain-list task-list" data-testid="task-list">
            {move || {
                let v = tasks();
                if v.is_empty() {
                    return view! { <li class="empty" data-testid="tasks-empty">{i.s(k::TASKS_EMPTY)}</li> }.into_any();
                }
                v.into_iter().map(|(place, r)| {
                    let href = format!("{}?report={}", AppRoute::NewContact.href(), r.id);
                    let ours = (r.assigned_patrol == Some(patrol_id)).then_some("ours");
                    view! {
                        <li data-testid="task-item" data-urgency=r.urgency.as_str() class=ours>
                            <div>
                                <strong>{r.description.clone()}</strong>
                                <span class="meta">{place}" · "{i.sv("urgency", r.urgency.as_str())}</span>
                            </div>
                            <a class="button" href=href data-testid="task-check">{i.s(k::TASK_CHECK)}</a>
                        </li>
                    }
                }).collect_view().into_any()
            }}
        </ul>
    }
}
