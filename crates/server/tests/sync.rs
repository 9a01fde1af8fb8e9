//! docs/protocol.md's "What the tests must prove", against the real server binary over HTTP, with a
//! fault-injecting proxy and real SIGKILLs. The phones run the app's sync engine.

mod common;

/// Each test runs on SQLite and on PostgreSQL.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread")]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread")]
            async fn postgres() {
                super::$name(Backend::Postgres).await
            }
        }
    )*};
}

use std::time::Duration;

use common::*;
use latarnia_core::engine::{SyncError, Transport, TransportError};
use latarnia_core::sync::{PullResponse, PushRequest, PushResponse, Role};
use latarnia_core::{Contact, Op, PositionStatus};
use serde_json::{json, Map, Value};
use uuid::Uuid;

const PASSWORD: &str = "password-of-the-test";

fn patrol(area: &str) -> Map<String, Value> {
    json!({"kind": "night_patrol", "team": ["Ala"], "partner": null, "area": area,
           "started_at": "2026-01-10T21:00:00Z", "ended_at": null})
    .as_object()
    .unwrap()
    .clone()
}

fn contact(notes: &str) -> Map<String, Value> {
    let mut c = Contact::quick(Uuid::nil(), None, chrono::Utc::now(), Err(PositionStatus::Denied));
    c.notes = notes.into();
    latarnia_core::protocol::fields_of(&c)
}

struct World {
    _tmp: tempfile::TempDir,
    server: Server,
    admin: Http,
}

impl World {
    /// A server on a fresh database of `backend`; `None` when that backend is not available.
    async fn new(backend: Backend) -> Option<World> {
        let url = backend.fresh_url().await?;
        let tmp = tempfile::tempdir().unwrap();
        let server = Server::start_with(tmp.path(), &url, free_addr());
        let (login, password) = server.first_admin.clone().expect("first start prints the admin's password");
        let admin = Http::login(&server.url(), &login, &password).await;
        Some(World { _tmp: tmp, server, admin })
    }

    async fn worker(&self, login: &str) -> Http {
        self.server.add_user(login, "streetworker");
        Http::login(&self.server.url(), login, PASSWORD).await
    }
}

/// A copy of the database (taken with the server stopped, as a backup tool would).
enum Backup {
    Files(tempfile::TempDir),
    Postgres(String),
}

impl World {
    fn backup(&mut self) -> Backup {
        self.server.kill9();
        let b = if self.server.database_url.is_empty() {
            let dir = tempfile::tempdir().unwrap();
            for e in std::fs::read_dir(&self.server.data_dir).unwrap() {
                let e = e.unwrap();
                std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
            }
            Backup::Files(dir)
        } else {
            let name = format!("latarnia_backup_{}", Uuid::new_v4().simple());
            let (head, db) = self.server.database_url.rsplit_once('/').unwrap();
            pg_admin(&format!("{head}/postgres"), &format!("CREATE DATABASE {name} TEMPLATE {db}"));
            Backup::Postgres(name)
        };
        self.server.restart();
        b
    }

    fn restore(&mut self, b: Backup) {
        self.server.kill9();
        match b {
            Backup::Files(dir) => {
                for e in std::fs::read_dir(&self.server.data_dir).unwrap() {
                    std::fs::remove_file(e.unwrap().path()).unwrap();
                }
                for e in std::fs::read_dir(dir.path()).unwrap() {
                    let e = e.unwrap();
                    std::fs::copy(e.path(), self.server.data_dir.join(e.file_name())).unwrap();
                }
            }
            Backup::Postgres(name) => {
                let (head, db) = self.server.database_url.rsplit_once('/').unwrap();
                let admin = format!("{head}/postgres");
                pg_admin(&admin, &format!("DROP DATABASE {db} WITH (FORCE)"));
                pg_admin(&admin, &format!("CREATE DATABASE {db} TEMPLATE {name}"));
            }
        }
        // The operator runs `latarnia-server restored` after a restore (docs/deploy).
        self.server.admin(&["restored"], "");
        self.server.restart();
    }
}

fn pg_admin(url: &str, sql: &str) {
    let url = url.to_owned();
    let sql = sql.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            c.batch_execute(&sql).await.unwrap();
        })
    })
    .join()
    .unwrap();
}

/// Syncs until it succeeds (the network may keep failing for a while).
async fn sync_until_done<T: Transport<Fields = serde_json::Map<String, serde_json::Value>>>(phone: &Phone, t: &T) {
    for _ in 0..200 {
        match phone.sync(t).await {
            Ok(_) => return,
            Err(SyncError::Transport(TransportError::Offline | TransportError::Unavailable(_))) => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(e) => panic!("sync failed for good: {e:?}"),
        }
    }
    panic!("sync never succeeded");
}

fn alive(state: &Records) -> usize {
    state.values().filter(|(_, d)| !d).count()
}

async fn a_replayed_push_whose_answer_was_lost_duplicates_nothing(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let http = w.worker("ala").await;
    let proxy = Proxy::start(w.server.url(), 1).await;
    let via = http.via(&proxy.url());
    let phone = Phone::new();
    for i in 0..20 {
        phone.edit("contacts", Uuid::new_v4(), Op::Upsert, contact(&format!("c{i}")));
    }
    proxy.set(Faults { drop_answer: 1.0, ..Default::default() });
    for _ in 0..3 {
        assert!(phone.sync(&via).await.is_err(), "the answer is lost");
    }
    assert_eq!(phone.state.borrow().outbox.len(), 20, "nothing acknowledged without an answer");
    proxy.set(Faults { duplicate: 1.0, ..Default::default() });
    let report = phone.sync(&via).await.unwrap();
    assert_eq!(report.pushed, 20);
    assert!(phone.state.borrow().outbox.is_empty());
    let server = server_state(&w.admin).await;
    assert_eq!(server.len(), 20, "each contact once, after 3 lost answers and a duplicated request");
    assert_eq!(server, phone.state.borrow().records);
    assert_eq!(proxy.tally()[1], 3);
}

async fn the_server_killed_before_or_after_commit_loses_nothing(backend: Backend) {
    let Some(mut w) = World::new(backend).await else { return };
    let http = w.worker("ala").await;
    let phone = Phone::new();
    let mut rng = Rng::new(7);
    // Killed at random moments while a large push is in flight: before, during or after its
    // commit. Whatever happened, the phone's next sync completes the same state.
    for round in 0..5 {
        for i in 0..400 {
            phone.edit("contacts", Uuid::new_v4(), Op::Upsert, contact(&format!("r{round} c{i}")));
        }
        let delay = rng.below(40);
        let (result, ()) = tokio::join!(phone.sync(&http), async {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            w.server.kill9();
        });
        let _ = result;
        w.server.restart();
        sync_until_done(&phone, &http).await;
        assert!(phone.state.borrow().outbox.is_empty());
        let server = server_state(&w.admin).await;
        assert_eq!(server.len(), 400 * (round + 1), "round {round}, killed after {delay} ms");
        assert_eq!(server, phone.state.borrow().records);
    }
    // After the commit for sure: the answer is lost, then the server dies.
    let proxy = Proxy::start(w.server.url(), 2).await;
    proxy.set(Faults { drop_answer: 1.0, ..Default::default() });
    phone.edit("patrols", Uuid::new_v4(), Op::Upsert, patrol("after commit"));
    assert!(phone.sync(&http.via(&proxy.url())).await.is_err());
    w.server.restart();
    sync_until_done(&phone, &http).await;
    let server = server_state(&w.admin).await;
    assert_eq!(server.len(), 2001);
    assert_eq!(server, phone.state.borrow().records);
}

async fn a_phone_closed_right_after_applying_a_batch_re_pulls_the_same_state(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let a = w.worker("ala").await;
    let b = w.worker("ola").await;
    let writer = Phone::new();
    for i in 0..1_200 {
        writer.edit("contacts", Uuid::new_v4(), Op::Upsert, contact(&format!("c{i}")));
    }
    sync_until_done(&writer, &a).await;
    // The reader applies the first batch (500 records and its cursor)…
    let reader = Phone::new();
    let page = b.pull(reader.client_id, "", 500).await.unwrap();
    latarnia_core::engine::Replica::apply_pull(&reader, &page.changes, (), &page.cursor).await.unwrap();
    // …and is closed before anything else; it comes back with what it had stored.
    let saved = reader.state.borrow().clone();
    assert_eq!(saved.records.len(), 500);
    let reopened = Phone::from_state(reader.client_id, saved);
    sync_until_done(&reopened, &b).await;
    let fresh = Phone::new();
    sync_until_done(&fresh, &b).await;
    assert_eq!(reopened.state.borrow().records, fresh.state.borrow().records);
    assert_eq!(reopened.state.borrow().records, writer.state.borrow().records);
}

async fn a_rejected_mutation_never_blocks_later_ones_and_is_kept_to_show(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let http = w.worker("ala").await;
    let phone = Phone::new();
    let bad = Uuid::new_v4();
    let mut invalid = patrol("x");
    invalid.insert("kind".into(), json!("boat trip"));
    phone.edit("patrols", bad, Op::Upsert, invalid);
    let good: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
    for id in &good {
        phone.edit("patrols", *id, Op::Upsert, patrol("ok"));
    }
    let report = phone.sync(&http).await.unwrap();
    assert_eq!((report.pushed, report.rejected), (4, 1));
    let s = phone.state.borrow().clone();
    assert!(s.outbox.is_empty());
    assert_eq!(s.rejected.len(), 1);
    assert_eq!((s.rejected[0].mutation.id, s.rejected[0].error.as_str()), (bad, "invalid"));
    assert!(s.rejected[0].message.contains("boat trip"), "{}", s.rejected[0].message);
    let server = server_state(&w.admin).await;
    assert_eq!(server.keys().map(|k| k.1).collect::<Vec<_>>().len(), 3);
    assert!(good.iter().all(|id| server.contains_key(&("patrols".to_string(), *id))));
}

/// A transport through which the user edits while a push is in flight.
struct EditDuringPush<'a> {
    inner: &'a Http,
    phone: &'a Phone,
    id: Uuid,
}

impl Transport for EditDuringPush<'_> {
    type Fields = serde_json::Map<String, serde_json::Value>;

    async fn push(&self, req: &PushRequest) -> Result<PushResponse, TransportError> {
        if self.phone.state.borrow().records.len() < 2 {
            self.phone.edit("patrols", self.id, Op::Upsert, patrol("typed during the sync"));
        }
        self.inner.push(req).await
    }
    async fn pull(&self, client: Uuid, cursor: &str, limit: u32) -> Result<PullResponse, TransportError> {
        self.inner.pull(client, cursor, limit).await
    }
}

async fn edits_made_while_a_sync_is_in_flight_are_pushed_next(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let http = w.worker("ala").await;
    let phone = Phone::new();
    phone.edit("patrols", Uuid::new_v4(), Op::Upsert, patrol("before"));
    let during = Uuid::new_v4();
    phone.sync(&EditDuringPush { inner: &http, phone: &phone, id: during }).await.unwrap();
    phone.sync(&http).await.unwrap();
    assert!(phone.state.borrow().outbox.is_empty());
    let server = server_state(&w.admin).await;
    assert_eq!(server[&("patrols".to_string(), during)].0["area"], "typed during the sync");
    assert_eq!(server, phone.state.borrow().records);
}

/// A transport after whose every push another phone reads the whole server.
struct Watched<'a> {
    inner: &'a Http,
    watcher: &'a Http,
    id: Uuid,
}

impl Transport for Watched<'_> {
    type Fields = serde_json::Map<String, serde_json::Value>;

    async fn push(&self, req: &PushRequest) -> Result<PushResponse, TransportError> {
        let r = self.inner.push(req).await;
        let seen = server_state(self.watcher).await;
        if let Some((_, deleted)) = seen.get(&("contacts".to_string(), self.id)) {
            assert!(*deleted, "the record deleted offline was seen alive on the server");
        }
        r
    }
    async fn pull(&self, client: Uuid, cursor: &str, limit: u32) -> Result<PullResponse, TransportError> {
        self.inner.pull(client, cursor, limit).await
    }
}

async fn a_record_deleted_before_it_was_ever_synced_never_reaches_the_server_alive(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let http = w.worker("ala").await;
    let phone = Phone::new();
    let doomed = Uuid::new_v4();
    phone.edit("contacts", doomed, Op::Upsert, contact("entered by mistake"));
    for i in 0..700 {
        phone.edit("contacts", Uuid::new_v4(), Op::Upsert, contact(&format!("c{i}")));
    }
    phone.edit("contacts", doomed, Op::Delete, Map::new());
    let report = phone.sync(&Watched { inner: &http, watcher: &w.admin, id: doomed }).await.unwrap();
    assert_eq!(report.pushed, 702, "in more than one push (at most 500 each)");
    let server = server_state(&w.admin).await;
    assert!(server[&("contacts".to_string(), doomed)].1, "deleted");
    assert_eq!(alive(&server), 700);
}

/// A transport that pulls small pages and goes offline at the third one.
struct OfflineAtThirdPage<'a> {
    inner: &'a Http,
    pulls: std::cell::Cell<u32>,
}

impl Transport for OfflineAtThirdPage<'_> {
    type Fields = serde_json::Map<String, serde_json::Value>;

    async fn push(&self, req: &PushRequest) -> Result<PushResponse, TransportError> {
        self.inner.push(req).await
    }
    async fn pull(&self, client: Uuid, cursor: &str, _limit: u32) -> Result<PullResponse, TransportError> {
        self.pulls.set(self.pulls.get() + 1);
        if self.pulls.get() == 3 {
            return Err(TransportError::Offline);
        }
        self.inner.pull(client, cursor, 10).await
    }
}

async fn pages_applied_before_the_network_fails_are_kept(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let writer = Phone::new();
    for i in 0..35 {
        writer.edit("contacts", Uuid::new_v4(), Op::Upsert, contact(&format!("c{i}")));
    }
    writer.sync(&w.worker("ala").await).await.unwrap();
    let reader = Phone::new();
    let http = w.worker("ola").await;
    // The next page is fetched while one is written; the third fetch fails.
    let failed = reader.sync(&OfflineAtThirdPage { inner: &http, pulls: 0.into() }).await;
    assert!(matches!(failed, Err(SyncError::Transport(TransportError::Offline))), "{failed:?}");
    let kept = reader.state.borrow().clone();
    assert_eq!(kept.records.len(), 20, "both pages fetched before the failure are applied");
    assert!(!kept.cursor.is_empty(), "with the cursor of the second");
    let report = reader.sync(&http).await.unwrap();
    assert_eq!(report.pulled, 15, "the next sync resumes where it stopped");
    assert_eq!(reader.state.borrow().records, writer.state.borrow().records);
}

/// Several phones, random edits of their own and each other's records, random disconnects,
/// lost answers, duplicated and delayed requests and one server kill: every phone ends equal to
/// the server, with no record lost or duplicated.
async fn seeded_simulation_every_replica_equals_the_server(backend: Backend) {
    let seed: u64 = std::env::var("LATARNIA_SIM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261123);
    println!("simulation seed {seed} (LATARNIA_SIM_SEED={seed} repeats it)");
    let Some(mut w) = World::new(backend).await else { return };
    let mut rng = Rng::new(seed);
    let proxy = Proxy::start(w.server.url(), seed).await;
    proxy.set(Faults { drop_request: 0.1, drop_answer: 0.1, duplicate: 0.1, max_delay_ms: 5 });
    let mut phones = Vec::new();
    for i in 0..5 {
        let http = w.worker(&format!("phone{i}")).await.via(&proxy.url());
        phones.push((Phone::new(), http));
    }
    let mut created: Vec<(String, Uuid)> = Vec::new();
    let ops = 2_000;
    for op in 0..ops {
        if op == ops / 2 {
            w.server.restart();
        }
        let p = rng.below(phones.len() as u64) as usize;
        let (phone, http) = &phones[p];
        // Each phone edits what it knows: its own records and what it pulled.
        let known: Vec<(String, Uuid)> = phone.state.borrow().records.keys().cloned().collect();
        let roll = rng.below(100);
        if known.is_empty() || roll < 30 {
            let id = Uuid::new_v4();
            let (coll, fields) = if rng.chance(0.5) {
                ("patrols", patrol(&format!("p{op}")))
            } else {
                ("contacts", contact(&format!("c{op}")))
            };
            phone.edit(coll, id, Op::Upsert, fields);
            created.push((coll.to_string(), id));
        } else {
            let (coll, id) = known[rng.below(known.len() as u64) as usize].clone();
            let deleted = phone.state.borrow().records[&(coll.clone(), id)].1;
            if roll < 75 {
                let f = if coll == "patrols" {
                    json!({"area": format!("edit {op} by {p}")})
                } else {
                    json!({"notes": format!("edit {op} by {p}"), "headcount": 1 + rng.below(5)})
                };
                phone.edit(&coll, id, Op::Upsert, f.as_object().unwrap().clone());
            } else if deleted {
                phone.edit(&coll, id, Op::Restore, Map::new());
            } else {
                phone.edit(&coll, id, Op::Delete, Map::new());
            }
        }
        // Sometimes the phone has signal and syncs; failures are simply retried later.
        if rng.chance(0.15) {
            let _ = phone.sync(http).await;
        }
    }
    // Everyone comes online on a good network and syncs twice (pushes first, then everyone's
    // pushes are pulled by everyone).
    proxy.set(Faults::default());
    for _ in 0..2 {
        for (phone, http) in &phones {
            sync_until_done(phone, http).await;
        }
    }
    let server = server_state(&w.admin).await;
    let [dropped, lost, duplicated, _] = proxy.tally();
    println!("{} records; {dropped} requests dropped, {lost} answers lost, {duplicated} duplicated", server.len());
    assert!(dropped > 0 && lost > 0 && duplicated > 0, "the faults happened");
    assert_eq!(server.len(), created.len(), "every record created exactly once (seed {seed})");
    for (phone, _) in &phones {
        let s = phone.state.borrow();
        assert!(s.outbox.is_empty() && s.rejected.is_empty(), "seed {seed}");
        assert_eq!(s.records, server, "a phone differs from the server (seed {seed})");
    }
}

/// The database is restored from a backup taken before some pushes: phones notice (their
/// cursor is ahead, their mutations have a gap) and send what the server lost again.
async fn a_server_restored_from_a_backup_is_detected_and_nothing_is_lost(backend: Backend) {
    let Some(mut w) = World::new(backend).await else { return };
    let (a, b) = (w.worker("ala").await, w.worker("ola").await);
    let (pa, pb) = (Phone::new(), Phone::new());
    let first: Vec<Uuid> = (0..10).map(|_| Uuid::new_v4()).collect();
    for id in &first {
        pa.edit("patrols", *id, Op::Upsert, patrol("before the backup"));
    }
    sync_until_done(&pa, &a).await;
    sync_until_done(&pb, &b).await;
    let backup = w.backup();
    // After the backup: A adds and edits, B edits one of A's records and deletes another.
    for _ in 0..5 {
        pa.edit("contacts", Uuid::new_v4(), Op::Upsert, contact("after the backup"));
    }
    pa.edit("patrols", first[0], Op::Upsert, json!({"area": "A's edit"}).as_object().unwrap().clone());
    sync_until_done(&pa, &a).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    sync_until_done(&pb, &b).await;
    pb.edit("patrols", first[0], Op::Upsert, json!({"team": ["B"]}).as_object().unwrap().clone());
    pb.edit("patrols", first[1], Op::Delete, Map::new());
    sync_until_done(&pb, &b).await;
    sync_until_done(&pa, &a).await;
    let before = server_state(&w.admin).await;
    assert_eq!(before.len(), 15);
    w.restore(backup);
    let lost = server_state(&w.admin).await;
    assert_eq!(lost.len(), 10, "the restored server lost the later changes");
    let report_b = pb.sync(&b).await.unwrap();
    let report_a = pa.sync(&a).await.unwrap();
    assert!(report_a.resent && report_b.resent, "{report_a:?} {report_b:?}");
    sync_until_done(&pb, &b).await;
    let after = server_state(&w.admin).await;
    assert_eq!(after, before, "everything is back");
    assert_eq!(after[&("patrols".to_string(), first[0])].0["area"], "A's edit");
    assert_eq!(after[&("patrols".to_string(), first[0])].0["team"], json!(["B"]));
    assert!(after[&("patrols".to_string(), first[1])].1);
    assert_eq!(pa.state.borrow().records, after);
    assert_eq!(pb.state.borrow().records, after);
}

/// A sync's own pushes come back in its pull: they are left as they are (nothing is written
/// again), while a record that carries another phone's write as well is applied.
async fn a_phone_s_own_pushes_come_back_unapplied_and_others_edits_are_applied(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let (a, b) = (Phone::new(), Phone::new());
    let id = Uuid::new_v4();
    a.edit("patrols", id, Op::Upsert, patrol("Dworzec"));
    a.edit("patrols", Uuid::new_v4(), Op::Upsert, patrol("Park"));
    // A field the server does not keep: it comes back without it, and the phone follows.
    let odd = Uuid::new_v4();
    let mut with_odd = patrol("Plac");
    with_odd.insert("favourite_colour".into(), json!("green"));
    a.edit("patrols", odd, Op::Upsert, with_odd);
    let first = a.sync(&w.admin).await.unwrap();
    assert_eq!(
        (first.pushed, first.pulled, first.echoes),
        (3, 3, 2),
        "two came back as sent and were left as they were"
    );
    assert!(!a.state.borrow().records[&("patrols".to_string(), odd)].0.contains_key("favourite_colour"));
    b.sync(&w.admin).await.unwrap();
    b.edit("patrols", id, Op::Upsert, json!({"team": ["Ola"]}).as_object().unwrap().clone());
    b.sync(&w.admin).await.unwrap();
    a.edit("patrols", id, Op::Upsert, json!({"area": "Dworzec PKP"}).as_object().unwrap().clone());
    let second = a.sync(&w.admin).await.unwrap();
    assert_eq!((second.pushed, second.pulled, second.echoes), (1, 1, 0), "the record carries Ola's write too");
    let held = a.state.borrow().records.clone();
    assert_eq!(held[&("patrols".to_string(), id)].0["team"], json!(["Ola"]));
    assert_eq!(held[&("patrols".to_string(), id)].0["area"], "Dworzec PKP");
    assert_eq!(server_state(&w.admin).await, held);
}

/// `compact=true` (docs/protocol.md, "Compatible extensions"): the same changes, each map of
/// field HLCs with the shared one once, read back to exactly the full map; without it, the full
/// map as before.
async fn a_pull_asked_for_shared_hlcs_sends_the_same_changes_in_fewer_bytes(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let a = Phone::new();
    let (one, two) = (Uuid::new_v4(), Uuid::new_v4());
    a.edit("contacts", one, Op::Upsert, contact("Pan spod wiaduktu"));
    a.edit("patrols", two, Op::Upsert, patrol("Dworzec"));
    a.sync(&w.admin).await.unwrap();
    // A later write of one field: that field's HLC differs from the rest.
    a.edit("contacts", one, Op::Upsert, json!({"notes": "Prosi o śpiwór"}).as_object().unwrap().clone());
    a.edit("patrols", two, Op::Delete, Map::new());
    a.sync(&w.admin).await.unwrap();
    let reader = Uuid::new_v4();
    let (s1, full) = w.admin.get(&format!("/sync/pull?client_id={reader}&limit=100")).await;
    let (s2, shared) = w.admin.get(&format!("/sync/pull?client_id={reader}&limit=100&compact=true")).await;
    assert_eq!((s1, s2), (200, 200));
    let full: PullResponse = serde_json::from_value(full).unwrap();
    let mut shared: PullResponse = serde_json::from_value(shared).unwrap();
    assert!(full.changes.iter().all(|c| !c.field_hlcs.contains_key("")), "no key \"\" unless asked");
    let contact = shared.changes.iter().find(|c| c.id == one).unwrap();
    let notes_hlc = full.changes.iter().find(|c| c.id == one).unwrap().field_hlcs["notes"].clone();
    assert_eq!(contact.field_hlcs["notes"], notes_hlc, "the field written later keeps its own HLC");
    assert!(
        contact.field_hlcs[""].len() > 20 && contact.field_hlcs["headcount"].is_empty(),
        "{:?}",
        contact.field_hlcs
    );
    let bytes = |p: &PullResponse| serde_json::to_string(p).unwrap().len();
    assert!(bytes(&shared) * 3 < bytes(&full) * 2, "{} against {}", bytes(&shared), bytes(&full));
    for c in &mut shared.changes {
        latarnia_core::sync::shared_hlcs::expand(&mut c.field_hlcs);
    }
    assert_eq!(shared.changes, full.changes);
    assert_eq!(shared.cursor, full.cursor);
}

/// A week offline with long notes: 600 contacts whose notes are as long as allowed, in Polish
/// (most letters two bytes), are more than the server takes in one push (1 MiB) in the 500
/// mutations of a full batch. The phone sends them in pushes that fit, and every one arrives.
async fn long_notes_queued_offline_go_in_pushes_the_server_takes(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let http = w.worker("ula").await;
    let phone = Phone::new();
    let notes: String = "żółć ".repeat(latarnia_core::validate::NOTES_MAX_CHARS / 5);
    assert_eq!(notes.chars().count(), latarnia_core::validate::NOTES_MAX_CHARS);
    for i in 0..600 {
        let mut fields = contact(&notes);
        fields.insert("pseudonym".into(), json!(format!("osoba {i}")));
        phone.edit("contacts", Uuid::new_v4(), Op::Upsert, fields);
    }
    let queued: usize = phone.state.borrow().outbox.iter().map(|m| serde_json::to_vec(m).unwrap().len()).sum();
    assert!(queued > 2 * latarnia_core::sync::MAX_PUSH_BYTES, "{queued} bytes queued");
    let report = phone.sync(&http).await.expect("every push taken");
    assert_eq!(report.pushed, 600);
    assert!(phone.state.borrow().outbox.is_empty());
    let server = server_state(&w.admin).await;
    assert_eq!(alive(&server), 600);
    assert_eq!(server, phone.state.borrow().records);
}

/// The organisation changes a worker's role and its phones' lock time: the phone hears of both
/// at its next sync (with the pull's last page), not only at its next sign-in a month later.
async fn a_new_role_and_lock_time_reach_the_phone_at_its_next_sync(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let http = w.worker("zosia").await;
    let phone = Phone::new();
    phone.edit("patrols", Uuid::new_v4(), Op::Upsert, patrol("Dworzec"));
    phone.edit("patrols", Uuid::new_v4(), Op::Upsert, patrol("Plac"));
    let account = phone.sync(&http).await.unwrap().account.expect("the pull's last page says who the user is");
    assert_eq!((account.user.login.as_str(), account.user.role), ("zosia", Role::Streetworker));
    assert_eq!(account.phone.lock_after_minutes, 5, "the default");

    w.server.admin(&["user", "role", "zosia", "coordinator"], "");
    w.server.admin(&["org", "lock", "--org", "Latarnia", "--minutes", "2"], "");
    let account = phone.sync(&http).await.unwrap().account.unwrap();
    assert_eq!(account.user.role, Role::Coordinator);
    assert_eq!(account.phone.lock_after_minutes, 2);

    // Only the last page carries it: a page with more after it does not.
    let reader = Uuid::new_v4();
    let (status, first) = http.get(&format!("/sync/pull?client_id={reader}&limit=1")).await;
    assert_eq!(status, 200);
    let first: PullResponse = serde_json::from_value(first).unwrap();
    assert!(first.has_more && first.account.is_none(), "{first:?}");
    let (_, last) = http.get(&format!("/sync/pull?client_id={reader}&cursor={}&limit=100", first.cursor)).await;
    let last: PullResponse = serde_json::from_value(last).unwrap();
    assert!(!last.has_more);
    assert_eq!(last.account.map(|a| (a.user.role, a.phone.lock_after_minutes)), Some((Role::Coordinator, 2)));
}

on_both!(
    a_new_role_and_lock_time_reach_the_phone_at_its_next_sync,
    long_notes_queued_offline_go_in_pushes_the_server_takes,
    a_pull_asked_for_shared_hlcs_sends_the_same_changes_in_fewer_bytes,
    a_phone_s_own_pushes_come_back_unapplied_and_others_edits_are_applied,
    a_server_restored_from_a_backup_is_detected_and_nothing_is_lost,
    a_replayed_push_whose_answer_was_lost_duplicates_nothing,
    the_server_killed_before_or_after_commit_loses_nothing,
    a_phone_closed_right_after_applying_a_batch_re_pulls_the_same_state,
    a_rejected_mutation_never_blocks_later_ones_and_is_kept_to_show,
    edits_made_while_a_sync_is_in_flight_are_pushed_next,
    a_record_deleted_before_it_was_ever_synced_never_reaches_the_server_alive,
    pages_applied_before_the_network_fails_are_kept,
    seeded_simulation_every_replica_equals_the_server,
);
