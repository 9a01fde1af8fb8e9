//! The sync screen: where sync stands, and the records the server refused, with the reason.

use leptos::prelude::*;

use crate::i18n::{k, use_i18n};
use crate::routes::AppRoute;
use crate::state::AppState;
use crate::storage::Store;

#[component]
pub fn SyncPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let rejected = state.resource(move || {
        state.sync.track();
        async move { state.store().rejected().await.unwrap_or_default() }
    });
    view! {
        <section class="page">
            <h1>{i.s(k::SYNC_TITLE)}</h1>
            <h2>{i.s(k::SYNC_REJECTED_TITLE)}</h2>
            <p class="hint">{i.s(k::SYNC_REJECTED_INTRO)}</p>
            <ul class="rejected-list" data-testid="sync-rejected">
                {move || {
                    let list = rejected.get().unwrap_or_default();
                    if list.is_empty() {
                        return view! { <li class="empty">{i.s(k::SYNC_REJECTED_NONE)}</li> }.into_any();
                    }
                    list.into_iter().map(|r| {
                        let reason = i.value("rejected", &r.error);
                        let kind = i.value("collection", &r.collection);
                        let link = (r.collection == "contacts").then(|| view! {
                            <a href=AppRoute::Contact(r.id).href() class="button secondary small">{i.s(k::SYNC_OPEN_RECORD)}</a>
                        });
                        let (collection, id) = (r.collection.clone(), r.id);
                        let discard = move |_| {
                            let collection = collection.clone();
                            leptos::task::spawn_local(async move {
                                if state.store().discard_rejected(&collection, id).await.is_ok() {
                                    state.changed(None);
                                    state.notify(k::SYNC_REJECTED_DISCARDED, None);
                                }
                            });
                        };
                        // The server's own words are for support, not for the user: the reason
                        // is shown in the user's language.
                        view! {
                            <li data-testid="sync-rejected-item" data-error=r.error.clone() data-message=r.message.clone()>
                                <strong>{kind}</strong>
                                <span data-testid="sync-rejected-reason">{reason}</span>
                                {link}
                                <button type="button" class="secondary" data-testid="sync-rejected-discard" on:click=discard>
                                    {i.s(k::SYNC_REJECTED_DISCARD)}
                                </button>
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ul>
        </section>
    }
}
