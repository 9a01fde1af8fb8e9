//! The places on the map as a list (`/sites`): search by label and address, filter by status
//! and by "not visited for N days", newest first.

use chrono::Utc;
use latarnia_core::sites::not_visited_for;
use latarnia_core::{Contact, Site, SiteStatus};
use leptos::prelude::*;

use crate::components::store_error::StoreErrorBanner;
use crate::i18n::{k, use_i18n};
use crate::routes::AppRoute;
use crate::state::AppState;
use crate::storage::{Query, Store, StoreError};

/// Whether a place matches the search text (label or address, case-insensitive).
pub fn matches_search(site: &Site, text: &str) -> bool {
    let text = text.trim().to_lowercase();
    text.is_empty() || site.label.to_lowercase().contains(&text) || site.address.to_lowercase().contains(&text)
}

#[component]
pub fn SitesPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let search = RwSignal::new(String::new());
    let status = RwSignal::new(None::<SiteStatus>);
    let unvisited_days = RwSignal::new(String::new());

    let data = LocalResource::new(move || {
        state.revision.track();
        async move {
            let store = state.store();
            let sites = store.list::<Site>(&Query::default()).await?;
            let contacts = store.list::<Contact>(&Query::default()).await?;
            Ok::<_, StoreError>((sites, contacts.into_iter().map(|c| c.data).collect::<Vec<_>>()))
        }
    });
    let shown = move || -> Result<Vec<Site>, StoreError> {
        let (sites, contacts) = data.get().unwrap_or(Ok((Vec::new(), Vec::new())))?;
        let days = unvisited_days.get().trim().parse::<i64>().ok();
        let (text, wanted) = (search.get(), status.get());
        Ok(sites
            .into_iter()
            .map(|r| r.data)
            .filter(|s| matches_search(s, &text))
            .filter(|s| wanted.is_none_or(|w| s.status == w))
            .filter(|s| days.is_none_or(|d| not_visited_for(s.id, &contacts, d, Utc::now())))
            .collect())
    };

    view! {
        <section class="page">
            <h1>{i.s(k::SITES_TITLE)}</h1>
            <a class="button primary big" href=AppRoute::NewSite.href() data-testid="site-new">{i.s(k::SITE_NEW)}</a>
            <div class="filters">
                <label>
                    <span>{i.s(k::SITES_SEARCH)}</span>
                    <input type="search" data-testid="site-search" prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev))/>
                </label>
                <label>
                    <span>{i.s(k::SITE_STATUS)}</span>
                    <select data-testid="site-filter-status"
                        on:change=move |ev| status.set(SiteStatus::parse(&event_target_value(&ev)))>
                        <option value="">{i.s(k::ALL)}</option>
                        {SiteStatus::ALL.iter().map(|s| view! {
                            <option value=s.as_str()>{i.sv("site_status", s.as_str())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    <span>{i.s(k::SITES_NOT_VISITED_DAYS)}</span>
                    <input type="number" min="1" inputmode="numeric" data-testid="site-filter-days"
                        prop:value=move || unvisited_days.get() on:input=move |ev| unvisited_days.set(event_target_value(&ev))/>
                </label>
            </div>
            {move || match shown() {
                Err(e) => view! { <StoreErrorBanner error=e/> }.into_any(),
                Ok(v) if v.is_empty() => view! { <p class="empty" data-testid="sites-empty">{i.s(k::SITES_EMPTY)}</p> }.into_any(),
                Ok(v) => view! {
                    <ul class="site-list" data-testid="site-list">
                        {v.into_iter().map(|s| view! {
                            <li data-testid="site-item" data-status=s.status.as_str()>
                                <a href=AppRoute::Site(s.id).href()>
                                    <strong>{s.label.clone()}</strong>
                                    <span class="meta">
                                        {i.sv("site_kind", s.kind.as_str())}" · "{i.sv("site_status", s.status.as_str())}
                                    </span>
                                    {(!s.address.is_empty()).then(|| view! { <span class="meta">{s.address.clone()}</span> })}
                                </a>
                            </li>
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
    use latarnia_core::{Position, SiteKind};
    use uuid::Uuid;

    #[test]
    fn search_looks_at_label_and_address_ignoring_case() {
        let s = Site {
            id: Uuid::nil(),
            label: "Altanka przy torach".into(),
            kind: SiteKind::AllotmentShed,
            position: Position { lat: 54.44, lon: 18.56, accuracy_m: 5.0 },
            address: "ROD Bursztyn".into(),
            access_notes: String::new(),
            dangers: String::new(),
            status: SiteStatus::Active,
            usual_headcount: None,
            created_at: Utc::now(),
            merged_into: None,
        };
        assert!(matches_search(&s, "  TORACH "));
        assert!(matches_search(&s, "bursztyn"));
        assert!(matches_search(&s, ""));
        assert!(!matches_search(&s, "dworzec"));
    }
}
