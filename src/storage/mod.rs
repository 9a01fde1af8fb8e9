//! The phone's local store. Every local edit writes its record and its outbox mutation in one
//! transaction (SYNC.md, "Client duties"); the planning of that write is plain logic here, the
//! backends (IndexedDB, in-memory) only carry it out and pass the same contract tests.

pub mod contract;
pub mod idb;
pub mod mem;

use latarnia_core::protocol::{changed_fields, fields_of, Record};
use latarnia_core::{Hlc, Invalid, Mutation, Op};
use serde::{Deserialize, Serialize};
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
            (Local::new(new, deleted, String::new()), Op::Upsert, fields)
        }
        (Edit::Delete(_), Some(old)) if !old.deleted => {
            (Local::new(old.data, true, String::new()), Op::Delete, Default::default())
        }
        (Edit::Restore(_), Some(old)) if old.deleted => {
            (Local::new(old.data, false, String::new()), Op::Restore, Default::default())
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
    Ok(Some(Planned {
        record: Local { hlc: hlc.clone(), ..record },
        mutation: Mutation { mid, collection: T::COLLECTION.into(), id: record.id, op, hlc: hlc.clone(), fields },
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
        }
    }
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
    /// Mutations waiting to be pushed, in `mid` order.
    async fn outbox(&self) -> Result<Vec<Mutation>, StoreError>;
    /// This device's sync state (its client id, clock and last `mid`).
    async fn clock(&self) -> Result<ClockState, StoreError>;
}

/// The store the app runs on: IndexedDB, or memory when IndexedDB is unavailable (the user is
/// told that nothing will survive closing the tab).
#[derive(Clone)]
pub enum AppStore {
    Idb(IdbStore),
    Mem(MemStore),
}

impl Store for AppStore {
    async fn write<T: Record>(&self, edit: Edit<T>, now_ms: u64) -> Result<Option<Mutation>, StoreError> {
        match self {
            AppStore::Idb(s) => s.write(edit, now_ms).await,
            AppStore::Mem(s) => s.write(edit, now_ms).await,
        }
    }
    async fn get<T: Record>(&self, id: Uuid) -> Result<Option<Local<T>>, StoreError> {
        match self {
            AppStore::Idb(s) => s.get(id).await,
            AppStore::Mem(s) => s.get(id).await,
        }
    }
    async fn list<T: Record>(&self, query: &Query) -> Result<Vec<Local<T>>, StoreError> {
        match self {
            AppStore::Idb(s) => s.list(query).await,
            AppStore::Mem(s) => s.list(query).await,
        }
    }
    async fn outbox(&self) -> Result<Vec<Mutation>, StoreError> {
        match self {
            AppStore::Idb(s) => s.outbox().await,
            AppStore::Mem(s) => s.outbox().await,
        }
    }
    async fn clock(&self) -> Result<ClockState, StoreError> {
        match self {
            AppStore::Idb(s) => s.clock().await,
            AppStore::Mem(s) => s.clock().await,
        }
    }
}
