use chrono::Utc;
use latarnia_core::sites::not_visited_for;
use latarnia_core::{Contact, Site, SiteKind, SiteStatus};
use leptos::prelude::*;

use crate::components::optional_enum_select::OptionalEnumSelect;
use crate::i18n::{k, use_i18n};

/// What the list and the map show: search text, type, status, "not visited for N days".
#[derive(Clone, Copy)]
pub struct SiteFilters {
    pub search: RwSignal<String>,
    pub kind: RwSignal<Option<SiteKind>>,
    pub status: RwSignal<Option<SiteStatus>>,
    pub unvisited_days: RwSignal<String>,
}

impl SiteFilters {
    pub fn new() -> Self {
        SiteFilters {
            search: RwSignal::new(String::new()),
            kind: RwSignal::new(None),
            status: RwSignal::new(None),
            unvisited_days: RwSignal::new(String::new()),
        }
    }

    /// The places that pass the filters (read reactively).
    pub fn apply(&self, sites: Vec<Site>, contacts: &[Contact]) -> Vec<Site> {
        let days = self.unvisited_days.get().trim().parse::<i64>().ok();
        let (text, kind, status) = (self.search.get(), self.kind.get(), self.status.get());
        sites
            .into_iter()
            .filter(|s| s.matches_search(&text))
            .filter(|s| kind.is_none_or(|k| s.kind == k))
            .filter(|s| status.is_none_or(|w| s.status == w))
            .filter(|s| days.is_none_or(|d| not_visited_for(s, contacts, &[], d, Utc::now())))
            .collect()
    }
}

impl Default for SiteFilters {
    fn default() -> Self {
        Self::new()
    }
}

/// The filter controls shared by the list and the map.
#[component]
pub fn SiteFilterBar(filters: SiteFilters) -> impl IntoView {
    let i = use_i18n();
    let SiteFilters { search, kind, status, unvisited_days } = filters;
    view! {
        <div class="filters">
            <label>
                <span>{i.s(k::SITES_SEARCH)}</span>
                <input type="search" data-testid="site-search" autocomplete="off" prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))/>
            </label>
            <label>
                <span>{i.s(k::SITE_KIND)}</span>
                <OptionalEnumSelect id="site-filter-type" prefix="site_kind" value=kind none=k::ALL/>
            </label>
            <label>
                <span>{i.s(k::SITE_STATUS)}</span>
                <OptionalEnumSelect id="site-filter-status" prefix="site_status" value=status none=k::ALL/>
            </label>
            <label>
                <span>{i.s(k::SITES_NOT_VISITED_DAYS)}</span>
                <input type="number" min="1" inputmode="numeric" data-testid="site-filter-days"
                    prop:value=move || unvisited_days.get() on:input=move |ev| unvisited_days.set(event_target_value(&ev))/>
            </label>
        </div>
    }
}
