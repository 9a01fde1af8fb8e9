//! Real parts for the sync tests: the server binary as a child process (killed with SIGKILL),
//! a fault-injecting HTTP proxy in front of it, an HTTP transport, and a simulated phone that
//! runs the app's sync engine (`latarnia_core::engine`) over an in-memory replica.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use latarnia_core::engine::{self, merge_pulled, newest_hlc, pending, Rejected, Replica, Transport, TransportError};
use latarnia_core::sync::{Change, PullResponse, PushRequest, PushResponse};
use latarnia_core::{Hlc, Mutation, Op};
use serde_json::{Map, Value};
use uuid::Uuid;

pub const BIN: &str = env!("CARGO_BIN_EXE_latarnia-server");

/// A deterministic random source (xorshift), so a failing run is repeated from its seed.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }
}

pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// The real server binary on a data directory; killable and restartable on the same port.
pub struct Server {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// More command-line flags.
    pub extra: Vec<String>,
    child: Option<Child>,
    /// The first-start admin's password, when this process printed one.
    pub first_admin: Option<(String, String)>,
}

impl Server {
    pub fn start(data_dir: &Path) -> Server {
        Server::start_with(data_dir, "", free_addr())
    }

    pub fn start_with(data_dir: &Path, database_url: &str, addr: SocketAddr) -> Server {
        Server::start_args(data_dir, database_url, addr, &[])
    }

    pub fn start_args(data_dir: &Path, database_url: &str, addr: SocketAddr, extra: &[&str]) -> Server {
        let mut s = Server {
            addr,
            data_dir: data_dir.to_owned(),
            database_url: database_url.to_owned(),
            extra: extra.iter().map(|a| a.to_string()).collect(),
            child: None,
            first_admin: None,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let mut child = Command::new(BIN)
            .args(["--addr", &self.addr.to_string()])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--database-url", &self.database_url, "--dist", "/nonexistent"])
            .args(&self.extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start latarnia-server");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            if out.read_line(&mut line).unwrap() == 0 {
                panic!("the server exited before it was ready");
            }
            if let Some(rest) = line.strip_prefix("First start: sign in as ") {
                let parts: Vec<&str> = rest.split('"').collect();
                let password = std::fs::read_to_string(parts[3]).expect("the first password's file");
                self.first_admin = Some((parts[1].to_owned(), password.trim().to_owned()));
            }
            if line.starts_with("Latarnia is running at") {
                break;
            }
        }
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in out.lines() {});
        self.child = Some(child);
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: no shutdown, no flush — whatever was not committed is gone.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// Runs an admin command against the same database.
    pub fn admin(&self, args: &[&str], stdin: &str) -> String {
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--database-url", &self.database_url])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// A new user (password from stdin) in the first organisation.
    pub fn add_user(&self, login: &str, role: &str) {
        self.admin(
            &["user", "add", "--org", "Latarnia", "--login", login, "--role", role, "--password-stdin"],
            "password-of-the-test\n",
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// What the proxy does to requests, decided per request from its seed.
#[derive(Clone, Copy, Default)]
pub struct Faults {
    pub drop_request: f64,
    pub drop_answer: f64,
    pub duplicate: f64,
    pub max_delay_ms: u64,
}

/// A fault-injecting HTTP proxy: drops requests, drops answers after the server committed,
/// sends requests twice, delays them.
pub struct Proxy {
    pub addr: SocketAddr,
    pub faults: Arc<Mutex<Faults>>,
    pub counts: Arc<[AtomicU64; 4]>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: String, seed: u64) -> Proxy {
        let faults = Arc::new(Mutex::new(Faults::default()));
        let counts: Arc<[AtomicU64; 4]> = Arc::new(Default::default());
        let rng = Arc::new(Mutex::new(Rng::new(seed)));
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let (f, c) = (faults.clone(), counts.clone());
        let handler = move |req: axum::extract::Request| {
            let (faults, counts, rng, client, upstream) =
                (f.clone(), c.clone(), rng.clone(), client.clone(), upstream.clone());
            async move {
                let fault = *faults.lock().unwrap();
                let (drop_req, drop_ans, dup, delay) = {
                    let mut r = rng.lock().unwrap();
                    (
                        r.chance(fault.drop_request),
                        r.chance(fault.drop_answer),
                        r.chance(fault.duplicate),
                        r.below(fault.max_delay_ms + 1),
                    )
                };
                tokio::time::sleep(Duration::from_millis(delay)).await;
                let bad_gateway = axum::http::StatusCode::BAD_GATEWAY;
                if drop_req {
                    counts[0].fetch_add(1, Ordering::Relaxed);
                    return (bad_gateway, Vec::new());
                }
                let (parts, body) = req.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
                let url = format!("{upstream}{}", parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
                let send = || {
                    let mut b = client.request(parts.method.clone(), &url).body(body.clone());
                    for (k, v) in parts.headers.iter() {
                        if k != axum::http::header::HOST {
                            b = b.header(k, v);
                        }
                    }
                    b.send()
                };
                if dup {
                    counts[2].fetch_add(1, Ordering::Relaxed);
                    let _ = send().await;
                }
                let resp = match send().await {
                    Ok(r) => r,
                    Err(_) => return (bad_gateway, Vec::new()),
                };
                let status = axum::http::StatusCode::from_u16(resp.status().as_u16()).unwrap();
                let bytes = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                if drop_ans {
                    counts[1].fetch_add(1, Ordering::Relaxed);
                    return (bad_gateway, Vec::new());
                }
                counts[3].fetch_add(1, Ordering::Relaxed);
                (status, bytes)
            }
        };
        let app = axum::Router::new().fallback(handler);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Proxy { addr, faults, counts, task }
    }

    pub fn set(&self, f: Faults) {
        *self.faults.lock().unwrap() = f;
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// (dropped requests, dropped answers, duplicated requests, passed)
    pub fn tally(&self) -> [u64; 4] {
        [0, 1, 2, 3].map(|i| self.counts[i].load(Ordering::Relaxed))
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The sync API over HTTP, as the app's fetch shell speaks it.
#[derive(Clone)]
pub struct Http {
    pub base: String,
    pub token: String,
    client: reqwest::Client,
}

impl Http {
    pub async fn login(base: &str, login: &str, password: &str) -> Http {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let body = serde_json::json!({"login": login, "password": password, "device_name": "sim"});
        let r = client.post(format!("{base}/api/v1/auth/login")).json(&body).send().await.unwrap();
        assert!(r.status().is_success(), "login {login}: {}", r.status());
        let v: Value = r.json().await.unwrap();
        Http { base: base.to_owned(), token: v["token"].as_str().unwrap().to_owned(), client }
    }

    /// A GET of `path` (from `/api/v1`): the status and the JSON answer.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.client.get(format!("{}/api/v1{path}", self.base)).bearer_auth(&self.token).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// The same client with another token (a forged one, in the tests of refusals).
    pub fn with_token(&self, token: &str) -> Http {
        Http { token: token.to_owned(), ..self.clone() }
    }

    pub fn via(&self, base: &str) -> Http {
        Http { base: base.to_owned(), ..self.clone() }
    }

    async fn answer<T: serde::de::DeserializeOwned>(
        r: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, TransportError> {
        let r = r.map_err(|_| TransportError::Offline)?;
        let status = r.status().as_u16();
        let body = r.text().await.map_err(|_| TransportError::Offline)?;
        latarnia_core::engine::decode(status, &body)
    }
}

impl Transport for Http {
    async fn push(&self, req: &PushRequest) -> Result<PushResponse, TransportError> {
        Self::answer(
            self.client.post(format!("{}/api/v1/sync/push", self.base)).bearer_auth(&self.token).json(req).send().await,
        )
        .await
    }

    async fn pull(&self, client_id: Uuid, cursor: &str, limit: u32) -> Result<PullResponse, TransportError> {
        let url = format!("{}/api/v1/sync/pull", self.base);
        let q = [("client_id", client_id.to_string()), ("cursor", cursor.to_owned()), ("limit", limit.to_string())];
        Self::answer(self.client.get(url).bearer_auth(&self.token).query(&q).send().await).await
    }
}

/// Records by collection and id: fields and the deleted flag.
pub type Records = BTreeMap<(String, Uuid), (Map<String, Value>, bool)>;

/// A phone's store in memory, with the same duties as the app's IndexedDB store.
#[derive(Clone, Default, Debug, PartialEq)]
pub struct PhoneState {
    pub records: Records,
    pub outbox: Vec<Mutation>,
    pub last_mid: u64,
    pub cursor: String,
    pub rejected: Vec<Rejected>,
    pub clock: Option<Hlc>,
    /// Per record: each field's HLC and the deleted flag's.
    pub hlcs: BTreeMap<(String, Uuid), (BTreeMap<String, String>, String)>,
}

pub struct Phone {
    pub client_id: Uuid,
    pub state: RefCell<PhoneState>,
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

impl Phone {
    pub fn new() -> Phone {
        let client_id = Uuid::new_v4();
        Phone { client_id, state: RefCell::new(PhoneState { clock: Some(Hlc::zero(client_id)), ..Default::default() }) }
    }

    /// A phone that crashed and came back with what it had stored.
    pub fn from_state(client_id: Uuid, state: PhoneState) -> Phone {
        Phone { client_id, state: RefCell::new(state) }
    }

    /// A local edit: the record and its outbox mutation together (as one IndexedDB transaction).
    pub fn edit(&self, collection: &str, id: Uuid, op: Op, fields: Map<String, Value>) {
        let mut s = self.state.borrow_mut();
        let hlc = s.clock.unwrap().tick(now_ms()).unwrap();
        s.clock = Some(hlc);
        s.last_mid += 1;
        let key = (collection.to_owned(), id);
        let entry = s.records.entry(key.clone()).or_insert_with(|| (Map::new(), false));
        match op {
            Op::Upsert => entry.0.extend(fields.clone()),
            Op::Delete => entry.1 = true,
            Op::Restore => entry.1 = false,
        }
        let h = s.hlcs.entry(key).or_default();
        match op {
            Op::Upsert => h.0.extend(fields.keys().map(|k| (k.clone(), hlc.to_string()))),
            Op::Delete | Op::Restore => h.1 = hlc.to_string(),
        }
        let mid = s.last_mid;
        s.outbox.push(Mutation { mid, collection: collection.into(), id, op, hlc: hlc.to_string(), fields });
    }

    pub async fn sync<T: Transport>(&self, t: &T) -> Result<engine::SyncReport, engine::SyncError<()>> {
        engine::sync_once(t, self, |_| {}).await
    }
}

impl Replica for Phone {
    type Error = ();

    async fn client_id(&self) -> Result<Uuid, ()> {
        Ok(self.client_id)
    }

    async fn outbox(&self) -> Result<Vec<Mutation>, ()> {
        Ok(self.state.borrow().outbox.clone())
    }

    async fn acknowledge(&self, through: u64, rejected: Vec<Rejected>) -> Result<(), ()> {
        let mut s = self.state.borrow_mut();
        s.outbox.retain(|m| m.mid > through);
        s.rejected.extend(rejected);
        Ok(())
    }

    async fn cursor(&self) -> Result<String, ()> {
        Ok(self.state.borrow().cursor.clone())
    }

    type Prepared = ();
    async fn prepare(&self, _: &[Change]) {}

    async fn apply_pull(&self, changes: &[Change], _: (), cursor: &str) -> Result<(), ()> {
        let mut s = self.state.borrow_mut();
        let pend = pending(&s.outbox);
        for c in changes {
            let key = (c.collection.clone(), c.id);
            let local = s.records.get(&key).map(|(f, d)| (f.clone(), *d));
            let p = pend.get(&key);
            let merged = merge_pulled(local.as_ref().map(|(f, d)| (f, *d)), c, p);
            s.records.insert(key.clone(), merged);
            let old = s.hlcs.get(&key).cloned().unwrap_or_default();
            let mut field_hlcs = c.field_hlcs.clone();
            let mut deleted_hlc = c.deleted_hlc.clone();
            if let Some(p) = p {
                for name in &p.fields {
                    match old.0.get(name) {
                        Some(h) => field_hlcs.insert(name.clone(), h.clone()),
                        None => field_hlcs.remove(name),
                    };
                }
                if p.deleted.is_some() {
                    deleted_hlc = old.1.clone();
                }
            }
            s.hlcs.insert(key, (field_hlcs, deleted_hlc));
        }
        if let Some(h) = newest_hlc(changes) {
            s.clock = Some(s.clock.unwrap().observe(h, now_ms()).unwrap());
        }
        s.cursor = cursor.to_owned();
        Ok(())
    }

    async fn resend_all(&self, after_mid: u64) -> Result<(), ()> {
        let mut s = self.state.borrow_mut();
        let empty = (BTreeMap::new(), String::new());
        let plan = engine::resend_plan(
            s.records.iter().map(|((c, id), (fields, deleted))| {
                let h = s.hlcs.get(&(c.clone(), *id)).unwrap_or(&empty);
                engine::Held { collection: c, id: *id, fields, field_hlcs: &h.0, deleted: *deleted, deleted_hlc: &h.1 }
            }),
            after_mid,
        );
        s.last_mid = after_mid + plan.len() as u64;
        s.outbox = plan;
        Ok(())
    }
}

/// The server's whole state as one user reads it: a full pull from an empty cursor.
pub async fn server_state(http: &Http) -> Records {
    let phone = Phone::new();
    if let Err(e) = phone.sync(http).await {
        panic!("reading the server: {e:?}");
    }
    phone.state.into_inner().records
}

/// The PostgreSQL server the tests may use: `LATARNIA_TEST_POSTGRES` (a URL whose role may
/// create databases). `cargo xtask test` installs, starts and names one. Without it a
/// PostgreSQL test fails under CI and is skipped, saying so, elsewhere.
pub fn pg_base() -> Option<String> {
    match std::env::var("LATARNIA_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok() => panic!("LATARNIA_TEST_POSTGRES is not set (cargo xtask test sets it)"),
        _ => {
            eprintln!("skipped: no LATARNIA_TEST_POSTGRES (cargo xtask test provides one)");
            None
        }
    }
}

/// A new, empty database on the test PostgreSQL; its URL.
pub async fn pg_fresh_db() -> Option<String> {
    let base = pg_base()?;
    let (client, conn) =
        tokio_postgres::connect(&base, tokio_postgres::NoTls).await.expect("connect to the test PostgreSQL");
    tokio::spawn(conn);
    let name = format!("latarnia_t_{}", Uuid::new_v4().simple());
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    let (head, _) = base.rsplit_once('/').expect("a URL with a database name");
    Some(format!("{head}/{name}"))
}

/// Which database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The `--database-url` for a fresh database, or `None` when this backend is not available.
    pub async fn fresh_url(self) -> Option<String> {
        match self {
            Backend::Sqlite => Some(String::new()),
            Backend::Postgres => pg_fresh_db().await,
        }
    }
}
