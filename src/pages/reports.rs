//! Reports from the 24 h line (`/reports`): open ones first, the most urgent at the top.
//! Coordinators and partners file them; streetworkers check them on their patrols.

use latarnia_core::{Report, Site, Urgency};
use leptos::prelude::*;

use crate::components::contact_item::local_time;
use crate::components::store_error::StoreErrorBanner;
use crate::i18n::{k, use_i18n};
use crate::routes::AppRoute;
use crate::state::{AppState, StoreResource};
use crate::storage::StoreError;

/// The order reports are worked in: open before done, urgent before normal before low, then
/// the longest waiting first.
pub fn work_order(reports: &mut [Report]) {
    let rank = |u: Urgency| match u {
        Urgency::Urgent => 0,
        Urgency::Normal => 1,
        Urgency::Low => 2,
    };
    reports.sort_by(|a, b| {
        (!a.is_open(), rank(a.urgency), a.received_at, a.id).cmp(&(!b.is_open(), rank(b.urgency), b.received_at, b.id))
    });
}

/// What a report is about: its place's label, or its coordinates.
pub fn report_place(report: &Report, sites: &[Site]) -> String {
    match (report.site_id.and_then(|id| sites.iter().find(|s| s.id == id)), &report.position) {
        (Some(site), _) => site.label.clone(),
        (None, Some(p)) => format!("{:.5}, {:.5}", p.lat, p.lon),
        (None, None) => String::new(),
    }
}

/// The reports and the places on this phone, read again on every change.
pub fn reports_and_sites(state: AppState) -> StoreResource<(Vec<Report>, Vec<Site>)> {
    LocalResource::new(move || {
        state.revision.track();
        async move {
            let mut reports: Vec<Report> = state.live::<Report>().await?;
            work_order(&mut reports);
            let sites = state.live::<Site>().await?;
            Ok((reports, sites))
        }
    })
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let open_only = RwSignal::new(true);
    let data = reports_and_sites(state);
    let shown = move || -> Result<(Vec<Report>, Vec<Site>), StoreError> {
        let (reports, sites) = data.get().unwrap_or(Ok((Vec::new(), Vec::new())))?;
        let only = open_only.get();
        Ok((reports.into_iter().filter(|r| !only || r.is_open()).collect(), sites))
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
            {move || match shown() {
                Err(e) => view! { <StoreErrorBanner error=e/> }.into_any(),
                Ok((v, _)) if v.is_empty() => view! { <p class="empty" data-testid="reports-empty">{i.s(k::REPORTS_EMPTY)}</p> }.into_any(),
                Ok((v, sites)) => view! {
                    <ul class="site-list" data-testid="report-list">
                        {v.into_iter().map(|r| {
                            let place = report_place(&r, &sites);
                            let urgent = (r.urgency == Urgency::Urgent).then_some("urgent");
                            view! {
                                <li data-testid="report-item" data-status=r.status.as_str() class=urgent>
                                    <a href=AppRoute::Report(r.id).href()>
                                        <strong>{r.description.clone()}</strong>
                                        <span class="meta">
                                            {i.sv("report_status", r.status.as_str())}" · "
                                            {i.sv("urgency", r.urgency.as_str())}" · "
                                            {local_time(r.received_at, "%Y-%m-%d %H:%M")}
                                        </span>
                                        {(!place.is_empty()).then(|| view! { <span class="meta">{place}</span> })}
                                    </a>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use latarnia_core::{Position, ReportSource, ReportStatus};
    use uuid::Uuid;

    fn report(n: u128, urgency: Urgency, status: ReportStatus, hour: u32) -> Report {
        Report {
            id: Uuid::from_u128(n),
            received_at: Utc.with_ymd_and_hms(2026, 1, 10, hour, 0, 0).unwrap(),
            source: ReportSource::Phone24h,
            site_id: None,
            position: Some(Position { lat: 54.44, lon: 18.56, accuracy_m: 0.0 }),
            description: format!("r{n}"),
            urgency,
            status,
            assigned_patrol: None,
            assigned_to: String::new(),
            contact_id: None,
            checked_at: None,
            outcome: String::new(),
        }
    }

    #[test]
    fn open_and_urgent_first_then_the_longest_waiting() {
        let mut v = vec![
            report(1, Urgency::Urgent, ReportStatus::Closed, 1),
            report(2, Urgency::Low, ReportStatus::New, 1),
            report(3, Urgency::Normal, ReportStatus::Assigned, 5),
            report(4, Urgency::Normal, ReportStatus::New, 3),
            report(5, Urgency::Urgent, ReportStatus::New, 9),
        ];
        work_order(&mut v);
        let order: Vec<u128> = v.iter().map(|r| r.id.as_u128()).collect();
        assert_eq!(order, vec![5, 4, 3, 2, 1]);
    }

    #[test]
    fn a_report_shows_its_place_or_its_coordinates() {
        let r = report(1, Urgency::Low, ReportStatus::New, 1);
        assert_eq!(report_place(&r, &[]), "54.44000, 18.56000");
    }
}
