//! IndexedDB through rexie. The schema is versioned: every version lists every store, since
//! rexie deletes the stores a version does not list.

use js_sys::Array;
use latarnia_core::protocol::{Record, CONTACTS, PATROLS};
use latarnia_core::Mutation;
use rexie::{Direction, Index, KeyRange, ObjectStore, Rexie, TransactionMode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::rc::Rc;
use uuid::Uuid;
use wasm_bindgen::JsValue;

use super::{plan, ClockState, Edit, Local, Query, Store, StoreError};

pub const OUTBOX: &str = "outbox";
pub const META: &str = "meta";
const BY_ALIVE_SORT: &str = "by_alive_sort";
const BY_PARENT_SORT: &str = "by_parent_sort";

/// The IndexedDB schema versions, oldest first. A new version appends a variant, lists every
/// store in `stores()`, and moves data in `migrate_after_open` (rexie has no upgrade hook).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SchemaVersion {
    V1 = 1,
}

impl SchemaVersion {
    pub const LATEST: SchemaVersion = SchemaVersion::V1;

    pub fn stores(self) -> Vec<ObjectStore> {
        match self {
            SchemaVersion::V1 => vec![
                ObjectStore::new(PATROLS)
                    .key_path("id")
                    .add_index(Index::new_array(BY_ALIVE_SORT, ["alive", "sort_ms"])),
                ObjectStore::new(CONTACTS)
                    .key_path("id")
                    .add_index(Index::new_array(BY_ALIVE_SORT, ["alive", "sort_ms"]))
                    .add_index(Index::new_array(BY_PARENT_SORT, ["parent", "sort_ms"])),
                ObjectStore::new(OUTBOX).key_path("mid"),
                ObjectStore::new(META).key_path("key"),
            ],
        }
    }
}

#[derive(Clone)]
pub struct IdbStore {
    db: Rc<Rexie>,
}

impl From<rexie::Error> for StoreError {
    fn from(e: rexie::Error) -> Self {
        // rexie's Display says only "idb error"; the Debug form carries the DOMException.
        let detail = format!("{e:?}");
        if detail.contains("QuotaExceeded") {
            StoreError::QuotaExceeded
        } else {
            StoreError::Failed(detail)
        }
    }
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, StoreError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| StoreError::Failed(e.to_string()))
}

fn from_js<T: DeserializeOwned>(v: JsValue) -> Result<T, StoreError> {
    serde_wasm_bindgen::from_value(v).map_err(|e| StoreError::Failed(e.to_string()))
}

fn key(parts: &[JsValue]) -> JsValue {
    parts.iter().collect::<Array>().into()
}

fn range(first: JsValue, q: &Query) -> Result<KeyRange, StoreError> {
    let lo = key(&[first.clone(), q.from_ms.unwrap_or(f64::MIN).into()]);
    let hi = key(&[first, q.to_ms.unwrap_or(f64::MAX).into()]);
    KeyRange::bound(&lo, &hi, Some(false), Some(false)).map_err(|e| rexie::Error::from(e).into())
}

impl IdbStore {
    /// Opens (creating or upgrading) the database; a new device gets `new_client_id`.
    pub async fn open(name: &str, new_client_id: Uuid) -> Result<Self, StoreError> {
        let mut builder = Rexie::builder(name).version(SchemaVersion::LATEST as u32);
        for store in SchemaVersion::LATEST.stores() {
            builder = builder.add_object_store(store);
        }
        let db = builder.build().await.map_err(|e| StoreError::Unavailable(format!("{e:?}")))?;
        let store = IdbStore { db: Rc::new(db) };
        store.ensure_clock(new_client_id).await?;
        Ok(store)
    }

    async fn ensure_clock(&self, new_client_id: Uuid) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadWrite)?;
        let meta = tx.store(META)?;
        if meta.get(ClockState::KEY.into()).await?.is_none() {
            meta.put(&to_js(&ClockState::new(new_client_id))?, None).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a database (tests give every check a fresh one).
    pub async fn delete(name: &str) -> Result<(), StoreError> {
        Rexie::delete(name).await.map_err(StoreError::from)
    }

    pub fn close(self) {
        if let Ok(db) = Rc::try_unwrap(self.db) {
            db.close();
        }
    }
}

impl Store for IdbStore {
    async fn write<T: Record>(&self, edit: Edit<T>, now_ms: u64) -> Result<Option<Mutation>, StoreError> {
        let tx = self.db.transaction(&[T::COLLECTION, OUTBOX, META], TransactionMode::ReadWrite)?;
        let records = tx.store(T::COLLECTION)?;
        let outbox = tx.store(OUTBOX)?;
        let meta = tx.store(META)?;
        // Only IndexedDB requests are awaited until the commit (SYNC.md). Requests that do not
        // depend on each other are issued together: each await is a trip through the event loop.
        let (clock, existing) =
            futures::join!(meta.get(ClockState::KEY.into()), records.get(edit.id().to_string().into()));
        let clock: ClockState = match clock? {
            Some(v) => from_js(v)?,
            None => return Err(StoreError::Failed("no clock record".into())),
        };
        let existing = existing?.map(from_js::<Local<T>>).transpose()?;
        let planned = match plan(&clock, existing, edit, now_ms) {
            Ok(Some(p)) => p,
            other => {
                let _ = tx.abort().await;
                return other.map(|_| None);
            }
        };
        let (record, mutation, clock) = (to_js(&planned.record)?, to_js(&planned.mutation)?, to_js(&planned.clock)?);
        let (a, b, c) = futures::join!(records.put(&record, None), outbox.put(&mutation, None), meta.put(&clock, None));
        a?;
        b?;
        c?;
        // Let IndexedDB commit on its own once the requests are done, and wait for that: an
        // explicit commit() measured slower in Chromium.
        if !tx.done().await?.is_committed() {
            return Err(StoreError::Failed("the write transaction was aborted".into()));
        }
        Ok(Some(planned.mutation))
    }

    async fn get<T: Record>(&self, id: Uuid) -> Result<Option<Local<T>>, StoreError> {
        let tx = self.db.transaction(&[T::COLLECTION], TransactionMode::ReadOnly)?;
        let v = tx.store(T::COLLECTION)?.get(id.to_string().into()).await?;
        v.map(from_js).transpose()
    }

    async fn list<T: Record>(&self, q: &Query) -> Result<Vec<Local<T>>, StoreError> {
        let tx = self.db.transaction(&[T::COLLECTION], TransactionMode::ReadOnly)?;
        let store = tx.store(T::COLLECTION)?;
        let offset = (q.offset > 0).then_some(q.offset);
        let rows = match q.parent {
            // A patrol has at most a few hundred contacts: filter the deleted ones here.
            Some(parent) => {
                let index = store.index(BY_PARENT_SORT)?;
                let all =
                    index.scan(Some(range(parent.to_string().into(), q)?), None, None, Some(Direction::Prev)).await?;
                let mut out = Vec::new();
                for (_, v) in all {
                    let r: Local<T> = from_js(v)?;
                    if !r.deleted {
                        out.push(r);
                    }
                }
                let limit = q.limit.map_or(usize::MAX, |l| l as usize);
                return Ok(out.into_iter().skip(q.offset as usize).take(limit).collect());
            }
            None => {
                let index = store.index(BY_ALIVE_SORT)?;
                index.scan(Some(range(1.into(), q)?), q.limit, offset, Some(Direction::Prev)).await?
            }
        };
        rows.into_iter().map(|(_, v)| from_js(v)).collect()
    }

    async fn outbox(&self) -> Result<Vec<Mutation>, StoreError> {
        let tx = self.db.transaction(&[OUTBOX], TransactionMode::ReadOnly)?;
        let rows = tx.store(OUTBOX)?.get_all(None, None).await?;
        rows.into_iter().map(from_js).collect()
    }

    async fn clock(&self) -> Result<ClockState, StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadOnly)?;
        match tx.store(META)?.get(ClockState::KEY.into()).await? {
            Some(v) => from_js(v),
            None => Err(StoreError::Failed("no clock record".into())),
        }
    }
}
