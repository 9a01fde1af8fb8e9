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
    let rejected = LocalResource::new(move || {
        state.revision.track();
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
                        view! {
                            <li data-testid="sync-rejected-item" data-error=r.error.clone()>
                                <strong>{kind}</strong>" · "{reason}
                                <span class="meta">{r.message.clone()}</span>
                                {link}
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ul>
        </section>
    }
}
