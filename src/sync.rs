//! The browser shell of the sync engine (`latarnia_core::engine`): HTTP through gloo-net, the
//! app's store as the replica, the triggers (start, `online`, back to the foreground, after an
//! edit, a timer with backoff) and one syncing tab at a time (Web Locks).

use std::time::Duration;

use latarnia_core::engine::{self, Progress, Rejected, Replica, SyncError, TransportError};
use latarnia_core::sync::RawChange;
use latarnia_core::Mutation;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::api::HttpTransport;
use crate::i18n::k;
use crate::platform;
use crate::state::AppState;
pub use crate::state::SyncView;
use crate::storage::idb::Prepared;
use crate::storage::{AppStore, Backend, Store, StoreError};

const AFTER_EDIT: Duration = Duration::from_millis(1_500);
const EVERY: Duration = Duration::from_secs(60);
const BACKOFF_MAX: Duration = Duration::from_secs(600);

/// The app's store as the engine's replica.
pub struct StoreReplica(pub AppStore);

impl Replica for StoreReplica {
    type Error = StoreError;
    type Fields = Box<serde_json::value::RawValue>;

    async fn client_id(&self) -> Result<Uuid, StoreError> {
        Ok(self.0.clock().await?.client_id)
    }
    async fn outbox(&self) -> Result<Vec<Mutation>, StoreError> {
        self.0.outbox().await
    }
    async fn acknowledge(&self, through: u64, rejected: Vec<Rejected>) -> Result<(), StoreError> {
        self.0.acknowledge(through, rejected).await
    }
    async fn cursor(&self) -> Result<String, StoreError> {
        Ok(self.0.sync_state().await?.cursor)
    }
    type Prepared = Option<Prepared>;
    async fn prepare(&self, changes: &[RawChange]) -> Option<Prepared> {
        match &self.0.backend {
            Backend::Idb(s) => Some(s.prepare(changes).await),
            Backend::Mem(_) => None,
        }
    }
    async fn apply_pull(
        &self,
        changes: &[RawChange],
        prepared: Option<Prepared>,
        cursor: &str,
    ) -> Result<(), StoreError> {
        platform::mark("sync-apply-start");
        let now = platform::now_ms();
        let r = match (&self.0.backend, prepared) {
            (Backend::Idb(s), Some(p)) => s.apply_prepared(changes, p, cursor, now).await,
            _ => self.0.apply_pull(changes, cursor, now).await,
        };
        // Pulled places may be merged ones: links are followed anew.
        self.0.forget_redirects();
        platform::measure("sync-apply", "sync-apply-start");
        r
    }
    async fn resend_all(&self, after_mid: u64) -> Result<(), StoreError> {
        self.0.resend_all(after_mid).await
    }
    async fn keep_window(&self, window: latarnia_core::sync::PullWindow) -> Result<engine::WindowKept, StoreError> {
        crate::storage::window::keep_window(&self.0, window).await
    }
}

/// Re-reads the counts the status bar shows.
pub async fn refresh(state: AppState) {
    let store = state.store();
    let (pending, rejected, sync) = futures::join!(store.outbox(), store.rejected(), store.sync_state());
    state.sync.update(|v| {
        v.pending = pending.map(|o| o.len()).unwrap_or(v.pending);
        v.rejected = rejected.map(|r| r.len()).unwrap_or(v.rejected);
        if let Ok(s) = sync {
            v.last_sync_ms = s.last_sync_ms;
        }
    });
}

/// Syncs now, unless one is running (then once more after it) or another tab leads.
pub fn sync_now(state: AppState) {
    if state.sync.get_untracked().syncing {
        state.sync_again.set_value(true);
        return;
    }
    if state.session.get_untracked().is_none() || !state.ready.get_untracked() {
        return;
    }
    if !state.online.get_untracked() {
        spawn_local(refresh(state));
        return;
    }
    state.sync.update(|v| v.syncing = true);
    platform::with_lock(
        "latarnia-sync",
        async move {
            if crate::split::run(crate::split::sync_engine::run(state)).await.is_err() {
                state.sync.update(|v| {
                    v.syncing = false;
                    v.error = Some(k::SYNC_FAILED)
                });
                state.sync_failures.update_value(|n| *n += 1);
                schedule(state, next_delay(state.sync_failures.get_value()));
            }
        },
        move || {
            // Another tab is syncing: it will be this tab's turn on the next trigger.
            state.sync.update(|v| v.syncing = false);
        },
    );
}

/// One sync (and another when something asked for it meanwhile); loaded on demand
/// (`split::sync_engine`).
pub async fn run(state: AppState) {
    loop {
        state.sync_again.set_value(false);
        let Some(session) = state.session.get_untracked() else { break };
        let transport = HttpTransport { token: session.token };
        let replica = StoreReplica(state.store());
        state.sync.update(|v| {
            v.pulled = 0;
            v.pull_total = None;
        });
        let result = engine::sync_once(&transport, &replica, |p| {
            if let Progress::Pulled { done, total } = p {
                state.sync.update(|v| {
                    v.pulled = done;
                    v.pull_total = total;
                });
            }
        })
        .await;
        let ok = result.is_ok();
        match result {
            Ok(report) => {
                let _ = state.store().set_last_sync(platform::now_ms()).await;
                state.sync_failures.set_value(0);
                state.sync.update(|v| v.error = None);
                if report.pulled > report.echoes || report.resent || report.dropped > 0 {
                    state.changed(None);
                }
                if let Some(account) = report.account {
                    crate::session::keep_account(state, account).await;
                }
                // Read ahead when the sync is over, not as part of it; Leaflet too (never on the
                // sign-in page, where it would compete with the first load).
                spawn_local(async move { state.warm_lists().await });
                platform::warm_map();
            }
            Err(SyncError::Transport(TransportError::Unauthorized)) => state.session_expired.set(true),
            Err(SyncError::Transport(TransportError::Revoked)) => crate::session::wipe(state).await,
            Err(SyncError::Transport(TransportError::Offline | TransportError::Unavailable(_))) => {
                state.sync.update(|v| v.error = Some(k::SYNC_FAILED));
            }
            Err(SyncError::Transport(TransportError::BadAnswer(status))) => {
                leptos::logging::error!("sync: an unreadable answer ({status})");
                state.sync.update(|v| v.error = Some(k::SYNC_BAD_ANSWER));
            }
            Err(SyncError::Transport(e)) => {
                leptos::logging::error!("sync refused: {e:?}");
                state.sync.update(|v| v.error = Some(k::SYNC_REFUSED));
            }
            Err(SyncError::Local(e)) => {
                leptos::logging::error!("sync store: {e:?}");
                state.sync.update(|v| v.error = Some(e.message_key()));
            }
        }
        refresh(state).await;
        if !ok {
            state.sync_failures.update_value(|n| *n += 1);
        }
        if !state.sync_again.get_value() {
            break;
        }
    }
    state.sync.update(|v| v.syncing = false);
    schedule(state, next_delay(state.sync_failures.get_value()));
}

/// The timer: every minute after a success; after failures 15 s, 30 s, 1 min … up to 10 min.
pub fn next_delay(failures: u32) -> Duration {
    if failures == 0 {
        EVERY
    } else {
        (Duration::from_secs(15) * 2u32.saturating_pow(failures.min(10) - 1)).min(BACKOFF_MAX)
    }
}

/// Runs a sync after `delay`, unless another is scheduled after this one.
pub fn schedule(state: AppState, delay: Duration) {
    let generation = state.sync_timer.get_value() + 1;
    state.sync_timer.set_value(generation);
    set_timeout(
        move || {
            if state.sync_timer.get_value() == generation {
                sync_now(state);
            }
        },
        delay,
    );
}

/// Hooks the triggers up: a local edit, the `online` event and returning to the foreground.
pub fn install_triggers(state: AppState) {
    Effect::new(move |seen: Option<u64>| {
        let edits = state.edits.get();
        if seen.is_some_and(|n| n != edits) {
            schedule(state, AFTER_EDIT);
        }
        edits
    });
    let online = window_event_listener_untyped("online", move |_| sync_now(state));
    platform::on_visible(move || sync_now(state));
    on_cleanup(move || online.remove());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timer_backs_off_up_to_ten_minutes() {
        let secs: Vec<u64> = (0..8).map(|n| next_delay(n).as_secs()).collect();
        assert_eq!(secs, [60, 15, 30, 60, 120, 240, 480, 600]);
        assert_eq!(next_delay(40).as_secs(), 600);
    }
}
