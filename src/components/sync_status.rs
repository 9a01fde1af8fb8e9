use latarnia_core::shown::Shown;
use leptos::prelude::*;

use crate::components::contact_item::local_time;
use crate::i18n::{k, use_i18n};
use crate::platform;
use crate::routes::AppRoute;
use crate::state::AppState;
use crate::sync;

/// Always visible under the top bar: what waits to be sent, the last successful sync, rejected
/// records, and "sync now".
#[component]
pub fn SyncStatus() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let view_ = state.sync;
    // What the link says, as a label and a value: on a narrow phone the two stand one above
    // the other, so the whole line fits one row (style/main.css).
    let last = move || -> (&'static str, String) {
        let v = view_.get();
        if v.syncing {
            let pulled = if v.pulled > 0 { format!("{} {}", i.t(k::SYNC_PULLED), v.pulled) } else { String::new() };
            (i.t(k::SYNC_RUNNING), pulled)
        } else {
            match v.last_sync_ms.and_then(|ms| chrono::DateTime::from_timestamp_millis(ms as i64)) {
                // Today's syncs by the hour; older ones with their date.
                Some(at) if platform::now().signed_duration_since(at).num_hours() < 12 => {
                    (i.t(k::SYNC_LAST), local_time(at, Shown::Time))
                }
                Some(at) => (i.t(k::SYNC_LAST), local_time(at, Shown::DayTime)),
                // "Synced: never", in the same two short lines as a time.
                None => (i.t(k::SYNC_LAST), i.t(k::SYNC_NEVER).to_owned()),
            }
        }
    };
    view! {
        <div class="sync-line" role="status">
            <a href=AppRoute::Sync.href() data-testid="sync-status" class="sync-status"
                data-syncing=move || view_.get().syncing.to_string()
                data-last-sync=move || view_.get().last_sync_ms.map(|m| m.to_string()).unwrap_or_default()>
                {move || {
                    let (label, value) = last();
                    view! {
                        <span class="sync-text">
                            <span>{label}</span>
                            {(!value.is_empty()).then(|| view! { " "<span>{value}</span> })}
                        </span>
                    }
                }}
            </a>
            <span class="sync-pending">
                {i.s(k::SYNC_PENDING)}": "
                <strong data-testid="sync-pending">{move || view_.get().pending}</strong>
            </span>
            {move || (view_.get().rejected > 0).then(|| view! {
                <a href=AppRoute::Sync.href() class="sync-rejected-badge" data-testid="sync-rejected-count">
                    {i.s(k::SYNC_REJECTED_COUNT)}": "{view_.get().rejected}
                </a>
            })}
            <button data-testid="sync-now" class="secondary small"
                disabled=move || view_.get().syncing || !state.online.get()
                on:click=move |_| sync::sync_now(state)>
                {i.s(k::SYNC_NOW)}
            </button>
        </div>
        {move || {
            let v = view_.get();
            (v.syncing && v.pull_total.is_some_and(|t| t > 0)).then(|| view! {
                <progress class="sync-progress" data-testid="sync-progress"
                    max=v.pull_total.unwrap_or(1) value=v.pulled></progress>
            })
        }}
        {move || view_.get().error.map(|key| view! {
            <div class="banner banner-error" role="alert" data-testid="sync-error">{i.s(key)}</div>
        })}
        <Show when=move || state.session_expired.get()>
            <div class="banner banner-error" role="alert" data-testid="session-expired">
                <span>{i.s(k::SESSION_EXPIRED)}</span>
                <button on:click=move |_| state.session.set(None)>{i.s(k::SESSION_SIGN_IN)}</button>
            </div>
        </Show>
    }
}
