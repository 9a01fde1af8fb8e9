//! In-memory store: the fallback when IndexedDB is unavailable, and the native twin that the
//! contract tests run against.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use latarnia_core::engine::{pending, Rejected};
use latarnia_core::sync::RawChange;
use latarnia_core::Mutation;
use serde_json::Value;
use uuid::Uuid;

use super::{
    failed, merge_stored, observed, plan, resend_values, AnyEdit, ClockState, KeyRing, Query, RejectedRecord, Session,
    Store, StoreError, SyncState, COLLECTIONS,
};

#[derive(Clone)]
pub struct MemStore(Rc<RefCell<Inner>>);

struct Inner {
    /// Records kept serialized, as IndexedDB keeps them, so both backends see the same bytes.
    records: HashMap<&'static str, BTreeMap<Uuid, Value>>,
    outbox: BTreeMap<u64, Mutation>,
    clock: ClockState,
    rejected: BTreeMap<String, RejectedRecord>,
    sync: SyncState,
    session: Option<Session>,
    drafts: HashMap<String, String>,
    key_ring: Option<KeyRing>,
}

impl Inner {
    fn new(client_id: Uuid) -> Self {
        Inner {
            records: HashMap::new(),
            outbox: BTreeMap::new(),
            clock: ClockState::new(client_id),
            rejected: BTreeMap::new(),
            sync: SyncState::blank(),
            session: None,
            drafts: HashMap::new(),
            key_ring: None,
        }
    }
}

impl MemStore {
    pub fn new(client_id: Uuid) -> Self {
        MemStore(Rc::new(RefCell::new(Inner::new(client_id))))
    }
}

/// Newest first by `sort_ms`, then by id (lowercase UUID text orders as the UUIDs do), as
/// IndexedDB's index gives them.
fn newest_first(a: &Value, b: &Value) -> std::cmp::Ordering {
    fn key(v: &Value) -> (f64, &str) {
        (v["sort_ms"].as_f64().unwrap_or(0.0), v["id"].as_str().unwrap_or(""))
    }
    let ((ta, ia), (tb, ib)) = (key(a), key(b));
    tb.total_cmp(&ta).then(ib.cmp(ia))
}

impl Store for MemStore {
    async fn write_any(&self, edit: AnyEdit, now_ms: u64) -> Result<Option<Mutation>, StoreError> {
        let mut inner = self.0.borrow_mut();
        let collection = edit.collection;
        let existing = match inner.records.get(collection).and_then(|m| m.get(&edit.id)) {
            Some(v) => Some((edit.stored)(&serde_json::to_string(v).map_err(failed)?)?),
            None => None,
        };
        let Some(p) = plan(&inner.clock, existing, edit, now_ms)? else {
            return Ok(None);
        };
        let value = latarnia_core::protocol::to_json(&p.record).map_err(failed)?;
        inner.records.entry(collection).or_default().insert(p.record.id, value);
        inner.outbox.insert(p.mutation.mid, p.mutation.clone());
        inner.clock = p.clock;
        Ok(Some(p.mutation))
    }

    async fn text(&self, collection: &'static str, id: Uuid) -> Result<Option<String>, StoreError> {
        let inner = self.0.borrow();
        inner
            .records
            .get(collection)
            .and_then(|m| m.get(&id))
            .map(|v| serde_json::to_string(v).map_err(failed))
            .transpose()
    }

    async fn texts(&self, collection: &'static str, query: &Query) -> Result<Vec<String>, StoreError> {
        let inner = self.0.borrow();
        let mut rows: Vec<&Value> = inner.records.get(collection).into_iter().flat_map(|m| m.values()).collect();
        latarnia_core::order::sort_by(&mut rows, |a, b| newest_first(a, b));
        let parent = query.parent.map(|p| p.to_string());
        let limit = query.limit.map_or(usize::MAX, |l| l as usize);
        rows.into_iter()
            .filter(|v| {
                v["deleted"].as_bool() == Some(query.deleted)
                    && query.matches(v["sort_ms"].as_f64().unwrap_or(0.0))
                    && (parent.is_none() || v["parent"].as_str() == parent.as_deref())
            })
            .skip(query.offset as usize)
            .take(limit)
            .map(|v| serde_json::to_string(v).map_err(failed))
            .collect()
    }

    async fn outbox(&self) -> Result<Vec<Mutation>, StoreError> {
        Ok(self.0.borrow().outbox.values().cloned().collect())
    }

    async fn clock(&self) -> Result<ClockState, StoreError> {
        Ok(self.0.borrow().clock.clone())
    }

    async fn acknowledge(&self, through: u64, rejected: Vec<Rejected>) -> Result<(), StoreError> {
        let mut inner = self.0.borrow_mut();
        inner.outbox.retain(|mid, _| *mid > through);
        for r in rejected {
            let r = RejectedRecord::from(r);
            inner.rejected.insert(r.key.clone(), r);
        }
        Ok(())
    }

    async fn rejected(&self) -> Result<Vec<RejectedRecord>, StoreError> {
        Ok(self.0.borrow().rejected.values().cloned().collect())
    }

    async fn discard_rejected(&self, collection: &str, id: Uuid) -> Result<(), StoreError> {
        let mut inner = self.0.borrow_mut();
        inner.rejected.remove(&format!("{collection}:{id}"));
        if let Some(records) = inner.records.get_mut(collection) {
            records.remove(&id);
        }
        Ok(())
    }

    async fn sync_state(&self) -> Result<SyncState, StoreError> {
        Ok(self.0.borrow().sync.clone())
    }

    async fn set_last_sync(&self, ms: u64) -> Result<(), StoreError> {
        self.0.borrow_mut().sync.last_sync_ms = Some(ms);
        Ok(())
    }

    async fn set_window_days(&self, days: u32) -> Result<(), StoreError> {
        self.0.borrow_mut().sync.window_days = Some(days);
        Ok(())
    }

    async fn forget(&self, collection: &str, ids: &[Uuid]) -> Result<(), StoreError> {
        if let Some(records) = self.0.borrow_mut().records.get_mut(collection) {
            for id in ids {
                records.remove(id);
            }
        }
        Ok(())
    }

    async fn apply_pull(&self, changes: &[RawChange], cursor: &str, now_ms: u64) -> Result<(), StoreError> {
        let mut inner = self.0.borrow_mut();
        let outbox: Vec<Mutation> = inner.outbox.values().cloned().collect();
        let pend = pending(&outbox);
        let mut merged = Vec::new();
        for c in changes {
            let Some(&collection) = COLLECTIONS.iter().find(|n| **n == c.collection) else { continue };
            if c.erases_local() {
                inner.records.entry(collection).or_default().remove(&c.id);
                continue;
            }
            let existing = inner.records.get(collection).and_then(|m| m.get(&c.id)).cloned();
            if let Some(v) = merge_stored(existing, c, pend.get(&(c.collection.clone(), c.id)))? {
                merged.push((collection, c.id, v));
            }
        }
        for (collection, id, v) in merged {
            inner.records.entry(collection).or_default().insert(id, v);
        }
        inner.clock = observed(&inner.clock, changes, now_ms);
        inner.sync.cursor = cursor.to_owned();
        Ok(())
    }

    async fn resend_all(&self, after_mid: u64) -> Result<(), StoreError> {
        let mut inner = self.0.borrow_mut();
        let stored: Vec<(&'static str, Value)> = COLLECTIONS
            .iter()
            .flat_map(|c| inner.records.get(c).into_iter().flat_map(move |m| m.values().map(move |v| (*c, v.clone()))))
            .collect();
        let plan = resend_values(&stored, after_mid);
        inner.clock.last_mid = after_mid + plan.len() as u64;
        inner.outbox = plan.into_iter().map(|m| (m.mid, m)).collect();
        Ok(())
    }

    async fn session(&self) -> Result<Option<Session>, StoreError> {
        Ok(self.0.borrow().session.clone())
    }

    async fn set_session(&self, session: Option<Session>) -> Result<(), StoreError> {
        self.0.borrow_mut().session = session;
        Ok(())
    }

    async fn draft(&self, form: &str) -> Result<Option<String>, StoreError> {
        Ok(self.0.borrow().drafts.get(form).cloned())
    }

    async fn set_draft(&self, form: &str, text: Option<String>) -> Result<(), StoreError> {
        let drafts = &mut self.0.borrow_mut().drafts;
        match text {
            Some(t) => drafts.insert(form.to_owned(), t),
            None => drafts.remove(form),
        };
        Ok(())
    }

    async fn wipe(&self, new_client_id: Uuid) -> Result<(), StoreError> {
        *self.0.borrow_mut() = Inner::new(new_client_id);
        Ok(())
    }

    async fn key_ring(&self) -> Result<Option<KeyRing>, StoreError> {
        Ok(self.0.borrow().key_ring.clone())
    }

    async fn set_key_ring(&self, ring: &KeyRing) -> Result<(), StoreError> {
        self.0.borrow_mut().key_ring = Some(ring.clone());
        Ok(())
    }
}

/// The contract on the in-memory store: one test per check.
#[cfg(test)]
mod contract {
    use super::*;

    async fn fresh() -> MemStore {
        MemStore::new(Uuid::from_u128(7))
    }
    crate::store_contract!(native, fresh);
}
