//! What the whole app shares, provided as context: the store, preferences and device status.

use latarnia_core::facilities::{BedHold, HOLDS_LOOKBACK_HOURS};
use latarnia_core::protocol::Record;
use latarnia_core::{Contact, Mutation, Patrol, Site};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::i18n::Lang;
use crate::loaded::Loaded;
use crate::platform::{self, Gps};
use std::rc::Rc;

use crate::storage::cache::ListCache;
use crate::storage::{AnyEdit, AppStore, Backend, Edit, MemStore, Query, Session, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Dark,
    Light,
}

impl Theme {
    pub fn code(self) -> &'static str {
        match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
        }
    }
}

/// Where the app stands between the phone's data and the person holding it (`session`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The sign-in screen (nobody signed in) or the app (signed in and unlocked).
    Open,
    /// Signed in, but no PIN yet: the PIN is set before anything is kept.
    NeedsPin,
    /// The PIN opens the app.
    Locked,
    /// Too many wrong PINs: only a password sign-in (online) opens the phone's data again.
    PasswordOnly,
}

/// A sign-in waiting for its PIN: the session (kept only once it can be sealed) and this
/// phone's recovery key from the server (never kept on the phone).
#[derive(Clone)]
pub struct PendingPin {
    pub session: Session,
    pub recovery: Option<Vec<u8>>,
    /// The data key was opened with the recovery key: the new PIN wraps that same key.
    pub recovered: bool,
}

/// What the status bar and the sync screen show.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SyncView {
    pub syncing: bool,
    pub pending: usize,
    pub rejected: usize,
    pub last_sync_ms: Option<u64>,
    /// Records received so far in the running sync, and how many it will bring in all.
    pub pulled: usize,
    pub pull_total: Option<usize>,
    /// The last failure, as a translation key (cleared by a success).
    pub error: Option<usize>,
}

/// What can be undone from the toast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Undo {
    /// A contact was deleted: restore it.
    RestoreContact(Uuid),
    /// A quick contact was added: delete it.
    DeleteContact(Uuid),
}

/// What a page reads from the store, read again when the store changes.
pub type StoreResource<T> = Loaded<Result<T, StoreError>>;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Notice {
    /// When it was shown: tells two equal messages apart for the auto-hide timer.
    pub shown_ms: u64,
    pub text: usize,
    pub undo: Option<Undo>,
    pub error: bool,
}

#[derive(Clone, Copy)]
pub struct AppState {
    store: StoredValue<Option<AppStore>, LocalStorage>,
    /// The store is open (IndexedDB, or memory when IndexedDB failed).
    pub ready: RwSignal<bool>,
    /// What waits for the store to open (`store_opened`).
    store_waiters: StoredValue<Vec<futures::channel::oneshot::Sender<()>>, LocalStorage>,
    /// A lasting storage problem, as a translation key (private mode, quota).
    pub storage_problem: RwSignal<Option<usize>>,
    pub notice: RwSignal<Option<Notice>>,
    /// Bumped after every local write; lists re-read the store when it changes.
    pub revision: RwSignal<u64>,
    pub lang: RwSignal<Lang>,
    pub theme: RwSignal<Theme>,
    pub online: RwSignal<bool>,
    /// Whether the last answer came from the server (`api::answer`): a phone online by the
    /// browser's word but on a line that reaches nothing (a weak signal, a Wi-Fi that asks to
    /// sign in) says so instead of "online".
    pub reachable: RwSignal<bool>,
    pub gps: RwSignal<Gps>,
    pub persisted: RwSignal<Option<bool>>,
    pub update_ready: RwSignal<bool>,
    /// The signed-in user's session (kept with the data; works offline).
    pub session: RwSignal<Option<Session>>,
    /// The server no longer accepts the session: sign in again (nothing local is lost).
    pub session_expired: RwSignal<bool>,
    /// Why nobody is signed in, when the phone was emptied by the organisation (a translation
    /// key the sign-in screen shows).
    pub signed_out_why: RwSignal<Option<usize>>,
    /// Locked, asking for a PIN, or open.
    pub access: RwSignal<Access>,
    /// A sign-in waiting for its PIN (`session::set_pin`).
    pub pending_pin: StoredValue<Option<PendingPin>, LocalStorage>,
    /// Bumped by every local write that changed something (the sync schedules itself on it).
    pub edits: RwSignal<u64>,
    pub sync: RwSignal<SyncView>,
    /// A sync was asked for while one was running: run once more after it.
    pub sync_again: StoredValue<bool>,
    /// The newest scheduled sync timer; older ones do nothing when they fire.
    pub sync_timer: StoredValue<u64>,
    /// Failures in a row, for the backoff.
    pub sync_failures: StoredValue<u32>,
    /// Whole lists of live records kept in memory (`storage::cache`).
    lists: StoredValue<Rc<ListCache>, LocalStorage>,
}

impl AppState {
    /// Creates the state and hooks up the browser events (the store is opened by
    /// `session::open`, the sync's triggers by `sync::install_triggers`).
    pub fn start() -> Self {
        let lang = crate::i18n::preferred();
        let theme = match platform::pref("theme").as_deref() {
            Some("light") => Theme::Light,
            _ => Theme::Dark,
        };
        let state = AppState {
            store: StoredValue::new_local(None),
            ready: RwSignal::new(false),
            store_waiters: StoredValue::new_local(Vec::new()),
            storage_problem: RwSignal::new(None),
            notice: RwSignal::new(None),
            revision: RwSignal::new(0),
            lang: RwSignal::new(lang),
            theme: RwSignal::new(theme),
            online: RwSignal::new(platform::is_online()),
            reachable: RwSignal::new(true),
            gps: RwSignal::new(Gps::Waiting),
            persisted: RwSignal::new(None),
            update_ready: RwSignal::new(update_waiting()),
            session: RwSignal::new(None),
            session_expired: RwSignal::new(false),
            signed_out_why: RwSignal::new(None),
            access: RwSignal::new(Access::Open),
            pending_pin: StoredValue::new_local(None),
            edits: RwSignal::new(0),
            sync: RwSignal::new(SyncView::default()),
            sync_again: StoredValue::new(false),
            sync_timer: StoredValue::new(0),
            sync_failures: StoredValue::new(0),
            lists: StoredValue::new_local(Rc::new(ListCache::default())),
        };

        Effect::new(move |_| {
            let l = state.lang.get();
            platform::set_pref("lang", l.code());
            platform::set_document_attr("lang", l.code());
        });
        Effect::new(move |_| {
            let t = state.theme.get();
            platform::set_pref("theme", t.code());
            platform::set_document_attr("data-theme", t.code());
        });

        crate::api::report_reach_to(state.reachable);
        let online = window_event_listener_untyped("online", move |_| state.online.set(true));
        let offline = window_event_listener_untyped("offline", move |_| state.online.set(false));
        let update = window_event_listener_untyped("latarnia-update", move |_| state.update_ready.set(true));
        on_cleanup(move || {
            online.remove();
            offline.remove();
            update.remove();
        });

        spawn_local(async move {
            state.persisted.set(platform::request_persistence().await);
        });
        state
    }

    /// The store the app runs on from now (`session::open`): the app is ready, and what waited
    /// for the store goes on.
    pub fn set_store(&self, store: AppStore) {
        self.store.set_value(Some(store));
        self.ready.set(true);
        for waiter in self.store_waiters.try_update_value(std::mem::take).unwrap_or_default() {
            let _ = waiter.send(());
        }
    }

    /// Waits until the store is open (at once when it is): the app's sign-in form is drawn
    /// before, on a phone with no session (`App`).
    pub async fn store_opened(&self) {
        if self.store.with_value(Option::is_some) {
            return;
        }
        let (waiter, opened) = futures::channel::oneshot::channel();
        self.store_waiters.update_value(|w| w.push(waiter));
        let _ = opened.await;
    }

    /// A read of the store that runs again whenever the store changes (`revision`) or a signal
    /// read in `read` (before its future) does. Drawn with `components::from_store::FromStore`.
    pub fn resource<T, Fut>(self, read: impl Fn() -> Fut + 'static) -> Loaded<T>
    where
        T: Clone + 'static,
        Fut: std::future::Future<Output = T> + 'static,
    {
        Loaded::new(move || {
            self.revision.track();
            read()
        })
    }

    pub fn store(&self) -> AppStore {
        self.store.get_value().unwrap_or_else(|| AppStore::new(Backend::Mem(MemStore::new(Uuid::nil()))))
    }

    /// Applies a local edit. A storage failure is shown to the user and returned; the caller
    /// keeps what the user entered.
    pub async fn write<T: Record>(&self, edit: Edit<T>) -> Result<Option<Mutation>, StoreError> {
        let visit = match &edit {
            Edit::Save(r) => r.visit(),
            Edit::Delete(_) | Edit::Restore(_) => None,
        };
        // User Timing marks around the store write alone (read by `cargo xtask bench`), from
        // the edit's validation and planning to its commit.
        platform::mark("store-write-start");
        self.write_any(T::COLLECTION, edit.erase(), visit).await
    }

    /// [`AppState::write`] past its record's type (one copy in the wasm for every type).
    async fn write_any(
        &self,
        collection: &'static str,
        edit: Result<AnyEdit, StoreError>,
        visit: Option<(Uuid, chrono::DateTime<chrono::Utc>)>,
    ) -> Result<Option<Mutation>, StoreError> {
        let result = match edit {
            Ok(edit) => self.store().write_any(edit, platform::now_ms()).await,
            Err(e) => Err(e),
        };
        platform::measure("store-write", "store-write-start");
        self.after_write(collection, &result);
        if let (Ok(Some(_)), Some((site, at))) = (&result, visit) {
            self.raise_last_visit(site, at).await;
        }
        result
    }

    /// A visit was saved: the place keeps it as its last visit when it is the latest, so that
    /// "not visited for N days" outlives the phone's window of contacts. A failure here loses
    /// nothing typed (the visit itself is saved) and is shown like any other.
    async fn raise_last_visit(&self, site: Uuid, at: chrono::DateTime<chrono::Utc>) {
        let store = self.store();
        let site = match store.redirects().await {
            Ok(r) => r.follow(site),
            Err(_) => site,
        };
        let Ok(Some(place)) = store.get::<Site>(site).await else { return };
        if place.deleted {
            return;
        }
        if let Some(raised) = place.data.visited(at, platform::now()) {
            let result = store.write(Edit::Save(raised), platform::now_ms()).await;
            self.after_write(Site::COLLECTION, &result);
        }
    }

    /// What follows every write, whatever its record type (kept apart from the generic `write`:
    /// one copy in the wasm instead of one per type).
    fn after_write(&self, collection: &'static str, result: &Result<Option<Mutation>, StoreError>) {
        match result {
            Ok(Some(_)) => {
                self.changed(Some(collection));
                self.sync.update(|v| v.pending += 1);
                self.edits.update(|n| *n += 1);
                // A write went through: the disk is no longer full.
                if self.storage_problem.get_untracked() == Some(crate::i18n::k::STORAGE_FULL) {
                    self.storage_problem.set(None);
                }
            }
            Ok(None) | Err(StoreError::Invalid(_)) => {}
            Err(e) => {
                leptos::logging::error!("store write: {e:?}");
                if *e == StoreError::QuotaExceeded {
                    self.storage_problem.set(Some(e.message_key()));
                }
                self.notify_error(e.message_key());
            }
        }
    }

    /// Saves a form: only the fields the user changed (from `original`, what the form loaded),
    /// laid over the record as stored now — it may hold edits pulled since the form opened.
    pub async fn save_form<T: Record>(&self, original: &T, edited: T) -> Result<Option<Mutation>, StoreError> {
        let current = match self.store().get::<T>(edited.id()).await {
            Ok(c) => c,
            Err(e) => {
                self.notify_error(e.message_key());
                return Err(e);
            }
        };
        let data = match current {
            Some(c) if c.data != *original => {
                latarnia_core::protocol::rebase(original, &edited, &c.data).unwrap_or(edited)
            }
            _ => edited,
        };
        self.write(Edit::Save(data)).await
    }

    /// Submits a form: shows the field errors of a record that does not validate; otherwise
    /// saves it (`save_form`) and calls `saved`. A storage failure is shown and the form keeps
    /// every value.
    pub fn submit_form<T: Record + 'static>(
        self,
        built: Result<T, Vec<latarnia_core::FieldError>>,
        original: &T,
        errors: RwSignal<Vec<latarnia_core::FieldError>>,
        busy: RwSignal<bool>,
        saved: impl FnOnce() + 'static,
    ) {
        let record = match built {
            Ok(r) => r,
            Err(errs) => {
                if let Some(first) = errs.first() {
                    platform::focus_field_error(first.field);
                }
                errors.set(errs);
                self.notify_error(crate::i18n::k::FORM_HAS_ERRORS);
                return;
            }
        };
        errors.set(Vec::new());
        busy.set(true);
        let original = original.clone();
        spawn_local(async move {
            let result = self.save_form(&original, record).await;
            busy.set(false);
            match result {
                Ok(_) => saved(),
                Err(StoreError::Invalid(e)) => errors.set(e.0),
                Err(_) => {}
            }
        });
    }

    fn role_is(&self, roles: &[latarnia_core::sync::Role]) -> bool {
        self.session.with(|s| s.as_ref().is_some_and(|s| roles.contains(&s.user.role)))
    }

    /// Whether the signed-in user coordinates (deletes and merges places).
    pub fn is_coordinator(&self) -> bool {
        use latarnia_core::sync::Role;
        self.role_is(&[Role::Admin, Role::Coordinator])
    }

    /// Whether the signed-in user is a facility's reception (its beds and holds only).
    pub fn is_facility(&self) -> bool {
        self.role_is(&[latarnia_core::sync::Role::Facility])
    }

    /// Whether the signed-in user is a partner agency's (no contacts, no patrols).
    pub fn is_partner(&self) -> bool {
        self.role_is(&[latarnia_core::sync::Role::Partner])
    }

    /// Whether the signed-in user may create and change records of `collection` (the role
    /// table in core, the server's own): nobody is offered what the server would refuse.
    pub fn may_write(&self, collection: &str) -> bool {
        self.session.with(|s| s.as_ref().is_some_and(|s| latarnia_core::sync::may_write(s.user.role, collection)))
    }

    /// Whether the signed-in user may delete and restore records of `collection`.
    pub fn may_delete(&self, collection: &str) -> bool {
        self.session.with(|s| s.as_ref().is_some_and(|s| latarnia_core::sync::may_delete(s.user.role, collection)))
    }

    /// Who files reports from the 24 h line: coordinators and partners.
    pub fn may_file_reports(&self) -> bool {
        use latarnia_core::sync::Role;
        self.role_is(&[Role::Admin, Role::Coordinator, Role::Partner])
    }

    /// Changes one record as it is stored now.
    pub async fn update<T: Record>(&self, id: Uuid, f: impl FnOnce(&mut T)) -> Result<Option<Mutation>, StoreError> {
        let current = match self.store().get::<T>(id).await {
            Ok(Some(c)) => c.data,
            Ok(None) => return Err(StoreError::NotFound),
            Err(e) => {
                self.notify_error(e.message_key());
                return Err(e);
            }
        };
        let mut data = current;
        f(&mut data);
        self.write(Edit::Save(data)).await
    }

    /// Something in the store changed: `collection` by a local write, or (`None`) anything (a
    /// pull, a sign-in, a wipe). Every page's resources read again (`revision`); kept lists of
    /// other collections stay.
    pub fn changed(&self, collection: Option<&'static str>) {
        self.lists.with_value(|l| l.changed(collection));
        self.revision.update(|r| *r += 1);
    }

    /// Every live record of `T`, newest first, from memory while nothing of `T` changed since
    /// it was read (`storage::cache`).
    pub async fn live<T: Record + 'static>(&self) -> Result<Vec<T>, StoreError> {
        self.lists.get_value().live(&self.store()).await
    }

    /// The bed holds of the last `HOLDS_LOOKBACK_HOURS`: what the free beds, the bed finder
    /// and a reception count (an older hold has long expired).
    pub async fn recent_holds(&self) -> Result<Vec<BedHold>, StoreError> {
        let since = platform::now_ms() as f64 - (HOLDS_LOOKBACK_HOURS * 3_600_000) as f64;
        self.store().list_data::<BedHold>(&Query { from_ms: Some(since), ..Query::default() }).await
    }

    /// Reads the places and reports into memory ahead of the map and list screens (after a
    /// sync, when the phone is idle).
    pub async fn warm_lists(&self) {
        let _ = self.live::<latarnia_core::Site>().await;
        let _ = self.live::<latarnia_core::Report>().await;
    }

    pub fn notify(&self, text: usize, undo: Option<Undo>) {
        self.notice.set(Some(Notice { shown_ms: platform::now_ms(), text, undo, error: false }));
    }

    pub fn notify_error(&self, text: usize) {
        self.notice.set(Some(Notice { shown_ms: platform::now_ms(), text, undo: None, error: true }));
    }

    pub async fn undo(&self, undo: Undo) {
        let done = match undo {
            Undo::RestoreContact(id) => self.write(Edit::<Contact>::Restore(id)).await,
            Undo::DeleteContact(id) => self.write(Edit::<Contact>::Delete(id)).await,
        };
        if done.is_ok() {
            self.notice.set(None);
        }
    }

    /// Deletes a run (`deleted`) or restores it, with its stops and the contacts they wrote
    /// (`zima::with_run`): a run planned by mistake then counts nowhere.
    pub async fn set_run_deleted(&self, run: Uuid, deleted: bool) -> Result<(), StoreError> {
        use latarnia_core::{MealRun, MealRunStop};
        let q = Query { parent: Some(run), deleted, ..Default::default() };
        let stops = self.store().list_data::<MealRunStop>(&q).await?;
        let (stop_ids, contact_ids) = latarnia_core::zima::with_run(run, &stops);
        for id in stop_ids {
            self.write(Edit::<MealRunStop>::deleted(id, deleted)).await?;
        }
        for id in contact_ids {
            self.write(Edit::<Contact>::deleted(id, deleted)).await?;
        }
        self.write(Edit::<MealRun>::deleted(run, deleted)).await?;
        Ok(())
    }

    /// The signed-in user's account id (None before the first sign-in).
    pub fn me(&self) -> Option<Uuid> {
        self.session.with_untracked(|s| s.as_ref().map(|s| s.user.id))
    }

    /// The patrol this phone's user is on: one they started or joined here, never another
    /// team's open patrol pulled by the sync (`latarnia_core::current_patrol`).
    pub async fn open_patrol(&self) -> Result<Option<Patrol>, StoreError> {
        Ok(self.open_patrols().await?.0)
    }

    /// The user's current patrol and the colleagues' open patrols they may join.
    pub async fn open_patrols(&self) -> Result<(Option<Patrol>, Vec<Patrol>), StoreError> {
        let recent = self.store().list::<Patrol>(&Query { limit: Some(RECENT_PATROLS), ..Default::default() }).await?;
        let patrols: Vec<Patrol> = recent.into_iter().map(|r| r.data).collect();
        let (me, joined) = (self.me(), self.joined_patrol());
        let current = latarnia_core::current_patrol(&patrols, me, joined).cloned();
        let joinable =
            latarnia_core::joinable_patrols(&patrols, me, joined, platform::now()).into_iter().cloned().collect();
        Ok((current, joinable))
    }

    /// Joins a colleague's open patrol on this phone (two phones, one team): contacts recorded
    /// here go to it until it ends. Kept on the phone only, per account.
    pub fn join_patrol(&self, id: Uuid) {
        if let Some(me) = self.me() {
            platform::set_pref(&joined_key(me), &id.to_string());
            self.revision.update(|r| *r += 1);
        }
    }

    fn joined_patrol(&self) -> Option<Uuid> {
        platform::pref(&joined_key(self.me()?)).and_then(|v| Uuid::parse_str(&v).ok())
    }
}

/// How many of the newest patrols are looked through for the user's own and the joinable ones:
/// every team of a big city's night, with room to spare.
const RECENT_PATROLS: u32 = 50;

fn joined_key(me: Uuid) -> String {
    format!("joined_patrol:{me}")
}

fn update_waiting() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"latarniaUpdateReady".into()).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}
