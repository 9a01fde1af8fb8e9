//! Whole lists of live records kept in memory (places and reports: every map and list screen
//! reads them all), each with the key it was read at: the store's generation (bumped by a pull,
//! a sign-in, a wipe) and that collection's count of local writes. A kept list is current while
//! both are what they were when it was read, so a contact saved does not make the map read its
//! 2,000 places again.

use std::any::Any;
use std::collections::HashMap;
use std::rc::Rc;

use latarnia_core::protocol::Record;

use super::{Query, Store, StoreError};

/// When a kept list was read: the store's generation and that collection's local writes.
pub type ListKey = (u64, u64);

#[derive(Default)]
pub struct ListCache {
    lists: HashMap<&'static str, (ListKey, Rc<dyn Any>)>,
    writes: HashMap<&'static str, u64>,
    generation: u64,
}

impl ListCache {
    /// `collection` was written locally, or (`None`) anything may have changed.
    pub fn changed(&mut self, collection: Option<&'static str>) {
        match collection {
            Some(c) => *self.writes.entry(c).or_default() += 1,
            None => self.generation += 1,
        }
    }

    pub fn key(&self, collection: &'static str) -> ListKey {
        (self.generation, self.writes.get(collection).copied().unwrap_or(0))
    }

    /// The kept list of `T`, if it is current.
    pub fn get<T: Record + 'static>(&self) -> Option<Vec<T>> {
        let key = self.key(T::COLLECTION);
        let (k, v) = self.lists.get(T::COLLECTION)?;
        (*k == key).then(|| v.clone().downcast::<Vec<T>>().ok()).flatten().map(|v| v.as_ref().clone())
    }

    /// Keeps `list` as read at `key` (a read that a write overtook is kept under its old key,
    /// so it is never taken for current).
    pub fn put<T: Record + 'static>(&mut self, key: ListKey, list: Vec<T>) {
        self.lists.insert(T::COLLECTION, (key, Rc::new(list)));
    }
}

/// Every live record of `T`, newest first: kept in `cache` while current, else read from
/// `store` and kept. `cache` is reached through `with` (a `StoredValue` in the app).
pub async fn live<T: Record + 'static>(
    store: &impl Store,
    with: impl Fn(&mut dyn FnMut(&mut ListCache)),
) -> Result<Vec<T>, StoreError> {
    let mut kept = None;
    let mut key = (0, 0);
    with(&mut |c| {
        key = c.key(T::COLLECTION);
        kept = c.get::<T>();
    });
    if let Some(v) = kept {
        return Ok(v);
    }
    let read: Vec<T> = store.list::<T>(&Query::default()).await?.into_iter().map(|r| r.data).collect();
    let mut out = Some(read);
    let mut copy = None;
    with(&mut |c| {
        if let Some(v) = out.take() {
            copy = Some(v.clone());
            c.put(key, v);
        }
    });
    Ok(copy.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::storage::contract::contact;
    use crate::storage::{Edit, MemStore};
    use latarnia_core::{Contact, Patrol};
    use uuid::Uuid;

    #[test]
    fn a_kept_list_is_read_again_only_after_its_collection_or_everything_changed() {
        futures::executor::block_on(async {
            let store = MemStore::new(Uuid::from_u128(1));
            let cache = RefCell::new(ListCache::default());
            let with = |f: &mut dyn FnMut(&mut ListCache)| f(&mut cache.borrow_mut());
            store.write(Edit::Save(contact(1, None, 0)), 1).await.unwrap();
            assert_eq!(live::<Contact>(&store, with).await.unwrap().len(), 1);

            // Written behind the cache's back: the kept list is still served (so the test sees
            // the cache at work) …
            store.write(Edit::Save(contact(2, None, 1)), 2).await.unwrap();
            assert_eq!(live::<Contact>(&store, with).await.unwrap().len(), 1);
            // … until another collection changes (still kept) or its own does (read again).
            cache.borrow_mut().changed(Some(Patrol::COLLECTION));
            assert_eq!(live::<Contact>(&store, with).await.unwrap().len(), 1);
            cache.borrow_mut().changed(Some(Contact::COLLECTION));
            assert_eq!(live::<Contact>(&store, with).await.unwrap().len(), 2);

            // A pull (anything changed) reads every list again.
            store.write(Edit::<Contact>::Delete(Uuid::from_u128(1)), 3).await.unwrap();
            cache.borrow_mut().changed(None);
            let after = live::<Contact>(&store, with).await.unwrap();
            assert_eq!(after.iter().map(|c| c.id).collect::<Vec<_>>(), [Uuid::from_u128(2)]);
        });
    }

    #[test]
    fn a_read_overtaken_by_a_write_is_never_current() {
        let mut cache = ListCache::default();
        let key = cache.key(Contact::COLLECTION);
        cache.changed(Some(Contact::COLLECTION));
        cache.put::<Contact>(key, vec![]);
        assert!(cache.get::<Contact>().is_none());
    }
}
