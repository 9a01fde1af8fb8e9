//! Reports from the 24 h line (`/reports`): open ones first, the most urgent at the top.
//! Coordinators and partners file them; streetworkers check them on their patrols.

use latarnia_core::reports::{whereabouts, work_order};
use latarnia_core::shown::Shown;
use latarnia_core::{Report, Site, Urgency};
use leptos::prelude::*;

use crate::components::contact_item::local_time;
use crate::components::from_store::FromStore;
use crate::i18n::{k, use_i18n};
use crate::routes::AppRoute;
use crate::state::{AppState, StoreResource};

/// The reports and the places on this phone, read again on every change.
pub fn reports_and_sites(state: AppState) -> StoreResource<(Vec<Report>, Vec<Site>)> {
    state.resource(move || async move {
        let mut reports: Vec<Report> = state.live::<Report>().await?;
        work_order(&mut reports);
        let sites = state.live::<Site>().await?;
        Ok((reports, sites))
    })
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let open_only = RwSignal::new(true);
    let data = reports_and_sites(state);
    let shown = move |(reports, sites): (Vec<Report>, Vec<Site>)| {
        let only = open_only.get();
        (reports.into_iter().filter(|r| !only || r.is_open()).collect::<Vec<_>>(), sites)
    };

    view! {
        <section class="page">
            <h1>{i.s(k::REPORTS_TITLE)}</h1>
            <Show when=move || state.may_file_reports()>
                <a class="button primary big" href=AppRoute::NewReport.href() data-testid="report-new">{i.s(k::REPORT_NEW)}</a>
            </Show>
            <label class="check">
                <input type="checkbox" data-testid="report-filter-open" prop:checked=move || open_only.get()
                    on:change=move |ev| open_only.set(event_target_checked(&ev))/>
                <span>{i.s(k::REPORTS_OPEN_ONLY)}</span>
            </label>
            <FromStore resource=data children=move |read| match shown(read) {
                (v, _) if v.is_empty() => view! { <p class="empty" data-testid="reports-empty">{i.s(k::REPORTS_EMPTY)}</p> }.into_any(),
                (v, sites) => view! {
                    <ul class="site-list" data-testid="report-list">
                        {v.into_iter().map(|r| {
                            let place = whereabouts(&r, &sites, None).line();
                            let urgent = (r.urgency == Urgency::Urgent).then_some("urgent");
                            view! {
                                <li data-testid="report-item" data-status=r.status.as_str() class=urgent>
                                    <a href=AppRoute::Report(r.id).href()>
                                        <strong>{latarnia_core::shown::excerpt(&r.description, 140)}</strong>
                                        <span class="meta">
                                            {i.sv("report_status", r.status.as_str())}" · "
                                            {i.sv("urgency", r.urgency.as_str())}" · "
                                            {local_time(r.received_at, Shown::DateTime)}
                                        </span>
                                        {(!place.is_empty()).then(|| view! { <span class="meta">{place}</span> })}
                                        {(!r.filed_by.is_empty()).then(|| view! {
                                            <span class="meta" data-testid="report-item-filed-by">{i.s(k::REPORT_FILED_BY)}" "{r.filed_by.clone()}</span>
                                        })}
                                    </a>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }/>
        </section>
    }
}
