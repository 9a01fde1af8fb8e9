//! The places on the map as a list (`/sites`): search by label and address, filter by status
//! and by "not visited for N days", newest first.

use latarnia_core::sites::{duplicate_pairs, merge_plan, Keep, SiteField};
use latarnia_core::{Contact, MealRunStop, Report, Site};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::from_store::FromStore;
use crate::components::lazy_screen::LazyScreenView;
use crate::components::map_view::duplicate_radius;
use crate::components::site_filter_bar::{SiteFilterBar, SiteFilters};
use crate::i18n::{k, use_i18n};
use crate::routes::AppRoute;
use crate::state::{AppState, StoreResource};
use crate::storage::{Edit, Query, Store, StoreError};

/// Merges the newer place of a pair into the older one: the older takes the fields the
/// coordinator chose, the newer's contacts, reports and Akcja ZIMA stops move, it is marked
/// merged and deleted (restorable). Each write is its own transaction; a merge cut short is
/// finished by merging again (and links to the merged place lead to the survivor meanwhile).
async fn merge(state: AppState, older: Site, newer: Site, choices: Vec<(SiteField, Keep)>) -> Result<(), StoreError> {
    let contacts: Vec<Contact> = state.store().list_data::<Contact>(&Query::default()).await?;
    let stops: Vec<MealRunStop> = state.store().list_data::<MealRunStop>(&Query::default()).await?;
    let plan = merge_plan(&older, &newer, &choices, &contacts, &state.live::<Report>().await?, &stops);
    state.save_form(&older, plan.survivor).await?;
    for c in plan.contacts {
        state.write(Edit::Save(c)).await?;
    }
    for r in plan.reports {
        state.write(Edit::Save(r)).await?;
    }
    for s in plan.stops {
        state.write(Edit::Save(s)).await?;
    }
    let id = plan.retired.id;
    state.write(Edit::Save(plan.retired)).await?;
    state.write(Edit::<Site>::Delete(id)).await?;
    Ok(())
}

/// The places (not deleted) on this phone, and its contacts only while the filters need them
/// ("not visited for N days": a phone may hold tens of thousands), read again on every change.
pub fn sites_and_contacts(state: AppState, filters: SiteFilters) -> StoreResource<(Vec<Site>, Vec<Contact>)> {
    state.resource(move || {
        let need_contacts = filters.unvisited_days.with(|d| !d.trim().is_empty());
        async move {
            let store = state.store();
            let sites = state.live::<Site>().await?;
            let contacts = if need_contacts {
                store.list::<Contact>(&Query::default()).await?.into_iter().map(|c| c.data).collect()
            } else {
                Vec::new()
            };
            Ok::<_, StoreError>((sites, contacts))
        }
    })
}

#[component]
pub fn SitesPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let filters = SiteFilters::new();
    let data = sites_and_contacts(state, filters);
    let shown = move |(sites, contacts): (Vec<Site>, Vec<Contact>)| filters.apply(sites, &contacts);

    // Places mapped twice (two phones offline at the same spot), for the coordinator to merge.
    let coordinator = move || state.is_coordinator();
    let merging: RwSignal<Option<(Site, Site)>> = RwSignal::new(None);
    let pairs = move || -> Vec<(Site, Site)> {
        let Some(Ok((sites, _))) = data.get() else { return Vec::new() };
        duplicate_pairs(&sites, duplicate_radius())
            .into_iter()
            .filter_map(|(a, b)| {
                let (a, b) = (sites.iter().find(|s| s.id == a)?, sites.iter().find(|s| s.id == b)?);
                let (older, newer) = if (b.created_at, b.id) < (a.created_at, a.id) { (b, a) } else { (a, b) };
                Some((older.clone(), newer.clone()))
            })
            .collect()
    };

    view! {
        <section class="page">
            <h1>{i.s(k::SITES_TITLE)}</h1>
            {move || merging.get().map(|(older, newer)| {
                let on_merge = Callback::new({
                    let (older, newer) = (older.clone(), newer.clone());
                    move |choices: Vec<(SiteField, Keep)>| {
                        let (older, newer) = (older.clone(), newer.clone());
                        spawn_local(async move {
                            if merge(state, older, newer, choices).await.is_ok() {
                                merging.set(None);
                                state.notify(k::SITES_MERGED, None);
                            }
                        });
                    }
                });
                let on_cancel = Callback::new(move |_| merging.set(None));
                view! { <LazyScreenView screen=crate::split::site_merge::screen(older, newer, on_merge, on_cancel)/> }
            })}
            <Show when=move || coordinator() && merging.with(Option::is_none) && !pairs().is_empty()>
                <div class="warning" data-testid="site-duplicates">
                    <p>{move || i.t(k::SITES_DUPLICATES).replace("{r}", &crate::platform::fixed(duplicate_radius(), 0))}</p>
                    <ul class="plain-list">
                        {move || pairs().into_iter().map(|(older, newer)| {
                            let text = format!("{} ← {}", older.label, newer.label);
                            view! {
                                <li data-testid="site-duplicate-pair">
                                    <span>{text}</span>
                                    <button type="button" data-testid="site-merge" on:click=move |_| {
                                        merging.set(Some((older.clone(), newer.clone())));
                                    }>{i.s(k::SITES_MERGE)}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </div>
            </Show>
            <a class="button primary big" href=AppRoute::NewSite.href() data-testid="site-new">{i.s(k::SITE_NEW)}</a>
            <Show when=coordinator>
                <DeletedSites/>
            </Show>
            <SiteFilterBar filters/>
            <FromStore resource=data children=move |read| match shown(read) {
                v if v.is_empty() => view! { <p class="empty" data-testid="sites-empty">{i.s(k::SITES_EMPTY)}</p> }.into_any(),
                v => view! {
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
            }/>
        </section>
    }
}

/// The deleted places, for the coordinator to restore one deleted by mistake (merged ones too:
/// restoring one undoes the merge's tombstone, its contacts stay with the survivor).
#[component]
fn DeletedSites() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let deleted = state.resource(move || async move {
        let q = Query { deleted: true, ..Default::default() };
        state.store().list::<Site>(&q).await.map(|v| v.into_iter().map(|r| r.data).collect::<Vec<_>>())
    });
    let shown = move || deleted.get().and_then(Result::ok).unwrap_or_default();
    view! {
        <Show when=move || !shown().is_empty()>
            <details class="deleted-sites" data-testid="site-deleted-list">
                <summary>{move || format!("{} ({})", i.t(k::SITES_DELETED), shown().len())}</summary>
                <ul class="plain-list">
                    {move || shown().into_iter().map(|s| {
                        let (id, merged) = (s.id, s.merged_into.is_some());
                        view! {
                            <li data-testid="site-deleted">
                                <span>{s.label.clone()}</span>
                                <button type="button" data-testid="site-restore" on:click=move |_| {
                                    spawn_local(async move {
                                        if let Ok(Some(_)) = state.write(Edit::<Site>::Restore(id)).await {
                                            if merged {
                                                let _ = state.update::<Site>(id, |s| s.merged_into = None).await;
                                            }
                                            state.notify(k::SITE_RESTORED, None);
                                        }
                                    });
                                }>{i.s(k::RESTORE)}</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </details>
        </Show>
    }
}
