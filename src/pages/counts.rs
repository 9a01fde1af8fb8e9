//! Count night (`/count`): the organisation's counts (a coordinator starts a new one here) and
//! the history of the gmina's counts with this year's beside the earlier ones.

use latarnia_core::count::{history, Count, CountPerson};
use latarnia_core::shown::Shown;
use leptos::prelude::*;

use crate::components::contact_item::local_time;
use crate::components::count_history::CountHistory;
use crate::components::earlier_count_form::EarlierCountForm;
use crate::components::from_store::FromStore;
use crate::i18n::{k, use_i18n};
use crate::state::AppState;
use crate::storage::{Query, Store, StoreError};

#[component]
pub fn CountsPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let coordinator = move || state.is_coordinator() && state.may_write(latarnia_core::protocol::COUNTS);
    let data = state.resource(move || async move {
        let counts: Vec<Count> = state.store().list_data::<Count>(&Query::default()).await?;
        let people: Vec<CountPerson> = state.store().list_data::<CountPerson>(&Query::default()).await?;
        let rows = history(&counts, &people);
        // The counts done with the app, newest first (earlier ones entered by hand are history).
        let mut done: Vec<Count> = counts.into_iter().filter(|c| c.entered_total.is_none()).collect();
        latarnia_core::order::sort_by_key(&mut done, |c| std::cmp::Reverse(c.starts_at));
        Ok::<_, StoreError>((done, rows))
    });
    view! {
        <section class="page count-page">
            <h1>{i.s(k::COUNT_TITLE)}</h1>
            <Show when=coordinator>
                <a class="button primary big" href="/count/new" data-testid="count-new">{i.s(k::COUNT_NEW)}</a>
            </Show>
            <FromStore resource=data children=move |(done, rows)| view! {
                <h2>{i.s(k::COUNT_LIST)}</h2>
                {done.is_empty().then(|| view! { <p class="empty">{i.s(k::COUNT_NONE)}</p> })}
                <ul class="plain-list" data-testid="count-list">
                    {done.into_iter().map(|c| view! {
                        <li data-testid="count-item">
                            <a class="row-link" href=format!("/count/{}", c.id)>
                                <span>{c.name.clone()}</span>
                                <span class="hint">
                                    {format!("{} – {} · {}", local_time(c.starts_at, Shown::DateTime),
                                        local_time(c.ends_at, Shown::DateTime), c.sectors.len())}
                                    " "{i.s(k::COUNT_SECTORS)}
                                </span>
                            </a>
                        </li>
                    }).collect_view()}
                </ul>
                <CountHistory rows/>
            }/>
            <Show when=coordinator>
                <EarlierCountForm/>
            </Show>
        </section>
    }
}
