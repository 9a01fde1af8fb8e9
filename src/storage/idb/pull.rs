//! A pulled page written to IndexedDB: converted (and sealed) ahead of the transaction, then
//! merged with what is pending locally.

use super::*;

/// Pulled records converted to what IndexedDB stores (sealed), ahead of the transaction that
/// writes them (in the order of the changes of a known collection; `None`: a record this version
/// cannot read).
pub struct Prepared(Result<Vec<Option<JsValue>>, StoreError>);

impl IdbStore {
    /// The conversion that needs nothing stored: the server's state, as no local edit is
    /// pending (sealing included, while the page before is being written).
    pub async fn prepare(&self, changes: &[RawChange]) -> Prepared {
        Prepared(self.prepare_changes(changes).await)
    }

    async fn prepare_changes(&self, changes: &[RawChange]) -> Result<Vec<Option<JsValue>>, StoreError> {
        let key = self.sealing()?;
        let plains = changes
            .iter()
            .filter(|c| COLLECTIONS.contains(&c.collection.as_str()))
            .map(|c| if c.erases_local() { Ok(None) } else { merge_plain(None, c, None) })
            .collect::<Result<Vec<_>, _>>()?;
        let present: Vec<bool> = plains.iter().map(Option::is_some).collect();
        let mut sealed = seal_all_of(key.as_ref(), plains.into_iter().flatten().collect()).await?.into_iter();
        Ok(present.into_iter().map(|p| if p { sealed.next() } else { None }).collect())
    }

    /// [`Store::apply_pull`] with the records converted ahead by [`IdbStore::prepare`] (only
    /// those with a pending local mutation are merged again, with what is stored).
    pub async fn apply_prepared(
        &self,
        changes: &[RawChange],
        prepared: Prepared,
        cursor: &str,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let key = self.sealing()?;
        let key = key.as_ref();
        let known: Vec<&RawChange> = changes.iter().filter(|c| COLLECTIONS.contains(&c.collection.as_str())).collect();
        if known.is_empty() {
            // Nothing this app keeps: only the cursor (and the clock past what came) moves, in
            // one transaction (the sync of a phone that is up to date).
            let tx = self.db.transaction(&[META], TransactionMode::ReadWrite)?;
            let meta = tx.store(META)?;
            let (clock, sync) = futures::join!(Self::clock_in(&meta), meta.get(SyncState::KEY.into()));
            let clock = clock?;
            let mut sync = sync_of(sync?)?;
            let next_clock = observed(&clock, changes, now_ms);
            let mut puts = Vec::new();
            if sync.cursor != cursor {
                sync.cursor = cursor.to_owned();
                puts.push((to_js(&sync)?, None));
            }
            if next_clock != clock {
                puts.push((to_js(&next_clock)?, None));
            }
            if !puts.is_empty() {
                meta.put_all(puts.into_iter()).await?;
            }
            tx.commit().await?;
            return Ok(());
        }
        let mut ahead = match prepared.0 {
            Ok(p) if p.len() == known.len() => Some(p),
            _ => None,
        };
        let names = collections_and(&[OUTBOX, META]);
        // Sealed values are opened and sealed between transactions (a transaction ends at the
        // first await on anything but IndexedDB): what is read first, what is written last, in
        // a transaction that checks that the clock has not moved meanwhile (no local write came
        // in between); if it has, all again.
        loop {
            // Nothing pending on the phone (a first sync, a phone that only reads): the page
            // sealed ahead is written as it is, in the one transaction that finds the outbox
            // empty. A tombstone keeps the phone's own copy, so it takes the way below.
            if let Some(p) = ahead.as_ref().filter(|_| known.iter().all(|c| !c.deleted)) {
                let tx = self.db.transaction(&names, TransactionMode::ReadWrite)?;
                let meta = tx.store(META)?;
                let outbox_store = tx.store(OUTBOX)?;
                let (pending, clock, sync, packs) = futures::join!(
                    outbox_store.count(None),
                    Self::clock_in(&meta),
                    meta.get(SyncState::KEY.into()),
                    any_packs(&meta)
                );
                if pending? == 0 {
                    let (clock, packs) = (clock?, packs?);
                    let mut sync = sync_of(sync?)?;
                    sync.cursor = cursor.to_owned();
                    let (puts, erased, _) = sort_out(&known, Some(p), |_| false);
                    let next_clock = observed(&clock, changes, now_ms);
                    return write_page(tx, &known, &puts, &erased, &next_clock, &sync, packs).await;
                }
                // Something is pending: merged below (this transaction ends having written nothing).
                drop(tx);
            }
            let tx = self.db.transaction(&names, TransactionMode::ReadOnly)?;
            let meta = tx.store(META)?;
            let outbox_store = tx.store(OUTBOX)?;
            let (outbox, clock, sync) = futures::join!(
                outbox_store.get_all(None, None),
                meta.get(ClockState::KEY.into()),
                meta.get(SyncState::KEY.into())
            );
            let (outbox, clock_raw, sync) = (outbox?, clock?, sync?);
            drop(tx);
            let outbox: Vec<Mutation> = open_all(key, outbox).await?;
            let clock: ClockState = from_js(clock_raw.ok_or_else(|| StoreError::Failed("no clock record".into()))?)?;
            let mut sync = sync_of(sync)?;
            let pend = pending(&outbox);
            // The stored record matters only where a local mutation is pending (the server's
            // state wins everywhere else), or for a tombstone (the phone keeps its own copy,
            // deleted, while the server's trash keeps it).
            let pending_of: Vec<_> = known.iter().map(|c| pend.get(&(c.collection.clone(), c.id))).collect();
            let wanted: Vec<usize> =
                (0..known.len()).filter(|&n| pending_of[n].is_some() || known[n].deleted).collect();
            let mut existing: Vec<Option<JsValue>> = vec![None; known.len()];
            if !wanted.is_empty() {
                let tx = self.db.transaction(&names, TransactionMode::ReadOnly)?;
                let stores = CollectionStores::of(&tx)?;
                let got = futures::future::join_all(
                    wanted.iter().map(|&n| stores.named(&known[n].collection).get(known[n].id.to_string().into())),
                )
                .await;
                for (&n, v) in wanted.iter().zip(got) {
                    existing[n] = v?;
                }
            }
            let (mut puts, erased, again) = sort_out(&known, ahead.as_deref(), |n| pending_of[n].is_some());
            // Those merged with what is stored: opened, merged and sealed, all at once.
            let olds: Vec<Option<JsValue>> = again.iter().map(|&n| existing[n].take()).collect();
            let mut texts = open_texts(key, olds.iter().flatten().cloned().collect()).await?.into_iter();
            let mut plains = Vec::new();
            for (&n, old) in again.iter().zip(&olds) {
                if let Some(p) = merge_plain(old.as_ref().and_then(|_| texts.next()), known[n], pending_of[n])? {
                    plains.push((known[n].collection.as_str(), p));
                }
            }
            let (stores, plains): (Vec<&str>, Vec<Plain>) = plains.into_iter().unzip();
            puts.extend(stores.into_iter().zip(seal_all_of(key, plains).await?));
            sync.cursor = cursor.to_owned();
            let next_clock = observed(&clock, changes, now_ms);
            let tx = self.db.transaction(&names, TransactionMode::ReadWrite)?;
            let meta = tx.store(META)?;
            let (now, packs) = futures::join!(Self::clock_in(&meta), any_packs(&meta));
            if now? != clock {
                let _ = tx.abort().await;
                // The values sealed ahead assumed no pending edit: merge them all again.
                ahead = None;
                continue;
            }
            return write_page(tx, &known, &puts, &erased, &next_clock, &sync, packs?).await;
        }
    }
}

/// The sync state as stored (none yet on a fresh phone).
fn sync_of(stored: Option<JsValue>) -> Result<SyncState, StoreError> {
    Ok(stored.map(from_js).transpose()?.unwrap_or_else(SyncState::blank))
}

/// A pulled page sorted out: the values sealed ahead that are written as they are (no local
/// mutation pending, not a tombstone), the records to erase, and the positions of those to
/// merge with what is stored.
#[allow(clippy::type_complexity)]
fn sort_out<'a>(
    known: &[&'a RawChange],
    ahead: Option<&[Option<JsValue>]>,
    pending: impl Fn(usize) -> bool,
) -> (Vec<(&'a str, JsValue)>, Vec<&'a RawChange>, Vec<usize>) {
    let (mut puts, mut erased, mut again) = (Vec::with_capacity(known.len()), Vec::new(), Vec::new());
    for (n, c) in known.iter().enumerate() {
        match (c.erases_local(), pending(n) || c.deleted, ahead) {
            (true, _, _) => erased.push(*c),
            (false, false, Some(p)) => puts.extend(p[n].clone().map(|v| (c.collection.as_str(), v))),
            _ => again.push(n),
        }
    }
    (puts, erased, again)
}

/// A pulled page's writes, in `tx` (over every collection, the outbox and `meta`), once what
/// is pending has been merged: the packs of the months each record was and is in dropped (when
/// the phone keeps any, `packs`), the records the server's trash has ended erased, every record
/// put, the clock and the cursor moved.
async fn write_page(
    tx: rexie::Transaction,
    known: &[&RawChange],
    puts: &[(&str, JsValue)],
    erased: &[&RawChange],
    next_clock: &ClockState,
    sync: &SyncState,
    packs: bool,
) -> Result<(), StoreError> {
    let meta = tx.store(META)?;
    let stores = CollectionStores::of(&tx)?;
    if packs {
        for (name, store) in stores.0.iter().filter(|(n, _)| is_packed(n)) {
            let ids = known.iter().filter(|c| c.collection == *name).map(|c| c.id);
            let now = puts.iter().filter(|(n, _)| n == name).filter_map(|(_, v)| sort_ms_of(v));
            drop_packs(&meta, store, name, ids, now).await?;
        }
    }
    // The end of the server's trash: the phone's copy goes too.
    for c in erased {
        stores.named(&c.collection).delete(c.id.to_string().into()).await?;
    }
    let (clock_js, sync_js) = (to_js(next_clock)?, to_js(sync)?);
    // Every write issued at once, per store; only the last request of each is awaited (a failed
    // one aborts the transaction, which `done` reports).
    let writes = stores.0.iter().map(|(name, store)| {
        store.put_all(puts.iter().filter(move |(n, _)| n == name).map(|(_, v)| (v.clone(), None)))
    });
    let (records, meta) = futures::join!(
        futures::future::join_all(writes),
        meta.put_all([(clock_js, None), (sync_js, None)].into_iter())
    );
    records.into_iter().try_for_each(|r| r)?;
    meta?;
    if !tx.done().await?.is_committed() {
        return Err(StoreError::Failed("the pull transaction was aborted".into()));
    }
    Ok(())
}
