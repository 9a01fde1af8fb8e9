//! The contract every store passes: run natively against `MemStore` and in Chromium against
//! `IdbStore` (tests/web.rs), one test per check and store through [`store_contract!`]. Each
//! check gets a fresh, empty store. Test-only code (the `test-support` feature).

use chrono::{DateTime, Duration, TimeZone, Utc};
use latarnia_core::{Contact, Hlc, Item, Op, Patrol, PatrolKind, PositionStatus, Site, SiteKind};
use uuid::Uuid;

use latarnia_core::engine::Rejected;
use latarnia_core::sync::{Change, RawChange, Role, User};
use serde_json::json;

use super::{AppStore, Edit, Query, Session, Store, StoreError};

const NOW: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 21, 0, 0).unwrap()
}

pub fn patrol(n: u128) -> Patrol {
    Patrol {
        id: Uuid::from_u128(n),
        kind: PatrolKind::NightPatrol,
        team: vec!["Ania".into(), "Kuba".into()],
        partner: None,
        area: "Dworzec".into(),
        started_at: t0(),
        ended_at: None,
        notes: String::new(),
        started_by: None,
    }
}

pub fn contact(n: u128, patrol: Option<Uuid>, minutes: i64) -> Contact {
    Contact::quick(Uuid::from_u128(n), patrol, t0() + Duration::minutes(minutes), Err(PositionStatus::Denied))
}

/// One test per check of the contract for the store that `$fresh` opens (an async fn giving a
/// fresh, empty store): `native` makes `#[test]`s (the in-memory store), `browser` makes
/// `wasm_bindgen_test`s (IndexedDB in Chromium). One failing check does not hide the others.
#[macro_export]
macro_rules! store_contract {
    (native, $fresh:path) => {
        $crate::store_contract!(@native $fresh; a_write_stores_the_record_and_one_outbox_mutation, an_edit_pushes_only_changed_fields, delete_hides_and_restore_brings_back, an_invalid_record_writes_nothing, lists_filter_by_parent_and_time_and_page, mids_are_contiguous_and_clocks_increase, acknowledging_empties_the_outbox_and_keeps_rejections, a_pull_keeps_pending_fields_and_stores_its_cursor, a_pull_in_pages_keeps_edits_made_between_them, places_are_kept_and_listed_like_every_record, resending_renumbers_everything_held, session_and_sync_state_are_kept, the_key_ring_is_kept_and_goes_at_a_wipe, a_draft_is_kept_until_saved_or_discarded_and_goes_at_a_wipe, a_refused_record_can_be_discarded_with_its_refusal, the_indicators_read_from_the_phone_are_the_servers, a_deletion_arrives_as_a_tombstone_and_the_trash_s_end_erases_it, what_leaves_the_window_goes_once_the_server_holds_it, a_new_role_starts_over_keeping_what_is_not_sent, a_whole_read_follows_every_change);
        #[test]
        fn a_record_linked_to_a_merged_place_reads_at_the_survivor() {
            futures::executor::block_on(async {
                let store = $crate::storage::AppStore::new($fresh().await.into());
                $crate::storage::contract::a_record_linked_to_a_merged_place_reads_at_the_survivor(&store).await;
            });
        }
    };
    (browser, $fresh:path) => {
        $crate::store_contract!(@browser $fresh; a_write_stores_the_record_and_one_outbox_mutation, an_edit_pushes_only_changed_fields, delete_hides_and_restore_brings_back, an_invalid_record_writes_nothing, lists_filter_by_parent_and_time_and_page, mids_are_contiguous_and_clocks_increase, acknowledging_empties_the_outbox_and_keeps_rejections, a_pull_keeps_pending_fields_and_stores_its_cursor, a_pull_in_pages_keeps_edits_made_between_them, places_are_kept_and_listed_like_every_record, resending_renumbers_everything_held, session_and_sync_state_are_kept, the_key_ring_is_kept_and_goes_at_a_wipe, a_draft_is_kept_until_saved_or_discarded_and_goes_at_a_wipe, a_refused_record_can_be_discarded_with_its_refusal, the_indicators_read_from_the_phone_are_the_servers, a_deletion_arrives_as_a_tombstone_and_the_trash_s_end_erases_it, what_leaves_the_window_goes_once_the_server_holds_it, a_new_role_starts_over_keeping_what_is_not_sent, a_whole_read_follows_every_change);
        #[wasm_bindgen_test::wasm_bindgen_test]
        async fn a_record_linked_to_a_merged_place_reads_at_the_survivor() {
            let store = $crate::storage::AppStore::new($fresh().await.into());
            $crate::storage::contract::a_record_linked_to_a_merged_place_reads_at_the_survivor(&store).await;
        }
    };
    (@native $fresh:path; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                futures::executor::block_on(async { $crate::storage::contract::$check(&$fresh().await).await });
            }
        )*
    };
    (@browser $fresh:path; $($check:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test::wasm_bindgen_test]
            async fn $check() {
                $crate::storage::contract::$check(&$fresh().await).await;
            }
        )*
    };
}

/// The field-sized window on the phone: acknowledged records older than the window go (a
/// deleted one too, and a meal run's stops with it); one not yet sent, one refused, one marked
/// for follow-up, a patrol still open and every place stay. A longer window than the last is
/// told, so that everything is pulled again.
pub async fn what_leaves_the_window_goes_once_the_server_holds_it<S: Store>(s: &S) {
    use super::window::keep_window;
    use latarnia_core::sync::PullWindow;
    let day = Duration::days(1);
    let from = t0() + day * 10;
    let mut open_patrol = patrol(700);
    open_patrol.started_at = t0() - day * 100;
    let mut ended = patrol(701);
    ended.ended_at = Some(ended.started_at + Duration::hours(3));
    let old = contact(702, None, 0);
    let deleted = contact(703, None, 1);
    let mut follow_up = contact(704, None, 2);
    follow_up.follow_up = true;
    let recent = Contact { at: from + day, ..contact(705, None, 0) };
    let site = Site::new(
        Uuid::from_u128(706),
        "Altanka",
        SiteKind::AllotmentShed,
        latarnia_core::Position { lat: 50.8, lon: 19.1, accuracy_m: 5.0 },
        t0(),
    );
    for p in [open_patrol.clone(), ended.clone()] {
        s.write(Edit::Save(p), NOW).await.unwrap();
    }
    for c in [old.clone(), deleted.clone(), follow_up.clone(), recent.clone()] {
        s.write(Edit::Save(c), NOW).await.unwrap();
    }
    s.write(Edit::Save(site.clone()), NOW).await.unwrap();
    s.write(Edit::<Contact>::deleted(deleted.id, true), NOW).await.unwrap();
    let sent = s.clock().await.unwrap().last_mid;
    // One more, refused by the server; one not yet sent.
    let refused = contact(707, None, 3);
    let unsent = contact(708, None, 4);
    s.write(Edit::Save(refused.clone()), NOW).await.unwrap();
    let outbox = s.outbox().await.unwrap();
    let refusal = Rejected { mutation: outbox.last().unwrap().clone(), error: "invalid".into(), message: "x".into() };
    s.acknowledge(sent + 1, vec![refusal]).await.unwrap();
    s.write(Edit::Save(unsent.clone()), NOW).await.unwrap();

    let window = PullWindow { days: 30, from_ms: Some(from.timestamp_millis()) };
    let kept = keep_window(s, window).await.unwrap();
    assert_eq!((kept.dropped, kept.grew), (3, false), "the ended patrol, the old contact, the deleted one");
    let live: Vec<Uuid> = s.list::<Contact>(&Query::default()).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(live.len(), 4, "{live:?}");
    for c in [&follow_up, &recent, &refused, &unsent] {
        assert!(live.contains(&c.id), "{:?} kept", c.id);
    }
    assert!(s.get::<Contact>(deleted.id).await.unwrap().is_none());
    assert!(s.get::<Patrol>(open_patrol.id).await.unwrap().is_some(), "open work stays");
    assert!(s.get::<Patrol>(ended.id).await.unwrap().is_none());
    assert!(s.get::<Site>(site.id).await.unwrap().is_some(), "places stay whole");
    assert_eq!(s.outbox().await.unwrap().len(), 1, "the unsent one is still to be sent");
    assert_eq!(s.sync_state().await.unwrap().window_days, Some(30));
    assert_eq!(keep_window(s, window).await.unwrap().dropped, 0, "nothing twice");
    let longer = PullWindow { days: 400, from_ms: Some((from - day * 400).timestamp_millis()) };
    assert!(keep_window(s, longer).await.unwrap().grew, "a longer window pulls everything again");
    assert!(!keep_window(s, longer).await.unwrap().grew);
    assert!(keep_window(s, PullWindow { days: 0, from_ms: None }).await.unwrap().grew, "the whole history");
}

/// A new role: everything the server holds goes (read under the old role) and the cursor is
/// reset, so the next pull brings what the new role reads; a record not yet sent and one the
/// server refused stay, as the worker's.
pub async fn a_new_role_starts_over_keeping_what_is_not_sent<S: Store>(s: &S) {
    use super::window::start_over;
    let synced = contact(801, None, 0);
    let deleted = contact(802, None, 1);
    let site = Site::new(
        Uuid::from_u128(803),
        "Altanka",
        SiteKind::AllotmentShed,
        latarnia_core::Position { lat: 50.8, lon: 19.1, accuracy_m: 5.0 },
        t0(),
    );
    for c in [synced.clone(), deleted.clone()] {
        s.write(Edit::Save(c), NOW).await.unwrap();
    }
    s.write(Edit::Save(site.clone()), NOW).await.unwrap();
    s.write(Edit::Save(patrol(804)), NOW).await.unwrap();
    s.write(Edit::<Contact>::deleted(deleted.id, true), NOW).await.unwrap();
    let sent = s.clock().await.unwrap().last_mid;
    let refused = contact(805, None, 2);
    s.write(Edit::Save(refused.clone()), NOW).await.unwrap();
    let outbox = s.outbox().await.unwrap();
    let refusal = Rejected { mutation: outbox.last().unwrap().clone(), error: "forbidden".into(), message: "x".into() };
    s.acknowledge(sent + 1, vec![refusal]).await.unwrap();
    let unsent = contact(806, None, 3);
    s.write(Edit::Save(unsent.clone()), NOW).await.unwrap();
    s.apply_pull(&[], "cursor-7", NOW).await.unwrap();

    assert_eq!(start_over(s).await.unwrap(), 4, "two contacts (one deleted), the place, the patrol");
    let live: Vec<Uuid> = s.list::<Contact>(&Query::default()).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(live, vec![unsent.id, refused.id], "the worker's own stay");
    assert!(s.get::<Contact>(deleted.id).await.unwrap().is_none());
    assert!(s.get::<Site>(site.id).await.unwrap().is_none(), "the new role's places come with the pull");
    assert_eq!(s.sync_state().await.unwrap().cursor, "", "the next pull starts from the beginning");
    assert_eq!(s.outbox().await.unwrap().len(), 1, "still to be sent");
    assert_eq!(s.rejected().await.unwrap().len(), 1, "still to be shown");
}

/// A whole-collection read (`list_data`: what the indicators read) gives what the records say
/// after every kind of change, however it was read before: saves, an edit that moves a record
/// to another month, a deletion, a pulled record and a pulled move, a pulled erasure, the
/// window, a discarded refusal. (The IndexedDB store answers it from month packs of what it
/// read before: none may answer for what changed since.)
pub async fn a_whole_read_follows_every_change<S: Store>(s: &S) {
    use latarnia_core::protocol::fields_of;
    let by_id = |mut v: Vec<Contact>| {
        v.sort_by_key(|c| c.id);
        v
    };
    let feb = Query { from_ms: Some(1_769_904_000_000.0), to_ms: Some(1_772_323_199_999.0), ..Default::default() };
    let feb_ref = &feb;
    let agree = |step: &'static str| async move {
        for q in [Query::default(), feb_ref.clone()] {
            let records: Vec<Contact> = s.list::<Contact>(&q).await.unwrap().into_iter().map(|r| r.data).collect();
            // Twice: the first read may build what the second is answered from.
            for _ in 0..2 {
                assert_eq!(by_id(s.list_data::<Contact>(&q).await.unwrap()), by_id(records.clone()), "{step} {q:?}");
            }
        }
    };
    let day = 24 * 60;
    let jan: Vec<Contact> = (0..4u128).map(|n| contact(1_100 + n, None, n as i64 * 60)).collect();
    let feb_one = contact(1_110, None, 30 * day);
    for c in jan.iter().chain([&feb_one]) {
        s.write(Edit::Save(c.clone()), NOW).await.unwrap();
    }
    agree("saved").await;
    assert_eq!(s.list_data::<Contact>(&feb).await.unwrap(), std::slice::from_ref(&feb_one));

    let mut moved = jan[0].clone();
    moved.at += Duration::days(30);
    s.write(Edit::Save(moved.clone()), NOW + 1).await.unwrap();
    agree("moved to February").await;
    let mut noted = jan[1].clone();
    noted.notes = "śpi w altance".into();
    s.write(Edit::Save(noted), NOW + 2).await.unwrap();
    agree("edited").await;
    s.write(Edit::<Contact>::Delete(jan[2].id), NOW + 3).await.unwrap();
    agree("deleted").await;

    // Sent and acknowledged: the server's state now wins every field.
    s.acknowledge(s.clock().await.unwrap().last_mid, vec![]).await.unwrap();
    let pulled = contact(1_120, None, 5);
    let mut moved_there = feb_one.clone();
    moved_there.at -= Duration::days(30);
    let changes = [
        change(pulled.id, "contacts", fields_of(&pulled).into(), false, "0001767225700000-0000-a"),
        change(moved_there.id, "contacts", fields_of(&moved_there).into(), false, "0001767225700001-0000-a"),
    ];
    s.apply_pull(&raw(&changes), "c1", NOW + 4).await.unwrap();
    agree("pulled").await;
    let erased = Change {
        fields: Default::default(),
        field_hlcs: Default::default(),
        purged: true,
        version: 3,
        ..change(pulled.id, "contacts", json!({}), true, "0001767225700002-0000-a")
    };
    s.apply_pull(&raw(&[erased]), "c2", NOW + 5).await.unwrap();
    agree("erased").await;
    s.forget("contacts", &[jan[3].id]).await.unwrap();
    agree("out of the window").await;

    let refused = contact(1_130, None, 30 * day + 5);
    let m = s.write(Edit::Save(refused.clone()), NOW + 6).await.unwrap().unwrap();
    agree("refused, still held").await;
    s.acknowledge(m.mid, vec![Rejected { mutation: m, error: "invalid".into(), message: "x".into() }]).await.unwrap();
    s.discard_rejected("contacts", refused.id).await.unwrap();
    agree("discarded").await;
    let left: Vec<Uuid> =
        by_id(s.list_data::<Contact>(&Query::default()).await.unwrap()).iter().map(|c| c.id).collect();
    assert_eq!(left, [jan[0].id, jan[1].id, feb_one.id], "what is left");

    // Patrols too (the indicators read them whole).
    let p = patrol(1_140);
    s.write(Edit::Save(p.clone()), NOW + 7).await.unwrap();
    assert_eq!(s.list_data::<Patrol>(&Query::default()).await.unwrap(), std::slice::from_ref(&p));
    let later = Patrol { started_at: p.started_at + Duration::days(40), ..p };
    s.write(Edit::Save(later.clone()), NOW + 8).await.unwrap();
    assert_eq!(s.list_data::<Patrol>(&Query::default()).await.unwrap(), [later]);
}

/// The Sopot 2021 fixture, pulled as the server sends it, gives the same table on the phone as
/// `compute` over the records themselves (which is what the server answers); a contact deleted
/// on the phone drops out, and a place's status time comes from its field's HLC.
pub async fn the_indicators_read_from_the_phone_are_the_servers<S: Store>(s: &S) {
    use latarnia_core::indicators::{compute, Period};
    let f = latarnia_core::fixture::sopot_summer_2021();
    let changes: Vec<Change> = f
        .mutations(Uuid::from_u128(0xc0), 1)
        .into_iter()
        .enumerate()
        .map(|(n, m)| Change { version: n as u64 + 1, ..change(m.id, &m.collection, m.fields.into(), false, &m.hlc) })
        .collect();
    s.apply_pull(&raw(&changes), "cursor-1", NOW).await.unwrap();
    let summer = Period::parse("2021-06-01", "2021-08-31", None).unwrap();
    let on_phone = super::indicator_dataset(s, &summer).await.unwrap();
    let expected = compute(&f, &summer);
    assert_eq!(compute(&on_phone, &summer), expected);
    assert_eq!((expected.patrols, expected.contacts, expected.contacts_with_women), (150, 977, 97));
    // July alone reads only July's contacts (and the days after it), with the same result.
    let july = Period::month(2021, 7).unwrap();
    let july_on_phone = super::indicator_dataset(s, &july).await.unwrap();
    assert!(july_on_phone.contacts.len() < f.contacts.len() / 2);
    assert_eq!(compute(&july_on_phone, &july), compute(&f, &july));

    s.write(Edit::<Contact>::Delete(f.contacts[0].id), NOW + 1).await.unwrap();
    let after = compute(&super::indicator_dataset(s, &summer).await.unwrap(), &summer);
    assert_eq!(after.contacts, 976, "a deleted contact never counts");
}

/// A record deleted on another phone arrives as its tombstone (no fields): a phone that holds it
/// keeps its copy, deleted (restorable from there); one that never had it stores nothing. When
/// the server's trash ends (`purged`), the phone's copy goes too — but a merged place, kept
/// whole as the link to its survivor.
pub async fn a_deletion_arrives_as_a_tombstone_and_the_trash_s_end_erases_it<S: Store>(s: &S) {
    let held = contact(900, None, 0);
    let live =
        change(held.id, "contacts", latarnia_core::protocol::fields_of(&held).into(), false, "0001700000000000-0000-a");
    s.apply_pull(&raw(&[live]), "c1", NOW).await.unwrap();
    let tomb = |id| Change {
        fields: Default::default(),
        field_hlcs: Default::default(),
        version: 2,
        ..change(id, "contacts", serde_json::json!({}), true, "0001700000000001-0000-b")
    };
    let never = contact(901, None, 0).id;
    s.apply_pull(&raw(&[tomb(held.id), tomb(never)]), "c2", NOW).await.unwrap();
    let kept = s.get::<Contact>(held.id).await.unwrap().expect("the phone's copy is kept");
    assert!(kept.deleted, "and shown deleted");
    assert_eq!(kept.data, held);
    assert!(s.get::<Contact>(never).await.unwrap().is_none());
    s.apply_pull(&raw(&[Change { purged: true, version: 3, ..tomb(held.id) }]), "c3", NOW).await.unwrap();
    assert!(s.get::<Contact>(held.id).await.unwrap().is_none(), "the trash's end erases it on the phone");
    let mut merged = latarnia_core::Site::new(
        Uuid::from_u128(902),
        "Altana",
        latarnia_core::SiteKind::Other,
        latarnia_core::Position { lat: 54.44, lon: 18.56, accuracy_m: 5.0 },
        chrono::DateTime::from_timestamp_millis(NOW as i64).unwrap(),
    );
    merged.merged_into = Some(Uuid::from_u128(903));
    let site = Change {
        purged: true,
        ..change(
            merged.id,
            "sites",
            latarnia_core::protocol::fields_of(&merged).into(),
            true,
            "0001700000000002-0000-c",
        )
    };
    s.apply_pull(&raw(&[site]), "c4", NOW).await.unwrap();
    assert_eq!(s.get::<latarnia_core::Site>(merged.id).await.unwrap().expect("a merged place stays").data, merged);
}

pub async fn acknowledging_empties_the_outbox_and_keeps_rejections<S: Store>(s: &S) {
    for i in 0..5u128 {
        s.write(Edit::Save(contact(300 + i, None, 0)), NOW).await.unwrap();
    }
    let outbox = s.outbox().await.unwrap();
    let rejected = Rejected { mutation: outbox[1].clone(), error: "invalid".into(), message: "headcount".into() };
    s.acknowledge(3, vec![rejected]).await.unwrap();
    assert_eq!(s.outbox().await.unwrap().iter().map(|m| m.mid).collect::<Vec<_>>(), [4, 5]);
    let kept = s.rejected().await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].id, kept[0].error.as_str(), kept[0].mid), (outbox[1].id, "invalid", 2));
    s.acknowledge(5, vec![]).await.unwrap();
    assert!(s.outbox().await.unwrap().is_empty());
    assert_eq!(s.clock().await.unwrap().last_mid, 5, "mids go on from where they were");
}

/// Changes as a phone reads them from a pull (the fields as the text that came).
fn raw(changes: &[Change]) -> Vec<RawChange> {
    changes.iter().cloned().map(Change::with_raw_fields).collect()
}

fn change(id: Uuid, collection: &str, fields: serde_json::Value, deleted: bool, hlc: &str) -> Change {
    let fields = fields.as_object().unwrap().clone();
    Change {
        collection: collection.into(),
        id,
        field_hlcs: fields.keys().map(|k| (k.clone(), hlc.to_owned())).collect(),
        fields,
        deleted,
        deleted_hlc: if deleted { hlc.into() } else { String::new() },
        version: 1,
        purged: false,
    }
}

pub async fn a_pull_keeps_pending_fields_and_stores_its_cursor<S: Store>(s: &S) {
    let mine = contact(400, None, 0);
    s.write(Edit::Save(mine.clone()), NOW).await.unwrap();
    let mut edited = mine.clone();
    edited.notes = "mine, not yet sent".into();
    s.write(Edit::Save(edited), NOW).await.unwrap();
    s.acknowledge(1, vec![]).await.unwrap(); // the create went through; the notes edit waits
    let remote_hlc = Hlc { physical_ms: NOW + 5_000, counter: 0, client: Uuid::from_u128(77) }.to_string();
    let mut theirs = latarnia_core::protocol::fields_of(&mine);
    theirs.insert("notes".into(), json!("theirs"));
    theirs.insert("headcount".into(), json!(3));
    let other = contact(401, None, 5);
    let changes = vec![
        change(mine.id, "contacts", serde_json::Value::Object(theirs), false, &remote_hlc),
        change(
            other.id,
            "contacts",
            serde_json::Value::Object(latarnia_core::protocol::fields_of(&other)),
            true,
            &remote_hlc,
        ),
        change(Uuid::from_u128(402), "boats", json!({"name": "x"}), false, &remote_hlc),
        change(Uuid::from_u128(403), "contacts", json!({"headcount": "not a contact"}), false, &remote_hlc),
    ];
    // As the phone pulls: the field HLCs in their shared form (`compact=true`).
    let shared: Vec<Change> = changes
        .into_iter()
        .map(|c| Change {
            field_hlcs: latarnia_core::sync::shared_hlcs::compact(&c.field_hlcs)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            ..c
        })
        .collect();
    assert_eq!(shared[0].field_hlcs[""], remote_hlc);
    s.apply_pull(&raw(&shared), "epoch.7", NOW).await.unwrap();
    let got = s.get::<Contact>(mine.id).await.unwrap().unwrap();
    assert_eq!(got.data.notes, "mine, not yet sent", "a pending field keeps its local value");
    assert_eq!(got.data.headcount, 3, "other fields take the server's");
    assert_eq!(got.field_hlcs["headcount"], remote_hlc, "read back whole");
    assert!(got.field_hlcs["notes"] < remote_hlc, "the pending field keeps its own HLC");
    assert!(!got.field_hlcs.contains_key(""));
    let pulled = s.get::<Contact>(other.id).await.unwrap().expect("a record from another phone");
    assert!(pulled.deleted);
    assert_eq!(s.get::<Contact>(Uuid::from_u128(403)).await.unwrap(), None, "an unreadable record is skipped");
    assert_eq!(s.sync_state().await.unwrap().cursor, "epoch.7");
    let clock: Hlc = s.clock().await.unwrap().hlc.parse().unwrap();
    assert!(clock.to_string() > remote_hlc, "the clock moved past what it saw");
    // The pull left the outbox alone.
    assert_eq!(s.outbox().await.unwrap().len(), 1);
}

/// A pulled record replaces the stored one except where a local mutation is pending (only then
/// is the stored one read): over several pages, with an edit on the phone between them.
pub async fn a_pull_in_pages_keeps_edits_made_between_them<S: Store>(s: &S) {
    let hlc = |ms: u64| Hlc { physical_ms: NOW + ms, counter: 0, client: Uuid::from_u128(77) }.to_string();
    let (mut x, y) = (contact(700, None, 0), contact(701, None, 1));
    let whole = |c: &Contact| serde_json::Value::Object(latarnia_core::protocol::fields_of(c));
    s.apply_pull(&raw(&[change(x.id, "contacts", whole(&x), false, &hlc(1))]), "epoch.1", NOW).await.unwrap();
    x.headcount = 4;
    s.apply_pull(&raw(&[change(x.id, "contacts", whole(&x), false, &hlc(2))]), "epoch.2", NOW).await.unwrap();
    let got = s.get::<Contact>(x.id).await.unwrap().expect("kept");
    assert_eq!((got.data.headcount, got.field_hlcs["headcount"].as_str()), (4, hlc(2).as_str()));
    let mut edited = got.data.clone();
    edited.notes = "typed on the phone".into();
    s.write(Edit::Save(edited), NOW + 3).await.unwrap();
    let mut theirs = x.clone();
    (theirs.notes, theirs.headcount) = ("theirs".into(), 5);
    let page =
        [change(x.id, "contacts", whole(&theirs), false, &hlc(4)), change(y.id, "contacts", whole(&y), true, &hlc(4))];
    s.apply_pull(&raw(&page), "epoch.3", NOW).await.unwrap();
    let got = s.get::<Contact>(x.id).await.unwrap().unwrap();
    assert_eq!((got.data.headcount, got.data.notes.as_str()), (5, "typed on the phone"), "the pending field stays");
    assert!(got.field_hlcs["notes"] < hlc(4) && got.field_hlcs["headcount"] == hlc(4));
    assert!(s.get::<Contact>(y.id).await.unwrap().unwrap().deleted);
    assert_eq!(s.sync_state().await.unwrap().cursor, "epoch.3");
}

pub async fn places_are_kept_and_listed_like_every_record<S: Store>(s: &S) {
    let place = |n: u128, minutes: i64| {
        let at = latarnia_core::Position { lat: 54.44, lon: 18.56, accuracy_m: 9.0 };
        let created = t0() + Duration::minutes(minutes);
        Site::new(Uuid::from_u128(n), format!("Altanka {n}"), SiteKind::AllotmentShed, at, created)
    };
    let (a, b) = (place(800, 0), place(801, 5));
    s.write(Edit::Save(a.clone()), NOW).await.unwrap();
    s.write(Edit::Save(b.clone()), NOW + 1).await.unwrap();
    let listed = s.list::<Site>(&Query::default()).await.unwrap();
    assert_eq!(listed.iter().map(|r| r.id).collect::<Vec<_>>(), [b.id, a.id], "newest first");
    let outbox = s.outbox().await.unwrap();
    assert_eq!(outbox.iter().filter(|m| m.collection == "sites").count(), 2);
    s.write(Edit::<Site>::Delete(a.id), NOW + 2).await.unwrap();
    assert_eq!(s.list::<Site>(&Query::default()).await.unwrap().len(), 1, "a deleted place is not listed");
    assert!(s.get::<Site>(a.id).await.unwrap().unwrap().deleted, "but kept, restorable");
    let deleted = s.list::<Site>(&Query { deleted: true, ..Default::default() }).await.unwrap();
    assert_eq!(deleted.iter().map(|r| r.id).collect::<Vec<_>>(), [a.id], "the deleted ones, to restore");
    s.write(Edit::<Site>::Restore(a.id), NOW + 3).await.unwrap();
    assert_eq!(s.list::<Site>(&Query::default()).await.unwrap().len(), 2, "restored");
    assert!(s.list::<Site>(&Query { deleted: true, ..Default::default() }).await.unwrap().is_empty());
}

pub async fn resending_renumbers_everything_held<S: Store>(s: &S) {
    let (a, b) = (contact(500, None, 0), contact(501, None, 1));
    s.write(Edit::Save(a.clone()), NOW).await.unwrap();
    s.write(Edit::Save(b.clone()), NOW + 1).await.unwrap();
    let mut a2 = a.clone();
    a2.notes = "later".into();
    let edit = s.write(Edit::Save(a2), NOW + 2).await.unwrap().unwrap();
    s.write(Edit::<Contact>::Delete(b.id), NOW + 3).await.unwrap();
    s.acknowledge(4, vec![]).await.unwrap();
    s.resend_all(2).await.unwrap();
    let outbox = s.outbox().await.unwrap();
    assert_eq!(outbox.iter().map(|m| m.mid).collect::<Vec<_>>(), (3..3 + outbox.len() as u64).collect::<Vec<_>>());
    assert_eq!(s.clock().await.unwrap().last_mid, 2 + outbox.len() as u64);
    let notes = outbox.iter().find(|m| m.id == a.id && m.hlc == edit.hlc).expect("the edit keeps its own HLC");
    assert_eq!(notes.fields["notes"], "later");
    assert!(outbox.iter().any(|m| m.id == b.id && m.op == Op::Delete), "a deleted record is sent deleted");
    assert!(outbox.iter().filter(|m| m.op == Op::Upsert).all(|m| !m.fields.is_empty()));
}

pub async fn session_and_sync_state_are_kept<S: Store>(s: &S) {
    assert_eq!(s.session().await.unwrap(), None);
    assert_eq!(s.sync_state().await.unwrap().last_sync_ms, None);
    let session = session();
    s.set_session(Some(session.clone())).await.unwrap();
    assert_eq!(s.session().await.unwrap(), Some(session.clone()));
    s.set_last_sync(NOW).await.unwrap();
    assert_eq!(s.sync_state().await.unwrap().last_sync_ms, Some(NOW));
    s.set_session(None).await.unwrap();
    assert_eq!(s.session().await.unwrap(), None);
    // Signing out forgets everything; the device starts again under a new id.
    s.set_session(Some(Session { token: "u".into(), ..session.clone() })).await.unwrap();
    s.write(Edit::Save(contact(600, None, 0)), NOW).await.unwrap();
    s.wipe(Uuid::from_u128(99)).await.unwrap();
    assert_eq!(s.session().await.unwrap(), None);
    assert!(s.outbox().await.unwrap().is_empty());
    assert!(s.list::<Contact>(&Query::default()).await.unwrap().is_empty());
    assert_eq!(s.get::<Contact>(Uuid::from_u128(600)).await.unwrap(), None);
    let clock = s.clock().await.unwrap();
    assert_eq!((clock.client_id, clock.last_mid), (Uuid::from_u128(99), 0));
    assert_eq!(s.sync_state().await.unwrap().cursor, "");
}

pub async fn the_key_ring_is_kept_and_goes_at_a_wipe<S: Store>(s: &S) {
    use crate::crypto::WrappedKey;
    let before = s.key_ring().await.unwrap();
    let wrapped = WrappedKey { salt: vec![1; 16], iterations: 600_000, iv: vec![2; 12], wrapped: vec![3; 48] };
    let ring = super::KeyRing {
        key: super::KeyRing::KEY.into(),
        pin: Some(wrapped.clone()),
        recovery: Some(WrappedKey { salt: vec![], iterations: 0, ..wrapped }),
        failures: 3,
        next_try_ms: NOW,
        owner: Uuid::from_u128(5),
    };
    s.set_key_ring(&ring).await.unwrap();
    assert_eq!(s.key_ring().await.unwrap(), Some(ring.clone()));
    // Ten wrong PINs: the PIN's copy goes, the recovery copy stays.
    let locked_out = super::KeyRing { pin: None, failures: 10, ..ring };
    s.set_key_ring(&locked_out).await.unwrap();
    assert_eq!(s.key_ring().await.unwrap(), Some(locked_out));
    if before.is_none() {
        s.wipe(Uuid::from_u128(98)).await.unwrap();
        assert_eq!(s.key_ring().await.unwrap(), None, "a wipe forgets the key ring");
    }
}

fn session() -> Session {
    Session {
        key: Session::KEY.into(),
        token: "t".into(),
        expires_at: "2026-12-01T00:00:00Z".into(),
        user: User {
            id: Uuid::from_u128(1),
            login: "ala".into(),
            display_name: "Ala".into(),
            role: Role::Streetworker,
            org_id: Uuid::from_u128(2),
        },
        phone: latarnia_core::sync::PhoneSettings { lock_after_minutes: 2 },
    }
}

pub async fn a_write_stores_the_record_and_one_outbox_mutation<S: Store>(s: &S) {
    let before = s.clock().await.unwrap();
    assert_eq!(before.last_mid, 0, "fresh store has sent nothing");
    assert!(s.outbox().await.unwrap().is_empty());

    let p = patrol(1);
    let m = s.write(Edit::Save(p.clone()), NOW).await.unwrap().expect("a new record writes");
    assert_eq!((m.mid, m.op, m.collection.as_str(), m.id), (1, Op::Upsert, "patrols", p.id));
    assert!(!m.fields.contains_key("id"));
    assert_eq!(m.fields["area"], "Dworzec");

    let stored = s.get::<Patrol>(p.id).await.unwrap().expect("record stored");
    assert_eq!(stored.data, p);
    assert!(!stored.deleted);
    assert_eq!(stored.hlc, m.hlc);
    assert_eq!(s.outbox().await.unwrap(), vec![m.clone()]);
    let after = s.clock().await.unwrap();
    assert_eq!((after.last_mid, after.client_id, after.hlc.as_str()), (1, before.client_id, m.hlc.as_str()));
    assert!(m.hlc.ends_with(&before.client_id.to_string()));
}

pub async fn an_edit_pushes_only_changed_fields<S: Store>(s: &S) {
    let mut c = contact(10, None, 0);
    s.write(Edit::Save(c.clone()), NOW).await.unwrap();
    assert_eq!(s.write(Edit::Save(c.clone()), NOW).await.unwrap(), None, "unchanged save writes nothing");

    c.notes = "<script>alert(1)</script> koc".into();
    c.given.insert(Item::Blanket, 2);
    let m = s.write(Edit::Save(c.clone()), NOW).await.unwrap().unwrap();
    assert_eq!(m.mid, 2);
    let mut keys: Vec<_> = m.fields.keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["given", "notes"]);
    assert_eq!(s.get::<Contact>(c.id).await.unwrap().unwrap().data, c);
}

pub async fn delete_hides_and_restore_brings_back<S: Store>(s: &S) {
    let c = contact(20, None, 0);
    s.write(Edit::Save(c.clone()), NOW).await.unwrap();
    let del = s.write(Edit::<Contact>::Delete(c.id), NOW).await.unwrap().unwrap();
    assert_eq!((del.op, del.mid), (Op::Delete, 2));
    assert!(del.fields.is_empty());
    assert!(s.list::<Contact>(&Query::default()).await.unwrap().is_empty(), "deleted is hidden");
    assert!(s.get::<Contact>(c.id).await.unwrap().unwrap().deleted, "but kept");
    assert_eq!(s.write(Edit::<Contact>::Delete(c.id), NOW).await.unwrap(), None);

    let mut edited = c.clone();
    edited.notes = "edited while deleted".into();
    s.write(Edit::Save(edited), NOW).await.unwrap();
    assert!(s.get::<Contact>(c.id).await.unwrap().unwrap().deleted, "an upsert does not undelete");

    let res = s.write(Edit::<Contact>::Restore(c.id), NOW).await.unwrap().unwrap();
    assert_eq!(res.op, Op::Restore);
    assert_eq!(s.list::<Contact>(&Query::default()).await.unwrap().len(), 1);
    assert_eq!(s.write(Edit::<Contact>::Delete(Uuid::from_u128(999)), NOW).await, Err(StoreError::NotFound));
}

pub async fn an_invalid_record_writes_nothing<S: Store>(s: &S) {
    let mut c = contact(30, None, 0);
    c.notes = "x".repeat(2_001);
    match s.write(Edit::Save(c.clone()), NOW).await {
        Err(StoreError::Invalid(e)) => assert_eq!(e.code_for("notes"), Some("notes_too_long")),
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(s.get::<Contact>(c.id).await.unwrap(), None);
    assert!(s.outbox().await.unwrap().is_empty());
    assert_eq!(s.clock().await.unwrap().last_mid, 0);
}

pub async fn lists_filter_by_parent_and_time_and_page<S: Store>(s: &S) {
    let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
    for i in 0..10u128 {
        let parent = if i % 2 == 0 { Some(a) } else { Some(b) };
        s.write(Edit::Save(contact(100 + i, parent, i as i64 * 10)), NOW).await.unwrap();
    }
    s.write(Edit::<Contact>::Delete(Uuid::from_u128(108)), NOW).await.unwrap();

    let ids = |v: Vec<super::Local<Contact>>| v.into_iter().map(|r| (r.id.as_u128() - 100) as u32).collect::<Vec<_>>();
    assert_eq!(ids(s.list(&Query::default()).await.unwrap()), [9, 7, 6, 5, 4, 3, 2, 1, 0]);
    assert_eq!(ids(s.list(&Query { parent: Some(a), ..Default::default() }).await.unwrap()), [6, 4, 2, 0]);
    let from = (t0() + Duration::minutes(20)).timestamp_millis() as f64;
    let to = (t0() + Duration::minutes(50)).timestamp_millis() as f64;
    let range = Query { from_ms: Some(from), to_ms: Some(to), ..Default::default() };
    assert_eq!(ids(s.list(&range).await.unwrap()), [5, 4, 3, 2], "bounds are inclusive");
    let page2 = Query { offset: 3, limit: Some(3), ..Default::default() };
    assert_eq!(ids(s.list(&page2).await.unwrap()), [5, 4, 3], "paging skips deleted records");
    let parent_page = Query { parent: Some(a), offset: 1, limit: Some(2), ..Default::default() };
    assert_eq!(ids(s.list(&parent_page).await.unwrap()), [4, 2]);
    // The records alone, for computations: the same live ones in the same time bounds.
    let mut data: Vec<u32> =
        s.list_data::<Contact>(&range).await.unwrap().into_iter().map(|c| (c.id.as_u128() - 100) as u32).collect();
    data.sort();
    assert_eq!(data, [2, 3, 4, 5]);
    assert_eq!(s.list_data::<Contact>(&Query::default()).await.unwrap().len(), 9, "never the deleted one");
}

pub async fn mids_are_contiguous_and_clocks_increase<S: Store>(s: &S) {
    for i in 0..60u128 {
        // The wall clock stands still and even goes back: the HLC must still increase.
        let now = NOW - (i as u64 % 3) * 1_000;
        s.write(Edit::Save(contact(200 + i, None, 0)), now).await.unwrap();
    }
    // Writes at once (two taps while a save is still under way): new records and edits of one
    // record race for the clock; every one lands, once, in order.
    let at_once = (0..12u128).map(|i| {
        let c = match i % 2 {
            0 => contact(300 + i, None, 0),
            _ => Contact { headcount: 2 + i as u32, ..contact(200, None, 0) },
        };
        s.write(Edit::Save(c), NOW)
    });
    for written in futures::future::join_all(at_once).await {
        assert!(written.unwrap().is_some(), "every write at once lands");
    }
    assert_eq!(s.list::<Contact>(&Query::default()).await.unwrap().len(), 66);
    let outbox = s.outbox().await.unwrap();
    let mids: Vec<u64> = outbox.iter().map(|m| m.mid).collect();
    assert_eq!(mids, (1..=72).collect::<Vec<u64>>());
    let hlcs: Vec<Hlc> = outbox.iter().map(|m| m.hlc.parse().unwrap()).collect();
    assert!(hlcs.windows(2).all(|w| w[0] < w[1]), "HLCs strictly increase");
}

/// A contact recorded offline at "Wiadukt nad Wartą" while the coordinator merged it into "Most
/// na Warcie": after the merge is pulled the app reads it at the survivor — in lists, one by
/// one and in the indicators — and so does a report pulled after the merge, in either order.
pub async fn a_record_linked_to_a_merged_place_reads_at_the_survivor(s: &AppStore) {
    use latarnia_core::indicators::{compute, Period};
    use latarnia_core::protocol::fields_of;
    let place = |n: u128, label: &str| {
        let at = latarnia_core::Position { lat: 52.40, lon: 16.93, accuracy_m: 9.0 };
        Site::new(Uuid::from_u128(n), label, SiteKind::BridgeViaduct, at, t0())
    };
    let (most, wiadukt) = (place(900, "Most na Warcie"), place(901, "Wiadukt nad Wartą"));
    let hlc = |n: u64| Hlc { physical_ms: NOW + n, counter: 0, client: Uuid::from_u128(0xc0) }.to_string();
    let pulled =
        |site: &Site, deleted: bool, n: u64| change(site.id, "sites", fields_of(site).into(), deleted, &hlc(n));
    s.apply_pull(&raw(&[pulled(&most, false, 1), pulled(&wiadukt, false, 1)]), "c1", NOW).await.unwrap();
    let mut offline = contact(902, None, 0);
    offline.site_id = Some(wiadukt.id);
    s.write(Edit::Save(offline.clone()), NOW + 2).await.unwrap();
    let january = Period::month(2026, 1).unwrap();
    assert_eq!(compute(&super::indicator_dataset(s, &january).await.unwrap(), &january).places_active, 1);

    let retired = Site { merged_into: Some(most.id), ..wiadukt.clone() };
    s.apply_pull(&raw(&[pulled(&retired, true, 3)]), "c2", NOW).await.unwrap();
    let at = |c: &Contact| c.site_id;
    let listed = s.list::<Contact>(&Query::default()).await.unwrap();
    assert_eq!(listed.iter().map(|c| at(&c.data)).collect::<Vec<_>>(), [Some(most.id)]);
    assert_eq!(s.list_data::<Contact>(&Query::default()).await.unwrap()[0].site_id, Some(most.id));
    assert_eq!(s.get::<Contact>(offline.id).await.unwrap().unwrap().data.site_id, Some(most.id));
    let sites = s.list_data::<Site>(&Query::default()).await.unwrap();
    assert_eq!(sites.iter().map(|s| s.id).collect::<Vec<_>>(), [most.id], "the merged place is gone");
    assert_eq!(
        latarnia_core::sites::visits(most.id, &s.list_data::<Contact>(&Query::default()).await.unwrap(), &[]).len(),
        1
    );
    let table = compute(&super::indicator_dataset(s, &january).await.unwrap(), &january);
    assert_eq!(table.places_active, 1, "the survivor, counted once");
    // What is stored is as the worker wrote it (nothing rewritten behind anybody's back).
    let outbox = s.outbox().await.unwrap();
    assert_eq!(outbox.len(), 1);

    // A report about the merged place arriving after the merge.
    let report = latarnia_core::Report {
        site_id: Some(wiadukt.id),
        ..latarnia_core::Report::new(Uuid::from_u128(903), t0(), "Ktoś śpi pod wiaduktem")
    };
    s.apply_pull(&raw(&[change(report.id, "reports", fields_of(&report).into(), false, &hlc(4))]), "c3", NOW)
        .await
        .unwrap();
    assert_eq!(s.list_data::<latarnia_core::Report>(&Query::default()).await.unwrap()[0].site_id, Some(most.id));
}

/// An unsaved form survives until it is saved or discarded, one per form, and a wipe (sign-out)
/// takes it with everything else.
pub async fn a_draft_is_kept_until_saved_or_discarded_and_goes_at_a_wipe<S: Store>(s: &S) {
    assert_eq!(s.draft("contact:new").await.unwrap(), None);
    s.set_draft("contact:new", Some("{\"notes\":\"pół\"}".into())).await.unwrap();
    s.set_draft("contact:7", Some("edit".into())).await.unwrap();
    s.set_draft("contact:new", Some("{\"notes\":\"półtora\"}".into())).await.unwrap();
    assert_eq!(s.draft("contact:new").await.unwrap().as_deref(), Some("{\"notes\":\"półtora\"}"));
    assert_eq!(s.draft("contact:7").await.unwrap().as_deref(), Some("edit"));
    s.set_draft("contact:new", None).await.unwrap();
    assert_eq!(s.draft("contact:new").await.unwrap(), None);
    assert_eq!(s.draft("contact:7").await.unwrap().as_deref(), Some("edit"), "one form's draft at a time");
    s.wipe(Uuid::from_u128(99)).await.unwrap();
    assert_eq!(s.draft("contact:7").await.unwrap(), None);
}

/// A record the server refused (a partner's run, say) can be given up: the refusal and the
/// phone's copy go, the other refusals and records stay.
pub async fn a_refused_record_can_be_discarded_with_its_refusal<S: Store>(s: &S) {
    for i in 0..2u128 {
        s.write(Edit::Save(contact(500 + i, None, 0)), NOW).await.unwrap();
    }
    let outbox = s.outbox().await.unwrap();
    let refuse =
        |m: &latarnia_core::Mutation| Rejected { mutation: m.clone(), error: "forbidden".into(), message: "no".into() };
    s.acknowledge(2, vec![refuse(&outbox[0]), refuse(&outbox[1])]).await.unwrap();
    s.discard_rejected("contacts", outbox[0].id).await.unwrap();
    let left = s.rejected().await.unwrap();
    assert_eq!(left.iter().map(|r| r.id).collect::<Vec<_>>(), [outbox[1].id]);
    assert!(s.get::<Contact>(outbox[0].id).await.unwrap().is_none(), "the refused copy is gone");
    assert!(s.get::<Contact>(outbox[1].id).await.unwrap().is_some());
    // An unknown collection (a newer app's refusal) is dropped without touching records.
    s.discard_rejected("no_such_collection", outbox[1].id).await.unwrap();
    assert_eq!(s.rejected().await.unwrap().len(), 1);
}
