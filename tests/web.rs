//! Browser tests: the IndexedDB store in real Chromium passes the same contract as the
//! in-memory one, keeps its data and device id across a reopen, and has the versioned schema.
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;

use latarnia::storage::idb::{IdbStore, SchemaVersion, META, OUTBOX, REJECTED};
use latarnia::storage::{contract, Edit, Query, Store};
use latarnia_core::Contact;
use uuid::Uuid;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

thread_local! {
    static N: Cell<u32> = const { Cell::new(0) };
}

/// A fresh database per check, so no test sees another's data.
fn fresh_name(prefix: &str) -> String {
    let n = N.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    format!("test-{prefix}-{n}-{}", js_sys::Math::random())
}

#[wasm_bindgen_test]
async fn indexeddb_store_passes_the_contract() {
    contract::run_all(|| async {
        let name = fresh_name("contract");
        IdbStore::open(&name, Uuid::from_u128(7)).await.expect("IndexedDB opens")
    })
    .await;
}

#[wasm_bindgen_test]
async fn data_and_device_id_survive_closing_and_reopening() {
    let name = fresh_name("reopen");
    let s = IdbStore::open(&name, Uuid::from_u128(1)).await.unwrap();
    let c = contract::contact(1, None, 0);
    s.write(Edit::Save(c.clone()), 1_000).await.unwrap();
    let clock = s.clock().await.unwrap();
    s.close();

    // The second open offers another id: the stored one must win.
    let again = IdbStore::open(&name, Uuid::from_u128(2)).await.unwrap();
    assert_eq!(again.clock().await.unwrap(), clock);
    assert_eq!(again.clock().await.unwrap().client_id, Uuid::from_u128(1));
    assert_eq!(again.get::<Contact>(c.id).await.unwrap().unwrap().data, c);
    assert_eq!(again.outbox().await.unwrap().len(), 1);
    let m = again.write(Edit::<Contact>::Delete(c.id), 2_000).await.unwrap().unwrap();
    assert_eq!(m.mid, 2, "the mid counter continues after a reopen");
    again.close();
    IdbStore::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn the_database_has_every_store_of_the_latest_schema() {
    let name = fresh_name("schema");
    IdbStore::open(&name, Uuid::nil()).await.unwrap().close();
    // Open it again as a plain IndexedDB client would, without a version: no upgrade runs.
    let raw = rexie::Rexie::builder(&name).build().await.unwrap();
    assert_eq!(raw.version().unwrap(), SchemaVersion::LATEST as u32);
    let mut names = raw.store_names();
    names.sort();
    assert_eq!(
        names,
        [
            "contacts",
            "forecasts",
            "meal_run_stops",
            "meal_runs",
            META,
            OUTBOX,
            "patrols",
            REJECTED,
            "reports",
            "sites",
            "zima_settings"
        ]
    );
    raw.close();
    IdbStore::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn upgrading_from_the_first_schema_keeps_everything() {
    let name = fresh_name("upgrade");
    let v1 = IdbStore::open_at(&name, SchemaVersion::V1, Uuid::from_u128(3)).await.unwrap();
    let c = contract::contact(5, None, 0);
    v1.write(Edit::Save(c.clone()), 1_000).await.unwrap();
    v1.close();
    let v2 = IdbStore::open(&name, Uuid::from_u128(4)).await.unwrap();
    assert_eq!(v2.get::<Contact>(c.id).await.unwrap().unwrap().data, c);
    assert_eq!(v2.outbox().await.unwrap().len(), 1);
    assert_eq!(v2.clock().await.unwrap().client_id, Uuid::from_u128(3));
    assert!(v2.rejected().await.unwrap().is_empty(), "the new store exists");
    v2.close();
    IdbStore::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_upgrade_that_adds_collections_pulls_everything_again() {
    // V3 added places and reports, V4 Akcja ZIMA: pulls before them skipped those records.
    for from in [SchemaVersion::V2, SchemaVersion::V3] {
        let name = fresh_name("upgrade-collections");
        let old = IdbStore::open_at(&name, from, Uuid::from_u128(3)).await.unwrap();
        let c = contract::contact(6, None, 0);
        old.write(Edit::Save(c.clone()), 1_000).await.unwrap();
        old.close();
        // Where the older phone's pulls stopped, as it stored it.
        let raw = rexie::Rexie::builder(&name).build().await.unwrap();
        let tx = raw.transaction(&[META], rexie::TransactionMode::ReadWrite).unwrap();
        let sync = serde_json::json!({"key": "sync", "cursor": "epoch.5", "last_sync_ms": 1_000});
        tx.store(META).unwrap().put(&js_sys::JSON::parse(&sync.to_string()).unwrap(), None).await.unwrap();
        tx.done().await.unwrap();
        raw.close();
        // The upgrade starts the cursor again and keeps the rest.
        let new = IdbStore::open(&name, Uuid::from_u128(4)).await.unwrap();
        let sync = new.sync_state().await.unwrap();
        assert_eq!((sync.cursor.as_str(), sync.last_sync_ms), ("", Some(1_000)), "from {from:?}");
        assert_eq!(new.get::<Contact>(c.id).await.unwrap().unwrap().data, c);
        new.apply_pull(&[], "epoch.9", 2_000).await.unwrap();
        new.close();
        // Opened again at the same version: nothing moves.
        let again = IdbStore::open(&name, Uuid::from_u128(4)).await.unwrap();
        assert_eq!(again.sync_state().await.unwrap().cursor, "epoch.9");
        again.close();
        IdbStore::delete(&name).await.unwrap();
    }
}

#[wasm_bindgen_test]
async fn the_first_page_comes_from_the_index_newest_first() {
    let name = fresh_name("many");
    let s = IdbStore::open(&name, Uuid::nil()).await.unwrap();
    for i in 0..300u128 {
        s.write(Edit::Save(contract::contact(1_000 + i, None, i as i64)), 1).await.unwrap();
    }
    let page = s.list::<Contact>(&Query { limit: Some(50), ..Default::default() }).await.unwrap();
    assert_eq!(page.len(), 50);
    assert!(page.windows(2).all(|w| w[0].sort_ms >= w[1].sort_ms));
    assert_eq!(page[0].id, Uuid::from_u128(1_299));
    s.close();
    IdbStore::delete(&name).await.unwrap();
}

/// The WebCrypto wrapper (encryption at rest): the PIN unwraps the data key and nothing else
/// does; sealed records open again only with that key and never show their text.
#[wasm_bindgen_test]
async fn the_pin_unwraps_the_data_key_and_sealed_text_never_shows() {
    use latarnia::crypto::{new_key, open, rewrap, seal, unlock, CryptoError};
    // Few rounds: this checks the steps, not their cost (the bench times the real figure).
    let (key, kept) = new_key("482916", 1_000).await.expect("WebCrypto in Chromium");
    assert_eq!((kept.salt.len(), kept.iv.len(), kept.iterations), (16, 12, 1_000));
    let text = "pan Zbyszek; kaszle, prosi o śpiwór".as_bytes();
    let sealed = seal(&key, text).await.unwrap();
    assert!(!sealed.windows(7).any(|w| w == b"Zbyszek"), "no plain text in what is kept");
    assert_ne!(seal(&key, text).await.unwrap(), sealed, "a fresh IV every time");
    assert_eq!(open(&key, &sealed).await.unwrap(), text);
    // After a restart: the PIN alone brings the same key back; a wrong PIN does not.
    let again = unlock("482916", &kept).await.unwrap();
    assert_eq!(open(&again, &sealed).await.unwrap(), text);
    assert_eq!(unlock("482917", &kept).await.err(), Some(CryptoError::WrongPin));
    // A changed PIN keeps the data key (records need no re-encryption).
    let moved = rewrap("482916", &kept, "1234567").await.unwrap();
    assert_eq!(open(&unlock("1234567", &moved).await.unwrap(), &sealed).await.unwrap(), text);
    assert_eq!(unlock("482916", &moved).await.err(), Some(CryptoError::WrongPin));
    assert_eq!(rewrap("000000", &kept, "1").await.err(), Some(CryptoError::WrongPin));
    // Tampered, truncated or another key's: refused, never a panic.
    let mut bad = sealed.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert_eq!(open(&key, &bad).await.err(), Some(CryptoError::Damaged));
    assert_eq!(open(&key, &sealed[..5]).await.err(), Some(CryptoError::Damaged));
    let (other, _) = new_key("111111", 1_000).await.unwrap();
    assert_eq!(open(&other, &sealed).await.err(), Some(CryptoError::Damaged));
}
