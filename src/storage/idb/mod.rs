//! IndexedDB through rexie: the store (opening, the vault that seals values, the queries, the
//! `Store` implementation). Its versioned schema is in `schema`, how a value is written and
//! read in `codec`, how a pulled page is written in `pull`.

use js_sys::Array;
use latarnia_core::protocol::{
    Record, BED_HOLDS, CONTACTS, COUNTS, COUNT_PEOPLE, COUNT_VISITS, FACILITIES, FORECASTS, MEAL_RUNS, MEAL_RUN_STOPS,
    PATROLS, REPORTS, SITES, ZIMA_SETTINGS,
};
use latarnia_core::Mutation;
use rexie::{Direction, KeyRange, Rexie, TransactionMode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::rc::Rc;
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};

use latarnia_core::engine::{pending, Rejected};
use latarnia_core::sync::RawChange;
use serde_json::Value;

use super::{
    observed, plan, resend_values, AnyChange, AnyEdit, ClockState, DataTexts, Draft, KeyRing, Local, Query,
    RejectedRecord, Session, Store, StoreError, SyncState, COLLECTIONS,
};
use crate::crypto::{self, CryptoError, DataKey};
use js_sys::Uint8Array;
use std::cell::RefCell;

mod codec;
pub mod durable;
mod packs;
pub(crate) use packs::records_in;
mod pull;
mod schema;

use codec::*;
use packs::{any_packs, drop_all_packs, drop_packs, is_packed, keys_for, sort_ms_of};
pub use pull::Prepared;
use schema::*;
pub use schema::{SchemaVersion, META, OUTBOX, REJECTED};

#[derive(Clone)]
pub struct IdbStore {
    db: Rc<Rexie>,
    vault: Rc<RefCell<Vault>>,
    /// The clock as this store's last write left it (a guess: every write checks it).
    last_clock: Rc<RefCell<Option<ClockState>>>,
    /// The month packs being kept after a whole read (packs.rs).
    keeping: Rc<RefCell<Option<packs::Keeping>>>,
}

/// Whether values are sealed, and under which key (docs/privacy.md, "On the phone").
#[derive(Clone, Default)]
enum Vault {
    /// No PIN yet (a phone's data from before it had one, or a test's store): kept in clear.
    #[default]
    Clear,
    Open(DataKey),
    /// There is a key ring, but its key is not in memory: nothing sealed can be read.
    Locked,
}

/// A local edit planned for [`IdbStore::commit_write`]: its texts, and what the writing
/// transaction checks.
struct PlannedWrite<'a> {
    collection: &'static str,
    id: Uuid,
    record: Plain,
    mutation: Plain,
    /// The clock the edit was planned on, and the clock after it.
    clock: &'a ClockState,
    next_clock: &'a ClockState,
    /// The packs of the months the record was and is in (`packs.rs`).
    stale_packs: Vec<String>,
    /// Planned as a new record without reading the store: the write checks that it is.
    assumed_new: bool,
}

/// What [`IdbStore::list_texts`] found.
enum Listed {
    /// The records' JSON texts, opened.
    Texts(Vec<String>),
    /// Kept in monthly packs (`packs.rs`): the oldest and the newest live record's moment.
    Packed { first: f64, last: f64 },
}

/// The first characters of ids (UUIDs, lowercase hex): the slices a whole-store read is cut into.
const SLICES: [&str; 16] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"];

/// A whole store's key ranges, one per first character of the ids (UUIDs, lowercase hex): the
/// slices a whole-store read is cut into, all asked at once.
fn whole_store_slices() -> Result<Vec<KeyRange>, StoreError> {
    SLICES
        .iter()
        .enumerate()
        .map(|(n, lo)| {
            let lo = JsValue::from_str(lo);
            match SLICES.get(n + 1) {
                Some(hi) => KeyRange::bound(&lo, &JsValue::from_str(hi), Some(false), Some(true)),
                None => KeyRange::lower_bound(&lo, Some(false)),
            }
            .map_err(|e| rexie::Error::from(e).into())
        })
        .collect()
}

/// The stored records `alive` and in `q`'s time, judged by their clear fields.
fn pick(rows: &[JsValue], alive: u8, q: &Query) -> Vec<JsValue> {
    let (alive_key, sort_key) = (JsValue::from_str("alive"), JsValue::from_str("sort_ms"));
    let get = |v: &JsValue, k: &JsValue| js_sys::Reflect::get(v, k).unwrap_or(JsValue::NULL);
    rows.iter()
        .filter(|v| {
            get(v, &alive_key).as_f64() == Some(f64::from(alive))
                && get(v, &sort_key).as_f64().is_some_and(|s| q.matches(s))
        })
        .cloned()
        .collect()
}

fn key(parts: &[JsValue]) -> JsValue {
    parts.iter().collect::<Array>().into()
}

fn range(first: JsValue, q: &Query) -> Result<KeyRange, StoreError> {
    let lo = key(&[first.clone(), q.from_ms.unwrap_or(f64::MIN).into()]);
    let hi = key(&[first, q.to_ms.unwrap_or(f64::MAX).into()]);
    KeyRange::bound(&lo, &hi, Some(false), Some(false)).map_err(|e| rexie::Error::from(e).into())
}

/// Every synced collection's store name, then `more` (the stores a whole-phone transaction spans).
fn collections_and(more: &[&'static str]) -> Vec<&'static str> {
    COLLECTIONS.iter().chain(more).copied().collect()
}

/// Each synced collection's store in `tx`, by name.
struct CollectionStores(Vec<(&'static str, rexie::Store)>);

impl CollectionStores {
    fn of(tx: &rexie::Transaction) -> Result<Self, StoreError> {
        Ok(CollectionStores(COLLECTIONS.iter().map(|c| Ok((*c, tx.store(c)?))).collect::<Result<_, StoreError>>()?))
    }

    fn named(&self, name: &str) -> &rexie::Store {
        &self.0.iter().find(|(n, _)| *n == name).expect("a known collection").1
    }
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

    /// Opens (creating or upgrading) the database; a new device gets `new_client_id`. A phone
    /// with a PIN opens locked.
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
        let store =
            IdbStore { db: Rc::new(db), vault: Rc::default(), last_clock: Rc::default(), keeping: Rc::default() };
        store.after_open(version, new_client_id).await?;
        if store.key_ring().await?.is_some() {
            *store.vault.borrow_mut() = Vault::Locked;
        }
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
        let schema = schema?;
        let marked = schema.is_some();
        let was = match schema {
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
        // A new database is marked too: unmarked, its next opening would take it for a V2 phone's
        // and pull everything again.
        if was != version as u32 || !marked {
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

    /// From now on values are sealed and opened with `key`.
    pub fn unlock(&self, key: DataKey) {
        *self.vault.borrow_mut() = Vault::Open(key);
    }

    /// Forgets the data key: nothing sealed can be read or written until the next unlock.
    pub fn lock(&self) {
        *self.vault.borrow_mut() = Vault::Locked;
    }

    /// The key to seal and open with: `None` while the phone has no PIN.
    fn sealing(&self) -> Result<Option<DataKey>, StoreError> {
        match &*self.vault.borrow() {
            Vault::Clear => Ok(None),
            Vault::Open(k) => Ok(Some(k.clone())),
            Vault::Locked => Err(StoreError::Locked),
        }
    }

    /// The clock as stored now (read in a write's own transaction to see whether anything was
    /// written since the values it seals were read).
    async fn clock_in(meta: &rexie::Store) -> Result<ClockState, StoreError> {
        from_js(meta.get(ClockState::KEY.into()).await?.ok_or_else(|| StoreError::Failed("no clock record".into()))?)
    }

    /// [`Store::list_data`] without the record type: the opened texts of the records `q`
    /// asks for, or where they are kept in monthly packs, the span of the live records (not
    /// generic: one copy of the reading serves every type).
    async fn list_texts(&self, collection: &str, q: &Query) -> Result<Listed, StoreError> {
        use futures::stream::{FuturesUnordered, StreamExt};
        let key = self.sealing()?;
        let key = key.as_ref();
        let tx = self.db.transaction(&[collection], TransactionMode::ReadOnly)?;
        let store = tx.store(collection)?;
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
        let (Some(first), Some(last)) = (sort_ms(first?), sort_ms(last?)) else { return Ok(Listed::Texts(Vec::new())) };
        if is_packed(collection) && !q.deleted {
            return Ok(Listed::Packed { first, last });
        }
        if !(q.matches(first) && q.matches(last)) {
            // A part of the store: through the time index.
            let rows = index.get_all(Some(in_range), None).await?;
            drop(tx);
            return Ok(Listed::Texts(open_texts(key, rows).await?));
        }
        // Every live record is in the period (a year of a phone's contacts): the store itself is
        // read faster than through the index, in 16 slices by the first character of the id, all
        // asked at once; each slice's rows are chosen by their clear fields and opened as soon as
        // it comes (WebCrypto opens one slice beside the page while the next is read and the one
        // before is parsed).
        let mut slices: FuturesUnordered<_> = whole_store_slices()?
            .into_iter()
            .map(|slice| {
                let store = &store;
                async move { open_texts(key, pick(&store.get_all(Some(slice), None).await?, alive, q)).await }
            })
            .collect();
        let mut all = Vec::new();
        while let Some(part) = slices.next().await {
            all.extend(part?);
        }
        drop(slices);
        drop(tx);
        Ok(Listed::Texts(all))
    }

    /// A planned write sealed and written, in one transaction that first checks that the clock
    /// has not moved since it was planned (and, for a record assumed new, that it is): `false`
    /// when it has (nothing written; plan again). Not generic: one copy serves every type.
    async fn commit_write(&self, key: Option<&DataKey>, w: PlannedWrite<'_>) -> Result<bool, StoreError> {
        let both = vec![w.record, w.mutation];
        let [record, mutation]: [JsValue; 2] =
            seal_all_of(key, both).await?.try_into().map_err(|_| StoreError::Failed("sealing".into()))?;
        let next_clock = to_js(w.next_clock)?;
        let tx = self.db.transaction(&[w.collection, OUTBOX, META], TransactionMode::ReadWrite)?;
        let (meta, records, outbox) = (tx.store(META)?, tx.store(w.collection)?, tx.store(OUTBOX)?);
        // The checks and the writes are sent at once (IndexedDB runs a transaction's requests
        // in order, so the checks see the store as it was before the writes). A failed check
        // ends the transaction through a request bound to fail (adding the clock again):
        // its error aborts the transaction, which undoes the writes. Only once every request
        // has answered is the transaction's own end awaited (a listener on the transaction
        // would hear each failed request's error, and takes one).
        let checks = started(Box::pin(async {
            futures::join!(Self::clock_in(&meta), async {
                match w.assumed_new {
                    true => records.key_exists(w.id.to_string().into()).await.map_err(StoreError::from),
                    false => Ok(false),
                }
            })
        }));
        let writes = started(Box::pin(async {
            let drops = futures::future::join_all(w.stale_packs.iter().map(|k| meta.delete(k.as_str().into())));
            let (a, b, c, d) = futures::join!(
                records.put(&record, None),
                outbox.put(&mutation, None),
                meta.put(&next_clock, None),
                drops
            );
            (a, b, c, d.into_iter().collect::<Result<Vec<()>, _>>())
        }));
        let (stored_clock, present) = checks.await;
        let conflict = match (stored_clock, present) {
            (Ok(stored), Ok(present)) => stored != *w.clock || present,
            (Err(e), _) | (_, Err(e)) => {
                let _ = writes.await;
                return Err(e);
            }
        };
        if conflict {
            let (undone, _) = futures::join!(meta.add(&next_clock, None), writes);
            if undone.is_ok() {
                return Err(StoreError::Failed("a write to undo was not undone".into()));
            }
            return Ok(false);
        }
        // The checks passed: the end is asked for now, while the writes run, instead of
        // after their answers reach the page (measured in one page, 240 writes each way,
        // interleaved: median 5.9 -> 5.4 ms on a slow day). A failed write aborts the
        // transaction; its own error is the one reported.
        let ((a, b, c, d), committed) = futures::join!(writes, tx.commit());
        a?;
        b?;
        c?;
        d?;
        committed?;
        Ok(true)
    }

    /// Seals everything still stored in clear (a phone's data from before it had a PIN), in one
    /// transaction.
    pub async fn seal_all(&self) -> Result<(), StoreError> {
        let Some(key) = self.sealing()? else { return Ok(()) };
        let names = collections_and(&[OUTBOX, REJECTED, META]);
        loop {
            let tx = self.db.transaction(&names, TransactionMode::ReadOnly)?;
            let clock = Self::clock_in(&tx.store(META)?).await?;
            let mut plains = Vec::new();
            for name in &names {
                for v in tx.store(name)?.get_all(None, None).await? {
                    if is_sealed(&v) {
                        continue;
                    }
                    let value: Value = from_js(v)?;
                    let index = match *name {
                        OUTBOX => serde_json::json!({ "mid": value["mid"] }),
                        REJECTED => serde_json::json!({ "key": value["key"] }),
                        META => match value["key"].as_str() {
                            Some(k) if k == Session::KEY || k.starts_with("draft:") => serde_json::json!({ "key": k }),
                            _ => continue,
                        },
                        _ => RecordIndex::of_value(&value),
                    };
                    plains.push((*name, plain(&value, &index)?));
                }
            }
            drop(tx);
            let (stores, plains): (Vec<&str>, Vec<Plain>) = plains.into_iter().unzip();
            let sealed = seal_all_of(Some(&key), plains).await?;
            let tx = self.db.transaction(&names, TransactionMode::ReadWrite)?;
            if Self::clock_in(&tx.store(META)?).await? != clock {
                let _ = tx.abort().await;
                continue;
            }
            for (name, v) in stores.into_iter().zip(sealed) {
                tx.store(name)?.put(&v, None).await?;
            }
            // Packs kept in clear go; the next read builds them sealed.
            drop_all_packs(&tx.store(META)?).await?;
            tx.commit().await?;
            self.keep();
            return Ok(());
        }
    }
}

/// [`super::merge_change`] from a stored value to what is stored (sealed when `key`).
fn merge_plain(
    old: Option<String>,
    c: &RawChange,
    pending: Option<&latarnia_core::engine::Pending>,
) -> Result<Option<Plain>, StoreError> {
    fn go<T: Record>(
        old: Option<String>,
        c: &RawChange,
        pending: Option<&latarnia_core::engine::Pending>,
    ) -> Result<Option<Plain>, StoreError> {
        let existing = old.map(|t| serde_json::from_str::<Local<T>>(&t)).transpose().map_err(json_failed)?;
        super::merge_change(existing, c, pending).map(|l| plain(&l, &RecordIndex::of(&l))).transpose()
    }
    super::by_collection!(c.collection.as_str(), go(old, c, pending))
}

impl IdbStore {
    /// What was just written is this phone's only copy: on the disk within a second
    /// (`durable.rs`), without each save waiting for the phone's flash.
    fn keep(&self) {
        durable::soon(self.db.name());
    }

    async fn meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadOnly)?;
        let v = tx.store(META)?.get(key.into()).await?;
        drop(tx);
        match v {
            Some(v) => Ok(Some(open(self.sealing()?.as_ref(), v).await?)),
            None => Ok(None),
        }
    }

    /// Keeps `value` under meta `key`; sealed when `sealed` (what a person typed or who they
    /// are), in clear otherwise (clocks, cursors, the key ring).
    async fn put_meta<T: Serialize>(&self, key: &str, value: &T, sealed: bool) -> Result<(), StoreError> {
        let v = match sealed {
            true => seal(self.sealing()?.as_ref(), plain(value, &ByKey { key })?).await?,
            false => to_js(value)?,
        };
        let tx = self.db.transaction(&[META], TransactionMode::ReadWrite)?;
        tx.store(META)?.put(&v, None).await?;
        tx.commit().await?;
        self.keep();
        Ok(())
    }

    async fn delete_meta(&self, key: &str) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadWrite)?;
        tx.store(META)?.delete(key.into()).await?;
        tx.commit().await?;
        self.keep();
        Ok(())
    }
}

impl Store for IdbStore {
    async fn write_any(&self, edit: AnyEdit, now_ms: u64) -> Result<Option<Mutation>, StoreError> {
        let key = self.sealing()?;
        let key = key.as_ref();
        // Read, open, plan and seal outside any transaction (WebCrypto's awaits would end it),
        // then write in one transaction that first checks that the clock has not moved since
        // (no other write came in between); if it has, all again. A save planned as a new
        // record on the clock this store last wrote (a quick contact: the common case) skips
        // the first read; the writing transaction then also checks that the record is new.
        let mut guess = match (&edit.change, self.last_clock.borrow().clone()) {
            (AnyChange::Save { .. }, Some(clock)) => Some(clock),
            _ => None,
        };
        let collection = edit.collection;
        loop {
            let assumed_new = guess.is_some();
            let (clock, existing) = match guess.take() {
                Some(clock) => (clock, None),
                None => {
                    let tx = self.db.transaction(&[collection, META], TransactionMode::ReadOnly)?;
                    let (meta, records) = (tx.store(META)?, tx.store(collection)?);
                    let (clock, existing) =
                        futures::join!(meta.get(ClockState::KEY.into()), records.get(edit.id.to_string().into()));
                    let (clock, existing) = (clock?, existing?);
                    drop(tx);
                    let clock: ClockState =
                        from_js(clock.ok_or_else(|| StoreError::Failed("no clock record".into()))?)?;
                    (clock, existing)
                }
            };
            let existing = match existing {
                Some(v) => Some((edit.stored)(&open_texts(key, vec![v]).await?.concat())?),
                None => None,
            };
            let was_at = existing.as_ref().map(|e| e.sort_ms);
            let Some(planned) = plan(&clock, existing, edit.clone(), now_ms)? else { return Ok(None) };
            // The packs of the months the record was and is in (packs.rs).
            let stale_packs = keys_for(collection, was_at.into_iter().chain([planned.record.sort_ms]));
            let planned_write = PlannedWrite {
                collection,
                id: planned.record.id,
                record: plain(&planned.record, &RecordIndex::of(&planned.record))?,
                mutation: plain(&planned.mutation, &ByMid { mid: planned.mutation.mid })?,
                clock: &clock,
                next_clock: &planned.clock,
                stale_packs,
                assumed_new,
            };
            if self.commit_write(key, planned_write).await? {
                self.keep();
                *self.last_clock.borrow_mut() = Some(planned.clock);
                return Ok(Some(planned.mutation));
            }
        }
    }

    async fn text(&self, collection: &'static str, id: Uuid) -> Result<Option<String>, StoreError> {
        let key = self.sealing()?;
        let tx = self.db.transaction(&[collection], TransactionMode::ReadOnly)?;
        let v = tx.store(collection)?.get(id.to_string().into()).await?;
        drop(tx);
        match v {
            Some(v) => Ok(open_texts(key.as_ref(), vec![v]).await?.pop()),
            None => Ok(None),
        }
    }

    async fn texts(&self, collection: &'static str, q: &Query) -> Result<Vec<String>, StoreError> {
        // The rows are found and opened without knowing their type; only reading them is per type.
        let key = self.sealing()?;
        open_texts(key.as_ref(), self.rows(collection, q).await?.iter().collect()).await
    }

    async fn data_texts(&self, collection: &'static str, q: &Query) -> Result<DataTexts, StoreError> {
        match self.list_texts(collection, q).await? {
            Listed::Packed { first, last } => Ok(DataTexts::Packs(self.pack_texts(collection, q, first, last).await?)),
            Listed::Texts(texts) => Ok(DataTexts::Records(texts)),
        }
    }

    async fn outbox(&self) -> Result<Vec<Mutation>, StoreError> {
        let key = self.sealing()?;
        let tx = self.db.transaction(&[OUTBOX], TransactionMode::ReadOnly)?;
        let rows = tx.store(OUTBOX)?.get_all(None, None).await?;
        drop(tx);
        open_all(key.as_ref(), rows).await
    }

    async fn clock(&self) -> Result<ClockState, StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadOnly)?;
        Self::clock_in(&tx.store(META)?).await
    }

    async fn acknowledge(&self, through: u64, rejected: Vec<Rejected>) -> Result<(), StoreError> {
        let key = self.sealing()?;
        let plains = rejected
            .into_iter()
            .map(|r| {
                let r = RejectedRecord::from(r);
                plain(&r, &ByKey { key: &r.key })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rejected = seal_all_of(key.as_ref(), plains).await?;
        let tx = self.db.transaction(&[OUTBOX, REJECTED], TransactionMode::ReadWrite)?;
        let outbox = tx.store(OUTBOX)?;
        let rejected_store = tx.store(REJECTED)?;
        let upto =
            KeyRange::upper_bound(&JsValue::from_f64(through as f64), Some(false)).map_err(rexie::Error::from)?;
        outbox.delete(upto.into()).await?;
        for r in rejected {
            rejected_store.put(&r, None).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn rejected(&self) -> Result<Vec<RejectedRecord>, StoreError> {
        let key = self.sealing()?;
        let tx = self.db.transaction(&[REJECTED], TransactionMode::ReadOnly)?;
        let rows = tx.store(REJECTED)?.get_all(None, None).await?;
        drop(tx);
        open_all(key.as_ref(), rows).await
    }

    async fn discard_rejected(&self, collection: &str, id: Uuid) -> Result<(), StoreError> {
        let key = format!("{collection}:{id}");
        let mut names = vec![REJECTED, META];
        let known = COLLECTIONS.iter().find(|c| **c == collection);
        names.extend(known);
        let tx = self.db.transaction(&names, TransactionMode::ReadWrite)?;
        tx.store(REJECTED)?.delete(key.as_str().into()).await?;
        if let Some(c) = known {
            let records = tx.store(c)?;
            drop_packs(&tx.store(META)?, &records, c, [id], []).await?;
            records.delete(id.to_string().as_str().into()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn sync_state(&self) -> Result<SyncState, StoreError> {
        Ok(self.meta::<SyncState>(SyncState::KEY).await?.unwrap_or_else(SyncState::blank))
    }

    async fn set_last_sync(&self, ms: u64) -> Result<(), StoreError> {
        let mut s = self.sync_state().await?;
        s.last_sync_ms = Some(ms);
        self.put_meta(SyncState::KEY, &s, false).await
    }

    async fn set_window_days(&self, days: u32) -> Result<(), StoreError> {
        let mut s = self.sync_state().await?;
        s.window_days = Some(days);
        self.put_meta(SyncState::KEY, &s, false).await
    }

    async fn forget(&self, collection: &str, ids: &[Uuid]) -> Result<(), StoreError> {
        let Some(name) = COLLECTIONS.iter().find(|c| **c == collection) else { return Ok(()) };
        let tx = self.db.transaction(&[name, META], TransactionMode::ReadWrite)?;
        let store = tx.store(name)?;
        drop_packs(&tx.store(META)?, &store, name, ids.iter().copied(), []).await?;
        for id in ids {
            store.delete(id.to_string().as_str().into()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn apply_pull(&self, changes: &[RawChange], cursor: &str, now_ms: u64) -> Result<(), StoreError> {
        self.apply_prepared(changes, self.prepare(changes).await, cursor, now_ms).await
    }

    async fn resend_all(&self, after_mid: u64) -> Result<(), StoreError> {
        let key = self.sealing()?;
        let key = key.as_ref();
        let names = collections_and(&[OUTBOX, META]);
        loop {
            let tx = self.db.transaction(&names, TransactionMode::ReadOnly)?;
            let mut rows: Vec<(&'static str, JsValue)> = Vec::new();
            for c in COLLECTIONS {
                rows.extend(tx.store(c)?.get_all(None, None).await?.into_iter().map(|v| (*c, v)));
            }
            let clock = Self::clock_in(&tx.store(META)?).await?;
            drop(tx);
            let (names_of, rows): (Vec<&'static str>, Vec<JsValue>) = rows.into_iter().unzip();
            let values: Vec<Value> = open_all(key, rows).await?;
            let stored: Vec<(&'static str, Value)> = names_of.into_iter().zip(values).collect();
            let plan = resend_values(&stored, after_mid);
            let plains = plan.iter().map(|m| plain(m, &ByMid { mid: m.mid })).collect::<Result<Vec<_>, _>>()?;
            let sealed = seal_all_of(key, plains).await?;
            let tx = self.db.transaction(&names, TransactionMode::ReadWrite)?;
            let meta = tx.store(META)?;
            if Self::clock_in(&meta).await? != clock {
                let _ = tx.abort().await;
                continue;
            }
            let outbox = tx.store(OUTBOX)?;
            outbox.clear().await?;
            for m in &sealed {
                outbox.put(m, None).await?;
            }
            let clock = ClockState { last_mid: after_mid + plan.len() as u64, ..clock };
            meta.put(&to_js(&clock)?, None).await?;
            tx.commit().await?;
            self.keep();
            return Ok(());
        }
    }

    async fn session(&self) -> Result<Option<Session>, StoreError> {
        self.meta(Session::KEY).await
    }

    async fn set_session(&self, session: Option<Session>) -> Result<(), StoreError> {
        match session {
            Some(s) => self.put_meta(Session::KEY, &s, true).await,
            None => self.delete_meta(Session::KEY).await,
        }
    }

    async fn draft(&self, form: &str) -> Result<Option<String>, StoreError> {
        Ok(self.meta::<Draft>(&Draft::key(form)).await?.map(|d| d.text))
    }

    async fn set_draft(&self, form: &str, text: Option<String>) -> Result<(), StoreError> {
        let key = Draft::key(form);
        match text {
            Some(text) => self.put_meta(&key, &Draft { key: key.clone(), text }, true).await,
            None => self.delete_meta(&key).await,
        }
    }

    async fn wipe(&self, new_client_id: Uuid) -> Result<(), StoreError> {
        let names = collections_and(&[OUTBOX, META, REJECTED]);
        let tx = self.db.transaction(&names, TransactionMode::ReadWrite)?;
        for name in &names {
            tx.store(name)?.clear().await?;
        }
        tx.store(META)?.put(&to_js(&ClockState::new(new_client_id))?, None).await?;
        let mark = SchemaMark { key: SCHEMA_KEY.into(), version: SchemaVersion::LATEST as u32 };
        tx.store(META)?.put(&to_js(&mark)?, None).await?;
        tx.commit().await?;
        self.keep();
        *self.vault.borrow_mut() = Vault::Clear;
        Ok(())
    }

    async fn key_ring(&self) -> Result<Option<KeyRing>, StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadOnly)?;
        tx.store(META)?.get(KeyRing::KEY.into()).await?.map(from_js).transpose()
    }

    async fn set_key_ring(&self, ring: &KeyRing) -> Result<(), StoreError> {
        self.put_meta(KeyRing::KEY, ring, false).await
    }
}
