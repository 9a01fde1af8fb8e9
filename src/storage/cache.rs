//! Whole lists of live records kept in memory (places and reports: every map and list screen
//! reads them all), each with the key it was read at: the store's generation (bumped by a pull,
//! a sign-in, a wipe) and that collection's count of local writes. A kept list is current while
//! both are what they were when it was read, so a contact saved does not make the map read its
//! 2,000 places again.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use latarnia_core::protocol::Record;

use super::{Query, Store, StoreError};

/// When a kept list was read: the store's generation and that collection's local writes.
type ListKey = (u64, u64);

#[derive(Default)]
pub struct ListCache(RefCell<Kept>);

#[derive(Default)]
struct Kept {
    lists: HashMap<&'static str, (ListKey, Rc<dyn Any>)>,
    writes: HashMap<&'static str, u64>,
    generation: u64,
}

impl Kept {
    fn key(&self, collection: &'static str) -> ListKey {
        (self.generation, self.writes.get(collection).copied().unwrap_or(0))
    }
}

impl ListCache {
    /// `collection` was written locally, or (`None`) anything may have changed.
    pub fn changed(&self, collection: Option<&'static str>) {
        let mut k = self.0.borrow_mut();
        match collection {
            Some(c) => *k.writes.entry(c).or_default() += 1,
            None => k.generation += 1,
        }
    }

    /// Every live record of `T`, newest first: kept while current, else read from `store` and
    /// kept under the key it was read at (a read that a write overtook is never current).
    pub async fn live<T: Record + 'static>(&self, store: &impl Store) -> Result<Vec<T>, StoreError> {
        let (key, kept) = {
            let k = self.0.borrow();
            let key = k.key(T::COLLECTION);
            let kept = k.lists.get(T::COLLECTION).filter(|(at, _)| *at == key).map(|(_, v)| v.clone());
            (key, kept.and_then(|v| v.downcast::<Vec<T>>().ok()))
        };
        if let Some(v) = kept {
            return Ok(v.as_ref().clone());
        }
        let read: Vec<T> = store.list::<T>(&Query::default()).await?.into_iter().map(|r| r.data).collect();
        self.0.borrow_mut().lists.insert(T::COLLECTION, (key, Rc::new(read.clone())));
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::contract::contact;
    use crate::storage::{Edit, MemStore};
    use latarnia_core::{Contact, Patrol};
    use uuid::Uuid;

    #[test]
    fn a_kept_list_is_read_again_only_after_its_collection_or_everything_changed() {
        futures::executor::block_on(async {
            let store = MemStore::new(Uuid::from_u128(1));
            let cache = ListCache::default();
            store.write(Edit::Save(contact(1, None, 0)), 1).await.unwrap();
            assert_eq!(cache.live::<Contact>(&store).await.unwrap().len(), 1);

            // Written behind the cache's back: the kept list is still served (so the test sees
            // the cache at work) …
            store.write(Edit::Save(contact(2, None, 1)), 2).await.unwrap();
            assert_eq!(cache.live::<Contact>(&store).await.unwrap().len(), 1);
            // … until another collection changes (still kept) or its own does (read again).
            cache.changed(Some(Patrol::COLLECTION));
            assert_eq!(cache.live::<Contact>(&store).await.unwrap().len(), 1);
            cache.changed(Some(Contact::COLLECTION));
            assert_eq!(cache.live::<Contact>(&store).await.unwrap().len(), 2);

            // A pull (anything changed) reads every list again.
            store.write(Edit::<Contact>::Delete(Uuid::from_u128(1)), 3).await.unwrap();
            cache.changed(None);
            let after = cache.live::<Contact>(&store).await.unwrap();
            assert_eq!(after.iter().map(|c| c.id).collect::<Vec<_>>(), [Uuid::from_u128(2)]);
        });
    }

    #[test]
    fn a_read_overtaken_by_a_write_is_never_current() {
        futures::executor::block_on(async {
            let store = MemStore::new(Uuid::from_u128(1));
            store.write(Edit::Save(contact(1, None, 0)), 1).await.unwrap();
            let cache = ListCache::default();
            // A list read before a write finished is kept under the key from before it …
            let before = cache.0.borrow().key(Contact::COLLECTION);
            cache.changed(Some(Contact::COLLECTION));
            cache.0.borrow_mut().lists.insert(Contact::COLLECTION, (before, Rc::new(Vec::<Contact>::new())));
            // … so it is not served: the store is read again.
            assert_eq!(cache.live::<Contact>(&store).await.unwrap().len(), 1);
        });
    }
}
