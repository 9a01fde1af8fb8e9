//! The open reports as the patrol's tasks: those assigned to this patrol first, then the most
//! urgent. Checking one opens the contact form linked to it.

use leptos::prelude::*;
use uuid::Uuid;

use crate::i18n::{k, use_i18n};
use crate::pages::reports::{report_place, reports_and_sites};
use crate::routes::AppRoute;
use crate::state::AppState;

#[component]
pub fn TaskList(patrol_id: Uuid) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let data = reports_and_sites(state);
    let tasks = move || {
        let Some(Ok((reports, sites))) = data.get() else { return Vec::new() };
        let mut open: Vec<_> = reports.into_iter().filter(|r| r.is_open()).collect();
        // Stable: keeps the work order within each group.
        open.sort_by_key(|r| r.assigned_patrol != Some(patrol_id));
        open.into_iter().map(|r| (report_place(&r, &sites), r)).collect::<Vec<_>>()
    };
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
