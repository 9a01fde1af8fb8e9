//! Hardening, tried as an attacker or a careless deployment would: file modes, a poisoned date,
//! a panicking handler, the login limiter, caching of API answers, the first-start password,
//! several instances starting at once on an empty PostgreSQL.

mod common;

use std::os::unix::fs::PermissionsExt;

use axum::routing::get;
use common::*;
use latarnia_core::{Contact, PositionStatus};
use serde_json::{json, Value};
use uuid::Uuid;

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build().unwrap()
}

async fn login_status(base: &str, login: &str, password: &str, forwarded: Option<&str>) -> u16 {
    let mut r = client()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"login": login, "password": password, "device_name": "t"}));
    if let Some(f) = forwarded {
        r = r.header("x-forwarded-for", f);
    }
    r.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn the_data_directory_and_every_file_in_it_are_the_server_s_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let s = Server::start(&dir);
    let (login, password) = s.first_admin.clone().expect("a first start");
    let http = Http::login(&s.url(), &login, &password).await;
    assert_eq!(http.get("/me").await.0, 200, "the password from the file signs in");
    assert_eq!(mode(&dir), 0o700);
    for f in ["latarnia.sqlite3", "latarnia.sqlite3-wal", "latarnia.sqlite3-shm", "first-admin-password.txt"] {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
    // The password is not on the service's output (stdout is a pipe here, as under systemd).
    let out = s.admin(&["user", "list"], "");
    assert!(!out.contains(&password));
}

#[tokio::test]
async fn a_contact_from_year_262142_is_refused_and_the_report_page_still_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path());
    let (login, password) = s.first_admin.clone().unwrap();
    s.add_user("ula", "streetworker");
    let worker = Http::login(&s.url(), "ula", "password-of-the-test").await;
    let phone = Phone::new();
    let c = Contact::quick(Uuid::nil(), None, chrono::Utc::now(), Err(PositionStatus::Denied));
    let mut f = latarnia_core::protocol::fields_of(&c);
    f.insert("at".into(), json!("+262142-12-31T23:00:00Z"));
    phone.edit("contacts", Uuid::new_v4(), latarnia_core::Op::Upsert, f);
    phone.sync(&worker).await.unwrap();
    let rejected = phone.state.borrow().rejected.clone();
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].message.contains("at: date_range"), "{}", rejected[0].message);
    let admin = Http::login(&s.url(), &login, &password).await;
    let (status, v) = admin.get("/indicators?from=2026-01-01&to=2026-12-31").await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = admin.get("/indicators?from=%2B262142-12-31&to=2026-12-31").await;
    assert_eq!((status, v["error"].as_str()), (400, Some("bad_request")), "{v}");
    let (status, _) = admin.get("/indicators?from=1999-12-31&to=2000-01-31").await;
    assert_eq!(status, 400);
    // Stored before the rule existed (written straight into the database), the record still
    // cannot take the indicators down.
    let conn = rusqlite::Connection::open(tmp.path().join("latarnia.sqlite3")).unwrap();
    let org: String = conn.query_row("SELECT id FROM orgs", [], |r| r.get(0)).unwrap();
    let mut poisoned = latarnia_core::protocol::fields_of(&c);
    poisoned.insert("at".into(), json!("+262142-12-31T23:00:00Z"));
    conn.execute(
        "INSERT INTO records (org_id, collection, id, fields, field_hlcs, deleted, deleted_hlc, version)
         VALUES (?1, 'contacts', ?2, ?3, '{}', 0, '', 999)",
        rusqlite::params![org, Uuid::new_v4().to_string(), Value::Object(poisoned).to_string()],
    )
    .unwrap();
    drop(conn);
    let (status, v) = admin.get("/indicators?from=2026-01-01&to=2026-12-31").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(admin.get("/me").await.0, 200, "the server still answers");
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_server_keeps_serving() {
    let app = latarnia_server::http::guarded(axum::Router::new().route(
        "/api/v1/boom",
        get(|| async {
            let v: Vec<u8> = Vec::new();
            let i = std::hint::black_box(usize::MAX / 2);
            format!("{}", v[i])
        }),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    for _ in 0..3 {
        let r = client().get(format!("http://{addr}/api/v1/boom")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 500);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v, json!({"error": "internal", "message": "Something went wrong on the server."}));
    }
}

#[tokio::test]
async fn api_answers_are_never_cached_and_hsts_is_a_setting() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path());
    let r = client().get(format!("{}/api/v1/health", s.url())).send().await.unwrap();
    assert_eq!(r.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"));
    assert!(r.headers().get("strict-transport-security").is_none(), "not without the setting");
    let r = client().get(format!("{}/api/v1/no-such-thing", s.url())).send().await.unwrap();
    assert_eq!(r.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"));
    drop(s);
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_args(tmp.path(), "", free_addr(), &["--hsts"]);
    let r = client().get(format!("{}/api/v1/health", s.url())).send().await.unwrap();
    assert_eq!(r.headers().get("strict-transport-security").map(|v| v.to_str().unwrap()), Some("max-age=31536000"));
}

#[tokio::test]
async fn the_login_limiter_counts_the_trimmed_login_and_refuses_long_ones_uncounted() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path());
    let (login, password) = s.first_admin.clone().unwrap();
    let long = "a".repeat(65);
    for _ in 0..30 {
        assert_eq!(login_status(&s.url(), &long, "x", None).await, 401, "refused, never counted");
    }
    for i in 0..10 {
        let spaced = format!("{}{login}{}", " ".repeat(i % 3), "\t".repeat(i % 2));
        assert_eq!(login_status(&s.url(), &spaced, "wrong password", None).await, 401);
    }
    assert_eq!(login_status(&s.url(), &format!(" {login} "), &password, None).await, 429, "spaces do not dodge it");
    assert_eq!(login_status(&s.url(), &login, &password, None).await, 429);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_is_counted_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_args(tmp.path(), "", free_addr(), &["--client-ip-header", "X-Forwarded-For"]);
    // One address trying many logins runs out (50 per window); another address does not.
    let mut statuses = Vec::new();
    for i in 0..52 {
        statuses.push(login_status(&s.url(), &format!("nobody{i}"), "x", Some("10.0.0.1, 203.0.113.7")).await);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2, "{statuses:?}");
    assert_eq!(login_status(&s.url(), "nobody-else", "x", Some("10.0.0.1, 203.0.113.8")).await, 401);
}

#[tokio::test]
async fn user_password_and_user_enable() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path());
    s.add_user("ola", "coordinator");
    let old = Http::login(&s.url(), "ola", "password-of-the-test").await;
    let out = s.admin(&["user", "password", "ola", "--password-stdin"], "a new long password\n");
    assert!(out.contains("sessions have ended"), "{out}");
    assert_eq!(old.get("/me").await.0, 401, "the old session ended");
    assert_eq!(login_status(&s.url(), "ola", "password-of-the-test", None).await, 401);
    let new = Http::login(&s.url(), "ola", "a new long password").await;
    s.admin(&["user", "disable", "ola"], "");
    assert_eq!(new.get("/me").await.0, 401);
    assert_eq!(login_status(&s.url(), "ola", "a new long password", None).await, 401);
    s.admin(&["user", "enable", "ola"], "");
    assert_eq!(login_status(&s.url(), "ola", "a new long password", None).await, 200);
    let generated = s.admin(&["user", "password", "ola"], "");
    let password = generated.split("new password of ola: ").nth(1).unwrap().split(';').next().unwrap();
    assert_eq!(login_status(&s.url(), "ola", password, None).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_started_at_once_on_an_empty_postgres_all_come_up() {
    let Some(url) = pg_fresh_db().await else { return };
    let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let starts: Vec<_> = dirs
        .iter()
        .map(|d| {
            let (path, url) = (d.path().to_owned(), url.clone());
            std::thread::spawn(move || Server::start_with(&path, &url, free_addr()))
        })
        .collect();
    let servers: Vec<Server> = starts.into_iter().map(|t| t.join().expect("every instance comes up")).collect();
    let firsts: Vec<_> = servers.iter().filter_map(|s| s.first_admin.clone()).collect();
    assert_eq!(firsts.len(), 1, "one admin, made by one of them");
    let (login, password) = &firsts[0];
    for s in &servers {
        assert_eq!(Http::login(&s.url(), login, password).await.get("/me").await.0, 200);
    }
}

#[tokio::test]
async fn an_erasure_reaches_every_phone_and_pulls_are_logged_over_http() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path());
    let (login, password) = s.first_admin.clone().unwrap();
    s.add_user("ula", "streetworker");
    s.add_user("kasia", "coordinator");
    let worker = Http::login(&s.url(), "ula", "password-of-the-test").await;
    let phone = Phone::new();
    let c = Contact::quick(Uuid::nil(), None, chrono::Utc::now(), Err(PositionStatus::Denied));
    let mut f = latarnia_core::protocol::fields_of(&c);
    f.insert("pseudonym".into(), json!("Pan Janek"));
    f.insert("notes".into(), json!("kaszle"));
    let id = Uuid::new_v4();
    phone.edit("contacts", id, latarnia_core::Op::Upsert, f);
    phone.sync(&worker).await.unwrap();
    let coordinator = Http::login(&s.url(), "kasia", "password-of-the-test").await;
    let post = |http: &Http, body: Value| {
        client().post(format!("{}/api/v1/erasure", http.base)).bearer_auth(&http.token).json(&body).send()
    };
    let r = post(&worker, json!({"pseudonym": "pan janek"})).await.unwrap();
    assert_eq!(r.status().as_u16(), 403, "a streetworker may not erase");
    let r = post(&coordinator, json!({"pseudonym": "  "})).await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = post(&coordinator, json!({"pseudonym": "PAN  janek"})).await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"erased": 1}));
    phone.sync(&worker).await.unwrap();
    let held = phone.state.borrow().records[&("contacts".to_string(), id)].0.clone();
    assert_eq!((held["pseudonym"].as_str(), held["notes"].as_str()), (Some(""), Some("")), "the phone erased it");
    // The access log: admins only; the pulls above are in it, with their counts.
    assert_eq!(worker.get("/access-log").await.0, 403);
    let admin = Http::login(&s.url(), &login, &password).await;
    let (status, log) = admin.get("/access-log").await;
    assert_eq!(status, 200);
    let ula: Vec<&Value> = log.as_array().unwrap().iter().filter(|e| e["login"] == "ula").collect();
    assert!(ula.len() >= 2 && ula.iter().all(|e| e["device"] == "sim"), "{log}");
    assert!(ula.iter().any(|e| e["counts"]["contacts"] == 1), "{log}");
    let cli = s.admin(&["access-log", "--org", "Latarnia"], "");
    assert!(cli.contains("ula\tsim"), "{cli}");
    // The commands: a dry run says what it would do; the log never holds the pseudonym.
    let dry = s.admin(&["retention", "run", "--dry-run"], "");
    assert!(dry.contains("Latarnia: 0 record(s) older than 36 months would be anonymised"), "{dry}");
    assert!(s.admin(&["erase", "--org", "Latarnia", "--pseudonym", "nobody"], "").contains("0 contact(s) erased"));
    let (_, audit) = admin.get(&format!("/audit/contacts/{id}")).await;
    assert!(!audit.to_string().to_lowercase().contains("janek"), "{audit}");
    assert_eq!(audit.as_array().unwrap().last().unwrap()["op"], "erase");
}
