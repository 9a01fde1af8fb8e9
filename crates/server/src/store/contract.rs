//! The contract every storage backend passes (SQLite in `tests/store.rs`, PostgreSQL there too
//! when one is reachable): one test per check and backend through [`storage_contract!`]. Each
//! check panics with what went wrong. Test-only code (the `test-support` feature).

use latarnia_core::sync::{PushRequest, Role, Status, User, SCHEMA_VERSION};
use latarnia_core::{Mutation, Op};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::{Db, Scan, StoreError};

fn fields(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

pub fn patrol_fields(area: &str) -> Map<String, Value> {
    fields(json!({"kind": "night_patrol", "team": ["Ala"], "partner": null, "area": area,
                  "started_at": "2026-01-10T21:00:00Z", "ended_at": null}))
}

pub fn mutation(mid: u64, id: Uuid, op: Op, hlc_ms: u64, client: Uuid, f: Map<String, Value>) -> Mutation {
    let hlc = latarnia_core::Hlc { physical_ms: hlc_ms, counter: 0, client }.to_string();
    Mutation { mid, collection: "patrols".into(), id, op, hlc, fields: f }
}

/// A fresh organisation with one user of `role`.
pub async fn user(db: &Db, role: Role) -> User {
    let org = db.org_add(&format!("org-{}", Uuid::new_v4())).await.expect("org_add");
    let user = User {
        id: Uuid::new_v4(),
        login: format!("u-{}", Uuid::new_v4()),
        display_name: "Test".into(),
        role,
        org_id: org.id,
    };
    db.user_add(&user, "hash").await.expect("user_add");
    user
}

/// Another user of `role` in `org`.
pub async fn user_in(db: &Db, org: Uuid, role: Role, name: &str) -> User {
    let user = User {
        id: Uuid::new_v4(),
        login: format!("u-{}", Uuid::new_v4()),
        display_name: name.into(),
        role,
        org_id: org,
    };
    db.user_add(&user, "hash").await.expect("user_add");
    user
}

fn push(client: Uuid, mutations: Vec<Mutation>) -> PushRequest {
    PushRequest { client_id: client, schema_version: SCHEMA_VERSION, mutations }
}

/// One test per check of the contract, for the backend that `$open` opens: an async fn
/// returning `Option<(keep, Db)>` — `None` when the backend is not reachable here, `keep` what
/// must outlive the test (its directory). Each check runs on a fresh database, and one failing
/// check does not hide the others.
#[macro_export]
macro_rules! storage_contract {
    ($open:path) => {
        $crate::storage_contract!(@each $open; accounts_and_tokens, push_is_idempotent_and_ordered, rejections_never_block, pull_pages_in_version_order_and_resumes, organisations_never_see_each_other, a_client_id_belongs_to_one_user, the_log_names_who_and_which_fields, epoch_renewal, indicator_records_are_the_live_ones_as_they_are_now, each_role_reads_and_writes_only_its_fields, erasure_retention_and_the_trash, retention_keeps_the_indicators_but_distinct_persons, pulls_are_logged, scans_page_through_every_record_once, a_window_sends_only_what_the_phone_keeps, live_records_are_one_collection_s_live_ones);
    };
    (@each $open:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $check() {
                let Some((_keep, db)) = $open().await else { return };
                $crate::store::contract::$check(&db).await;
            }
        )*
    };
}

/// A windowed pull sends the records inside the window and open work, whatever their age; the
/// rest stays readable through `history`, newest first, at a place or not. A record that
/// comes back into the window (marked for follow-up again) is sent at the next pull.
pub async fn a_window_sends_only_what_the_phone_keeps(db: &Db) {
    use super::HistoryQuery;
    let u = user(db, Role::Streetworker).await;
    assert_eq!(db.window_days(u.org_id, Role::Streetworker).await.unwrap(), 30, "the default");
    assert_eq!(db.window_days(u.org_id, Role::Coordinator).await.unwrap(), 400);
    let org = db.org_list().await.unwrap().into_iter().find(|(o, _)| o.id == u.org_id).unwrap().0;
    assert!(db.org_set_window(&org.name, Role::Streetworker, 14).await.unwrap());
    assert_eq!(db.window_days(u.org_id, Role::Streetworker).await.unwrap(), 14);
    assert!(!db.org_set_window("no such org", Role::Streetworker, 14).await.unwrap());
    let client = Uuid::new_v4();
    let site = Uuid::new_v4();
    let ids: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
    let mut m = vec![
        contact_mutation(1, ids[0], client, "stary", "2026-01-01T22:00:00Z"),
        contact_mutation(2, ids[1], client, "nowy", "2026-03-01T22:00:00Z"),
        contact_mutation(3, ids[2], client, "do-sprawdzenia", "2026-01-02T22:00:00Z"),
        contact_mutation(4, ids[3], client, "przy-miejscu", "2026-01-03T22:00:00Z"),
    ];
    m[2].fields.insert("follow_up".into(), json!(true));
    m[3].fields.insert("site_id".into(), json!(site));
    // An open patrol from long ago is open work.
    m.push(mutation(5, Uuid::new_v4(), Op::Upsert, 1_700_000_000_005, client, patrol_fields("Stare Miasto")));
    db.push(&u, &push(client, m), 1_700_000_000_000).await.unwrap();
    let from = chrono::DateTime::parse_from_rfc3339("2026-02-01T00:00:00Z").unwrap().timestamp_millis();
    let pull = |after| db.pull(&u, client, after, 2, Some(from));
    let (mut after, mut seen) = (0, Vec::new());
    loop {
        let page = pull(after).await.unwrap();
        seen.extend(page.changes.iter().map(|c| c.parse()));
        after = page.last_version;
        if !page.has_more {
            break;
        }
    }
    let mut names: Vec<_> =
        seen.iter().map(|c| c.fields.get("pseudonym").cloned().unwrap_or(json!("patrol"))).collect();
    names.sort_by_key(|v| v.to_string());
    assert_eq!(names, vec![json!("do-sprawdzenia"), json!("nowy"), json!("patrol")], "{seen:?}");
    assert_eq!(
        after, 5,
        "the last page ends at the organisation's version: what the window left out is not read again"
    );
    assert!(pull(after).await.unwrap().changes.is_empty());
    assert_eq!(db.pull(&u, client, 0, 100, None).await.unwrap().changes.len(), 5, "no window: everything");

    let older = |site| HistoryQuery { collection: "contacts".into(), before_ms: from, site, limit: 10 };
    let got: Vec<_> = db.history(&u, &older(None)).await.unwrap().iter().map(|c| c.parse()).collect();
    assert_eq!(got.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ids[3], ids[0]], "newest first, open work not");
    let at_site = db.history(&u, &older(Some(site))).await.unwrap();
    assert_eq!(at_site.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ids[3]], "a place's older visits");

    // Back into the window: the follow-up mark set on the old contact.
    let mut again = contact_mutation(6, ids[0], client, "stary", "2026-01-01T22:00:00Z");
    again.fields = fields(json!({"follow_up": true}));
    db.push(&u, &push(client, vec![again]), 1_700_000_000_000).await.unwrap();
    let page = pull(after).await.unwrap();
    assert_eq!(page.changes.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ids[0]]);
}

/// A job reads an organisation's records a page at a time: every page continues where the last
/// ended, across collections, and no record is seen twice or left out.
pub async fn scans_page_through_every_record_once(db: &Db) {
    let u = user(db, Role::Coordinator).await;
    let client = Uuid::new_v4();
    let mut ms = Vec::new();
    let (mut contacts, mut deleted) = (Vec::new(), Vec::new());
    for n in 0..7u64 {
        let id = Uuid::new_v4();
        ms.push(contact_mutation(n + 1, id, client, "x", "2024-01-01T20:00:00Z"));
        contacts.push(id);
    }
    for n in 0..5u64 {
        let (id, mid) = (Uuid::new_v4(), 8 + 2 * n);
        let patrol = mutation(mid, id, Op::Upsert, 1_000 + mid, client, patrol_fields("Dworzec"));
        // Deleted records of two collections: patrols, and contacts (the first two).
        let m = if n < 3 { patrol } else { contact_mutation(mid, id, client, "y", "2024-01-01T20:00:00Z") };
        let collection = m.collection.clone();
        ms.push(m);
        ms.push(Mutation {
            collection,
            ..mutation(mid + 1, id, Op::Delete, 1_800_000_000_000 + mid, client, Map::new())
        });
        deleted.push(id);
    }
    let r = db.push(&u, &push(client, ms), 1_800_000_000_000).await.unwrap();
    assert!(r.results.len() == 17 && r.results.iter().all(|r| r.status == Status::Applied), "{:?}", r.results);
    for (only_deleted, expected) in [(false, contacts.len() + 2), (true, deleted.len())] {
        let (mut seen, mut after) = (Vec::new(), None);
        loop {
            let which = if only_deleted { Scan::Deleted } else { Scan::Collection("contacts") };
            let page = db.scan(u.org_id, which, after.take(), 2).await.unwrap();
            assert!(page.rows.len() <= 2, "a page holds at most its limit");
            seen.extend(page.rows.iter().map(|(c, id, _)| (c.clone(), *id)));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(seen.len(), sorted.len(), "each once: {seen:?}");
        assert_eq!(seen.len(), expected, "deleted only: {only_deleted}");
        let mut wanted: Vec<(String, Uuid)> = if only_deleted {
            deleted
                .iter()
                .enumerate()
                .map(|(n, id)| (if n < 3 { "patrols" } else { "contacts" }.to_owned(), *id))
                .collect()
        } else {
            contacts.iter().chain(&deleted[3..]).map(|id| ("contacts".to_owned(), *id)).collect()
        };
        wanted.sort();
        assert_eq!(sorted, wanted, "every one, none other");
    }
}

fn contact_mutation(mid: u64, id: Uuid, client: Uuid, pseudonym: &str, at: &str) -> Mutation {
    let c = latarnia_core::fixture::sopot_summer_2021().contacts[0].clone();
    let mut f = latarnia_core::protocol::fields_of(&c);
    f.insert("pseudonym".into(), json!(pseudonym));
    f.insert("notes".into(), json!("kaszle; mieszka u siostry"));
    f.insert("position".into(), json!({"lat": 54.44, "lon": 18.56, "accuracy_m": 5.0}));
    f.insert("at".into(), json!(at));
    Mutation { collection: "contacts".into(), ..mutation(mid, id, Op::Upsert, 1_700_000_000_000 + mid, client, f) }
}

pub async fn erasure_retention_and_the_trash(db: &Db) {
    use super::{run_job, Job};
    let u = user(db, Role::Streetworker).await;
    let client = Uuid::new_v4();
    let (a, b, c, p) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let ms = vec![
        contact_mutation(1, a, client, "Pan Janek", "2021-06-01T20:00:00Z"),
        contact_mutation(2, b, client, "pan  JANEK", "2026-11-20T20:00:00Z"),
        contact_mutation(3, c, client, "Ola", "2026-11-20T20:00:00Z"),
        mutation(4, p, Op::Upsert, 1_000, client, patrol_fields("Dworzec")),
        mutation(5, p, Op::Delete, 2_000, client, Map::new()),
    ];
    db.push(&u, &push(client, ms), 1_800_000_000_000).await.unwrap();
    let now = 1_800_000_000_000;
    // Erasure: case and spaces ignored, as an ordinary change every phone pulls.
    assert_eq!(run_job(db, u.org_id, &Job::Erase(" pan janek".into()), now, true).await.unwrap(), 2, "dry run");
    assert_eq!(run_job(db, u.org_id, &Job::Erase(" pan janek".into()), now, false).await.unwrap(), 2);
    let by_id =
        |changes: &[latarnia_core::sync::Change], id: Uuid| changes.iter().find(|x| x.id == id).unwrap().clone();
    let all = pull_all(db, &u).await;
    for id in [a, b] {
        let x = by_id(&all, id);
        assert_eq!((x.fields["pseudonym"].as_str(), x.fields["notes"].as_str()), (Some(""), Some("")));
        assert!(!x.fields["position"].is_null(), "an erasure keeps the position; retention takes it");
    }
    assert_eq!(by_id(&all, c).fields["pseudonym"], "Ola");
    let log = db.audit(u.org_id, "contacts", a).await.unwrap();
    let last = log.last().unwrap();
    assert_eq!((last.op.as_str(), last.fields.clone()), ("erase", vec!["notes".to_string(), "pseudonym".to_string()]));
    assert_eq!((last.user_id, last.record_id), (super::SERVER_USER, a));
    // One line of the log names the page's records; each record's log reads it as its own.
    let of_b = db.audit(u.org_id, "contacts", b).await.unwrap();
    assert_eq!((of_b.last().unwrap().op.as_str(), of_b.last().unwrap().record_id), ("erase", b));
    assert!(db.audit(u.org_id, "contacts", c).await.unwrap().iter().all(|e| e.op != "erase"), "not a record it left");
    assert!(
        !serde_json::to_string(&log).unwrap().to_lowercase().contains("janek"),
        "the log never holds the pseudonym"
    );
    assert_eq!(run_job(db, u.org_id, &Job::Erase("Pan Janek".into()), now, false).await.unwrap(), 0, "nothing left");
    // Retention: contacts before the cutoff lose pseudonym, notes and exact position.
    let cutoff = chrono::DateTime::parse_from_rfc3339("2023-12-01T00:00:00Z").unwrap().to_utc();
    assert_eq!(run_job(db, u.org_id, &Job::Retention(cutoff), now, true).await.unwrap(), 1);
    assert!(!by_id(&pull_all(db, &u).await, a).fields["position"].is_null(), "a dry run changes nothing");
    assert_eq!(run_job(db, u.org_id, &Job::Retention(cutoff), now, false).await.unwrap(), 1);
    let all = pull_all(db, &u).await;
    assert!(by_id(&all, a).fields["position"].is_null());
    assert_eq!(by_id(&all, a).fields["headcount"], by_id(&all, c).fields["headcount"], "counts stay");
    assert!(!by_id(&all, b).fields["position"].is_null(), "newer contacts keep theirs");
    // Retention also takes what was typed about people elsewhere, once past the period: a closed
    // report's description, outcome and landmark (an open one is still work), a patrol's notes,
    // a meal-run stop's notes and the label it took from a report.
    let (closed, open, old_patrol, stop) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let coordinator = user_in(db, u.org_id, Role::Coordinator, "koordynatorka").await;
    let cc = Uuid::new_v4();
    let report = |status: &str| {
        json!({"received_at": "2021-06-01T21:00:00Z", "source": "phone_24h", "site_id": null,
        "position": {"lat": 54.44, "lon": 18.56, "accuracy_m": 5.0}, "place_note": "za Biedronką",
        "description": "Pan Janek śpi na ławce", "urgency": "urgent", "status": status, "outcome": "w schronisku",
        "assigned_to": "Ania"})
    };
    let mut old = patrol_fields("Dworzec");
    old.insert("started_at".into(), json!("2021-06-01T20:00:00Z"));
    old.insert("notes".into(), json!("Pan Janek znów pod mostem"));
    let stop_fields = json!({"run_id": Uuid::new_v4(), "seq": 1, "site_id": null, "report_id": closed,
        "label": "Pan Janek śpi na ławce", "position": {"lat": 54.44, "lon": 18.56, "accuracy_m": 0.0},
        "status": "done", "skip_reason": "", "people_found": 1, "given": {"hot_meal": 1}, "condition": "ok",
        "ambulance_called": false, "taken_to_shelter": false, "refused": false, "notes": "zmarznięty",
        "done_at": "2021-06-01T23:00:00Z", "contact_id": null});
    let ms = vec![
        report_mutation(1, closed, 10_000, cc, report("closed")),
        report_mutation(2, open, 10_000, cc, report("assigned")),
        Mutation { collection: "patrols".into(), ..mutation(3, old_patrol, Op::Upsert, 10_000, cc, old) },
        Mutation {
            collection: "meal_run_stops".into(),
            ..mutation(4, stop, Op::Upsert, 10_000, cc, fields(stop_fields))
        },
    ];
    let r = db.push(&coordinator, &push(cc, ms), now).await.unwrap();
    assert!(r.results.iter().all(|r| r.status == Status::Applied), "{r:?}");
    assert_eq!(run_job(db, u.org_id, &Job::Retention(cutoff), now, false).await.unwrap(), 3);
    let all = pull_all(db, &coordinator).await;
    let (x, y) = (by_id(&all, closed), by_id(&all, open));
    assert_eq!(
        (x.fields["description"].as_str(), x.fields["outcome"].as_str(), x.fields["place_note"].as_str()),
        (Some("—"), Some("—"), Some(""))
    );
    assert_eq!(
        (x.fields["status"].as_str(), x.fields["urgency"].as_str()),
        (Some("closed"), Some("urgent")),
        "counts stay"
    );
    assert_eq!(y.fields["description"], "Pan Janek śpi na ławce", "an open report is still work");
    assert_eq!(by_id(&all, old_patrol).fields["notes"], "");
    let s = by_id(&all, stop);
    assert_eq!((s.fields["notes"].as_str(), s.fields["label"].as_str()), (Some(""), Some("—")));
    assert_eq!(s.fields["people_found"], 1, "what was done stays");
    assert_eq!(run_job(db, u.org_id, &Job::Retention(cutoff), now, false).await.unwrap(), 0, "once");
    // The trash: the patrol deleted at 2 s is erased for good; a restore is refused.
    assert_eq!(run_job(db, u.org_id, &Job::Purge(now as u64 - 30 * 86_400_000), now, false).await.unwrap(), 1);
    assert_eq!(run_job(db, u.org_id, &Job::Purge(now as u64), now, false).await.unwrap(), 0, "once");
    assert!(db.scan(u.org_id, Scan::Deleted, None, 10).await.unwrap().rows.is_empty());
    let x = by_id(&pull_all(db, &u).await, p);
    assert!(x.deleted && x.fields.is_empty());
    let r = db
        .push(&u, &push(client, vec![mutation(6, p, Op::Restore, 1_800_000_000_001, client, Map::new())]), now)
        .await
        .unwrap();
    assert_eq!(r.results[0].error.as_deref(), Some("gone"));
    let r = db
        .push(&u, &push(client, vec![mutation(7, p, Op::Upsert, 1_800_000_000_002, client, patrol_fields("x"))]), now)
        .await
        .unwrap();
    assert_eq!(r.results[0].status, Status::Applied, "answered, so the phone's outbox moves on");
    assert!(by_id(&pull_all(db, &u).await, p).fields.is_empty(), "but nothing comes back");
}

pub async fn retention_keeps_the_indicators_but_distinct_persons(db: &Db) {
    use latarnia_core::indicators::{compute, Period};
    let u = user(db, Role::Coordinator).await;
    push_fixture(db, &u).await;
    let year = Period::parse("2021-01-01", "2021-12-31", None).unwrap();
    let before = compute(&db.indicator_records(u.org_id).await.unwrap(), &year);
    let cutoff = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap().to_utc();
    let n = super::run_job(db, u.org_id, &super::Job::Retention(cutoff), 1_900_000_000_000, false).await.unwrap();
    assert!(n > 900, "{n}");
    let after = compute(&db.indicator_records(u.org_id).await.unwrap(), &year);
    assert!(before.distinct_persons > 0);
    assert_eq!(after.distinct_persons, 0, "no pseudonym is left to tell persons apart");
    let same = latarnia_core::indicators::Indicators { distinct_persons: before.distinct_persons, ..after };
    assert_eq!(same, before, "every other indicator stays");
}

pub async fn pulls_are_logged(db: &Db) {
    let u = user(db, Role::Coordinator).await;
    let client = Uuid::new_v4();
    db.token_add("hash-of-a-token", u.id, "Telefon Ani", 9_999_999_999_999).await.unwrap();
    let row = |token: &str, counts: &str, at_ms| super::AccessRow {
        user: u.clone(),
        client_id: client,
        token_hash: token.into(),
        counts: counts.into(),
        at_ms,
    };
    db.access_log_add(vec![
        row("hash-of-a-token", r#"{"contacts":3,"sites":1}"#, 5_000),
        row("no-such-token", "{}", 6_000),
    ])
    .await
    .unwrap();
    let log = db.access_log(u.org_id, 10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!((log[1].device.as_str(), log[1].counts["contacts"], log[1].at_ms), ("Telefon Ani", 3, 5_000));
    assert_eq!(log[0].login, u.login, "newest first");
    let other = user(db, Role::Admin).await;
    assert!(db.access_log(other.org_id, 10).await.unwrap().is_empty(), "organisations never see each other's");
}

/// Every change `u` pulls, from the start.
pub async fn pull_all(db: &Db, u: &User) -> Vec<latarnia_core::sync::Change> {
    let client = Uuid::new_v4();
    let (mut after, mut out) = (0, Vec::new());
    loop {
        let page = db.pull(u, client, after, 2_000, None).await.unwrap();
        out.extend(page.changes.iter().map(|c| c.parse()));
        after = page.last_version;
        if !page.has_more {
            return out;
        }
    }
}

fn report_mutation(mid: u64, id: Uuid, hlc_ms: u64, client: Uuid, f: Value) -> Mutation {
    Mutation { collection: "reports".into(), ..mutation(mid, id, Op::Upsert, hlc_ms, client, fields(f)) }
}

/// The role table (`access::sees`), cell by cell, as each role's pull carries it; and a
/// partner's pushes: its own reports only, its own fields only.
pub async fn each_role_reads_and_writes_only_its_fields(db: &Db) {
    use latarnia_core::access::{fields as known, sees, Sees};
    let coordinator = user(db, Role::Coordinator).await;
    let org = coordinator.org_id;
    let (worker, admin) =
        (user_in(db, org, Role::Streetworker, "Ula").await, user_in(db, org, Role::Admin, "Adam").await);
    let (p1, p2) =
        (user_in(db, org, Role::Partner, "Straż Miejska").await, user_in(db, org, Role::Partner, "Policja").await);
    push_fixture(db, &coordinator).await;
    // A partner files a report, trying to set what is the team's.
    let (c1, r1) = (Uuid::new_v4(), Uuid::new_v4());
    let filed = report_mutation(
        1,
        r1,
        1_000,
        c1,
        json!({"received_at": "2026-01-10T21:00:00Z", "source": "city_guard",
        "position": {"lat": 54.44, "lon": 18.56, "accuracy_m": 5.0}, "description": "Mężczyzna śpi na ławce",
        "urgency": "urgent", "status": "closed", "outcome": "nic", "assigned_to": "ktoś", "filed_by": "Komendant"}),
    );
    let r = db.push(&p1, &push(c1, vec![filed]), 2_000).await.unwrap();
    assert_eq!(r.results[0].status, Status::Applied, "{r:?}");
    // The coordinator assigns and closes it.
    let cc = Uuid::new_v4();
    let close = report_mutation(
        1,
        r1,
        3_000,
        cc,
        json!({"status": "closed", "outcome": "Sprawdzone, w schronisku", "assigned_to": "Ania"}),
    );
    assert_eq!(db.push(&coordinator, &push(cc, vec![close]), 4_000).await.unwrap().results[0].status, Status::Applied);
    // Another partner may not change it; its filer may, in its own fields only.
    let c2 = Uuid::new_v4();
    let r = db
        .push(&p2, &push(c2, vec![report_mutation(1, r1, 5_000, c2, json!({"description": "x"}))]), 6_000)
        .await
        .unwrap();
    assert_eq!((r.results[0].status, r.results[0].error.as_deref()), (Status::Rejected, Some("forbidden")));
    let r = db
        .push(
            &p1,
            &push(
                c1,
                vec![report_mutation(
                    2,
                    r1,
                    5_000,
                    c1,
                    json!({"description": "Mężczyzna i pies", "outcome": "zmienione"}),
                )],
            ),
            6_000,
        )
        .await
        .unwrap();
    assert_eq!(r.results[0].status, Status::Applied);
    for who in [&coordinator, &worker, &admin, &p1, &p2] {
        let changes = pull_all(db, who).await;
        let mut cells = 0;
        for c in &changes {
            let own = c.collection == "reports" && c.id == r1 && who.id == p1.id;
            for field in known(&c.collection) {
                let expected = match sees(who.role, &c.collection, field) {
                    Sees::Every => true,
                    Sees::Own => own,
                    Sees::Never => false,
                };
                let present = c.fields.contains_key(*field);
                let what = format!("{} reading {}.{field} (own: {own})", who.role.as_str(), c.collection);
                if c.id == r1 {
                    // Filed by a partner with some fields only: nothing it may not see is there.
                    assert!(!present || expected, "{what}");
                } else if !c.deleted {
                    // The fixture's records carry every field: each cell of the table shows.
                    assert_eq!(present, expected, "{what}");
                }
                assert_eq!(
                    c.field_hlcs.contains_key(*field),
                    c.fields.contains_key(*field),
                    "{}.{field}'s HLC",
                    c.collection
                );
                cells += 1;
            }
        }
        assert!(cells > 0);
        let collections: std::collections::BTreeSet<&str> = changes.iter().map(|c| c.collection.as_str()).collect();
        if who.role == Role::Partner {
            assert!(!collections.contains("contacts") && !collections.contains("patrols"), "{collections:?}");
        }
        let report = changes.iter().find(|c| c.id == r1).unwrap();
        match who.role {
            Role::Partner if who.id == p1.id => {
                assert_eq!(report.fields["description"], "Mężczyzna i pies");
                assert_eq!(report.fields["outcome"], "Sprawdzone, w schronisku", "a partner's outcome is dropped");
                assert_eq!(report.fields["filed_by"], "Straż Miejska", "the server names the filer");
                assert_eq!(report.fields["status"], "closed");
                assert!(!report.fields.contains_key("assigned_to"));
            }
            Role::Partner => {
                assert!(!report.fields.contains_key("description") && !report.fields.contains_key("outcome"))
            }
            _ => {
                assert_eq!(report.fields["assigned_to"], "Ania", "a partner's assignee is dropped");
                assert_eq!(report.fields["filed_by"], "Straż Miejska");
            }
        }
    }
}

/// Pushes the Sopot fixture for `u` from a new client, in pushes of at most 500; returns the
/// client and its last `mid`.
pub async fn push_fixture(db: &Db, u: &User) -> (Uuid, u64) {
    let client = Uuid::new_v4();
    let all = latarnia_core::fixture::sopot_summer_2021().mutations(client, 1);
    let last = all.len() as u64;
    for chunk in all.chunks(500) {
        let r = db.push(u, &push(client, chunk.to_vec()), 1_900_000_000_000).await.unwrap();
        assert!(
            r.results.iter().all(|m| m.status == Status::Applied),
            "{:?}",
            r.results.iter().find(|m| m.status != Status::Applied)
        );
    }
    (client, last)
}

/// `live_records`: one collection's live records of one organisation, with their fields as they
/// are now (an edit merged in, a deleted record gone).
pub async fn live_records_are_one_collection_s_live_ones(db: &Db) {
    use latarnia_core::protocol::{fields_of, COUNTS, COUNT_PEOPLE};
    let u = user(db, Role::Coordinator).await;
    let ex = latarnia_core::fixture::count_example();
    let client = Uuid::new_v4();
    let at = |mid: u64, collection: &str, id: Uuid, op: Op, f: Map<String, Value>| Mutation {
        collection: collection.into(),
        ..mutation(mid, id, op, 1_800_000_000_000 + mid, client, f)
    };
    let second = Uuid::from_u128(0xE5);
    let muts = vec![
        at(1, COUNTS, ex.count.id, Op::Upsert, fields_of(&ex.count)),
        at(2, COUNT_PEOPLE, ex.person.id, Op::Upsert, fields_of(&ex.person)),
        at(3, COUNT_PEOPLE, second, Op::Upsert, fields_of(&ex.person)),
        at(4, COUNT_PEOPLE, second, Op::Delete, Map::new()),
        at(5, COUNT_PEOPLE, ex.person.id, Op::Upsert, fields(json!({"observed": true}))),
    ];
    db.push(&u, &push(client, muts), 1_900_000_000_000).await.unwrap();
    let people = db.live_records(u.org_id, COUNT_PEOPLE).await.unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].0, ex.person.id.to_string());
    let read: Value = serde_json::from_str(&people[0].1).unwrap();
    assert_eq!((read["observed"].clone(), read["count_id"].clone()), (json!(true), json!(ex.count.id)));
    assert_eq!(db.live_records(u.org_id, COUNTS).await.unwrap().len(), 1);
    let other = user(db, Role::Coordinator).await;
    assert!(db.live_records(other.org_id, COUNT_PEOPLE).await.unwrap().is_empty());
}

pub async fn indicator_records_are_the_live_ones_as_they_are_now(db: &Db) {
    use latarnia_core::indicators::{compute, Period};
    let u = user(db, Role::Coordinator).await;
    let (client, last) = push_fixture(db, &u).await;
    let f = latarnia_core::fixture::sopot_summer_2021();
    let summer = Period::parse("2021-06-01", "2021-08-31", None).unwrap();
    let d = db.indicator_records(u.org_id).await.unwrap();
    assert_eq!(compute(&d, &summer), compute(&f, &summer));
    let closed = f.sites.last().unwrap().id;
    assert_eq!(d.status_set_at.get(&closed), f.status_set_at.get(&closed));

    // A deleted contact is gone; an edited one is there once, as it is now.
    let (gone, edited) = (f.contacts[1].id, f.contacts[2].id);
    let hlc = |ms| latarnia_core::Hlc { physical_ms: ms, counter: 0, client }.to_string();
    let del = Mutation {
        mid: last + 1,
        collection: "contacts".into(),
        id: gone,
        op: Op::Delete,
        hlc: hlc(1_800_000_000_000),
        fields: Map::new(),
    };
    let edit = Mutation {
        mid: last + 2,
        collection: "contacts".into(),
        id: edited,
        op: Op::Upsert,
        hlc: hlc(1_800_000_000_001),
        fields: fields(json!({"headcount": 5})),
    };
    db.push(&u, &push(client, vec![del, edit]), 1_900_000_000_000).await.unwrap();
    let d = db.indicator_records(u.org_id).await.unwrap();
    assert_eq!(d.contacts.len(), f.contacts.len() - 1);
    assert!(d.contacts.iter().all(|c| c.id != gone));
    assert_eq!(d.contacts.iter().filter(|c| c.id == edited).map(|c| c.headcount).collect::<Vec<_>>(), [5]);

    // Another organisation's records are never read.
    let other = user(db, Role::Coordinator).await;
    assert_eq!(db.indicator_records(other.org_id).await.unwrap().contacts.len(), 0);
}

pub async fn accounts_and_tokens(db: &Db) {
    let u = user(db, Role::Coordinator).await;
    assert!(matches!(db.user_add(&User { id: Uuid::new_v4(), ..u.clone() }, "h").await, Err(StoreError::Conflict)));
    let a = db.account(&u.login).await.unwrap().expect("account");
    assert_eq!((a.user.clone(), a.password_hash.as_str(), a.disabled), (u.clone(), "hash", false));
    assert!(db.user_list(Some(u.org_id)).await.unwrap().iter().any(|a| a.user == u));
    db.token_add("t1", u.id, "phone", 2_000).await.unwrap();
    db.token_add("t2", u.id, "tablet", 2_000).await.unwrap();
    // A phone's recovery key: made once, the same at every sign-in, one per phone.
    let (phone, tablet) = (Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(db.device_key(u.id, phone, "k1").await.unwrap(), "k1");
    assert_eq!(db.device_key(u.id, phone, "k2").await.unwrap(), "k1", "kept, not replaced");
    assert_eq!(db.device_key(u.id, tablet, "k3").await.unwrap(), "k3");
    assert_eq!(db.token_user("t1", 1_000).await.unwrap(), Some(u.clone()));
    assert_eq!(db.token_user("t1", 2_000).await.unwrap(), None, "expired");
    assert_eq!(db.token_user("nope", 1_000).await.unwrap(), None);
    db.token_revoke("t1").await.unwrap();
    assert_eq!(db.token_user("t1", 1_000).await.unwrap(), None, "revoked");
    assert!(!db.token_wiped("t1").await.unwrap(), "a sign-out is no remote wipe");
    assert!(!db.token_wiped("t2").await.unwrap() && !db.token_wiped("nope").await.unwrap());
    assert_eq!(db.tokens_revoke_all(&u.login).await.unwrap(), 1);
    assert_eq!(db.token_user("t2", 1_000).await.unwrap(), None);
    assert!(db.token_wiped("t2").await.unwrap(), "`token revoke` withdraws the device");
    assert_eq!(db.device_key(u.id, phone, "k4").await.unwrap(), "k4", "and the old recovery key is gone");
    db.token_add("t3", u.id, "phone", 2_000).await.unwrap();
    assert!(db.user_disable(&u.login).await.unwrap());
    assert_eq!(db.token_user("t3", 1_000).await.unwrap(), None, "disabled");
    assert!(db.token_wiped("t3").await.unwrap(), "`user disable` withdraws the devices");
    assert_eq!(db.device_key(u.id, phone, "k5").await.unwrap(), "k5", "and forgets their recovery keys");
    assert!(db.user_enable(&u.login).await.unwrap());
    assert_eq!(db.phone_settings(u.org_id).await.unwrap().lock_after_minutes, 5, "five minutes by default");
    let org = db.org_list().await.unwrap().into_iter().find(|(o, _)| o.id == u.org_id).unwrap().0;
    assert!(db.org_set_lock_minutes(&org.name, 2).await.unwrap());
    assert_eq!(db.phone_settings(u.org_id).await.unwrap().lock_after_minutes, 2);
    assert!(!db.org_set_lock_minutes("no such organisation", 2).await.unwrap());
    assert_eq!(db.phone_settings(Uuid::new_v4()).await.unwrap().lock_after_minutes, 5);
    assert!(db.user_set_role(&u.login, Role::Partner).await.unwrap());
    assert_eq!(db.account(&u.login).await.unwrap().unwrap().user.role, Role::Partner);
    assert!(db.user_set_role(&u.login, u.role).await.unwrap());
    assert!(!db.user_set_role("nobody-here", Role::Admin).await.unwrap());
    db.token_add("t4", u.id, "phone", 2_000).await.unwrap();
    assert!(db.user_set_password(&u.login, "hash2").await.unwrap());
    assert_eq!(db.token_user("t4", 1_000).await.unwrap(), None, "a new password ends the sessions");
    assert!(!db.token_wiped("t4").await.unwrap(), "but keeps the phone's unsent records");
    assert!(db.user_disable(&u.login).await.unwrap());
    assert!(!db.user_disable("nobody-here").await.unwrap());
    assert!(db.user_count().await.unwrap() >= 1);
}

pub async fn push_is_idempotent_and_ordered(db: &Db) {
    let u = user(db, Role::Streetworker).await;
    let client = Uuid::new_v4();
    let id = Uuid::new_v4();
    let req = push(
        client,
        vec![
            mutation(1, id, Op::Upsert, 1_000, client, patrol_fields("Dworzec")),
            mutation(2, id, Op::Upsert, 2_000, client, fields(json!({"area": "Park"}))),
        ],
    );
    let r = db.push(&u, &req, 5_000).await.unwrap();
    assert_eq!(r.last_mutation_id, 2);
    assert!(r.results.iter().all(|x| x.status == Status::Applied), "{r:?}");
    let again = db.push(&u, &req, 5_000).await.unwrap();
    assert_eq!(again.last_mutation_id, 2);
    assert!(again.results.iter().all(|x| x.status == Status::Duplicate), "{again:?}");
    let page = db.pull(&u, client, 0, 100, None).await.unwrap();
    assert_eq!(page.changes.len(), 1, "one record, not two");
    assert_eq!(page.changes[0].parse().fields["area"], "Park");
    assert_eq!(page.last_mutation_id, 2);
    // A gap stops the push: mid 4 waits for mid 3.
    let gap = db.push(&u, &push(client, vec![mutation(4, id, Op::Delete, 3_000, client, Map::new())]), 5_000).await;
    assert_eq!(gap.unwrap().last_mutation_id, 2);
    // Delete, then an upsert of another field does not undelete; restore does.
    let r = db
        .push(
            &u,
            &push(
                client,
                vec![
                    mutation(3, id, Op::Delete, 3_000, client, Map::new()),
                    mutation(4, id, Op::Upsert, 4_000, client, fields(json!({"area": "Most"}))),
                ],
            ),
            5_000,
        )
        .await
        .unwrap();
    assert_eq!(r.last_mutation_id, 4);
    let stored = db.pull(&u, client, 0, 100, None).await.unwrap().changes.remove(0);
    let c = &stored.parse();
    // Sent as stored, it reads as the change it is.
    let sent: latarnia_core::sync::Change = serde_json::from_str(&serde_json::to_string(&stored).unwrap()).unwrap();
    assert_eq!(&sent, c);
    assert!(!c.deleted_hlc.is_empty());
    assert!(c.deleted);
    // A deleted record goes out as its tombstone: no field, no field's HLC.
    assert!(c.fields.is_empty() && c.field_hlcs.is_empty(), "{c:?}");
    db.push(&u, &push(client, vec![mutation(5, id, Op::Restore, 6_000, client, Map::new())]), 7_000).await.unwrap();
    let restored = db.pull(&u, client, 0, 100, None).await.unwrap().changes[0].parse();
    assert!(!restored.deleted);
    assert_eq!(restored.fields["area"], "Most", "the server kept them through the trash: restored whole");
}

pub async fn rejections_never_block(db: &Db) {
    let u = user(db, Role::Streetworker).await;
    let client = Uuid::new_v4();
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let mut bad = mutation(1, a, Op::Upsert, 1_000, client, patrol_fields("x"));
    bad.fields.insert("kind".into(), json!("boat trip"));
    let mut unknown = mutation(2, a, Op::Upsert, 1_001, client, patrol_fields("x"));
    unknown.collection = "boats".into();
    let good = mutation(3, b, Op::Upsert, 1_002, client, patrol_fields("ok"));
    let r = db.push(&u, &push(client, vec![bad, unknown, good]), 5_000).await.unwrap();
    let codes: Vec<_> = r.results.iter().map(|x| (x.status, x.error.clone())).collect();
    assert_eq!(
        codes,
        vec![
            (Status::Rejected, Some("invalid".into())),
            (Status::Rejected, Some("unknown_collection".into())),
            (Status::Applied, None)
        ]
    );
    assert_eq!(r.last_mutation_id, 3);
    let page = db.pull(&u, client, 0, 100, None).await.unwrap();
    assert_eq!(page.changes.iter().map(|c| c.id).collect::<Vec<_>>(), vec![b]);
    // A partner may not write patrols, nor read them.
    let p = User { id: Uuid::new_v4(), login: format!("p-{}", Uuid::new_v4()), role: Role::Partner, ..u.clone() };
    db.user_add(&p, "h").await.unwrap();
    let pc = Uuid::new_v4();
    let r = db.push(&p, &push(pc, vec![mutation(1, Uuid::new_v4(), Op::Upsert, 1, pc, patrol_fields("p"))]), 5).await;
    assert_eq!(r.unwrap().results[0].error.as_deref(), Some("forbidden"));
    assert!(db.pull(&p, pc, 0, 100, None).await.unwrap().changes.is_empty());
}

pub async fn pull_pages_in_version_order_and_resumes(db: &Db) {
    let u = user(db, Role::Streetworker).await;
    let client = Uuid::new_v4();
    let ids: Vec<Uuid> = (0..7).map(|_| Uuid::new_v4()).collect();
    let ms = ids
        .iter()
        .enumerate()
        .map(|(i, id)| mutation(i as u64 + 1, *id, Op::Upsert, 1_000 + i as u64, client, patrol_fields("a")))
        .collect();
    db.push(&u, &push(client, ms), 9_000).await.unwrap();
    // Edit the first again: it moves to the end.
    let edit = mutation(8, ids[0], Op::Upsert, 2_000, client, fields(json!({"area": "b"})));
    db.push(&u, &push(client, vec![edit]), 9_000).await.unwrap();
    let full = db.pull(&u, client, 0, 100, None).await.unwrap();
    assert!(!full.has_more);
    assert_eq!(full.changes.len(), 7);
    assert!(full.changes.windows(2).all(|w| w[0].version < w[1].version));
    assert_eq!(full.changes.last().unwrap().id, ids[0]);
    // Any cursor, paged by 3: the same records as one full pull.
    for start in [0, full.changes[2].version, full.last_version] {
        let mut after = start;
        let mut seen: Vec<Uuid> = full.changes.iter().filter(|c| c.version <= start).map(|c| c.id).collect();
        loop {
            let p = db.pull(&u, client, after, 3, None).await.unwrap();
            let left = full.changes.iter().filter(|c| c.version > p.last_version).count() as u64;
            // Exact here: the only superseded write (version 1) is behind every page.
            assert_eq!(p.remaining, left, "what comes after this page");
            seen.extend(p.changes.iter().map(|c| c.id));
            after = p.last_version;
            if !p.has_more {
                break;
            }
        }
        seen.sort();
        let mut want: Vec<Uuid> = full.changes.iter().map(|c| c.id).collect();
        want.sort();
        assert_eq!(seen, want, "resuming after version {start}");
        assert_eq!(after, full.last_version);
    }
    // A cursor past anything the database has: it was restored from an older backup.
    assert!(matches!(db.pull(&u, client, full.last_version + 1, 10, None).await, Err(StoreError::CursorReset)));
}

pub async fn organisations_never_see_each_other(db: &Db) {
    let a = user(db, Role::Admin).await;
    let b = user(db, Role::Admin).await;
    let (ca, cb) = (Uuid::new_v4(), Uuid::new_v4());
    let id = Uuid::new_v4();
    db.push(&a, &push(ca, vec![mutation(1, id, Op::Upsert, 1, ca, patrol_fields("A's"))]), 10).await.unwrap();
    // B writes a record with the same id: B's own record, A's is untouched.
    db.push(&b, &push(cb, vec![mutation(1, id, Op::Upsert, 2, cb, patrol_fields("B's"))]), 10).await.unwrap();
    let pa = db.pull(&a, ca, 0, 100, None).await.unwrap();
    let pb = db.pull(&b, cb, 0, 100, None).await.unwrap();
    assert_eq!(pa.changes.len(), 1);
    assert_eq!(pa.changes[0].parse().fields["area"], "A's");
    assert_eq!(pb.changes[0].parse().fields["area"], "B's");
    assert!(db.audit(b.org_id, "patrols", id).await.unwrap().iter().all(|e| e.user_id == b.id));
}

pub async fn a_client_id_belongs_to_one_user(db: &Db) {
    let a = user(db, Role::Streetworker).await;
    let b = User { id: Uuid::new_v4(), login: format!("b-{}", Uuid::new_v4()), ..a.clone() };
    db.user_add(&b, "h").await.unwrap();
    let client = Uuid::new_v4();
    db.push(&a, &push(client, vec![mutation(1, Uuid::new_v4(), Op::Upsert, 1, client, patrol_fields("x"))]), 5)
        .await
        .unwrap();
    let stolen = db
        .push(&b, &push(client, vec![mutation(2, Uuid::new_v4(), Op::Upsert, 1, client, patrol_fields("y"))]), 5)
        .await;
    assert!(matches!(stolen, Err(StoreError::Forbidden(_))), "{stolen:?}");
    assert_eq!(db.pull(&b, client, 0, 10, None).await.unwrap().last_mutation_id, 0, "B learns nothing of A's client");
    // Refused beside others at the same moment (one group commit on PostgreSQL): only it is
    // undone, and the others land.
    let (own, id) = (Uuid::new_v4(), Uuid::new_v4());
    let pushes = [
        push(client, vec![mutation(2, Uuid::new_v4(), Op::Upsert, 1, client, patrol_fields("y"))]),
        push(own, vec![mutation(1, id, Op::Upsert, 1, own, patrol_fields("B's own"))]),
        push(client, vec![mutation(2, Uuid::new_v4(), Op::Upsert, 2, client, patrol_fields("z"))]),
    ];
    let (stolen, fine, a_again) =
        tokio::join!(db.push(&b, &pushes[0], 5), db.push(&b, &pushes[1], 5), db.push(&a, &pushes[2], 5));
    assert!(matches!(stolen, Err(StoreError::Forbidden(_))), "{stolen:?}");
    assert_eq!((fine.unwrap().last_mutation_id, a_again.unwrap().last_mutation_id), (1, 2));
    assert_eq!(db.audit(b.org_id, "patrols", id).await.unwrap().len(), 1);
}

pub async fn the_log_names_who_and_which_fields(db: &Db) {
    let u = user(db, Role::Streetworker).await;
    let client = Uuid::new_v4();
    let id = Uuid::new_v4();
    let mut bad = mutation(2, id, Op::Upsert, 2, client, fields(json!({"area": "x".repeat(500)})));
    bad.fields.insert("team".into(), json!(["A"]));
    db.push(&u, &push(client, vec![mutation(1, id, Op::Upsert, 1, client, patrol_fields("a")), bad]), 5).await.unwrap();
    let log = db.audit(u.org_id, "patrols", id).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!((log[0].user_id, log[0].client_id, log[0].mid, log[0].status.as_str()), (u.id, client, 1, "applied"));
    assert!(log[0].fields.contains(&"area".to_string()));
    assert_eq!((log[1].status.as_str(), log[1].error.as_deref()), ("rejected", Some("invalid")));
    assert_eq!(log[1].fields, vec!["area".to_string(), "team".to_string()]);
}

pub async fn epoch_renewal(db: &Db) {
    let e1 = db.epoch().await.unwrap();
    assert_eq!(db.epoch().await.unwrap(), e1);
    let e2 = db.renew_epoch().await.unwrap();
    assert_ne!(e1, e2);
    assert_eq!(db.epoch().await.unwrap(), e2);
    db.ping().await.unwrap();
}
