//! IndexedDB through rexie. The schema is versioned: every version lists every store, since
//! rexie deletes the stores a version does not list.

use js_sys::Array;
use latarnia_core::protocol::{
    Record, CONTACTS, FORECASTS, MEAL_RUNS, MEAL_RUN_STOPS, PATROLS, REPORTS, SITES, ZIMA_SETTINGS,
};
use latarnia_core::Mutation;
use rexie::{Direction, Index, KeyRange, ObjectStore, Rexie, TransactionMode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::rc::Rc;
use uuid::Uuid;
use wasm_bindgen::JsValue;

use latarnia_core::engine::{pending, Rejected};
use latarnia_core::sync::Change;
use serde_json::Value;

use super::{
    observed, plan, resend_values, ClockState, Draft, Edit, Local, Query, RejectedRecord, Session, Store, StoreError,
    SyncState, COLLECTIONS,
};

pub const OUTBOX: &str = "outbox";
pub const META: &str = "meta";
pub const REJECTED: &str = "rejected";
const BY_ALIVE_SORT: &str = "by_alive_sort";
const SCHEMA_KEY: &str = "schema";

/// The schema version the data was last opened at (meta `"schema"`).
#[derive(serde::Serialize, serde::Deserialize)]
struct SchemaMark {
    key: String,
    version: u32,
}
const BY_PARENT_SORT: &str = "by_parent_sort";

/// The IndexedDB schema versions, oldest first. A new version appends a variant, lists every
/// store in `stores()`, and moves data in `migrate_after_open` (rexie has no upgrade hook).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SchemaVersion {
    V1 = 1,
    /// Sync: the `rejected` store.
    V2 = 2,
    /// Places and reports: the `sites` and `reports` stores. Pulls before it skipped them, so
    /// the upgrade starts the pull cursor again (decision 30).
    V3 = 3,
    /// Akcja ZIMA: `zima_settings`, `forecasts`, `meal_runs`, `meal_run_stops` (cursor reset
    /// like V3).
    V4 = 4,
}

impl SchemaVersion {
    pub const LATEST: SchemaVersion = SchemaVersion::V4;
    /// The versions that add synced collections: upgrading past one pulls everything again.
    const ADD_COLLECTIONS: [SchemaVersion; 2] = [SchemaVersion::V3, SchemaVersion::V4];

    pub fn stores(self) -> Vec<ObjectStore> {
        let mut stores = match self {
            SchemaVersion::V1 | SchemaVersion::V2 | SchemaVersion::V3 | SchemaVersion::V4 => vec![
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
        };
        if self >= SchemaVersion::V2 {
            stores.push(ObjectStore::new(REJECTED).key_path("key"));
        }
        if self >= SchemaVersion::V3 {
            for name in [SITES, REPORTS] {
                stores.push(
                    ObjectStore::new(name)
                        .key_path("id")
                        .add_index(Index::new_array(BY_ALIVE_SORT, ["alive", "sort_ms"])),
                );
            }
        }
        if self >= SchemaVersion::V4 {
            for name in [ZIMA_SETTINGS, FORECASTS, MEAL_RUNS] {
                stores.push(
                    ObjectStore::new(name)
                        .key_path("id")
                        .add_index(Index::new_array(BY_ALIVE_SORT, ["alive", "sort_ms"])),
                );
            }
            stores.push(
                ObjectStore::new(MEAL_RUN_STOPS)
                    .key_path("id")
                    .add_index(Index::new_array(BY_ALIVE_SORT, ["alive", "sort_ms"]))
                    .add_index(Index::new_array(BY_PARENT_SORT, ["parent", "sort_ms"])),
            );
        }
        stores
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

/// Values go to IndexedDB as JSON text parsed by the browser: one string over the boundary
/// instead of a call per property, and objects the browser clones faster (measured: a fresh
/// phone's first sync ~10 % quicker).
fn to_js<T: Serialize>(v: &T) -> Result<JsValue, StoreError> {
    let text = serde_json::to_string(v).map_err(|e| StoreError::Failed(e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|_| StoreError::Failed("JSON.parse".into()))
}

fn from_js<T: DeserializeOwned>(v: JsValue) -> Result<T, StoreError> {
    // The same way back: one JSON string over the boundary (measured: reading 2,000 places
    // for the map took ~5× longer property by property through serde-wasm-bindgen).
    let text = js_sys::JSON::stringify(&v).map_err(|_| StoreError::Failed("JSON.stringify".into()))?;
    serde_json::from_str(&String::from(text)).map_err(|e| StoreError::Failed(e.to_string()))
}

/// The first characters of ids (UUIDs, lowercase hex): the slices a whole-store read is cut into.
const SLICES: [&str; 16] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"];

/// Each stored record's `data`, as one JSON text across to wasm (its field HLCs, half of a
/// stored contact, stay behind), skipping those not `alive` or out of `q`'s time when given.
fn pick<T: DeserializeOwned>(rows: &[JsValue], filter: Option<(u8, &Query)>) -> Result<Vec<T>, StoreError> {
    let (data_key, alive_key, sort_key) =
        (JsValue::from_str("data"), JsValue::from_str("alive"), JsValue::from_str("sort_ms"));
    let get = |v: &JsValue, k: &JsValue| js_sys::Reflect::get(v, k).unwrap_or(JsValue::NULL);
    let data = Array::new();
    for v in rows {
        if let Some((alive, q)) = filter {
            let live = get(v, &alive_key).as_f64() == Some(f64::from(alive));
            if !live || !get(v, &sort_key).as_f64().is_some_and(|s| q.matches(s)) {
                continue;
            }
        }
        data.push(&get(v, &data_key));
    }
    from_js(data.into())
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
    /// The stored records a query asks for, newest first, as one array for one JSON text across
    /// to wasm. Not generic: one copy of this code serves every collection.
    async fn rows(&self, collection: &str, q: &Query) -> Result<Array, StoreError> {
        let tx = self.db.transaction(&[collection], TransactionMode::ReadOnly)?;
        let store = tx.store(collection)?;
        let offset = (q.offset > 0).then_some(q.offset);
        match q.parent {
            // A patrol has at most a few hundred contacts: filter the deleted ones here.
            Some(parent) => {
                let index = store.index(BY_PARENT_SORT)?;
                let all = index.get_all(Some(range(parent.to_string().into(), q)?), None).await?;
                let deleted_key = JsValue::from_str("deleted");
                let limit = q.limit.map_or(usize::MAX, |l| l as usize);
                Ok(all
                    .iter()
                    .rev()
                    .filter(|v| js_sys::Reflect::get(v, &deleted_key).ok().and_then(|d| d.as_bool()) == Some(q.deleted))
                    .skip(q.offset as usize)
                    .take(limit)
                    .collect())
            }
            None => {
                let index = store.index(BY_ALIVE_SORT)?;
                let alive = if q.deleted { 0 } else { 1 };
                let range = range(alive.into(), q)?;
                if q.limit.is_none() && q.offset == 0 {
                    // Everything: one request (a cursor is one event per record; measured ~3×
                    // slower for the map's 2,000 places), newest first as the index reversed.
                    Ok(index.get_all(Some(range), None).await?.iter().rev().collect())
                } else {
                    let rows = index.scan(Some(range), q.limit, offset, Some(Direction::Prev)).await?;
                    Ok(rows.into_iter().map(|(_, v)| v).collect())
                }
            }
        }
    }

    /// Opens (creating or upgrading) the database; a new device gets `new_client_id`.
    pub async fn open(name: &str, new_client_id: Uuid) -> Result<Self, StoreError> {
        Self::open_at(name, SchemaVersion::LATEST, new_client_id).await
    }

    /// Opens the database at a given schema version (the upgrade tests start from older ones).
    pub async fn open_at(name: &str, version: SchemaVersion, new_client_id: Uuid) -> Result<Self, StoreError> {
        let mut builder = Rexie::builder(name).version(version as u32);
        for store in version.stores() {
            builder = builder.add_object_store(store);
        }
        let db = builder.build().await.map_err(|e| StoreError::Unavailable(format!("{e:?}")))?;
        let store = IdbStore { db: Rc::new(db) };
        store.after_open(version, new_client_id).await?;
        Ok(store)
    }

    /// A new device gets its clock; an upgrade moves what it must (rexie has no upgrade hook,
    /// so the schema version the data was last opened at is kept in `meta`).
    async fn after_open(&self, version: SchemaVersion, new_client_id: Uuid) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadWrite)?;
        let meta = tx.store(META)?;
        let (clock, schema, sync) = futures::join!(
            meta.get(ClockState::KEY.into()),
            meta.get(SCHEMA_KEY.into()),
            meta.get(SyncState::KEY.into())
        );
        let is_new = clock?.is_none();
        if is_new {
            meta.put(&to_js(&ClockState::new(new_client_id))?, None).await?;
        }
        // Data from before the version was kept is at most V2.
        let was = match schema? {
            Some(v) => from_js::<SchemaMark>(v)?.version,
            None if is_new => version as u32,
            None => (version as u32).min(SchemaVersion::V2 as u32),
        };
        if SchemaVersion::ADD_COLLECTIONS.iter().any(|v| was < *v as u32 && version >= *v) {
            if let Some(v) = sync? {
                let mut sync: SyncState = from_js(v)?;
                sync.cursor.clear();
                meta.put(&to_js(&sync)?, None).await?;
            }
        }
        if was != version as u32 {
            meta.put(&to_js(&SchemaMark { key: SCHEMA_KEY.into(), version: version as u32 })?, None).await?;
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

/// [`super::merge_change`] straight between IndexedDB values and the typed record (no JSON
/// tree in between: the first sync of a phone runs this for every record).
fn merge_js(
    old: Option<JsValue>,
    c: &Change,
    pending: Option<&latarnia_core::engine::Pending>,
) -> Result<Option<JsValue>, StoreError> {
    fn go<T: Record>(
        old: Option<JsValue>,
        c: &Change,
        pending: Option<&latarnia_core::engine::Pending>,
    ) -> Result<Option<JsValue>, StoreError> {
        let existing = old.map(from_js::<Local<T>>).transpose()?;
        super::merge_change(existing, c, pending).map(|l| to_js(&l)).transpose()
    }
    super::by_collection!(c.collection.as_str(), go(old, c, pending))
}

impl IdbStore {
    async fn meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadOnly)?;
        tx.store(META)?.get(key.into()).await?.map(from_js).transpose()
    }

    async fn put_meta<T: Serialize>(&self, value: &T) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadWrite)?;
        tx.store(META)?.put(&to_js(value)?, None).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Pulled records converted to what IndexedDB stores, ahead of the transaction that writes them
/// (in the order of the changes of a known collection; `None`: a record this version cannot read).
pub struct Prepared(Vec<Result<Option<JsValue>, StoreError>>);

impl IdbStore {
    /// The conversion that needs nothing stored: the server's state, as no local edit is pending.
    pub fn prepare(changes: &[Change]) -> Prepared {
        Prepared(
            changes
                .iter()
                .filter(|c| COLLECTIONS.contains(&c.collection.as_str()))
                .map(|c| merge_js(None, c, None))
                .collect(),
        )
    }

    /// [`Store::apply_pull`] with the records converted ahead by [`IdbStore::prepare`] (only
    /// those with a pending local mutation are merged again, with what is stored).
    pub async fn apply_prepared(
        &self,
        changes: &[Change],
        prepared: Prepared,
        cursor: &str,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let mut names: Vec<&str> = COLLECTIONS.to_vec();
        names.extend([OUTBOX, META]);
        let tx = self.db.transaction(&names, TransactionMode::ReadWrite)?;
        let meta = tx.store(META)?;
        let outbox_store = tx.store(OUTBOX)?;
        let (outbox, clock, sync) = futures::join!(
            outbox_store.get_all(None, None),
            meta.get(ClockState::KEY.into()),
            meta.get(SyncState::KEY.into())
        );
        let outbox: Vec<latarnia_core::Mutation> = outbox?.into_iter().map(from_js).collect::<Result<_, _>>()?;
        let clock: ClockState = from_js(clock?.ok_or_else(|| StoreError::Failed("no clock record".into()))?)?;
        let mut sync: SyncState =
            sync?.map(from_js).transpose()?.unwrap_or(SyncState { key: SyncState::KEY.into(), ..Default::default() });
        let pend = pending(&outbox);
        let known: Vec<&Change> = changes.iter().filter(|c| COLLECTIONS.contains(&c.collection.as_str())).collect();
        let by_name: Vec<(&str, rexie::Store)> =
            COLLECTIONS.iter().map(|c| Ok((*c, tx.store(c)?))).collect::<Result<_, StoreError>>()?;
        let store_of = |c: &Change| &by_name.iter().find(|(n, _)| *n == c.collection).expect("a known collection").1;
        // The stored record matters only where a local mutation is pending (the server's state
        // wins everywhere else), so only those are read. Every read at once, then every write at
        // once: each await is a trip through the event loop, and IndexedDB keeps them in order.
        // A deleted record arrives as its tombstone: the phone's own copy is read too (kept,
        // deleted, while the server's trash keeps it).
        let pending_of: Vec<_> = known.iter().map(|c| pend.get(&(c.collection.clone(), c.id))).collect();
        let existing = futures::future::join_all(known.iter().zip(&pending_of).map(|(c, p)| {
            let get = (p.is_some() || c.deleted).then(|| store_of(c).get(c.id.to_string().into()));
            async move {
                match get {
                    Some(get) => get.await,
                    None => Ok(None),
                }
            }
        }))
        .await;
        let mut puts = Vec::with_capacity(known.len());
        let mut erased = Vec::new();
        let prepared = if prepared.0.len() == known.len() { prepared } else { Self::prepare(changes) };
        let mut ahead = prepared.0.into_iter();
        for (n, (c, old)) in known.iter().zip(existing).enumerate() {
            let ready = ahead.next().unwrap_or(Ok(None));
            if c.erases_local() {
                erased.push(c);
                continue;
            }
            let merged = match (pending_of[n], c.deleted) {
                (None, false) => ready?,
                (p, _) => merge_js(old?, c, p)?,
            };
            if let Some(v) = merged {
                puts.push((c.collection.as_str(), v));
            }
        }
        // The end of the server's trash: the phone's copy goes too.
        for c in erased {
            store_of(c).delete(c.id.to_string().into()).await?;
        }
        sync.cursor = cursor.to_owned();
        let clock = observed(&clock, changes, now_ms);
        let (clock, sync) = (to_js(&clock)?, to_js(&sync)?);
        // Every write issued at once, per store; only the last request of each is awaited (a
        // failed one aborts the transaction, which `done` reports).
        let writes = by_name.iter().map(|(name, store)| {
            store.put_all(puts.iter().filter(move |(n, _)| n == name).map(|(_, v)| (v.clone(), None)))
        });
        let (records, meta) =
            futures::join!(futures::future::join_all(writes), meta.put_all([(clock, None), (sync, None)].into_iter()));
        records.into_iter().try_for_each(|r| r)?;
        meta?;
        if !tx.done().await?.is_committed() {
            return Err(StoreError::Failed("the pull transaction was aborted".into()));
        }
        Ok(())
    }
}

impl Store for IdbStore {
    async fn write<T: Record>(&self, edit: Edit<T>, now_ms: u64) -> Result<Option<Mutation>, StoreError> {
        let tx = self.db.transaction(&[T::COLLECTION, OUTBOX, META], TransactionMode::ReadWrite)?;
        let records = tx.store(T::COLLECTION)?;
        let outbox = tx.store(OUTBOX)?;
        let meta = tx.store(META)?;
        // Only IndexedDB requests are awaited until the commit (docs/protocol.md). Requests that do not
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
        // The rows are found without knowing their type (`rows`); only reading them is per type.
        from_js(self.rows(T::COLLECTION, q).await?.into())
    }

    async fn list_data<T: Record>(&self, q: &Query) -> Result<Vec<T>, StoreError> {
        use futures::stream::{FuturesUnordered, StreamExt};
        let tx = self.db.transaction(&[T::COLLECTION], TransactionMode::ReadOnly)?;
        let store = tx.store(T::COLLECTION)?;
        let index = store.index(BY_ALIVE_SORT)?;
        let alive = if q.deleted { 0 } else { 1 };
        let in_range = range(alive.into(), q)?;
        // The oldest and the newest live record (two single-step cursors; counting the range
        // would walk the index).
        let whole = range(alive.into(), &Query::default())?;
        let (first, last) = futures::join!(
            index.scan(Some(whole.clone()), Some(1), None, Some(Direction::Next)),
            index.scan(Some(whole), Some(1), None, Some(Direction::Prev)),
        );
        let sort_ms = |rows: Vec<(JsValue, JsValue)>| {
            rows.first().and_then(|(_, v)| js_sys::Reflect::get(v, &"sort_ms".into()).ok()?.as_f64())
        };
        let (Some(first), Some(last)) = (sort_ms(first?), sort_ms(last?)) else { return Ok(Vec::new()) };
        if !(q.matches(first) && q.matches(last)) {
            // A part of the store: through the time index.
            let rows = index.get_all(Some(in_range), None).await?;
            return pick::<T>(&rows, None);
        }
        let mut out = Vec::new();
        // Every live record is in the period (a year of a phone's contacts): the store itself is read faster
        // than through the index, in 16 slices by the first character of the id, all asked at
        // once; each slice is turned into records while IndexedDB reads the next ones.
        let mut slices: FuturesUnordered<_> = SLICES
            .iter()
            .enumerate()
            .map(|(n, lo)| {
                let lo = JsValue::from_str(lo);
                let slice = match SLICES.get(n + 1) {
                    Some(hi) => KeyRange::bound(&lo, &JsValue::from_str(hi), Some(false), Some(true)),
                    None => KeyRange::lower_bound(&lo, Some(false)),
                };
                let store = &store;
                async move { store.get_all(Some(slice.map_err(rexie::Error::from)?), None).await }
            })
            .collect();
        while let Some(rows) = slices.next().await {
            out.extend(pick::<T>(&rows?, Some((alive, q)))?);
        }
        Ok(out)
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

    async fn acknowledge(&self, through: u64, rejected: Vec<Rejected>) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[OUTBOX, REJECTED], TransactionMode::ReadWrite)?;
        let outbox = tx.store(OUTBOX)?;
        let rejected_store = tx.store(REJECTED)?;
        let upto =
            KeyRange::upper_bound(&JsValue::from_f64(through as f64), Some(false)).map_err(rexie::Error::from)?;
        outbox.delete(upto.into()).await?;
        for r in rejected {
            rejected_store.put(&to_js(&RejectedRecord::from(r))?, None).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn rejected(&self) -> Result<Vec<RejectedRecord>, StoreError> {
        let tx = self.db.transaction(&[REJECTED], TransactionMode::ReadOnly)?;
        tx.store(REJECTED)?.get_all(None, None).await?.into_iter().map(from_js).collect()
    }

    async fn discard_rejected(&self, collection: &str, id: Uuid) -> Result<(), StoreError> {
        let key = format!("{collection}:{id}");
        let mut names = vec![REJECTED];
        let known = COLLECTIONS.iter().find(|c| **c == collection);
        names.extend(known);
        let tx = self.db.transaction(&names, TransactionMode::ReadWrite)?;
        tx.store(REJECTED)?.delete(key.as_str().into()).await?;
        if let Some(c) = known {
            tx.store(c)?.delete(id.to_string().as_str().into()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn sync_state(&self) -> Result<SyncState, StoreError> {
        Ok(self
            .meta::<SyncState>(SyncState::KEY)
            .await?
            .unwrap_or(SyncState { key: SyncState::KEY.into(), ..Default::default() }))
    }

    async fn set_last_sync(&self, ms: u64) -> Result<(), StoreError> {
        let mut s = self.sync_state().await?;
        s.last_sync_ms = Some(ms);
        self.put_meta(&s).await
    }

    async fn apply_pull(&self, changes: &[Change], cursor: &str, now_ms: u64) -> Result<(), StoreError> {
        self.apply_prepared(changes, Self::prepare(changes), cursor, now_ms).await
    }

    async fn resend_all(&self, after_mid: u64) -> Result<(), StoreError> {
        let mut names: Vec<&str> = COLLECTIONS.to_vec();
        names.extend([OUTBOX, META]);
        let tx = self.db.transaction(&names, TransactionMode::ReadWrite)?;
        let mut stored: Vec<(&'static str, Value)> = Vec::new();
        for c in COLLECTIONS {
            for v in tx.store(c)?.get_all(None, None).await? {
                stored.push((c, from_js(v)?));
            }
        }
        let meta = tx.store(META)?;
        let mut clock: ClockState = meta
            .get(ClockState::KEY.into())
            .await?
            .map(from_js)
            .transpose()?
            .ok_or_else(|| StoreError::Failed("no clock record".into()))?;
        let plan = resend_values(&stored, after_mid);
        let outbox = tx.store(OUTBOX)?;
        outbox.clear().await?;
        for m in &plan {
            outbox.put(&to_js(m)?, None).await?;
        }
        clock.last_mid = after_mid + plan.len() as u64;
        meta.put(&to_js(&clock)?, None).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self) -> Result<Option<Session>, StoreError> {
        self.meta(Session::KEY).await
    }

    async fn set_session(&self, session: Option<Session>) -> Result<(), StoreError> {
        match session {
            Some(s) => self.put_meta(&s).await,
            None => {
                let tx = self.db.transaction(&[META], TransactionMode::ReadWrite)?;
                tx.store(META)?.delete(Session::KEY.into()).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    }

    async fn draft(&self, form: &str) -> Result<Option<String>, StoreError> {
        Ok(self.meta::<Draft>(&Draft::key(form)).await?.map(|d| d.text))
    }

    async fn set_draft(&self, form: &str, text: Option<String>) -> Result<(), StoreError> {
        let key = Draft::key(form);
        match text {
            Some(text) => self.put_meta(&Draft { key, text }).await,
            None => {
                let tx = self.db.transaction(&[META], TransactionMode::ReadWrite)?;
                tx.store(META)?.delete(key.as_str().into()).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    }

    async fn wipe(&self, new_client_id: Uuid) -> Result<(), StoreError> {
        let mut names: Vec<&str> = COLLECTIONS.to_vec();
        names.extend([OUTBOX, META, REJECTED]);
        let tx = self.db.transaction(&names, TransactionMode::ReadWrite)?;
        for name in &names {
            tx.store(name)?.clear().await?;
        }
        tx.store(META)?.put(&to_js(&ClockState::new(new_client_id))?, None).await?;
        let mark = SchemaMark { key: SCHEMA_KEY.into(), version: SchemaVersion::LATEST as u32 };
        tx.store(META)?.put(&to_js(&mark)?, None).await?;
        tx.commit().await?;
        Ok(())
    }
}
