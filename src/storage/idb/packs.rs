//! Month packs: the live records of a collection read whole by the indicators (contacts,
//! patrols), one UTC month of them sealed as one value in `meta` under `pack:<collection>/<yyyy-mm>`.
//! Opening 12 values instead of 110,000 is what brings a coordinator's year on the phone under
//! the target: each WebCrypto call costs about 10 µs whatever its size (decision 106).
//!
//! A pack is a copy, never the only one, and never outlives what it copies: every change of a
//! record of a packed collection (a local write, a pulled page, an erasure at the end of the
//! server's trash, the field-sized window, a discarded refusal) drops the packs of the months the
//! record was and is in, in the transaction that changes it; a wipe clears `meta`; sealing a
//! phone's data at its first PIN drops the packs kept in clear. A month without its pack is
//! built from its records at the next read and kept only if nothing changed it meanwhile (the
//! read leaves a mark that any change removes).

use chrono::Datelike;

use super::*;

/// The collections read whole: what the report page reads over a year.
const PACKED: [&str; 2] = [CONTACTS, PATROLS];
const PREFIX: &str = "pack:";

pub(super) fn is_packed(collection: &str) -> bool {
    PACKED.contains(&collection)
}

/// The keeping of the packs a whole read built, going on after its answer.
pub(super) type Keeping = futures::future::Shared<futures::future::LocalBoxFuture<'static, ()>>;

/// A UTC month as (year, month).
type Month = (i32, u32);

fn month_of(sort_ms: f64) -> Month {
    chrono::DateTime::from_timestamp_millis(sort_ms as i64).map_or((1970, 1), |t| (t.year(), t.month()))
}

fn next(m: Month) -> Month {
    if m.1 == 12 {
        (m.0 + 1, 1)
    } else {
        (m.0, m.1 + 1)
    }
}

fn start_ms(m: Month) -> f64 {
    chrono::NaiveDate::from_ymd_opt(m.0, m.1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(0.0, |t| t.and_utc().timestamp_millis() as f64)
}

fn key_of(collection: &str, m: Month) -> String {
    format!("{PREFIX}{collection}/{:04}-{:02}", m.0, m.1)
}

/// Every pack key of `collection` (every pack key when `None`).
fn all_of(collection: Option<&str>) -> Result<KeyRange, StoreError> {
    let lo = format!("{PREFIX}{}", collection.map(|c| format!("{c}/")).unwrap_or_default());
    let hi = format!("{lo}\u{ffff}");
    KeyRange::bound(&lo.into(), &hi.into(), Some(false), Some(false)).map_err(|e| rexie::Error::from(e).into())
}

/// The pack keys of `collection` for the months of these times, each once.
pub(super) fn keys_for(collection: &str, times: impl IntoIterator<Item = f64>) -> Vec<String> {
    if !is_packed(collection) {
        return Vec::new();
    }
    let mut keys: Vec<String> = times.into_iter().map(|t| key_of(collection, month_of(t))).collect();
    latarnia_core::order::sort_by(&mut keys, |a, b| a.cmp(b));
    keys.dedup();
    keys
}

/// A record's time as stored in clear beside it.
pub(super) fn sort_ms_of(v: &JsValue) -> Option<f64> {
    js_sys::Reflect::get(v, &"sort_ms".into()).ok()?.as_f64()
}

/// Drops `collection`'s packs for the months of the records `ids` as stored now (read in the
/// caller's transaction, which must span `records` and `meta` and change them after this) and of
/// the times `more`. Nothing is read when the collection has no pack (a streetworker's phone).
pub(super) async fn drop_packs(
    meta: &rexie::Store,
    records: &rexie::Store,
    collection: &str,
    ids: impl IntoIterator<Item = Uuid>,
    more: impl IntoIterator<Item = f64>,
) -> Result<(), StoreError> {
    let (ids, mut times): (Vec<Uuid>, Vec<f64>) = (ids.into_iter().collect(), more.into_iter().collect());
    if !is_packed(collection)
        || (ids.is_empty() && times.is_empty())
        || meta.count(Some(all_of(Some(collection))?)).await? == 0
    {
        return Ok(());
    }
    let stored = futures::future::join_all(ids.iter().map(|id| records.get(id.to_string().into()))).await;
    for v in stored {
        times.extend(v?.as_ref().and_then(sort_ms_of));
    }
    let keys = keys_for(collection, times);
    futures::future::join_all(keys.iter().map(|k| meta.delete(k.as_str().into())))
        .await
        .into_iter()
        .try_for_each(|r| r.map_err(StoreError::from))
}

/// Whether the phone keeps any pack (a phone that never showed the report keeps none).
pub(super) async fn any_packs(meta: &rexie::Store) -> Result<bool, StoreError> {
    Ok(count_packs(meta).await? > 0)
}

async fn count_packs(meta: &rexie::Store) -> Result<u32, StoreError> {
    Ok(meta.count(Some(all_of(None)?)).await?)
}

/// Drops every pack (in the caller's transaction over `meta`).
pub(super) async fn drop_all_packs(meta: &rexie::Store) -> Result<(), StoreError> {
    meta.delete(all_of(None)?.into()).await?;
    Ok(())
}

/// A month's records as kept: each record's time and its data.
#[derive(Serialize, serde::Deserialize)]
struct Pack<T> {
    key: String,
    rows: Vec<(f64, T)>,
}

/// The records kept in packs (`IdbStore::pack_texts`) whose times are in `q`: a pack holds a
/// whole month, the query may want part of one. Only this is made per record type.
pub(crate) fn records_in<T: serde::de::DeserializeOwned>(packs: Vec<String>, q: &Query) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for text in packs {
        let pack: Pack<T> = serde_json::from_str(&text).map_err(json_failed)?;
        out.extend(pack.rows.into_iter().filter(|(s, _)| q.matches(*s)).map(|(_, d)| d));
    }
    Ok(out)
}

/// A stored record read for its pack: its data as the text it is (the rest is skipped).
#[derive(serde::Deserialize)]
struct Row<'a> {
    sort_ms: f64,
    #[serde(borrow)]
    data: &'a serde_json::value::RawValue,
}

/// The mark a read leaves on a month it is building (in clear: it holds nothing of a record).
#[derive(Serialize)]
struct Building<'a> {
    key: &'a str,
    building: &'a str,
}

fn building(v: &JsValue) -> Option<String> {
    js_sys::Reflect::get(v, &"building".into()).ok()?.as_string()
}

impl IdbStore {
    /// The JSON texts of the packs of the months in `q` (read by [`records_in`]): those kept,
    /// and those built from the months' records (kept after the answer). Not generic: one copy
    /// serves every packed collection.
    pub(super) async fn pack_texts(
        &self,
        collection: &str,
        q: &Query,
        first: f64,
        last: f64,
    ) -> Result<Vec<String>, StoreError> {
        let data_key = self.sealing()?;
        let data_key = data_key.as_ref();
        let (lo, hi) = (q.from_ms.map_or(first, |f| f.max(first)), q.to_ms.map_or(last, |t| t.min(last)));
        if lo > hi {
            return Ok(Vec::new());
        }
        let mut months = vec![month_of(lo)];
        while months.last().is_some_and(|m| *m < month_of(hi)) {
            months.push(next(months[months.len() - 1]));
        }
        let keys: Vec<String> = months.iter().map(|m| key_of(collection, *m)).collect();
        let token = crate::platform::new_uuid().to_string();

        // The packs there are; each month without one gets a mark, which any change of its
        // records removes, before they are read.
        let tx = self.db.transaction(&[META], TransactionMode::ReadWrite)?;
        let meta = tx.store(META)?;
        let got = futures::future::join_all(keys.iter().map(|k| meta.get(k.as_str().into()))).await;
        let (mut packs, mut missing) = (Vec::new(), Vec::new());
        for ((m, k), v) in months.iter().zip(&keys).zip(got) {
            match v? {
                Some(v) if building(&v).is_none() => packs.push(v),
                _ => missing.push((*m, k.as_str())),
            }
        }
        let marks = missing
            .iter()
            .map(|(_, k)| Ok((to_js(&Building { key: k, building: &token })?, None)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        if !marks.is_empty() {
            meta.put_all(marks.into_iter()).await?;
        }
        tx.commit().await?;
        let months_missing: Vec<Month> = missing.iter().map(|(m, _)| *m).collect();
        let rows = self.month_rows(collection, &months_missing).await?;

        // Opened all at once: the packs, and every missing month's records.
        let (texts, built) = futures::join!(
            open_texts(data_key, packs),
            futures::future::join_all(rows.into_iter().map(|r| open_texts(data_key, r)))
        );
        let mut out = texts?;
        let mut plains = Vec::new();
        for ((_, k), rows) in missing.iter().zip(built) {
            // Each record's data kept as the text it is (read as its type with the pack).
            let rows = rows?;
            let rows = rows
                .iter()
                .map(|t| serde_json::from_str::<Row>(t).map(|r| (r.sort_ms, r.data)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(json_failed)?;
            let text = serde_json::to_string(&Pack { key: k.to_string(), rows }).map_err(json_failed)?;
            plains.push(plain_text(text.clone(), &ByKey { key: k })?);
            out.push(text);
        }
        // Kept after the answer is given (sealing and writing megabytes takes a while). A pack
        // not kept (a full disk, a change meanwhile, the page closed) costs the next read its
        // time, no more: the records read are the answer either way.
        if !plains.is_empty() {
            let (store, keys) = (self.clone(), missing.iter().map(|(_, k)| k.to_string()).collect());
            let keeping = async move {
                let _ = store.keep_packs(keys, token, plains).await;
            };
            let keeping = futures::FutureExt::shared(futures::FutureExt::boxed_local(keeping));
            *self.keeping.borrow_mut() = Some(keeping.clone());
            wasm_bindgen_futures::spawn_local(keeping);
        }
        Ok(out)
    }

    /// The live records of `months`, month by month: one month through the time index, more
    /// from the whole store read in slices by id (faster than the index for most of a store).
    async fn month_rows(&self, collection: &str, months: &[Month]) -> Result<Vec<Vec<JsValue>>, StoreError> {
        let tx = self.db.transaction(&[collection], TransactionMode::ReadOnly)?;
        let store = tx.store(collection)?;
        let mut out = vec![Vec::new(); months.len()];
        match months {
            [] => {}
            [m] => {
                let (from, to) = (key(&[1.into(), start_ms(*m).into()]), key(&[1.into(), start_ms(next(*m)).into()]));
                let range = KeyRange::bound(&from, &to, Some(false), Some(true)).map_err(rexie::Error::from)?;
                out[0] = store.index(BY_ALIVE_SORT)?.get_all(Some(range), None).await?;
            }
            _ => {
                let slices = whole_store_slices()?;
                let read = futures::future::join_all(slices.into_iter().map(|s| store.get_all(Some(s), None))).await;
                let alive_key = JsValue::from_str("alive");
                for rows in read {
                    for v in rows? {
                        if js_sys::Reflect::get(&v, &alive_key).ok().and_then(|a| a.as_f64()) != Some(1.0) {
                            continue;
                        }
                        let month = sort_ms_of(&v).map(month_of);
                        if let Some(n) = months.iter().position(|m| Some(*m) == month) {
                            out[n].push(v);
                        }
                    }
                }
            }
        }
        drop(tx);
        Ok(out)
    }

    /// Seals the built packs and keeps those whose month still carries this read's mark.
    async fn keep_packs(&self, keys: Vec<String>, token: String, plains: Vec<Plain>) -> Result<(), StoreError> {
        let sealed = seal_all_of(self.sealing()?.as_ref(), plains).await?;
        let tx = self.db.transaction(&[META], TransactionMode::ReadWrite)?;
        let meta = tx.store(META)?;
        let now = futures::future::join_all(keys.iter().map(|k| meta.get(k.as_str().into()))).await;
        let mut keep = Vec::new();
        for (v, pack) in now.into_iter().zip(sealed) {
            if v?.as_ref().and_then(building).as_deref() == Some(token.as_str()) {
                keep.push((pack, None));
            }
        }
        if !keep.is_empty() {
            meta.put_all(keep.into_iter()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Once the packs the last whole read built are kept (or given up) (tests).
    #[cfg(any(test, feature = "test-support"))]
    pub async fn packs_kept(&self) {
        let keeping = self.keeping.borrow().clone();
        if let Some(k) = keeping {
            k.await;
        }
    }

    /// How many packs this phone keeps (tests).
    #[cfg(any(test, feature = "test-support"))]
    pub async fn pack_count(&self) -> Result<u32, StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadOnly)?;
        count_packs(&tx.store(META)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_utc_calendar_months_and_keys_sort_by_time() {
        let ms = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis() as f64;
        assert_eq!(month_of(ms("2026-01-31T23:59:59.999Z")), (2026, 1));
        assert_eq!(month_of(ms("2026-02-01T00:00:00Z")), (2026, 2));
        assert_eq!(next((2026, 12)), (2027, 1));
        assert_eq!(start_ms((2026, 2)), ms("2026-02-01T00:00:00Z"));
        assert_eq!(
            keys_for(CONTACTS, [ms("2026-03-05T00:00:00Z"), ms("2026-03-30T00:00:00Z"), ms("2025-12-01T00:00:00Z")]),
            ["pack:contacts/2025-12", "pack:contacts/2026-03"]
        );
        assert!(keys_for(SITES, [0.0]).is_empty(), "places are not packed");
        assert!(key_of(CONTACTS, (2026, 9)) < key_of(CONTACTS, (2026, 10)));
    }
}
