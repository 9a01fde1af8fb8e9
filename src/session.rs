//! The session: signing in, the PIN and the app lock, signing out, and the remote wipe. What a
//! phone holds about the people met is sealed under a data key that only the worker's PIN (or,
//! after too many wrong PINs, their password through the server's recovery key) opens, and
//! stays on the phone only while the organisation still trusts the device.

use latarnia_core::lock;
use leptos::prelude::*;

use crate::api;
use crate::crypto::{self, CryptoError, Secret};
use crate::i18n::k;
use crate::platform;
use crate::state::AppState;
use crate::storage::{AppStore, Backend, IdbStore, KeyRing, MemStore, Session, Store, StoreError};
use crate::sync;

pub use crate::state::{Access, PendingPin};

/// The database's name in IndexedDB.
pub const DB_NAME: &str = "latarnia";

type Opening = futures::channel::oneshot::Receiver<Result<IdbStore, StoreError>>;

thread_local! {
    /// The database being opened since the app's code started (`open_early`).
    static OPENING: std::cell::RefCell<Option<Opening>> = const { std::cell::RefCell::new(None) };
}

/// Starts opening the phone's database as soon as the app's code runs (`main`, before the
/// first screen is built), so that the browser opens it while the screen is made.
pub fn open_early() {
    let (done, opening) = futures::channel::oneshot::channel();
    OPENING.with(|o| *o.borrow_mut() = Some(opening));
    wasm_bindgen_futures::spawn_local(async move {
        let _ = done.send(IdbStore::open(DB_NAME, platform::new_uuid()).await);
    });
}

/// Opens the store (IndexedDB, or memory when the browser refuses it), decides how the app
/// starts, then the first sync.
pub fn open(state: AppState) {
    state.signed_out_why.set(signed_out_why());
    leptos::task::spawn_local(async move {
        let opened = match OPENING.with(|o| o.borrow_mut().take()) {
            Some(opening) => opening.await.unwrap_or_else(|_| Err(StoreError::Unavailable("not opened".into()))),
            None => IdbStore::open(DB_NAME, platform::new_uuid()).await,
        };
        let store = match opened {
            Ok(s) => AppStore::new(Backend::Idb(s)),
            Err(e) => {
                leptos::logging::error!("IndexedDB: {e:?}");
                state.storage_problem.set(Some(k::STORAGE_UNAVAILABLE));
                AppStore::new(Backend::Mem(MemStore::new(platform::new_uuid())))
            }
        };
        start(state, &store).await;
        state.set_store(store);
        sync::refresh(state).await;
        sync::sync_now(state);
    });
}

/// How the app starts: locked when the phone has a PIN; asking for one when data from before
/// PINs is kept; otherwise the sign-in screen.
async fn start(state: AppState, store: &AppStore) {
    let access = match store.key_ring().await {
        Ok(Some(ring)) if ring.pin.is_some() => Access::Locked,
        Ok(Some(_)) => Access::PasswordOnly,
        Ok(None) => match store.session().await {
            Ok(Some(session)) => {
                state.pending_pin.set_value(Some(PendingPin { session, recovery: None, recovered: false }));
                Access::NeedsPin
            }
            Ok(None) => Access::Open,
            Err(e) => {
                leptos::logging::error!("session: {e:?}");
                Access::Open
            }
        },
        Err(e) => {
            leptos::logging::error!("key ring: {e:?}");
            Access::Open
        }
    };
    state.access.set(access);
}

/// Signs in (online). A new phone then asks for a PIN; a phone whose PIN was locked out opens
/// its data again with the recovery key and asks for a new PIN; a phone whose session had
/// expired simply goes on. A different user than the one whose records wait to be sent is
/// refused (their records stay).
pub async fn sign_in(state: AppState, login: &str, password: &str) -> Result<(), usize> {
    // The form may be drawn before the store has opened (`App`): a phone whose store turns out
    // to be locked shows its lock screen instead, and signs nobody in.
    state.store_opened().await;
    if state.access.get_untracked() == Access::Locked {
        return Err(k::LOGIN_FAILED);
    }
    let store = state.store();
    let client_id = store.clock().await.ok().map(|c| c.client_id);
    let answer = api::login(login, password, client_id).await?;
    let recovery = answer.device_key.as_deref().and_then(from_hex);
    let session = Session {
        key: Session::KEY.into(),
        token: answer.token,
        expires_at: answer.expires_at.to_rfc3339(),
        user: answer.user,
        phone: answer.phone,
    };
    let refuse = |token: String| async move {
        api::logout(&token).await;
        Err(k::LOGIN_OTHER_USER)
    };
    let ring = store.key_ring().await.map_err(|e| e.message_key())?;
    if let Some(ring) = ring.as_ref().filter(|r| r.pin.is_none()) {
        if ring.owner != session.user.id {
            return refuse(session.token).await;
        }
        let opened = match (&ring.recovery, &recovery) {
            (Some(w), Some(r)) => crypto::unlock(Secret::Recovery(r), w).await.ok(),
            _ => None,
        };
        let recovered = opened.is_some();
        match opened {
            Some(key) => store.unlock(key),
            // Nothing can open what is kept (the server forgot this phone's key): it goes.
            None => {
                store.wipe(platform::new_uuid()).await.map_err(|e| e.message_key())?;
                state.notify_error(k::PIN_DATA_LOST);
            }
        }
        state.pending_pin.set_value(Some(PendingPin { session, recovery, recovered }));
        state.access.set(Access::NeedsPin);
        return Ok(());
    }
    let previous = store.session().await.ok().flatten();
    if previous.as_ref().is_some_and(|p| p.user.id != session.user.id) {
        let pending = store.outbox().await.map(|o| o.len()).unwrap_or(1);
        if pending > 0 {
            return refuse(session.token).await;
        }
        store.wipe(platform::new_uuid()).await.map_err(|e| e.message_key())?;
    }
    if store.key_ring().await.map_err(|e| e.message_key())?.is_some() {
        // Signed in again on an unlocked phone (the session had ended): the data key stays.
        store.set_session(Some(session.clone())).await.map_err(|e| e.message_key())?;
        signed_in(state, session);
    } else {
        state.pending_pin.set_value(Some(PendingPin { session, recovery, recovered: false }));
        state.access.set(Access::NeedsPin);
    }
    Ok(())
}

/// Why a new PIN is refused, as a translation key.
pub fn pin_problem_key(p: lock::PinProblem) -> usize {
    match p {
        lock::PinProblem::TooShort => k::PIN_TOO_SHORT,
        lock::PinProblem::TooLong => k::PIN_TOO_LONG,
        lock::PinProblem::NotDigits => k::PIN_NOT_DIGITS,
        lock::PinProblem::TooSimple => k::PIN_TOO_SIMPLE,
        lock::PinProblem::Mismatch => k::PIN_MISMATCH,
    }
}

/// Sets the PIN after a sign-in: a new data key (or, after a locked-out PIN, the same one)
/// wrapped under it; whatever was kept in clear is sealed; then the session is kept.
pub async fn set_pin(state: AppState, pin: &str, again: &str) -> Result<(), usize> {
    lock::check_new_pin(pin, again).map_err(pin_problem_key)?;
    let pending = state.pending_pin.get_value().ok_or(k::STORAGE_FAILED)?;
    let store = state.store();
    let crypto_failed = |e: CryptoError| match e {
        CryptoError::Unavailable => k::CRYPTO_UNAVAILABLE,
        _ => k::STORAGE_FAILED,
    };
    let existing = store.key_ring().await.map_err(|e| e.message_key())?;
    let ring = match (pending.recovered, existing, &pending.recovery) {
        (true, Some(ring), Some(r)) => {
            let w = ring.recovery.as_ref().ok_or(k::STORAGE_FAILED)?;
            let by_pin = crypto::rewrap(Secret::Recovery(r), w, Secret::Pin(pin), crypto::PIN_ITERATIONS)
                .await
                .map_err(crypto_failed)?;
            KeyRing { pin: Some(by_pin), failures: 0, next_try_ms: 0, ..ring }
        }
        _ => {
            let (key, by_pin, by_recovery) = crypto::new_key(pin, crypto::PIN_ITERATIONS, pending.recovery.as_deref())
                .await
                .map_err(crypto_failed)?;
            store.unlock(key);
            KeyRing {
                key: KeyRing::KEY.into(),
                pin: Some(by_pin),
                recovery: by_recovery,
                failures: 0,
                next_try_ms: 0,
                owner: pending.session.user.id,
            }
        }
    };
    store.set_key_ring(&ring).await.map_err(|e| e.message_key())?;
    store.seal_all().await.map_err(|e| e.message_key())?;
    store.set_session(Some(pending.session.clone())).await.map_err(|e| e.message_key())?;
    state.pending_pin.set_value(None);
    signed_in(state, pending.session);
    Ok(())
}

/// The app is open for `session`: the sign-in screen's sentence goes, and the first sync starts.
fn signed_in(state: AppState, session: Session) {
    state.session_expired.set(false);
    platform::forget_pref(WIPED);
    state.signed_out_why.set(None);
    state.session.set(Some(session));
    state.access.set(Access::Open);
    state.changed(None);
    sync::sync_now(state);
}

/// Why the lock screen did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockError {
    /// A wrong PIN: tries left, and the wait before the next one (ms).
    Wrong { left: u32, wait_ms: u64 },
    /// Too soon after a wrong PIN.
    Wait(u64),
    /// The tenth wrong PIN: only the password opens the phone now.
    LockedOut,
    /// A translation key (storage, WebCrypto).
    Failed(usize),
}

/// Opens the app with the PIN (offline too).
pub async fn unlock(state: AppState, pin: &str) -> Result<(), UnlockError> {
    let store = state.store();
    let failed = |e: crate::storage::StoreError| UnlockError::Failed(e.message_key());
    let mut ring = store.key_ring().await.map_err(failed)?.ok_or(UnlockError::LockedOut)?;
    let now = platform::now_ms();
    if now < ring.next_try_ms {
        return Err(UnlockError::Wait(ring.next_try_ms - now));
    }
    let Some(wrapped) = ring.pin.clone() else {
        state.access.set(Access::PasswordOnly);
        return Err(UnlockError::LockedOut);
    };
    // User Timing around the key derivation alone (read by `cargo xtask bench`).
    platform::mark("pin-unlock-start");
    let opened = crypto::unlock(Secret::Pin(pin), &wrapped).await;
    platform::measure("pin-unlock", "pin-unlock-start");
    match opened {
        Ok(key) => {
            if ring.failures > 0 {
                ring.failures = 0;
                ring.next_try_ms = 0;
                store.set_key_ring(&ring).await.map_err(failed)?;
            }
            store.unlock(key);
            match store.session().await.map_err(failed)? {
                Some(session) => signed_in(state, session),
                None => state.access.set(Access::Open),
            }
            Ok(())
        }
        Err(CryptoError::WrongPin) => {
            ring.failures += 1;
            let out = ring.failures >= lock::MAX_WRONG;
            if out {
                // The PIN's copy of the data key goes: only the recovery copy is left.
                ring.pin = None;
            } else {
                ring.next_try_ms = now + lock::wait_after(ring.failures);
            }
            store.set_key_ring(&ring).await.map_err(failed)?;
            if out {
                state.access.set(Access::PasswordOnly);
                return Err(UnlockError::LockedOut);
            }
            Err(UnlockError::Wrong { left: lock::tries_left(ring.failures), wait_ms: lock::wait_after(ring.failures) })
        }
        Err(_) => Err(UnlockError::Failed(k::CRYPTO_UNAVAILABLE)),
    }
}

/// Keeps what the server said with a sync about the user (a new role, a new name) and the
/// organisation's phone settings (a new lock time): they take effect at once and are stored
/// with the session; with a new role the phone also lets go of what the old one read and syncs
/// again from the start. An answer about another user than the one signed in is ignored.
pub async fn keep_account(state: AppState, account: latarnia_core::sync::Account) {
    let Some(mut session) = state.session.get_untracked() else { return };
    if session.user.id != account.user.id || (session.user == account.user && session.phone == account.phone) {
        return;
    }
    let role_changed = session.user.role != account.user.role;
    session.user = account.user;
    session.phone = account.phone;
    if let Err(e) = state.store().set_session(Some(session.clone())).await {
        // In effect until the app starts again; the next sync brings it once more.
        leptos::logging::error!("session: {e:?}");
    }
    state.session.set(Some(session));
    if role_changed {
        // What the old role read goes; the new role's records come with a sync from the start.
        match crate::storage::window::start_over(&state.store()).await {
            Ok(_) => {
                state.changed(None);
                state.sync_again.set_value(true);
            }
            Err(e) => leptos::logging::error!("role changed: {e:?}"),
        }
    }
}

/// Locks the app: the data key is forgotten and the app starts again from nothing, so no
/// screen, list or value read before stays in memory.
pub fn lock_now(state: AppState) {
    state.store().lock();
    platform::reload();
}

/// Locks the app after it has been in the background for the organisation's time.
pub fn install_auto_lock(state: AppState) {
    let hidden_since = StoredValue::new(None::<u64>);
    let minutes = move || {
        let set = state.session.with_untracked(|s| s.as_ref().map(|s| s.phone.lock_after_minutes));
        set.unwrap_or(lock::DEFAULT_LOCK_AFTER_MINUTES).clamp(1, lock::MAX_LOCK_AFTER_MINUTES)
    };
    let unlocked =
        move || state.access.get_untracked() == Access::Open && state.session.with_untracked(Option::is_some);
    platform::on_visibility(move |visible| {
        if !unlocked() {
            return;
        }
        let now = platform::now_ms();
        if visible {
            if let Some(since) = hidden_since.get_value() {
                hidden_since.set_value(None);
                if lock::locks_after_background(since, now, minutes()) {
                    lock_now(state);
                }
            }
            return;
        }
        hidden_since.set_value(Some(now));
        // A hidden page's timers are slowed, not stopped: the lock may also come on return.
        set_timeout(
            move || {
                if hidden_since.get_value() == Some(now) && unlocked() {
                    lock_now(state);
                }
            },
            std::time::Duration::from_secs(u64::from(minutes()) * 60),
        );
    });
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// Signs out: erases what the phone holds, then ends the session on the server when online.
/// The caller has asked about unsent records first. The phone is emptied first and at once: on
/// a weak line the server's answer can take its whole deadline, and the worker who signs out
/// waits for nothing (the session on the server ends with the request, or expires).
pub async fn sign_out(state: AppState) {
    let token = state.session.get_untracked().map(|s| s.token);
    if erase_all(state).await {
        state.session.set(None);
        state.session_expired.set(false);
        state.changed(None);
        if let Some(token) = token.filter(|_| state.online.get_untracked()) {
            leptos::task::spawn_local(async move { api::logout(&token).await });
        }
        sync::refresh(state).await;
    }
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
    if erase_all(state).await {
        platform::set_pref(WIPED, "1");
        platform::reload();
    }
}

/// Erases the records, the outbox, the session, the key ring and the map tiles seen; keeps the
/// app shell. `false` (and the user told) when the store could not be erased.
async fn erase_all(state: AppState) -> bool {
    if let Err(e) = state.store().wipe(platform::new_uuid()).await {
        state.notify_error(e.message_key());
        return false;
    }
    // The tiles show where the team works; a failure here leaves them to the cache's own limit.
    platform::forget_tiles().await;
    true
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_recovery_key_is_read_from_hex_and_nothing_else() {
        assert_eq!(super::from_hex("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(super::from_hex("0g"), None);
        assert_eq!(super::from_hex("abc"), None);
        assert_eq!(super::from_hex("ż1"), None);
    }
}
