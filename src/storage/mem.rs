//! In-memory store: the fallback when IndexedDB is unavailable, and the native twin that the
//! contract tests run against.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use latarnia_core::protocol::Record;
use latarnia_core::Mutation;
use serde_json::Value;
use uuid::Uuid;

use super::{plan, ClockState, Edit, Local, Query, Store, StoreError};

#[derive(Clone)]
pub struct MemStore(Rc<RefCell<Inner>>);

struct Inner {
    /// Records kept serialized, as IndexedDB keeps them, so both backends see the same bytes.
    records: HashMap<&'static str, BTreeMap<Uuid, Value>>,
    outbox: BTreeMap<u64, Mutation>,
    clock: ClockState,
}

impl MemStore {
    pub fn new(client_id: Uuid) -> Self {
        MemStore(Rc::new(RefCell::new(Inner {
            records: HashMap::new(),
            outbox: BTreeMap::new(),
            clock: ClockState::new(client_id),
        })))
    }
}

fn decode<T: Record>(v: &Value) -> Result<Local<T>, StoreError> {
    serde_json::from_value(v.clone()).map_err(|e| StoreError::Failed(e.to_string()))
}

impl Store for MemStore {
    async fn write<T: Record>(&self, edit: Edit<T>, now_ms: u64) -> Result<Option<Mutation>, StoreError> {
        let mut inner = self.0.borrow_mut();
        let existing = match inner.records.get(T::COLLECTION).and_then(|m| m.get(&edit.id())) {
            Some(v) => Some(decode::<T>(v)?),
            None => None,
        };
        let Some(p) = plan(&inner.clock, existing, edit, now_ms)? else {
            return Ok(None);
        };
        let value = serde_json::to_value(&p.record).map_err(|e| StoreError::Failed(e.to_string()))?;
        inner.records.entry(T::COLLECTION).or_default().insert(p.record.id, value);
        inner.outbox.insert(p.mutation.mid, p.mutation.clone());
        inner.clock = p.clock;
        Ok(Some(p.mutation))
    }

    async fn get<T: Record>(&self, id: Uuid) -> Result<Option<Local<T>>, StoreError> {
        let inner = self.0.borrow();
        inner.records.get(T::COLLECTION).and_then(|m| m.get(&id)).map(decode).transpose()
    }

    async fn list<T: Record>(&self, query: &Query) -> Result<Vec<Local<T>>, StoreError> {
        let inner = self.0.borrow();
        let mut all = Vec::new();
        for v in inner.records.get(T::COLLECTION).into_iter().flat_map(|m| m.values()) {
            let r = decode::<T>(v)?;
            if !r.deleted && query.matches(r.sort_ms) && (query.parent.is_none() || r.parent == query.parent) {
                all.push(r);
            }
        }
        all.sort_by(|a, b| b.sort_ms.total_cmp(&a.sort_ms).then(b.id.cmp(&a.id)));
        let limit = query.limit.map_or(usize::MAX, |l| l as usize);
        Ok(all.into_iter().skip(query.offset as usize).take(limit).collect())
    }

    async fn outbox(&self) -> Result<Vec<Mutation>, StoreError> {
        Ok(self.0.borrow().outbox.values().cloned().collect())
    }

    async fn clock(&self) -> Result<ClockState, StoreError> {
        Ok(self.0.borrow().clock.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::contract;

    #[test]
    fn in_memory_store_passes_the_contract() {
        futures::executor::block_on(contract::run_all(|| async { MemStore::new(Uuid::from_u128(7)) }));
    }
}
