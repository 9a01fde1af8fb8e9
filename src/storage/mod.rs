//! The phone's local store. Every local edit writes its record and its outbox mutation in one
//! transaction (docs/protocol.md, "Client duties"); the planning of that write is plain logic (`plan`), the
//! backends (IndexedDB, in-memory) only carry it out and pass the same contract tests.

mod app_store;
pub mod cache;
#[cfg(any(test, feature = "test-support"))]
pub mod contract;
pub mod idb;
pub mod mem;
mod plan;
mod records;
pub mod window;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use latarnia_core::engine::{merge_pulled, Pending, Rejected};
use latarnia_core::indicators::{Dataset, Period};
use latarnia_core::protocol::{
    changed_fields, fields_of, fields_of_value, Record, BED_HOLDS, CONTACTS, COUNTS, COUNT_PEOPLE, COUNT_VISITS,
    FACILITIES, FORECASTS, MEAL_RUNS, MEAL_RUN_STOPS, PATROLS, REPORTS, SITES, ZIMA_SETTINGS,
};
use latarnia_core::sites::Redirects;
use latarnia_core::sync::{RawChange, User};
use latarnia_core::{Contact, MealRun, MealRunStop, Patrol, Report, Site};
use latarnia_core::{Hlc, Invalid, Mutation, Op};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

pub use idb::IdbStore;
pub use mem::MemStore;

pub use app_store::*;
pub use plan::*;
pub use records::*;

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
    /// server carries. Read back always whole; a record just merged from a pull holds the shared
    /// form the server sent (`shared_hlcs::get` reads both), written as it is.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", with = "latarnia_core::sync::shared_hlcs")]
    pub field_hlcs: BTreeMap<String, String>,
    /// The HLC that decided `deleted` (empty: never deleted).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub deleted_hlc: String,
}

/// The synced collections the app stores, each in an IndexedDB store of its name.
pub const COLLECTIONS: &[&str] = &[
    PATROLS,
    CONTACTS,
    SITES,
    REPORTS,
    ZIMA_SETTINGS,
    FORECASTS,
    MEAL_RUNS,
    MEAL_RUN_STOPS,
    COUNTS,
    COUNT_VISITS,
    COUNT_PEOPLE,
    FACILITIES,
    BED_HOLDS,
];

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
            latarnia_core::protocol::COUNTS => $go::<latarnia_core::count::Count>($($arg),*),
            latarnia_core::protocol::COUNT_VISITS => $go::<latarnia_core::count::CountVisit>($($arg),*),
            latarnia_core::protocol::COUNT_PEOPLE => $go::<latarnia_core::count::CountPerson>($($arg),*),
            latarnia_core::protocol::FACILITIES => $go::<latarnia_core::facilities::Facility>($($arg),*),
            latarnia_core::protocol::BED_HOLDS => $go::<latarnia_core::facilities::BedHold>($($arg),*),
            _ => Ok(None),
        }
    };
}
pub(crate) use by_collection;

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Failed(e.to_string())
}

/// What [`Store::list_data`] reads, as JSON texts: stored records, or a packed collection's
/// monthly packs (`idb/packs.rs`), which may hold records outside the query's times.
pub enum DataTexts {
    Records(Vec<String>),
    Packs(Vec<String>),
}

impl DataTexts {
    /// The records in these texts (only this is made per type).
    pub fn read<T: Record>(self, q: &Query) -> Result<Vec<T>, StoreError> {
        /// A stored record's data alone (its per-field HLCs are skipped, not kept).
        #[derive(serde::Deserialize)]
        struct DataOf<T> {
            data: T,
        }
        match self {
            DataTexts::Records(texts) => {
                texts.iter().map(|t| serde_json::from_str::<DataOf<T>>(t).map(|d| d.data).map_err(failed)).collect()
            }
            DataTexts::Packs(texts) => idb::records_in(texts, q),
        }
    }
}

/// A stored record read from its text.
fn read_local<T: Record>(text: &str) -> Result<Local<T>, StoreError> {
    serde_json::from_str(text).map_err(failed)
}

/// [`Store::list`]'s records read from [`Store::texts`]'s answer.
fn read_locals<T: Record>(texts: &[String]) -> Result<Vec<Local<T>>, StoreError> {
    texts.iter().map(|t| read_local(t)).collect()
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
        let hlc: Hlc = latarnia_core::sync::shared_hlcs::get(&r.field_hlcs, "status").unwrap_or(&r.hlc).parse().ok()?;
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
    let (facilities, holds) = futures::join!(
        store.list_data::<latarnia_core::facilities::Facility>(&all),
        store.list_data::<latarnia_core::facilities::BedHold>(&all)
    );
    (d.facilities, d.holds) = (facilities?, holds?);
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
    async fn write<T: Record>(&self, edit: Edit<T>, now_ms: u64) -> Result<Option<Mutation>, StoreError> {
        self.write_any(edit.erase()?, now_ms).await
    }
    /// [`Store::write`] of an edit whose type was read off (one copy for every record type).
    async fn write_any(&self, edit: AnyEdit, now_ms: u64) -> Result<Option<Mutation>, StoreError>;
    /// One record, deleted or not.
    async fn get<T: Record>(&self, id: Uuid) -> Result<Option<Local<T>>, StoreError> {
        self.text(T::COLLECTION, id).await?.map(|t| read_local(&t)).transpose()
    }
    /// Records that are not deleted, newest first.
    async fn list<T: Record>(&self, query: &Query) -> Result<Vec<Local<T>>, StoreError> {
        read_locals(&self.texts(T::COLLECTION, query).await?)
    }
    /// [`Store::get`]'s record as JSON text (opened when sealed): one copy for every type,
    /// only reading the text is made per type.
    async fn text(&self, collection: &'static str, id: Uuid) -> Result<Option<String>, StoreError>;
    /// [`Store::list`]'s records as JSON texts, in its order.
    async fn texts(&self, collection: &'static str, query: &Query) -> Result<Vec<String>, StoreError>;
    /// The records alone (no HLCs), in any order: what a computation over many reads (the
    /// indicators over 100,000 contacts). `query.parent`, `offset` and `limit` are not used.
    async fn list_data<T: Record>(&self, query: &Query) -> Result<Vec<T>, StoreError> {
        self.data_texts(T::COLLECTION, query).await?.read(query)
    }
    /// [`Store::list_data`]'s texts, found and opened without the record type.
    async fn data_texts(&self, collection: &'static str, query: &Query) -> Result<DataTexts, StoreError> {
        let q = Query { parent: None, offset: 0, limit: None, ..query.clone() };
        Ok(DataTexts::Records(self.texts(collection, &q).await?))
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
    async fn apply_pull(&self, changes: &[RawChange], cursor: &str, now_ms: u64) -> Result<(), StoreError>;
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
