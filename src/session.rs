//! The session: signing in, signing out, and the remote wipe. What a phone holds about the
//! people met stays on it only while someone is signed in and the organisation still trusts
//! the device.

use leptos::prelude::*;

use crate::i18n::k;
use crate::platform;
use crate::state::AppState;
use crate::storage::{Session, Store};
use crate::sync;

/// Signs in; on success the session is stored with the data and the first sync starts. A
/// different user than the one whose records wait to be sent is refused (their records stay).
pub async fn sign_in(state: AppState, login: &str, password: &str) -> Result<(), usize> {
    let answer = sync::login(login, password).await?;
    let store = state.store();
    let previous = store.session().await.ok().flatten();
    if previous.as_ref().is_some_and(|p| p.user.id != answer.user.id) {
        let pending = store.outbox().await.map(|o| o.len()).unwrap_or(1);
        if pending > 0 {
            sync::logout_on_server(&answer.token).await;
            return Err(k::LOGIN_OTHER_USER);
        }
        store.wipe(platform::new_uuid()).await.map_err(|e| e.message_key())?;
    }
    let session = Session {
        key: Session::KEY.into(),
        token: answer.token,
        expires_at: answer.expires_at.to_rfc3339(),
        user: answer.user,
    };
    store.set_session(Some(session.clone())).await.map_err(|e| e.message_key())?;
    state.session_expired.set(false);
    platform::forget_pref(WIPED);
    state.signed_out_why.set(None);
    state.session.set(Some(session));
    state.changed(None);
    sync::sync_now(state);
    Ok(())
}

/// Signs out: ends the session on the server when online, then erases what the phone holds.
/// The caller has asked about unsent records first.
pub async fn sign_out(state: AppState) {
    if let Some(s) = state.session.get_untracked() {
        if state.online.get_untracked() {
            sync::logout_on_server(&s.token).await;
        }
    }
    erase(state).await;
}

/// Set while the sign-in screen should say that the organisation emptied the phone.
const WIPED: &str = "wiped";

/// Why nobody is signed in, as the sign-in screen says it (at start).
pub fn signed_out_why() -> Option<usize> {
    platform::pref(WIPED).map(|_| k::WIPED_BY_ORGANISATION)
}

/// The organisation withdrew this device (`401 revoked`): everything goes, unsent records too
/// (the phone may be in a stranger's hands). The app then starts again from nothing: no screen,
/// list or value read before stays in memory, and the sign-in screen says why.
pub async fn wipe(state: AppState) {
    if let Err(e) = state.store().wipe(platform::new_uuid()).await {
        state.notify_error(e.message_key());
        return;
    }
    // The tiles show where the team works; a failure here leaves them to the cache's own limit.
    platform::forget_tiles().await;
    platform::set_pref(WIPED, "1");
    platform::reload();
}

/// Erases the records, the outbox, the session and the map tiles seen; keeps the app shell.
async fn erase(state: AppState) {
    // Nothing about the people met stays on a phone nobody is signed in to.
    if let Err(e) = state.store().wipe(platform::new_uuid()).await {
        state.notify_error(e.message_key());
        return;
    }
    platform::forget_tiles().await;
    state.session.set(None);
    state.session_expired.set(false);
    state.changed(None);
    sync::refresh(state).await;
}
