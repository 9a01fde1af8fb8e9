//! Load benchmark (run by `cargo xtask bench`): N clients push and pull against the real server
//! over loopback for a while; prints one JSON line with durable mutations per second and the
//! request latencies. `--database-url` empty: SQLite in a temporary directory.
//!
//! Two ways to load it: `--rate 0` (default), every client starts its next push as soon as its
//! last pull answered — the most the server does (its latencies are mostly the queue of 100
//! clients); `--rate N`, the clients together offer N mutations a second, each on its own
//! schedule (a push of `--batch` then a pull, once every `clients × batch / N` seconds), and a
//! push's latency counts from when it was due, so a slow server cannot hide its delay.

use std::time::{Duration, Instant};

use latarnia_core::protocol::fields_of;
use latarnia_core::sync::{PushResponse, Role, User};
use latarnia_core::{Contact, Hlc, Mutation, Op, PositionStatus};
use latarnia_server::http::static_files::Shell;
use latarnia_server::{app, auth, store, AppState};
use uuid::Uuid;

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned()).unwrap_or_else(|| default.to_owned())
}

#[derive(serde::Deserialize)]
struct Cursor {
    cursor: String,
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--retention") {
        return retention().await;
    }
    let url = arg("--database-url", "");
    let clients: usize = arg("--clients", "100").parse().unwrap();
    let seconds: u64 = arg("--seconds", "10").parse().unwrap();
    let batch: usize = arg("--batch", "10").parse().unwrap();
    let rate: f64 = arg("--rate", "0").parse().unwrap();
    // Several organisations (clients spread over them) and several server instances sharing
    // the database (clients spread over them too).
    let orgs: usize = arg("--orgs", "1").parse().unwrap();
    let instances: usize = arg("--instances", "1").parse().unwrap();
    let every = (rate > 0.0).then(|| Duration::from_secs_f64(clients as f64 * batch as f64 / rate));
    let tmp = tempfile::tempdir().unwrap();
    let db = store::open(tmp.path(), &url).await.expect("open the store");
    let backend = if url.is_empty() { "SQLite".to_owned() } else { "PostgreSQL".to_owned() };
    let mut org_ids = Vec::new();
    for _ in 0..orgs {
        org_ids.push(db.org_add(&format!("load-{}", Uuid::new_v4())).await.unwrap().id);
    }
    let hash = auth::hash_password("load-test-password");
    let mut bases = Vec::new();
    for n in 0..instances {
        // Each instance its own store (its own connection pool), as separate processes have.
        let own = if n == 0 { db.clone() } else { store::open(tmp.path(), &url).await.expect("open the store") };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        bases.push(format!("http://{}", listener.local_addr().unwrap()));
        let state = AppState::new(own, Shell::load(std::path::Path::new("/nonexistent"), Default::default()));
        tokio::spawn(latarnia_server::serve(listener, app(state)));
    }
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build().unwrap();

    let mut tokens = Vec::new();
    for i in 0..clients {
        let user = User {
            id: Uuid::new_v4(),
            login: format!("load{i}-{}", Uuid::new_v4().simple()),
            display_name: "load".into(),
            role: Role::Streetworker,
            org_id: org_ids[i % orgs],
        };
        db.user_add(&user, &hash).await.unwrap();
        let (token, token_hash) = auth::new_token();
        db.token_add(&token_hash, user.id, "load", i64::MAX).await.unwrap();
        tokens.push(token);
    }

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = tokens
        .into_iter()
        .enumerate()
        .map(|(i, token)| {
            let (http, base) = (http.clone(), bases[(i / orgs) % instances].clone());
            // Paced clients start spread over one period.
            let mut due = started + every.map_or(Duration::ZERO, |e| e.mul_f64(i as f64 / clients as f64));
            tokio::spawn(async move {
                let client = Uuid::new_v4();
                let mut hlc = Hlc::zero(client);
                let (mut mid, mut cursor) = (0u64, String::new());
                let (mut applied, mut latencies) = (0usize, Vec::new());
                while due < deadline {
                    tokio::time::sleep_until(due.into()).await;
                    let mutations: Vec<Mutation> = (0..batch)
                        .map(|_| {
                            mid += 1;
                            hlc = hlc.tick(chrono::Utc::now().timestamp_millis() as u64).unwrap();
                            let c =
                                Contact::quick(Uuid::new_v4(), None, chrono::Utc::now(), Err(PositionStatus::Denied));
                            Mutation {
                                mid,
                                collection: "contacts".into(),
                                id: c.id,
                                op: Op::Upsert,
                                hlc: hlc.to_string(),
                                fields: fields_of(&c),
                            }
                        })
                        .collect();
                    let body = serde_json::json!({"client_id": client, "schema_version": 1, "mutations": mutations});
                    let t = if every.is_some() { due } else { Instant::now() };
                    let r: PushResponse = http
                        .post(format!("{base}/api/v1/sync/push"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    latencies.push((t.elapsed(), true));
                    applied += r.results.iter().filter(|x| x.status == latarnia_core::sync::Status::Applied).count();
                    let t = Instant::now();
                    // Only the cursor is read: parsing every record is the phone's work, on its own
                    // processor, not this machine's (which runs the server).
                    let p: Cursor = http
                        .get(format!("{base}/api/v1/sync/pull"))
                        .bearer_auth(&token)
                        .query(&[
                            ("client_id", client.to_string()),
                            ("cursor", cursor.clone()),
                            ("limit", "500".into()),
                        ])
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    latencies.push((t.elapsed(), false));
                    cursor = p.cursor;
                    due = match every {
                        Some(e) => due + e,
                        None => Instant::now(),
                    };
                }
                (applied, latencies)
            })
        })
        .collect();
    let mut applied = 0;
    let mut latencies = Vec::new();
    let mut by_org: Vec<Vec<Duration>> = vec![Vec::new(); orgs];
    for (i, t) in tasks.into_iter().enumerate() {
        let (a, l) = t.await.unwrap();
        applied += a;
        by_org[i % orgs].extend(l.iter().filter(|(_, push)| *push).map(|(d, _)| *d));
        latencies.extend(l);
    }
    // The slowest organisation's push p99: with organisations that do not wait on each other
    // it stays near the overall one.
    let worst_org_p99 = by_org
        .iter_mut()
        .map(|l| {
            l.sort();
            l.get(((l.len() as f64 * 0.99) as usize).min(l.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        })
        .fold(0.0f64, f64::max);
    let elapsed = started.elapsed().as_secs_f64();
    let pick = |push: bool| {
        let mut l: Vec<Duration> = latencies.iter().filter(|(_, p)| *p == push).map(|(d, _)| *d).collect();
        l.sort();
        l
    };
    let (pushes, pulls) = (pick(true), pick(false));
    let mut all: Vec<Duration> = latencies.iter().map(|(d, _)| *d).collect();
    all.sort();
    let at = |l: &[Duration], q: f64| l[((l.len() as f64 * q) as usize).min(l.len() - 1)].as_secs_f64() * 1000.0;
    let p = |q: f64| at(&all, q);
    println!(
        "{}",
        serde_json::json!({"backend": backend, "clients": clients, "orgs": orgs, "instances": instances,
            "worst_org_push_p99_ms": worst_org_p99, "rate": rate, "mutations_per_s": applied as f64 / elapsed,
            "requests": latencies.len(), "p50_ms": p(0.5), "p99_ms": p(0.99),
            "push_p99_ms": at(&pushes, 0.99), "pull_p99_ms": at(&pulls, 0.99)})
    );
}

/// `--retention`: 100,000 contacts older than the retention period in one organisation on
/// SQLite; the retention job anonymises them while a phone pushes every 20 ms. Prints the job's
/// time and the longest a push waited meanwhile.
async fn retention() {
    let n: usize = arg("--contacts", "100000").parse().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let db = store::open(tmp.path(), "").await.expect("open the store");
    let org = db.org_add("retention").await.unwrap();
    let user = User {
        id: Uuid::new_v4(),
        login: "ret".into(),
        display_name: "ret".into(),
        role: Role::Streetworker,
        org_id: org.id,
    };
    db.user_add(&user, "x").await.unwrap();
    let client = Uuid::new_v4();
    let mut hlc = Hlc::zero(client);
    let old = chrono::DateTime::parse_from_rfc3339("2021-06-01T20:00:00Z").unwrap().to_utc();
    let mut mid = 0u64;
    let contact = |mid: u64, hlc: &mut Hlc, at| {
        *hlc = hlc.tick(chrono::Utc::now().timestamp_millis() as u64).unwrap();
        let mut c = Contact::quick(Uuid::new_v4(), None, at, Err(PositionStatus::Denied));
        c.pseudonym = format!("osoba {}", mid % 3000);
        c.notes = "kaszle, prosi o śpiwór".into();
        Mutation {
            mid,
            collection: "contacts".into(),
            id: c.id,
            op: Op::Upsert,
            hlc: hlc.to_string(),
            fields: fields_of(&c),
        }
    };
    while (mid as usize) < n {
        let ms: Vec<Mutation> =
            (0..500.min(n - mid as usize)).map(|k| contact(mid + k as u64 + 1, &mut hlc, old)).collect();
        mid += ms.len() as u64;
        let req = latarnia_core::sync::PushRequest { client_id: client, schema_version: 1, mutations: ms };
        db.push(&user, &req, chrono::Utc::now().timestamp_millis()).await.unwrap();
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pusher = {
        let (db, user, done) = (db.clone(), user.clone(), done.clone());
        tokio::spawn(async move {
            let (client, mut hlc, mut mid, mut worst) =
                (Uuid::new_v4(), Hlc::zero(Uuid::new_v4()), 0u64, Duration::ZERO);
            let mut pushes = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                mid += 1;
                let m = contact(mid, &mut hlc, chrono::Utc::now());
                let req = latarnia_core::sync::PushRequest { client_id: client, schema_version: 1, mutations: vec![m] };
                let t = Instant::now();
                db.push(&user, &req, chrono::Utc::now().timestamp_millis()).await.unwrap();
                worst = worst.max(t.elapsed());
                pushes += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (worst, pushes)
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = Instant::now();
    let report = latarnia_server::admin::retention(&db, None, 30, chrono::Utc::now(), false).await.unwrap();
    let took = t.elapsed();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let (worst, pushes) = pusher.await.unwrap();
    let anonymised: u64 =
        report.split(": ").nth(1).and_then(|r| r.split(' ').next()).and_then(|x| x.parse().ok()).unwrap_or(0);
    println!(
        "{}",
        serde_json::json!({"contacts": n, "anonymised": anonymised, "retention_s": took.as_secs_f64(),
            "push_max_ms": worst.as_secs_f64() * 1000.0, "pushes_meanwhile": pushes})
    );
}
