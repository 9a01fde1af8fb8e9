//! The phone's local store. Every local edit writes its record and its outbox mutation in one
//! transaction (docs/protocol.md, "Client duties"); the planning of that write is plain logic here, the
//! backends (IndexedDB, in-memory) only carry it out and pass the same contract tests.

pub mod cache;
#[cfg(any(test, feature = "test-support"))]
pub mod contract;
pub mod idb;
pub mod mem;
pub mod window;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use latarnia_core::engine::{merge_pulled, Pending, Rejected};
use latarnia_core::indicators::{Dataset, Period};
use latarnia_core::protocol::{
    changed_fields, fields_of, Record, CONTACTS, FORECASTS, MEAL_RUNS, MEAL_RUN_STOPS, PATROLS, REPORTS, SITES,
    ZIMA_SETTINGS,
};
use latarnia_core::sites::Redirects;
use latarnia_core::sync::{Change, User};
use latarnia_core::{Contact, MealRun, MealRunStop, Patrol, Report, Site};
use latarnia_core::{Hlc, Invalid, Mutation, Op};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

pub use idb::IdbStore;
pub use mem::MemStore;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// IndexedDB cannot be opened (private mode, disabled storage, old browser).
    #[error("local storage unavailable: {0}")]
    Unavailable(String),
    /// The browser refused to store more data.
    #[error("local storage is full")]
    QuotaExceeded,
    #[error("record not found")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("local storage failed: {0}")]
    Failed(String),
    /// The app is locked: the data key is not in memory, sealed records cannot be read.
    #[error("the app is locked")]
    Locked,
}

impl StoreError {
    /// Translation key of the message shown to the user.
    pub fn message_key(&self) -> usize {
        use crate::i18n::k;
        match self {
            StoreError::Unavailable(_) => k::STORAGE_UNAVAILABLE,
            StoreError::QuotaExceeded => k::STORAGE_FULL,
            StoreError::NotFound => k::RECORD_NOT_FOUND,
            StoreError::Invalid(_) => k::FORM_HAS_ERRORS,
            StoreError::Failed(_) => k::STORAGE_FAILED,
            StoreError::Locked => k::APP_LOCKED,
        }
    }
}

/// A record as the phone keeps it: the domain value plus what the store needs to list it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Local<T> {
    pub id: Uuid,
    pub data: T,
    pub deleted: bool,
    /// 1 while not deleted: part of the `by_alive_sort` index (booleans are not IndexedDB keys).
    pub alive: u8,
    /// HLC of the last local write.
    pub hlc: String,
    pub sort_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Uuid>,
    /// Each field's HLC (from the last local write or pull): what a resend to a restored
    /// server carries.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", with = "shared_hlc")]
    pub field_hlcs: BTreeMap<String, String>,
    /// The HLC that decided `deleted` (empty: never deleted).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub deleted_hlc: String,
}

/// Most fields of a record share one HLC (written together), and an HLC is ~55 characters: the
/// store keeps that HLC once, under the key `""`, and `""` in place of it for each field. Stored
/// records come out ~1 KB smaller, which IndexedDB writes faster; maps without the `""` key (as
/// stored before) read as they are.
mod shared_hlc {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(map: &BTreeMap<String, String>, s: S) -> Result<S::Ok, S::Error> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for hlc in map.values() {
            *counts.entry(hlc).or_default() += 1;
        }
        let shared = counts.into_iter().max_by_key(|(_, n)| *n).filter(|(_, n)| *n > 1).map(|(h, _)| h);
        let Some(shared) = shared else { return map.serialize(s) };
        let mut out: BTreeMap<&str, &str> =
            map.iter().map(|(k, v)| (k.as_str(), if v == shared { "" } else { v.as_str() })).collect();
        out.insert("", shared);
        out.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
        let mut map = BTreeMap::<String, String>::deserialize(d)?;
        if let Some(shared) = map.remove("") {
            for v in map.values_mut().filter(|v| v.is_empty()) {
                v.clone_from(&shared);
            }
        }
        Ok(map)
    }

    #[cfg(test)]
    mod tests {
        use std::collections::BTreeMap;

        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Held(#[serde(with = "super")] BTreeMap<String, String>);

        fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        }

        #[test]
        fn the_shared_hlc_is_kept_once_and_every_map_reads_back_as_it_was() {
            let (a, b) = ("1767225600000-0000-aaaa", "1767225600001-0000-bbbb");
            let together = map(&[("notes", a), ("headcount", a), ("gender", a), ("at", b)]);
            let text = serde_json::to_string(&Held(together.clone())).unwrap();
            assert_eq!(text.matches(a).count(), 1, "{text}");
            assert_eq!(serde_json::from_str::<Held>(&text).unwrap().0, together);
            for m in [map(&[]), map(&[("notes", a)]), map(&[("notes", a), ("at", b)])] {
                let text = serde_json::to_string(&Held(m.clone())).unwrap();
                assert_eq!(serde_json::from_str::<Held>(&text).unwrap().0, m, "{text}");
            }
            // As stored before: every field with its own HLC.
            let old = format!(r#"{{"notes":"{a}","at":"{b}"}}"#);
            assert_eq!(serde_json::from_str::<Held>(&old).unwrap().0, map(&[("notes", a), ("at", b)]));
        }
    }
}

/// The per-device sync state, stored under `meta/"clock"` and updated in every write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockState {
    pub key: String,
    pub client_id: Uuid,
    pub hlc: String,
    pub last_mid: u64,
}

impl ClockState {
    pub const KEY: &'static str = "clock";

    pub fn new(client_id: Uuid) -> Self {
        ClockState { key: Self::KEY.into(), client_id, hlc: Hlc::zero(client_id).to_string(), last_mid: 0 }
    }
}

/// A local edit.
#[derive(Debug, Clone)]
pub enum Edit<T> {
    /// Create or change a record (the whole new value; only changed fields are pushed).
    Save(T),
    /// Soft delete: the record stays, hidden, and can be restored.
    Delete(Uuid),
    Restore(Uuid),
}

impl<T: Record> Edit<T> {
    /// Deletes (`true`) or restores (`false`) the record `id`.
    pub fn deleted(id: Uuid, deleted: bool) -> Self {
        if deleted {
            Edit::Delete(id)
        } else {
            Edit::Restore(id)
        }
    }

    pub fn id(&self) -> Uuid {
        match self {
            Edit::Save(r) => r.id(),
            Edit::Delete(id) | Edit::Restore(id) => *id,
        }
    }
}

/// What one write puts into the store, all in one transaction.
#[derive(Debug, Clone)]
pub struct Planned<T> {
    pub record: Local<T>,
    pub mutation: Mutation,
    pub clock: ClockState,
}

/// Decides what an edit writes. `Ok(None)`: nothing changed, nothing to write.
pub fn plan<T: Record>(
    clock: &ClockState,
    existing: Option<Local<T>>,
    edit: Edit<T>,
    now_ms: u64,
) -> Result<Option<Planned<T>>, StoreError> {
    let (record, op, fields) = match (edit, existing) {
        (Edit::Save(new), existing) => {
            new.validate()?;
            let new_fields = fields_of(&new);
            let (fields, deleted) = match &existing {
                Some(old) => (changed_fields(&fields_of(&old.data), &new_fields), old.deleted),
                None => (new_fields, false),
            };
            if fields.is_empty() {
                return Ok(None);
            }
            let kept = existing.map(|o| (o.field_hlcs, o.deleted_hlc)).unwrap_or_default();
            (
                Local { field_hlcs: kept.0, deleted_hlc: kept.1, ..Local::new(new, deleted, String::new()) },
                Op::Upsert,
                fields,
            )
        }
        (Edit::Delete(_), Some(old)) if !old.deleted => {
            let kept = old.field_hlcs.clone();
            (Local { field_hlcs: kept, ..Local::new(old.data, true, String::new()) }, Op::Delete, Default::default())
        }
        (Edit::Restore(_), Some(old)) if old.deleted => {
            let kept = old.field_hlcs.clone();
            (Local { field_hlcs: kept, ..Local::new(old.data, false, String::new()) }, Op::Restore, Default::default())
        }
        (Edit::Delete(_) | Edit::Restore(_), Some(_)) => return Ok(None),
        (Edit::Delete(_) | Edit::Restore(_), None) => return Err(StoreError::NotFound),
    };
    let hlc = clock
        .hlc
        .parse::<Hlc>()
        .map_err(|e| StoreError::Failed(format!("stored clock: {e}")))?
        .tick(now_ms)
        .map_err(|e| StoreError::Failed(e.to_string()))?
        .to_string();
    let mid = clock.last_mid + 1;
    let mut record = Local { hlc: hlc.clone(), ..record };
    match op {
        Op::Upsert => record.field_hlcs.extend(fields.keys().map(|k| (k.clone(), hlc.clone()))),
        Op::Delete | Op::Restore => record.deleted_hlc = hlc.clone(),
    }
    let id = record.id;
    Ok(Some(Planned {
        record,
        mutation: Mutation { mid, collection: T::COLLECTION.into(), id, op, hlc: hlc.clone(), fields },
        clock: ClockState { hlc, last_mid: mid, ..clock.clone() },
    }))
}

impl<T: Record> Local<T> {
    /// The stored form of `data`, last written at `hlc`.
    pub fn new(data: T, deleted: bool, hlc: String) -> Self {
        Local {
            id: data.id(),
            sort_ms: data.sort_ms(),
            parent: data.parent(),
            deleted,
            alive: u8::from(!deleted),
            hlc,
            data,
            field_hlcs: BTreeMap::new(),
            deleted_hlc: String::new(),
        }
    }
}

/// The local record after a pulled change: the server's state, except fields (and the deleted
/// flag) with pending local mutations. `None` when the server's record is not a valid `T` for
/// this app version (it is skipped and kept on the server).
pub fn merge_change<T: Record>(
    existing: Option<Local<T>>,
    change: &Change,
    pending: Option<&Pending>,
) -> Option<Local<T>> {
    let local_fields = existing.as_ref().map(|l| fields_of(&l.data));
    let (mut fields, deleted) =
        merge_pulled(existing.as_ref().zip(local_fields.as_ref()).map(|(l, f)| (f, l.deleted)), change, pending);
    fields.insert("id".into(), Value::String(change.id.to_string()));
    let mut field_hlcs = change.field_hlcs.clone();
    let data: T = match latarnia_core::protocol::from_fields(fields) {
        Some(d) => d,
        // A deleted record arrives as its tombstone (no fields): a phone that holds it keeps
        // what it has, deleted (restorable from here while the server's trash keeps it); a
        // phone that never had it has nothing to keep.
        None if change.deleted => {
            let old = existing.as_ref()?;
            field_hlcs = old.field_hlcs.clone();
            old.data.clone()
        }
        None => return None,
    };
    let mut deleted_hlc = change.deleted_hlc.clone();
    if let (Some(old), Some(p)) = (&existing, pending) {
        for name in &p.fields {
            match old.field_hlcs.get(name) {
                Some(h) => field_hlcs.insert(name.clone(), h.clone()),
                None => field_hlcs.remove(name),
            };
        }
        if p.deleted.is_some() {
            deleted_hlc = old.deleted_hlc.clone();
        }
    }
    let hlc = field_hlcs.values().chain(std::iter::once(&deleted_hlc)).max().cloned().unwrap_or_default();
    Some(Local { field_hlcs, deleted_hlc, ..Local::new(data, deleted, hlc) })
}

/// A mutation the server refused for good, kept to show (one per record: the latest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedRecord {
    /// `collection:id`.
    pub key: String,
    pub collection: String,
    pub id: Uuid,
    pub mid: u64,
    pub error: String,
    pub message: String,
}

impl From<Rejected> for RejectedRecord {
    fn from(r: Rejected) -> Self {
        RejectedRecord {
            key: format!("{}:{}", r.mutation.collection, r.mutation.id),
            collection: r.mutation.collection,
            id: r.mutation.id,
            mid: r.mutation.mid,
            error: r.error,
            message: r.message,
        }
    }
}

/// Where sync stands, stored with the data (meta `"sync"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncState {
    pub key: String,
    pub cursor: String,
    /// When the last sync succeeded (ms since the epoch).
    #[serde(default)]
    pub last_sync_ms: Option<u64>,
    /// The field-sized window the last sync applied, in days (`0`: the whole history; `None`:
    /// no windowed sync yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_days: Option<u32>,
}

impl SyncState {
    pub const KEY: &'static str = "sync";
}

/// The signed-in user's session, stored with the data (meta `"session"`): it survives reloads
/// and works offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub key: String,
    pub token: String,
    pub expires_at: String,
    pub user: User,
    /// The organisation's settings for its phones, as of the sign-in.
    #[serde(default)]
    pub phone: latarnia_core::sync::PhoneSettings,
}

impl Session {
    pub const KEY: &'static str = "session";
}

/// How the phone's data key is kept (meta `"keys"`, in clear: it holds no record data). The
/// data key itself is stored only wrapped: under the PIN, and under the recovery key the server
/// keeps for this phone (opened only by a password sign-in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRing {
    pub key: String,
    /// `None` once the PIN was entered wrong too often: only the password opens the phone.
    pub pin: Option<crate::crypto::WrappedKey>,
    pub recovery: Option<crate::crypto::WrappedKey>,
    /// Wrong PINs in a row, and when the next try is allowed (ms since the epoch): kept here so
    /// that a reload does not reset them.
    #[serde(default)]
    pub failures: u32,
    #[serde(default)]
    pub next_try_ms: u64,
    /// Whose data this is: only they can open it again with their password.
    pub owner: Uuid,
}

impl KeyRing {
    pub const KEY: &'static str = "keys";
}

/// An unsaved form as the store keeps it (meta, under `"draft:" + form`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub key: String,
    pub text: String,
}

impl Draft {
    pub fn key(form: &str) -> String {
        format!("draft:{form}")
    }
}

/// The synced collections the app stores, each in an IndexedDB store of its name.
pub const COLLECTIONS: &[&str] =
    &[PATROLS, CONTACTS, SITES, REPORTS, ZIMA_SETTINGS, FORECASTS, MEAL_RUNS, MEAL_RUN_STOPS];

/// `$go::<T>(args…)` for the record type `T` of the collection `$name`; `Ok(None)` for a
/// collection this app version does not know. The one place names map to types.
macro_rules! by_collection {
    ($name:expr, $go:ident($($arg:expr),*)) => {
        match $name {
            latarnia_core::protocol::PATROLS => $go::<latarnia_core::Patrol>($($arg),*),
            latarnia_core::protocol::CONTACTS => $go::<latarnia_core::Contact>($($arg),*),
            latarnia_core::protocol::SITES => $go::<latarnia_core::Site>($($arg),*),
            latarnia_core::protocol::REPORTS => $go::<latarnia_core::Report>($($arg),*),
            latarnia_core::protocol::ZIMA_SETTINGS => $go::<latarnia_core::ZimaSettings>($($arg),*),
            latarnia_core::protocol::FORECASTS => $go::<latarnia_core::Forecast>($($arg),*),
            latarnia_core::protocol::MEAL_RUNS => $go::<latarnia_core::MealRun>($($arg),*),
            latarnia_core::protocol::MEAL_RUN_STOPS => $go::<latarnia_core::MealRunStop>($($arg),*),
            _ => Ok(None),
        }
    };
}
pub(crate) use by_collection;

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Failed(e.to_string())
}

/// [`merge_change`] on stored values, by collection: `Ok(None)` for a collection this app
/// version does not know or a record it cannot read (left alone).
pub fn merge_stored(
    existing: Option<Value>,
    change: &Change,
    pending: Option<&Pending>,
) -> Result<Option<Value>, StoreError> {
    fn go<T: Record>(
        existing: Option<Value>,
        change: &Change,
        pending: Option<&Pending>,
    ) -> Result<Option<Value>, StoreError> {
        let existing =
            existing.as_ref().map(latarnia_core::protocol::from_json::<Local<T>>).transpose().map_err(failed)?;
        merge_change(existing, change, pending).map(serde_json::to_value).transpose().map_err(failed)
    }
    by_collection!(change.collection.as_str(), go(existing, change, pending))
}

/// Everything held (stored values of each collection), as mutations numbered after
/// `after_mid` for a restored server (`engine::resend_plan`). A record stored before fields
/// had their own HLCs sends every field at the record's HLC.
pub fn resend_values(stored: &[(&'static str, Value)], after_mid: u64) -> Vec<Mutation> {
    struct Owned {
        collection: &'static str,
        id: Uuid,
        fields: serde_json::Map<String, Value>,
        field_hlcs: BTreeMap<String, String>,
        deleted: bool,
        deleted_hlc: String,
    }
    let held: Vec<Owned> = stored
        .iter()
        .filter_map(|(collection, v)| {
            let id = v.get("id")?.as_str()?.parse().ok()?;
            let mut fields = v.get("data")?.as_object()?.clone();
            fields.remove("id");
            let mut hlcs: BTreeMap<String, String> =
                v.get("field_hlcs").and_then(|h| shared_hlc::deserialize(h.clone()).ok()).unwrap_or_default();
            let record_hlc = v.get("hlc").and_then(Value::as_str).unwrap_or_default();
            for name in fields.keys() {
                hlcs.entry(name.clone()).or_insert_with(|| record_hlc.to_owned());
            }
            let deleted = v.get("deleted").and_then(Value::as_bool).unwrap_or(false);
            let mut deleted_hlc = v.get("deleted_hlc").and_then(Value::as_str).unwrap_or_default().to_owned();
            if deleted && deleted_hlc.is_empty() {
                deleted_hlc = record_hlc.to_owned();
            }
            Some(Owned { collection, id, fields, field_hlcs: hlcs, deleted, deleted_hlc })
        })
        .collect();
    latarnia_core::engine::resend_plan(
        held.iter().map(|h| latarnia_core::engine::Held {
            collection: h.collection,
            id: h.id,
            fields: &h.fields,
            field_hlcs: &h.field_hlcs,
            deleted: h.deleted,
            deleted_hlc: &h.deleted_hlc,
        }),
        after_mid,
    )
}

/// What the indicators read for `period` from this phone: the contacts of the period (with two
/// days' margin after it for patrols that end after midnight; `compute` filters exactly), and
/// every patrol, place, report, run and stop (a few thousand at most). A place's and a report's
/// `status` time is its `status` field's HLC.
pub async fn indicator_dataset(store: &impl Store, period: &Period) -> Result<Dataset, StoreError> {
    let (from, to) = period.utc_bounds();
    let contacts = Query {
        from_ms: Some(from.timestamp_millis() as f64),
        to_ms: Some((to + chrono::Duration::days(2)).timestamp_millis() as f64),
        ..Default::default()
    };
    let all = Query::default();
    // Every read asked at once: IndexedDB serves them side by side.
    let (runs, stops, patrols, sites, reports, contacts) = futures::join!(
        store.list_data::<MealRun>(&all),
        store.list_data::<MealRunStop>(&all),
        store.list_data::<Patrol>(&all),
        store.list::<Site>(&all),
        store.list::<Report>(&all),
        store.list_data::<Contact>(&contacts),
    );
    let mut d = Dataset { runs: runs?, stops: stops?, patrols: patrols?, contacts: contacts?, ..Default::default() };
    fn status_time<T>(r: &Local<T>) -> Option<chrono::DateTime<chrono::Utc>> {
        let hlc: Hlc = r.field_hlcs.get("status").or(Some(&r.hlc))?.parse().ok()?;
        chrono::DateTime::from_timestamp_millis(hlc.physical_ms as i64)
    }
    for r in sites? {
        d.status_set_at.extend(status_time(&r).map(|t| (r.id, t)));
        d.sites.push(r.data);
    }
    for r in store.list_data::<Site>(&Query { deleted: true, ..Default::default() }).await? {
        if let Some(into) = r.merged_into {
            d.merged.insert(r.id, into);
        }
    }
    for r in reports? {
        d.status_set_at.extend(status_time(&r).map(|t| (r.id, t)));
        d.reports.push(r.data);
    }
    Ok(d)
}

/// Which records to list: never the deleted ones, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// Only the records of this parent (a patrol's contacts).
    pub parent: Option<Uuid>,
    /// Inclusive bounds on `sort_ms`.
    pub from_ms: Option<f64>,
    pub to_ms: Option<f64>,
    pub offset: u32,
    pub limit: Option<u32>,
    /// The deleted records instead of the live ones (to restore one).
    pub deleted: bool,
}

impl Query {
    pub fn matches(&self, sort_ms: f64) -> bool {
        self.from_ms.is_none_or(|f| sort_ms >= f) && self.to_ms.is_none_or(|t| sort_ms <= t)
    }
}

/// The local store. Async because IndexedDB is; not `Send` because the browser isn't.
#[allow(async_fn_in_trait)]
pub trait Store {
    /// Applies a local edit: the record and its outbox mutation, atomically. Returns the
    /// mutation, or `None` when the edit changed nothing.
    async fn write<T: Record>(&self, edit: Edit<T>, now_ms: u64) -> Result<Option<Mutation>, StoreError>;
    /// One record, deleted or not.
    async fn get<T: Record>(&self, id: Uuid) -> Result<Option<Local<T>>, StoreError>;
    /// Records that are not deleted, newest first.
    async fn list<T: Record>(&self, query: &Query) -> Result<Vec<Local<T>>, StoreError>;
    /// The records alone (no HLCs), in any order: what a computation over many reads (the
    /// indicators over 100,000 contacts). `query.parent`, `offset` and `limit` are not used.
    async fn list_data<T: Record>(&self, query: &Query) -> Result<Vec<T>, StoreError> {
        let q = Query { parent: None, offset: 0, limit: None, ..query.clone() };
        Ok(self.list::<T>(&q).await?.into_iter().map(|r| r.data).collect())
    }
    /// Mutations waiting to be pushed, in `mid` order.
    async fn outbox(&self) -> Result<Vec<Mutation>, StoreError>;
    /// This device's sync state (its client id, clock and last `mid`).
    async fn clock(&self) -> Result<ClockState, StoreError>;

    /// Removes the mutations up to `through` from the outbox and keeps the rejected ones.
    async fn acknowledge(&self, through: u64, rejected: Vec<Rejected>) -> Result<(), StoreError>;
    async fn rejected(&self) -> Result<Vec<RejectedRecord>, StoreError>;
    /// Gives up a record the server refused: its refusal and the phone's copy go (a record
    /// the server never accepted exists nowhere else; an edit of one it holds returns with the
    /// server's next change of it).
    async fn discard_rejected(&self, collection: &str, id: Uuid) -> Result<(), StoreError>;
    async fn sync_state(&self) -> Result<SyncState, StoreError>;
    async fn set_last_sync(&self, ms: u64) -> Result<(), StoreError>;
    /// Notes the field-sized window the last sync applied (`SyncState::window_days`).
    async fn set_window_days(&self, days: u32) -> Result<(), StoreError>;
    /// Drops the phone's copy of records the server holds (out of the window): nothing is
    /// sent, the outbox is not touched. The caller checks that none has a pending change.
    async fn forget(&self, collection: &str, ids: &[Uuid]) -> Result<(), StoreError>;
    /// Applies pulled changes, advances the clock past them and stores the cursor, in one
    /// transaction.
    async fn apply_pull(&self, changes: &[Change], cursor: &str, now_ms: u64) -> Result<(), StoreError>;
    /// Replaces the outbox with everything held, numbered after `after_mid`.
    async fn resend_all(&self, after_mid: u64) -> Result<(), StoreError>;
    async fn session(&self) -> Result<Option<Session>, StoreError>;
    async fn set_session(&self, session: Option<Session>) -> Result<(), StoreError>;
    /// An unsaved form kept on the phone (meta `"draft:<form>"`): it survives leaving the form
    /// and a reload until it is saved or discarded, and goes with everything else at a wipe.
    async fn draft(&self, form: &str) -> Result<Option<String>, StoreError>;
    /// Keeps (`Some`) or forgets (`None`) a form's draft.
    async fn set_draft(&self, form: &str, text: Option<String>) -> Result<(), StoreError>;
    /// Forgets everything (sign-out): records, outbox, rejections, session, the key ring; the
    /// device starts again as `new_client_id`.
    async fn wipe(&self, new_client_id: Uuid) -> Result<(), StoreError>;
    /// The wrapped data key and the count of wrong PINs (readable while locked).
    async fn key_ring(&self) -> Result<Option<KeyRing>, StoreError>;
    async fn set_key_ring(&self, ring: &KeyRing) -> Result<(), StoreError>;
}

/// The clock after observing pulled changes.
pub fn observed(clock: &ClockState, changes: &[Change], now_ms: u64) -> ClockState {
    match (latarnia_core::engine::newest_hlc(changes), clock.hlc.parse::<Hlc>()) {
        (Some(remote), Ok(local)) => match local.observe(remote, now_ms) {
            Ok(h) => ClockState { hlc: h.to_string(), ..clock.clone() },
            Err(_) => clock.clone(),
        },
        _ => clock.clone(),
    }
}

/// The store the app runs on: IndexedDB, or memory when IndexedDB is unavailable (the user is
/// told that nothing will survive closing the tab). Every record it reads with a link to a
/// place comes out linked to the live place (`sites::Redirects`): a contact recorded offline at
/// a place merged meanwhile shows, counts and lists at the survivor on every screen.
#[derive(Clone)]
pub struct AppStore {
    pub backend: Backend,
    /// The merged places' redirects, read on first need and forgotten when places change;
    /// with a count of those changes, so a read that a change overtook is never kept.
    redirects: Rc<RefCell<(u64, Option<Rc<Redirects>>)>>,
}

#[derive(Clone)]
pub enum Backend {
    Idb(IdbStore),
    Mem(MemStore),
}

impl From<MemStore> for Backend {
    fn from(s: MemStore) -> Self {
        Backend::Mem(s)
    }
}

impl From<IdbStore> for Backend {
    fn from(s: IdbStore) -> Self {
        Backend::Idb(s)
    }
}

impl AppStore {
    pub fn new(backend: Backend) -> Self {
        AppStore { backend, redirects: Rc::default() }
    }

    /// Places may have changed (a pull, a wipe): read the redirects again when next needed.
    pub fn forget_redirects(&self) {
        let mut kept = self.redirects.borrow_mut();
        *kept = (kept.0 + 1, None);
    }

    /// Where links to merged places lead, from the deleted places that were merged.
    pub async fn redirects(&self) -> Result<Rc<Redirects>, StoreError> {
        let (at, kept) = self.redirects.borrow().clone();
        if let Some(r) = kept {
            return Ok(r);
        }
        let deleted = self.list_raw::<Site>(&Query { deleted: true, ..Default::default() }).await?;
        let r = Rc::new(Redirects::new(deleted.iter().map(|s| &s.data)));
        let mut now = self.redirects.borrow_mut();
        if now.0 == at {
            now.1 = Some(r.clone());
        }
        Ok(r)
    }

    async fn relinked<T: Record>(&self, mut records: Vec<T>) -> Result<Vec<T>, StoreError> {
        if !T::LINKS_PLACE {
            return Ok(records);
        }
        self.redirects().await?.relink_all(&mut records);
        Ok(records)
    }

    async fn list_raw<T: Record>(&self, query: &Query) -> Result<Vec<Local<T>>, StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.list(query).await,
            Backend::Mem(s) => s.list(query).await,
        }
    }
}

impl Store for AppStore {
    async fn write<T: Record>(&self, edit: Edit<T>, now_ms: u64) -> Result<Option<Mutation>, StoreError> {
        let written = match &self.backend {
            Backend::Idb(s) => s.write(edit, now_ms).await,
            Backend::Mem(s) => s.write(edit, now_ms).await,
        };
        if T::COLLECTION == SITES {
            self.forget_redirects();
        }
        written
    }
    async fn get<T: Record>(&self, id: Uuid) -> Result<Option<Local<T>>, StoreError> {
        let got = match &self.backend {
            Backend::Idb(s) => s.get::<T>(id).await,
            Backend::Mem(s) => s.get::<T>(id).await,
        }?;
        match got {
            Some(mut r) if T::LINKS_PLACE => {
                self.redirects().await?.relink(&mut r.data);
                Ok(Some(r))
            }
            other => Ok(other),
        }
    }
    async fn list_data<T: Record>(&self, query: &Query) -> Result<Vec<T>, StoreError> {
        let read = match &self.backend {
            Backend::Idb(s) => s.list_data(query).await,
            Backend::Mem(s) => s.list_data(query).await,
        }?;
        self.relinked(read).await
    }
    async fn list<T: Record>(&self, query: &Query) -> Result<Vec<Local<T>>, StoreError> {
        let mut read = self.list_raw::<T>(query).await?;
        if T::LINKS_PLACE {
            let r = self.redirects().await?;
            read.iter_mut().for_each(|l| r.relink(&mut l.data));
        }
        Ok(read)
    }
    async fn outbox(&self) -> Result<Vec<Mutation>, StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.outbox().await,
            Backend::Mem(s) => s.outbox().await,
        }
    }
    async fn clock(&self) -> Result<ClockState, StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.clock().await,
            Backend::Mem(s) => s.clock().await,
        }
    }
    async fn acknowledge(&self, through: u64, rejected: Vec<Rejected>) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.acknowledge(through, rejected).await,
            Backend::Mem(s) => s.acknowledge(through, rejected).await,
        }
    }
    async fn rejected(&self) -> Result<Vec<RejectedRecord>, StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.rejected().await,
            Backend::Mem(s) => s.rejected().await,
        }
    }
    async fn discard_rejected(&self, collection: &str, id: Uuid) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.discard_rejected(collection, id).await,
            Backend::Mem(s) => s.discard_rejected(collection, id).await,
        }
    }
    async fn sync_state(&self) -> Result<SyncState, StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.sync_state().await,
            Backend::Mem(s) => s.sync_state().await,
        }
    }
    async fn set_last_sync(&self, ms: u64) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.set_last_sync(ms).await,
            Backend::Mem(s) => s.set_last_sync(ms).await,
        }
    }

    async fn set_window_days(&self, days: u32) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.set_window_days(days).await,
            Backend::Mem(s) => s.set_window_days(days).await,
        }
    }

    async fn forget(&self, collection: &str, ids: &[Uuid]) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.forget(collection, ids).await,
            Backend::Mem(s) => s.forget(collection, ids).await,
        }
    }
    async fn apply_pull(&self, changes: &[Change], cursor: &str, now_ms: u64) -> Result<(), StoreError> {
        let r = match &self.backend {
            Backend::Idb(s) => s.apply_pull(changes, cursor, now_ms).await,
            Backend::Mem(s) => s.apply_pull(changes, cursor, now_ms).await,
        };
        self.forget_redirects();
        r
    }
    async fn resend_all(&self, after_mid: u64) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.resend_all(after_mid).await,
            Backend::Mem(s) => s.resend_all(after_mid).await,
        }
    }
    async fn session(&self) -> Result<Option<Session>, StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.session().await,
            Backend::Mem(s) => s.session().await,
        }
    }
    async fn set_session(&self, session: Option<Session>) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.set_session(session).await,
            Backend::Mem(s) => s.set_session(session).await,
        }
    }
    async fn draft(&self, form: &str) -> Result<Option<String>, StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.draft(form).await,
            Backend::Mem(s) => s.draft(form).await,
        }
    }
    async fn set_draft(&self, form: &str, text: Option<String>) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.set_draft(form, text).await,
            Backend::Mem(s) => s.set_draft(form, text).await,
        }
    }
    async fn wipe(&self, new_client_id: Uuid) -> Result<(), StoreError> {
        self.forget_redirects();
        match &self.backend {
            Backend::Idb(s) => s.wipe(new_client_id).await,
            Backend::Mem(s) => s.wipe(new_client_id).await,
        }
    }
    async fn key_ring(&self) -> Result<Option<KeyRing>, StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.key_ring().await,
            Backend::Mem(s) => s.key_ring().await,
        }
    }
    async fn set_key_ring(&self, ring: &KeyRing) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.set_key_ring(ring).await,
            Backend::Mem(s) => s.set_key_ring(ring).await,
        }
    }
}

impl AppStore {
    /// From now on records are sealed and opened with `key` (IndexedDB; memory keeps nothing on
    /// disk to seal).
    pub fn unlock(&self, key: crate::crypto::DataKey) {
        if let Backend::Idb(s) = &self.backend {
            s.unlock(key);
        }
    }

    /// Forgets the data key: nothing sealed can be read until the next unlock.
    pub fn lock(&self) {
        if let Backend::Idb(s) = &self.backend {
            s.lock();
        }
    }

    /// Seals whatever is still stored in clear (data kept before the phone had a PIN).
    pub async fn seal_all(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.seal_all().await,
            Backend::Mem(_) => Ok(()),
        }
    }
}
