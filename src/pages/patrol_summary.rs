//! A patrol's summary: when, who, and its numbers.

use latarnia_core::shown::Shown;
use latarnia_core::{Contact, Patrol, PatrolSummary};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::components::contact_item::local_time;
use crate::components::from_store::FromStore;
use crate::components::summary_table::SummaryTable;
use crate::i18n::{k, use_i18n};
use crate::platform;
use crate::routes::AppRoute;
use crate::state::AppState;
use crate::storage::{Query, Store, StoreError};

#[component]
pub fn PatrolSummaryPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let params = use_params_map();
    let data = state.resource(move || {
        let id = params.with(|p| p.get("id")).and_then(|s| Uuid::parse_str(&s).ok());
        async move {
            let id = id.ok_or(StoreError::NotFound)?;
            let patrol = state.store().get::<Patrol>(id).await?.ok_or(StoreError::NotFound)?.data;
            let contacts = state.store().list::<Contact>(&Query { parent: Some(id), ..Default::default() }).await?;
            let summary = PatrolSummary::of(&patrol, contacts.iter().map(|r| &r.data), platform::now());
            Ok::<_, StoreError>((patrol, summary))
        }
    });

    let page = move |(patrol, summary): (Patrol, PatrolSummary)| {
        let start = local_time(patrol.started_at, Shown::DateTime);
        let end = patrol.ended_at.map(|e| local_time(e, Shown::DateTime));
        let open = patrol.is_open();
        let team = patrol.team.join(", ");
        let partner = patrol.partner;
        let area = patrol.area.clone();
        let kind = patrol.kind;
        let pid = patrol.id;
        let notes = patrol.notes.clone();
        let resume = move |_| {
            spawn_local(async move {
                if let Some(current) = state.open_patrol().await.ok().flatten() {
                    if current.id != pid {
                        state.notify_error(k::PATROL_ALREADY_OPEN);
                        return;
                    }
                }
                // Whoever reopens it carries on with it on this phone.
                if state.update::<Patrol>(pid, |p| p.ended_at = None).await.is_ok() {
                    state.join_patrol(pid);
                }
            });
        };
        view! {
                <section class="page">
                    <h1>{i.s(k::PATROL_SUMMARY_TITLE)}</h1>
                    <p class="meta">
                        {i.sv("patrol_kind", kind.as_str())}" · "{start}" – "
                        {end.clone().unwrap_or_else(|| i.t(k::IN_PROGRESS).to_owned())}
                    </p>
                    {(!team.is_empty()).then(|| view! { <p class="meta">{i.s(k::PATROL_TEAM)}": "{team.clone()}</p> })}
                    {partner.map(|p| view! {
                        <p class="meta" data-testid="patrol-summary-partner">{i.s(k::PATROL_PARTNER)}": "{i.sv("partner", p.as_str())}</p>
                    })}
                    {(!area.is_empty()).then(|| view! {
                        <p class="meta" data-testid="patrol-summary-area">{i.s(k::PATROL_AREA)}": "{area.clone()}</p>
                    })}
                    {(!notes.is_empty()).then(|| view! {
                        <p class="patrol-notes" data-testid="patrol-summary-notes">{i.s(k::PATROL_NOTES)}": "{notes.clone()}</p>
                    })}
                    <SummaryTable summary/>
                    {if open {
                        view! { <a class="button big" href=AppRoute::Patrol.href()>{i.s(k::BACK_TO_PATROL)}</a> }.into_any()
                    } else {
                        view! { <button class="big" data-testid="patrol-resume" on:click=resume>{i.s(k::PATROL_RESUME)}</button> }.into_any()
                    }}
                </section>
            }
            .into_any()
    };
    view! { <FromStore resource=data page=true children=page/> }
}
