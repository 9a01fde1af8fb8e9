//! Browser tests: the IndexedDB store in real Chromium passes the same contract as the
//! in-memory one, keeps its data and device id across a reopen, and has the versioned schema.
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;

use latarnia::storage::idb::{IdbStore, SchemaVersion, META, OUTBOX, REJECTED};
use latarnia::storage::{contract, Edit, KeyRing, Query, Store};
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

/// The contract on IndexedDB in clear (a phone before its PIN is set): one test per check.
mod indexeddb_contract {
    use super::*;

    async fn fresh() -> IdbStore {
        IdbStore::open(&fresh_name("contract"), Uuid::from_u128(7)).await.expect("IndexedDB opens")
    }
    latarnia::store_contract!(browser, fresh);
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
            "bed_holds",
            "contacts",
            "count_people",
            "count_visits",
            "counts",
            "facilities",
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
    // V3 added places and reports, V4 Akcja ZIMA, V5 count night, V6 aid facilities: pulls
    // before them skipped those records.
    for from in [SchemaVersion::V2, SchemaVersion::V3, SchemaVersion::V4, SchemaVersion::V5] {
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
async fn a_new_phone_opened_again_keeps_its_cursor() {
    // A fresh phone's first reload used to take its database for a V2 phone's (no schema mark
    // was written at creation) and pull everything again.
    let name = fresh_name("new-reopened");
    let s = IdbStore::open(&name, Uuid::from_u128(5)).await.unwrap();
    s.apply_pull(&[], "epoch.7", 1_000).await.unwrap();
    s.close();
    let again = IdbStore::open(&name, Uuid::from_u128(5)).await.unwrap();
    assert_eq!(again.sync_state().await.unwrap().cursor, "epoch.7", "a reload pulls nothing again");
    again.close();
    IdbStore::delete(&name).await.unwrap();
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
    use latarnia::crypto::{new_key, open, rewrap, seal, unlock, CryptoError, Secret::*};
    // Few rounds: this checks the steps, not their cost (the bench times the real figure).
    let recovery = [7u8; 32];
    let (key, kept, by_recovery) = new_key("482916", 1_000, Some(&recovery)).await.expect("WebCrypto in Chromium");
    assert_eq!((kept.salt.len(), kept.iv.len(), kept.iterations), (16, 12, 1_000));
    let text = "pan Zbyszek; kaszle, prosi o śpiwór".as_bytes();
    let sealed = seal(&key, text).await.unwrap();
    assert!(!sealed.windows(7).any(|w| w == b"Zbyszek"), "no plain text in what is kept");
    assert_ne!(seal(&key, text).await.unwrap(), sealed, "a fresh IV every time");
    assert_eq!(open(&key, &sealed).await.unwrap(), text);
    // After a restart: the PIN alone brings the same key back; a wrong PIN does not.
    let again = unlock(Pin("482916"), &kept).await.unwrap();
    assert_eq!(open(&again, &sealed).await.unwrap(), text);
    assert_eq!(unlock(Pin("482917"), &kept).await.err(), Some(CryptoError::WrongPin));
    // A changed PIN keeps the data key (records need no re-encryption).
    let moved = rewrap(Pin("482916"), &kept, Pin("1234567"), 1_000).await.unwrap();
    assert_eq!(open(&unlock(Pin("1234567"), &moved).await.unwrap(), &sealed).await.unwrap(), text);
    assert_eq!(unlock(Pin("482916"), &moved).await.err(), Some(CryptoError::WrongPin));
    assert_eq!(rewrap(Pin("000000"), &kept, Pin("1"), 1_000).await.err(), Some(CryptoError::WrongPin));
    // The PIN forgotten: the server's recovery key opens the same data key, and a new PIN
    // wraps it; another recovery key does not.
    let by_recovery = by_recovery.expect("wrapped under the recovery key too");
    assert_eq!(open(&unlock(Recovery(&recovery), &by_recovery).await.unwrap(), &sealed).await.unwrap(), text);
    assert_eq!(unlock(Recovery(&[8u8; 32]), &by_recovery).await.err(), Some(CryptoError::WrongPin));
    assert_eq!(unlock(Recovery(&[7u8; 5]), &by_recovery).await.err(), Some(CryptoError::WrongPin));
    let new_pin = rewrap(Recovery(&recovery), &by_recovery, Pin("999111"), 1_000).await.unwrap();
    assert_eq!(open(&unlock(Pin("999111"), &new_pin).await.unwrap(), &sealed).await.unwrap(), text);
    // Tampered, truncated or another key's: refused, never a panic.
    let mut bad = sealed.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert_eq!(open(&key, &bad).await.err(), Some(CryptoError::Damaged));
    assert_eq!(open(&key, &sealed[..5]).await.err(), Some(CryptoError::Damaged));
    // A whole store sealed at once (its IVs past the browser's 65,536 random bytes per call):
    // every IV different, every value opened again in its order.
    let plains: Vec<Vec<u8>> = (0..20_000).map(|i| format!("kontakt {i}").into_bytes()).collect();
    let many = latarnia::crypto::seal_many(&key, &plains.iter().map(Vec::as_slice).collect::<Vec<_>>()).await.unwrap();
    let ivs: std::collections::HashSet<Vec<u8>> = many.iter().map(|v| v.subarray(0, 12).to_vec()).collect();
    assert_eq!(ivs.len(), 20_000);
    let opened = latarnia::crypto::open_many(&key, &many).await.unwrap();
    assert_eq!(opened.length(), 20_000);
    assert_eq!(js_sys::Uint8Array::new(&opened.get(12_345)).to_vec(), plains[12_345]);
    let (other, _, _) = new_key("111111", 1_000, None).await.unwrap();
    assert_eq!(open(&other, &sealed).await.err(), Some(CryptoError::Damaged));
}

/// A store that seals, unlocked with a fresh key (few PBKDF2 rounds: the steps, not the cost).
async fn sealing_store(name: &str, client: u128) -> (IdbStore, latarnia::crypto::DataKey, KeyRing) {
    let s = IdbStore::open(name, Uuid::from_u128(client)).await.expect("IndexedDB opens");
    let (key, pin, recovery) = latarnia::crypto::new_key("482916", 1_000, None).await.unwrap();
    let ring =
        KeyRing { key: KeyRing::KEY.into(), pin: Some(pin), recovery, failures: 0, next_try_ms: 0, owner: Uuid::nil() };
    s.set_key_ring(&ring).await.unwrap();
    s.unlock(key.clone());
    (s, key, ring)
}

/// The contract on IndexedDB sealing every record: one test per check.
mod sealing_indexeddb_contract {
    use super::*;

    async fn fresh() -> IdbStore {
        sealing_store(&fresh_name("sealed-contract"), 7).await.0
    }
    latarnia::store_contract!(browser, fresh);
}

/// Every value of every store as the browser keeps it, as one text.
async fn raw_text(name: &str) -> String {
    let raw = rexie::Rexie::builder(name).build().await.unwrap();
    let names = raw.store_names();
    let tx = raw.transaction(&names, rexie::TransactionMode::ReadOnly).unwrap();
    let mut out = String::new();
    for n in &names {
        for v in tx.store(n).unwrap().get_all(None, None).await.unwrap() {
            out.push_str(&String::from(js_sys::JSON::stringify(&v).unwrap()));
        }
    }
    drop(tx);
    raw.close();
    out
}

#[wasm_bindgen_test]
async fn sealed_records_keep_no_typed_text_and_nothing_reads_while_locked() {
    use latarnia::storage::{Session, StoreError};
    use latarnia_core::{Report, Site, SiteKind};
    let name = fresh_name("sealed");
    let (s, key, ring) = sealing_store(&name, 11).await;
    let patrol = contract::patrol(1);
    let contact = Contact {
        pseudonym: "MARKER-pseudonim".into(),
        notes: "MARKER-notatka kaszle".into(),
        ..contract::contact(2, Some(patrol.id), 5)
    };
    let at = latarnia_core::Position { lat: 54.44, lon: 18.56, accuracy_m: 5.0 };
    let site = Site {
        access_notes: "MARKER-dojście od torów".into(),
        ..Site::new(Uuid::from_u128(3), "MARKER-wiadukt", SiteKind::Other, at, chrono::Utc::now())
    };
    let report = Report {
        site_id: Some(site.id),
        ..Report::new(Uuid::from_u128(4), chrono::Utc::now(), "MARKER-zgłoszenie z 24h")
    };
    s.write(Edit::Save(patrol.clone()), 1_000).await.unwrap();
    s.write(Edit::Save(contact.clone()), 2_000).await.unwrap();
    s.write(Edit::Save(site.clone()), 3_000).await.unwrap();
    s.write(Edit::Save(report.clone()), 4_000).await.unwrap();
    s.set_draft("contact", Some("MARKER-szkic".into())).await.unwrap();
    let session = Session {
        key: Session::KEY.into(),
        token: "MARKER-token".into(),
        expires_at: "2027-01-01T00:00:00Z".into(),
        user: latarnia_core::sync::User {
            id: Uuid::from_u128(9),
            login: "MARKER-login".into(),
            display_name: "MARKER-Ania".into(),
            role: latarnia_core::sync::Role::Streetworker,
            org_id: Uuid::from_u128(10),
        },
        phone: Default::default(),
    };
    s.set_session(Some(session.clone())).await.unwrap();
    let text = raw_text(&name).await;
    assert!(!text.is_empty() && !text.contains("MARKER"), "typed text in clear: {text}");
    assert!(text.contains(&contact.id.to_string()), "ids stay in clear for the indexes");

    // Locked: nothing sealed reads, nothing is written; the key ring and the clock still read.
    s.lock();
    assert_eq!(s.list::<Contact>(&Query::default()).await.err(), Some(StoreError::Locked));
    assert_eq!(s.get::<Site>(site.id).await.err(), Some(StoreError::Locked));
    assert_eq!(s.outbox().await.err(), Some(StoreError::Locked));
    assert_eq!(s.session().await.err(), Some(StoreError::Locked));
    assert_eq!(s.write(Edit::Save(contract::contact(5, None, 0)), 5_000).await.err(), Some(StoreError::Locked));
    assert_eq!(s.key_ring().await.unwrap(), Some(ring.clone()));
    s.close();

    // Reopened (a restart): locked until the key is back, then everything is there.
    let again = IdbStore::open(&name, Uuid::from_u128(12)).await.unwrap();
    assert_eq!(again.session().await.err(), Some(StoreError::Locked), "a phone with a PIN opens locked");
    let key_again =
        latarnia::crypto::unlock(latarnia::crypto::Secret::Pin("482916"), ring.pin.as_ref().unwrap()).await.unwrap();
    again.unlock(key_again);
    assert_eq!(again.get::<Contact>(contact.id).await.unwrap().unwrap().data, contact);
    assert_eq!(again.list_data::<Site>(&Query::default()).await.unwrap(), [site]);
    assert_eq!(again.list::<Report>(&Query::default()).await.unwrap()[0].data, report);
    assert_eq!(again.session().await.unwrap(), Some(session));
    assert_eq!(again.draft("contact").await.unwrap().as_deref(), Some("MARKER-szkic"));
    assert_eq!(again.outbox().await.unwrap().len(), 4);
    assert_eq!(again.list::<Contact>(&Query { parent: Some(patrol.id), ..Default::default() }).await.unwrap().len(), 1);
    drop(key);
    again.close();
    IdbStore::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn what_was_kept_in_clear_before_the_pin_is_sealed_once_it_is_set() {
    let name = fresh_name("seal-all");
    let s = IdbStore::open(&name, Uuid::from_u128(13)).await.unwrap();
    let c = Contact { notes: "MARKER-sprzed PIN-u".into(), ..contract::contact(20, None, 0) };
    s.write(Edit::Save(c.clone()), 1_000).await.unwrap();
    s.set_draft("contact", Some("MARKER-szkic".into())).await.unwrap();
    assert!(raw_text(&name).await.contains("MARKER"), "no PIN yet: in clear, as before this version");
    let (key, _, _) = latarnia::crypto::new_key("482916", 1_000, None).await.unwrap();
    s.unlock(key);
    s.seal_all().await.unwrap();
    assert!(!raw_text(&name).await.contains("MARKER"));
    assert_eq!(s.get::<Contact>(c.id).await.unwrap().unwrap().data, c);
    assert_eq!(s.outbox().await.unwrap()[0].id, c.id);
    assert_eq!(s.draft("contact").await.unwrap().as_deref(), Some("MARKER-szkic"));
    s.close();
    IdbStore::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn two_tabs_writing_in_turn_keep_one_clock_and_contiguous_mids() {
    // Each handle remembers the clock of its own last write and writes a new record in one
    // transaction on that guess; the other tab's writes in between must be seen, not overwritten.
    let name = fresh_name("two-tabs");
    let (a, key, _) = sealing_store(&name, 21).await;
    let b = IdbStore::open(&name, Uuid::from_u128(22)).await.unwrap();
    b.unlock(key);
    let mut mids = Vec::new();
    for i in 0..6u128 {
        let s = if i % 2 == 0 { &a } else { &b };
        mids.push(
            s.write(Edit::Save(contract::contact(100 + i, None, i as i64)), 1_000 + i as u64)
                .await
                .unwrap()
                .unwrap()
                .mid,
        );
    }
    // An edit of a record the other tab wrote, on a guess that it is new: seen as an edit.
    let edited = Contact { notes: "zmiana".into(), ..contract::contact(101, None, 1) };
    let m = a.write(Edit::Save(edited.clone()), 2_000).await.unwrap().unwrap();
    assert_eq!(m.fields.keys().collect::<Vec<_>>(), ["notes"], "only the changed field");
    mids.push(m.mid);
    assert_eq!(mids, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(b.get::<Contact>(edited.id).await.unwrap().unwrap().data, edited);
    assert_eq!(b.outbox().await.unwrap().len(), 7);
    a.close();
    b.close();
    IdbStore::delete(&name).await.unwrap();
}

/// Waits for the browser to run what is queued (the resource's future, the view's effects).
async fn settle() {
    for _ in 0..5 {
        let tick = js_sys::Promise::new(&mut |ok, _| {
            web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&ok, 20).unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(tick).await.unwrap();
    }
}

/// A page's read of the store is drawn by `FromStore`: nothing before the first answer, the
/// store's error as the one banner in the user's language, and the content again once a read
/// succeeds.
#[wasm_bindgen_test]
async fn a_store_read_shows_its_error_in_words_and_its_content_once_it_reads() {
    use latarnia::components::from_store::FromStore;
    use latarnia::i18n::{I18n, Lang};
    use latarnia::storage::StoreError;
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;

    let document = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    let fails = RwSignal::new(true);
    let _mounted = leptos::mount::mount_to(host.clone(), move || {
        provide_context(I18n(RwSignal::new(Lang::Pl)));
        let read = latarnia::loaded::Loaded::new(move || {
            let fail = fails.get();
            async move {
                if fail {
                    Err(StoreError::QuotaExceeded)
                } else {
                    Ok(vec!["Altanka", "Pustostan"])
                }
            }
        });
        view! {
            <FromStore resource=read let:names>
                <ul>{names.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
            </FromStore>
        }
    });
    settle().await;
    let text = host.inner_text();
    let full = latarnia::i18n::text(Lang::Pl, latarnia::i18n::k::STORAGE_FULL);
    assert!(text.contains(full), "the error in words: {text:?}");
    assert_eq!(host.inner_html().matches("role=\"alert\"").count(), 1, "one banner");
    fails.set(false);
    settle().await;
    let text = host.inner_text();
    assert!(text.contains("Altanka") && text.contains("Pustostan"), "{text:?}");
    assert!(!text.contains(full), "the banner is gone: {text:?}");
    fails.set(true);
    settle().await;
    assert!(host.inner_text().contains(full), "a later failure is shown again");
}

/// Waits `ms` milliseconds (a timer of the page).
async fn wait_ms(ms: i32) {
    let tick = js_sys::Promise::new(&mut |ok, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&ok, ms).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(tick).await.unwrap();
}

/// A read kept for the views (`Loaded`): nothing before its first answer; read again when a
/// signal it reads changes, the last answer kept meanwhile; an answer overtaken by a newer
/// read never replaces the newer one's.
#[wasm_bindgen_test]
async fn a_read_keeps_its_last_answer_and_drops_one_a_newer_read_overtook() {
    use latarnia::loaded::Loaded;
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;

    // Made inside a mounted app, as the screens make theirs (mounting starts Leptos's executor).
    let host = web_sys::window().unwrap().document().unwrap().create_element("div").unwrap();
    let asked = RwSignal::new(1u32);
    let made = std::rc::Rc::new(std::cell::Cell::new(None));
    let out = made.clone();
    let _mounted = leptos::mount::mount_to(host.unchecked_into(), move || {
        out.set(Some(Loaded::new(move || {
            let n = asked.get();
            // The first and third reads are slow: the third is overtaken by the fourth.
            async move {
                if n % 2 == 1 {
                    wait_ms(150).await;
                }
                n * 10
            }
        })));
    });
    let read = made.get().unwrap();
    assert_eq!(read.get_untracked(), None, "nothing before the first answer");
    settle().await;
    wait_ms(200).await;
    assert_eq!(read.get_untracked(), Some(10));
    asked.set(2);
    assert_eq!(read.get_untracked(), Some(10), "the last answer stays while a newer read runs");
    settle().await;
    assert_eq!(read.get_untracked(), Some(20), "read again when what it reads changes");
    asked.set(3);
    settle().await;
    asked.set(4);
    settle().await;
    assert_eq!(read.get_untracked(), Some(40));
    wait_ms(250).await;
    assert_eq!(read.get_untracked(), Some(40), "the slower, older read's answer is dropped");
}

/// A form's text field names itself on screen, with the label tied to it, and shows its error
/// under it in the user's language, tied to it for screen readers.
#[wasm_bindgen_test]
async fn a_text_field_is_labelled_and_its_error_is_tied_to_it() {
    use latarnia::components::text_field::{Input, TextField};
    use latarnia::i18n::{k, text, I18n, Lang};
    use latarnia_core::FieldError;
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;

    let document = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let value = RwSignal::new("3".to_string());
    let _mounted = leptos::mount::mount_to(host.clone(), move || {
        provide_context(I18n(RwSignal::new(Lang::Pl)));
        view! { <TextField id="t-headcount" field="usual_headcount" label=k::SITE_USUAL_HEADCOUNT value errors input=Input::Count/> }
    });
    settle().await;
    let label = host.query_selector("label").unwrap().expect("a label");
    assert_eq!(label.get_attribute("for").as_deref(), Some("t-headcount"));
    assert_eq!(label.text_content().unwrap(), text(Lang::Pl, k::SITE_USUAL_HEADCOUNT));
    let input = host.query_selector("#t-headcount").unwrap().expect("the field");
    assert_eq!(input.get_attribute("type").as_deref(), Some("number"));
    assert_eq!(input.get_attribute("inputmode").as_deref(), Some("numeric"));
    assert_eq!(js_sys::Reflect::get(&input, &"value".into()).unwrap().as_string().as_deref(), Some("3"));
    assert!(host.query_selector("[role=alert]").unwrap().is_none(), "no error yet");
    errors.set(vec![FieldError { field: "usual_headcount", code: "headcount_range" }]);
    settle().await;
    let error = host.query_selector("#err-usual_headcount").unwrap().expect("the error, tied by id");
    assert_eq!(input.get_attribute("aria-describedby").as_deref(), Some("err-usual_headcount"));
    let words = latarnia::i18n::lookup(Lang::Pl, "err_headcount_range");
    assert_ne!(words, "err_headcount_range", "a text for the error");
    assert!(error.text_content().unwrap().contains(words), "{:?}", error.text_content());
}

/// Month packs (src/storage/idb/packs.rs): a whole read keeps one per month it read, sealed like
/// every record; a write drops its own month's pack only, and what leaves the window takes its
/// month's pack with it.
#[wasm_bindgen_test]
async fn a_whole_read_keeps_sealed_month_packs_and_a_change_drops_its_month_s() {
    let name = fresh_name("packs");
    let (s, _, _) = sealing_store(&name, 12).await;
    let jan = contract::contact(1, None, 0);
    let feb = Contact { notes: "MARKER-paczka luty".into(), ..contract::contact(2, None, 30 * 24 * 60) };
    for c in [&jan, &feb] {
        s.write(Edit::Save(c.clone()), 1_000).await.unwrap();
    }
    assert_eq!(s.pack_count().await.unwrap(), 0, "nothing is packed before a whole read");
    assert_eq!(s.list_data::<Contact>(&Query::default()).await.unwrap().len(), 2);
    s.packs_kept().await;
    assert_eq!(s.pack_count().await.unwrap(), 2, "January and February");
    assert!(!raw_text(&name).await.contains("MARKER-paczka"), "a pack is sealed");

    s.write(Edit::Save(contract::contact(3, None, 60)), 2_000).await.unwrap();
    assert_eq!(s.pack_count().await.unwrap(), 1, "January's pack went with the new January contact");
    assert_eq!(s.list_data::<Contact>(&Query::default()).await.unwrap().len(), 3);
    s.packs_kept().await;
    assert_eq!(s.pack_count().await.unwrap(), 2);

    s.acknowledge(s.clock().await.unwrap().last_mid, vec![]).await.unwrap();
    s.forget("contacts", &[feb.id]).await.unwrap();
    assert_eq!(s.pack_count().await.unwrap(), 1, "February's pack left with its contact");
    let left = s.list_data::<Contact>(&Query::default()).await.unwrap();
    assert!(left.len() == 2 && left.iter().all(|c| c.id != feb.id), "{left:?}");
    s.close();
    IdbStore::delete(&name).await.unwrap();
}

/// The `flushed` record of `meta` (`durable.rs`): when, and the durability the browser gave
/// its transaction.
async fn flushed(name: &str) -> Option<(f64, String)> {
    use latarnia::storage::idb::durable::FLUSHED_KEY;
    let raw = rexie::Rexie::builder(name).build().await.unwrap();
    let tx = raw.transaction(&[META], rexie::TransactionMode::ReadOnly).unwrap();
    let v = tx.store(META).unwrap().get(FLUSHED_KEY.into()).await.unwrap();
    drop(tx);
    raw.close();
    let v = v?;
    let get = |k: &str| js_sys::Reflect::get(&v, &k.into()).unwrap();
    Some((get("at").as_f64().unwrap(), get("durability").as_string().unwrap_or_default()))
}

/// A save does not wait for the phone's flash, and is on its disk within about a second: a
/// transaction with strict durability (as the browser reports it) follows it.
#[wasm_bindgen_test]
async fn a_save_reaches_the_disk_within_a_second_without_waiting_for_it() {
    use latarnia::storage::idb::durable::FLUSH_AFTER_MS;
    let name = fresh_name("durable");
    let s = IdbStore::open(&name, Uuid::from_u128(11)).await.unwrap();
    assert_eq!(flushed(&name).await, None, "nothing flushed before anything was saved");
    let before = js_sys::Date::now();
    s.write(Edit::Save(contract::contact(1, None, 0)), 1_000).await.unwrap();
    assert_eq!(flushed(&name).await, None, "the save did not wait for the disk");
    wait_ms(FLUSH_AFTER_MS + 700).await;
    let (at, durability) = flushed(&name).await.expect("a flush followed the save");
    assert_eq!(durability, "strict");
    assert!(at >= before, "flushed after the save ({at} < {before})");
}

/// The phone put in a pocket: the page hidden, the waiting flush runs at once.
#[wasm_bindgen_test]
async fn a_save_is_flushed_at_once_when_the_page_is_hidden() {
    let name = fresh_name("durable-hidden");
    let s = IdbStore::open(&name, Uuid::from_u128(14)).await.unwrap();
    s.write(Edit::Save(contract::contact(1, None, 0)), 1_000).await.unwrap();
    let doc = web_sys::window().unwrap().document().unwrap();
    doc.dispatch_event(&web_sys::Event::new("visibilitychange").unwrap()).unwrap();
    wait_ms(200).await;
    let (_, durability) = flushed(&name).await.expect("flushed before its second was up");
    assert_eq!(durability, "strict");
}

/// A flush due after the database was deleted (a wipe) does not make it again, and an open
/// flushing connection never holds a deletion up.
#[wasm_bindgen_test]
async fn a_flush_never_makes_a_deleted_database_again_nor_holds_its_deletion_up() {
    use latarnia::storage::idb::durable::FLUSH_AFTER_MS;
    let names = async || -> Vec<String> {
        use wasm_bindgen::JsCast;
        let factory = web_sys::window().unwrap().indexed_db().unwrap().unwrap();
        let databases: js_sys::Function = js_sys::Reflect::get(&factory, &"databases".into()).unwrap().unchecked_into();
        let listed: js_sys::Promise = databases.call0(&factory).unwrap().unchecked_into();
        let all = wasm_bindgen_futures::JsFuture::from(listed).await.unwrap();
        js_sys::Array::from(&all)
            .iter()
            .map(|d| js_sys::Reflect::get(&d, &"name".into()).unwrap().as_string().unwrap())
            .collect()
    };
    // Flushed once: the flushing connection is open; deleting the database does not wait for it.
    let kept = fresh_name("durable-open");
    let s = IdbStore::open(&kept, Uuid::from_u128(12)).await.unwrap();
    s.write(Edit::Save(contract::contact(1, None, 0)), 1_000).await.unwrap();
    wait_ms(FLUSH_AFTER_MS + 700).await;
    assert!(flushed(&kept).await.is_some());
    s.close();
    IdbStore::delete(&kept).await.unwrap();
    // Deleted while its flush waits: the flush finds no database and leaves none behind.
    let gone = fresh_name("durable-gone");
    let s = IdbStore::open(&gone, Uuid::from_u128(13)).await.unwrap();
    s.write(Edit::Save(contract::contact(1, None, 0)), 1_000).await.unwrap();
    s.close();
    IdbStore::delete(&gone).await.unwrap();
    wait_ms(FLUSH_AFTER_MS + 700).await;
    let left = names().await;
    assert!(!left.contains(&gone) && !left.contains(&kept), "{left:?}");
}
