//! The store the app runs on: one of the backends, with merged places read through their
//! redirects.

use super::*;

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

    /// [`Store::list`] without relinking (the trait's own, which `list` here overrides).
    async fn list_raw<T: Record>(&self, query: &Query) -> Result<Vec<Local<T>>, StoreError> {
        read_locals(&self.texts(T::COLLECTION, query).await?)
    }
}

impl Store for AppStore {
    async fn write_any(&self, edit: AnyEdit, now_ms: u64) -> Result<Option<Mutation>, StoreError> {
        let collection = edit.collection;
        let written = match &self.backend {
            Backend::Idb(s) => s.write_any(edit, now_ms).await,
            Backend::Mem(s) => s.write_any(edit, now_ms).await,
        };
        if collection == SITES {
            self.forget_redirects();
        }
        written
    }
    async fn text(&self, collection: &'static str, id: Uuid) -> Result<Option<String>, StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.text(collection, id).await,
            Backend::Mem(s) => s.text(collection, id).await,
        }
    }
    async fn texts(&self, collection: &'static str, query: &Query) -> Result<Vec<String>, StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.texts(collection, query).await,
            Backend::Mem(s) => s.texts(collection, query).await,
        }
    }
    async fn get<T: Record>(&self, id: Uuid) -> Result<Option<Local<T>>, StoreError> {
        let got = self.text(T::COLLECTION, id).await?.map(|t| read_local::<T>(&t)).transpose()?;
        match got {
            Some(mut r) if T::LINKS_PLACE => {
                self.redirects().await?.relink(&mut r.data);
                Ok(Some(r))
            }
            other => Ok(other),
        }
    }
    async fn list_data<T: Record>(&self, query: &Query) -> Result<Vec<T>, StoreError> {
        let read = self.data_texts(T::COLLECTION, query).await?.read(query)?;
        self.relinked(read).await
    }
    async fn data_texts(&self, collection: &'static str, query: &Query) -> Result<DataTexts, StoreError> {
        match &self.backend {
            Backend::Idb(s) => s.data_texts(collection, query).await,
            Backend::Mem(s) => s.data_texts(collection, query).await,
        }
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
    async fn apply_pull(&self, changes: &[RawChange], cursor: &str, now_ms: u64) -> Result<(), StoreError> {
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
