//! The embedded store: one SQLite file in the data directory, WAL, `synchronous = FULL` (a push
//! is on disk before it is answered). One connection behind a mutex: SQLite has one writer
//! anyway, and pushes are short.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use latarnia_core::indicators::Dataset;
use latarnia_core::sync::{readable, PhoneSettings, PushRequest, PushResponse, RecordState, Role, User};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use super::push::PushPlan;
use super::{
    job_log_lines, AccessEntry, AccessRow, Account, AuditEntry, HistoryQuery, Org, PullPage, Scan, ScanAfter, ScanPage,
    ServerWrite, Storage, StoreError, StoreResult, StoredChange, SCAN_COLUMNS, SERVER_USER,
};

const MIGRATIONS: &[&str] = &[
    // 1: server metadata; `epoch` names this database for sync cursors (docs/protocol.md, Pull).
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;",
    // 2: accounts, sync state, records and the log of mutations.
    "CREATE TABLE orgs (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL DEFAULT 0) STRICT;
     CREATE TABLE users (id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id),
        login TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL, role TEXT NOT NULL,
        password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0) STRICT;
     CREATE TABLE tokens (hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
        device TEXT NOT NULL, expires_ms INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0) STRICT;
     CREATE INDEX tokens_user ON tokens(user_id);
     CREATE TABLE clients (client_id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
        last_mid INTEGER NOT NULL DEFAULT 0) STRICT;
     CREATE TABLE records (org_id TEXT NOT NULL, collection TEXT NOT NULL, id TEXT NOT NULL,
        fields TEXT NOT NULL, field_hlcs TEXT NOT NULL, deleted INTEGER NOT NULL,
        deleted_hlc TEXT NOT NULL, version INTEGER NOT NULL,
        PRIMARY KEY (org_id, collection, id)) STRICT;
     CREATE INDEX records_version ON records(org_id, version);
     CREATE TABLE mutation_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL,
        at_ms INTEGER NOT NULL, user_id TEXT NOT NULL, client_id TEXT NOT NULL, mid INTEGER NOT NULL,
        collection TEXT NOT NULL, record_id TEXT NOT NULL, op TEXT NOT NULL, hlc TEXT NOT NULL,
        fields TEXT NOT NULL, status TEXT NOT NULL, error TEXT) STRICT;
     CREATE INDEX mutation_log_record ON mutation_log(org_id, collection, record_id);",
    // 3: least privilege (who created a record), the trash's end, retention, the access log.
    "ALTER TABLE records ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
     ALTER TABLE records ADD COLUMN purged INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE orgs ADD COLUMN retention_months INTEGER NOT NULL DEFAULT 36;
     CREATE TABLE access_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL,
        at_ms INTEGER NOT NULL, user_id TEXT NOT NULL, login TEXT NOT NULL, client_id TEXT NOT NULL,
        device TEXT NOT NULL, counts TEXT NOT NULL) STRICT;
     CREATE INDEX access_log_org ON access_log(org_id, seq);",
    // 4: a device withdrawn by the organisation (remote wipe), apart from a session ended.
    "ALTER TABLE tokens ADD COLUMN wipe INTEGER NOT NULL DEFAULT 0;",
    // 5: each phone's recovery key (a PIN forgotten: the password opens the phone's data again).
    // And how long an unattended app stays open, per organisation.
    "CREATE TABLE device_keys (user_id TEXT NOT NULL, client_id TEXT NOT NULL, secret TEXT NOT NULL,
        PRIMARY KEY (user_id, client_id)) STRICT;
     ALTER TABLE orgs ADD COLUMN lock_minutes INTEGER NOT NULL DEFAULT 5;",
    // 6: the field-sized window: each record's moment (`window::window_ms`, filled in by
    // `backfill_window`), and each role's window in days where an organisation set one.
    "ALTER TABLE records ADD COLUMN window_ms INTEGER;
     CREATE INDEX records_window ON records(org_id, collection, window_ms);
     CREATE TABLE org_windows (org_id TEXT NOT NULL, role TEXT NOT NULL, days INTEGER NOT NULL,
        PRIMARY KEY (org_id, role)) STRICT;",
    // 7: a server job (retention, erasure, the trash) reads contacts in the order they lie in
    // the file: this index's entries for one organisation's contacts are in rowid order.
    // And one line of the log per page of a job, naming its records (`store::job_log_lines`).
    "CREATE INDEX records_scan ON records(org_id, collection);
     ALTER TABLE mutation_log ADD COLUMN record_ids TEXT NOT NULL DEFAULT '';",
    // 8: the aid-facility list without sign-in, when an organisation switches it on.
    "ALTER TABLE orgs ADD COLUMN public_facilities INTEGER NOT NULL DEFAULT 0;",
];

/// The migration that added `records.window_ms`: the rows stored before it get theirs.
const WINDOW_MIGRATION: usize = 6;

/// A withdrawn user's phones can no longer be opened with the password.
const FORGET_DEVICE_KEYS: &str = "DELETE FROM device_keys WHERE user_id IN (SELECT id FROM users WHERE login = ?1)";

/// Pages are read through a memory map (up to this much of the file) rather than a system call
/// each: a job's scan and its updates touch pages all over the records table.
const MMAP_BYTES: i64 = 1 << 30;

pub struct SqliteStore {
    /// The one writer.
    conn: Arc<Mutex<Connection>>,
    /// Readers (WAL lets them run beside the writer): token checks and pulls never queue
    /// behind a push's commit.
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: std::sync::atomic::AtomicUsize,
    pushes: std::sync::mpsc::Sender<PushJob>,
    /// Dropped with the store: the checkpointer stops.
    _checkpoints: std::sync::mpsc::Sender<()>,
    path: PathBuf,
}

/// The writer checkpoints by itself only past this many WAL pages (64 MiB), a safety valve:
/// [`checkpointer`] does it beside the writer.
const WAL_PAGES_BEFORE_WRITER_CHECKPOINTS: i64 = 16_384;

/// Copies the WAL's pages into the database file every half second on its own connection and
/// thread (a passive checkpoint: it never blocks the writer or a reader). Left to the writer,
/// a checkpoint runs inside the commit that crosses 1,000 pages, and a push waits for it.
fn checkpointer(path: PathBuf, stop: std::sync::mpsc::Receiver<()>) {
    let Ok(c) = Connection::open(&path) else { return };
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(std::time::Duration::from_millis(500))
    {
        if let Err(e) = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!("checkpoint: {e}");
        }
    }
}

const READERS: usize = 4;

fn uuid(s: String) -> rusqlite::Result<Uuid> {
    Uuid::parse_str(&s).map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))
}

fn json<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))
}

fn role(s: String) -> rusqlite::Result<Role> {
    Role::parse(&s).ok_or_else(|| rusqlite::Error::InvalidColumnType(0, s, rusqlite::types::Type::Text))
}

const ACCOUNT: &str = "SELECT id, login, display_name, role, org_id, password_hash, disabled FROM users";

fn account_row(r: &rusqlite::Row) -> rusqlite::Result<Account> {
    Ok(Account {
        user: User {
            id: uuid(r.get(0)?)?,
            login: r.get(1)?,
            display_name: r.get(2)?,
            role: role(r.get(3)?)?,
            org_id: uuid(r.get(4)?)?,
        },
        password_hash: r.get(5)?,
        disabled: r.get(6)?,
    })
}

impl SqliteStore {
    /// Opens the database named by `database_url`, or `latarnia.sqlite3` in `data_dir`, creating
    /// directory and file, and applies the migrations.
    pub fn open(data_dir: &Path, database_url: &str) -> StoreResult<Self> {
        let path = if database_url.is_empty() {
            crate::admin::private_dir(data_dir).map_err(|e| {
                StoreError::Failed(format!("cannot create the data directory {}: {e}", data_dir.display()))
            })?;
            data_dir.join("latarnia.sqlite3")
        } else {
            let p = PathBuf::from(database_url.trim_start_matches("sqlite://"));
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Failed(format!("cannot create the directory {}: {e}", dir.display())))?;
            }
            p
        };
        // The file is this user's only; SQLite gives its -wal and -shm files the same mode.
        let mut o = std::fs::OpenOptions::new();
        o.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let file = o.open(&path).map_err(|e| StoreError::Failed(format!("cannot open {}: {e}", path.display())))?;
        #[cfg(unix)]
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .map_err(|e| StoreError::Failed(format!("cannot protect {}: {e}", path.display())))?;
        drop(file);
        let mut conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
        conn.pragma_update(None, "wal_autocheckpoint", WAL_PAGES_BEFORE_WRITER_CHECKPOINTS)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        let readers = (0..READERS)
            .map(|_| {
                let r = Connection::open(&path)?;
                r.pragma_update(None, "query_only", "ON")?;
                r.pragma_update(None, "mmap_size", MMAP_BYTES)?;
                r.busy_timeout(std::time::Duration::from_secs(5))?;
                Ok(Mutex::new(r))
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let conn = Arc::new(Mutex::new(conn));
        let (pushes, jobs) = std::sync::mpsc::channel();
        let w = conn.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer(w, jobs))
            .map_err(|e| StoreError::Failed(format!("cannot start the writer: {e}")))?;
        let (checkpoints, stop) = std::sync::mpsc::channel();
        let p = path.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoints".into())
            .spawn(move || checkpointer(p, stop))
            .map_err(|e| StoreError::Failed(format!("cannot start the checkpointer: {e}")))?;
        Ok(SqliteStore {
            conn,
            readers: Arc::new(readers),
            next_reader: Default::default(),
            pushes,
            _checkpoints: checkpoints,
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut c)
        })
        .await
        .map_err(|e| StoreError::Busy(e.to_string()))?
    }

    /// Runs a read on a free reader connection (or the next one in turn).
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let readers = self.readers.clone();
        let start = self.next_reader.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let n = readers.len();
            let free = (0..n).find_map(|i| readers[(start + i) % n].try_lock().ok());
            let mut c = free.unwrap_or_else(|| readers[start % n].lock().unwrap_or_else(|p| p.into_inner()));
            f(&mut c)
        })
        .await
        .map_err(|e| StoreError::Busy(e.to_string()))?
    }
}

fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    // Immediate: the write lock is taken at the start, waiting out a running server's write
    // (busy_timeout). A deferred transaction that reads first and writes after cannot wait: an
    // admin command started beside a busy server failed at once with "database is locked".
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let done: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        if i + 1 == WINDOW_MIGRATION {
            backfill_window(&tx)?;
        }
    }
    tx.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?1)", params![Uuid::new_v4().to_string()])?;
    tx.commit()
}

/// Gives every stored record its window moment (once, in the migration that added the column).
fn backfill_window(tx: &Connection) -> rusqlite::Result<()> {
    let mut read = tx.prepare("SELECT rowid, collection, fields FROM records")?;
    let rows = read.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
    let mut write = tx.prepare("UPDATE records SET window_ms = ?2 WHERE rowid = ?1")?;
    for row in rows {
        let (rowid, collection, fields) = row?;
        let fields = serde_json::from_str(&fields).unwrap_or_default();
        if let Some(at) = latarnia_core::window::window_ms(&collection, &fields) {
            write.execute(params![rowid, at])?;
        }
    }
    Ok(())
}

/// A push waiting for the writer.
type PushJob = (User, PushRequest, i64, tokio::sync::oneshot::Sender<StoreResult<PushResponse>>);

/// Group commit: the writer takes every push that is waiting, applies each in its own savepoint
/// (one push's failure undoes only that push) inside one transaction, and commits them with one
/// fsync before any of them is answered.
fn writer(conn: Arc<Mutex<Connection>>, jobs: std::sync::mpsc::Receiver<PushJob>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < 128 {
            match jobs.try_recv() {
                Ok(j) => group.push(j),
                Err(_) => break,
            }
        }
        let mut c = conn.lock().unwrap_or_else(|p| p.into_inner());
        let applied = (|| -> rusqlite::Result<Vec<StoreResult<PushResponse>>> {
            let mut tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut out = Vec::with_capacity(group.len());
            for (user, req, now_ms, _) in &group {
                let sp = tx.savepoint()?;
                // A panic in one push undoes that push only; the writer thread lives on.
                let applied =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| push_in(&sp, user, req, *now_ms)))
                        .unwrap_or_else(|_| Err(StoreError::Failed("a push panicked".into())));
                match applied {
                    Ok(r) => {
                        sp.commit()?;
                        out.push(Ok(r));
                    }
                    Err(e) => out.push(Err(e)), // the savepoint rolls back when dropped
                }
            }
            tx.commit()?;
            Ok(out)
        })();
        drop(c);
        match applied {
            Ok(results) => {
                for ((_, _, _, reply), r) in group.into_iter().zip(results) {
                    let _ = reply.send(r);
                }
            }
            Err(e) => {
                // Nothing of the group was applied: every push is answered 503 and retried.
                for (_, _, _, reply) in group {
                    let _ = reply.send(Err(StoreError::Busy(e.to_string())));
                }
            }
        }
    }
}

fn push_in(tx: &Connection, user: &User, req: &PushRequest, now_ms: i64) -> StoreResult<PushResponse> {
    let client = req.client_id.to_string();
    let owner: Option<(String, i64)> = tx
        .query_row("SELECT user_id, last_mid FROM clients WHERE client_id = ?1", [&client], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let last = match owner {
        Some((uid, _)) if uid != user.id.to_string() => return Err(StoreError::Forbidden("client_id")),
        Some((_, last)) => last as u64,
        None => {
            tx.execute(
                "INSERT INTO clients (client_id, user_id, last_mid) VALUES (?1, ?2, 0)",
                params![client, user.id.to_string()],
            )?;
            0
        }
    };
    let org = user.org_id.to_string();
    let mut known = std::collections::HashMap::new();
    let mut read = tx.prepare_cached(
        "SELECT fields, field_hlcs, deleted, deleted_hlc, created_by, purged FROM records
         WHERE org_id = ?1 AND collection = ?2 AND id = ?3",
    )?;
    for key in PushPlan::keys([req]) {
        let row = read
            .query_row(params![org, key.0, key.1], |r| {
                Ok((
                    RecordState {
                        fields: json(&r.get::<_, String>(0)?)?,
                        field_hlcs: json(&r.get::<_, String>(1)?)?,
                        deleted: r.get(2)?,
                        deleted_hlc: r.get(3)?,
                        purged: r.get(5)?,
                    },
                    r.get::<_, String>(4)?,
                ))
            })
            .optional()?;
        if let Some(row) = row {
            known.insert(key, row);
        }
    }
    drop(read);
    let mut plan = PushPlan::new(known);
    if PushPlan::needs_facilities([req]) {
        plan.add_context(facility_context(tx, &org, now_ms)?);
    }
    let answer = plan.push(user, req, last, now_ms);
    let written = plan.written();
    if !written.is_empty() {
        let n = written.len() as i64;
        let version: i64 = tx.query_row(
            "UPDATE orgs SET version = version + ?2 WHERE id = ?1 RETURNING version",
            params![org, n],
            |r| r.get(0),
        )?;
        let mut upsert = tx.prepare_cached(
            "INSERT INTO records (org_id, collection, id, fields, field_hlcs, deleted, deleted_hlc, version,
               created_by, window_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (org_id, collection, id) DO UPDATE SET fields = excluded.fields,
               field_hlcs = excluded.field_hlcs, deleted = excluded.deleted,
               deleted_hlc = excluded.deleted_hlc, version = excluded.version, window_ms = excluded.window_ms",
        )?;
        for (i, ((collection, id), (state, creator))) in written.into_iter().enumerate() {
            upsert.execute(params![
                org,
                collection,
                id,
                serde_json::Value::Object(state.fields.clone()).to_string(),
                serde_json::to_string(&state.field_hlcs).unwrap_or_default(),
                state.deleted,
                state.deleted_hlc,
                version - n + 1 + i as i64,
                creator,
                latarnia_core::window::window_ms(collection, &state.fields)
            ])?;
        }
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO mutation_log (org_id, at_ms, user_id, client_id, mid, collection, record_id, op, hlc,
           fields, status, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for l in &plan.log {
        insert.execute(params![
            org,
            l.at_ms,
            l.user,
            l.client,
            l.mid,
            l.collection,
            l.record,
            l.op,
            l.hlc,
            l.fields,
            l.status,
            l.error
        ])?;
    }
    if answer.last_mutation_id != last {
        tx.execute(
            "UPDATE clients SET last_mid = ?1 WHERE client_id = ?2",
            params![answer.last_mutation_id as i64, client],
        )?;
    }
    Ok(answer)
}

/// A row of `SELECT collection, id, fields, field_hlcs, deleted, version, deleted_hlc,
/// created_by, purged FROM records`, as `user` may read it.
/// The organisation's facilities and its holds of the last hours (`PushPlan::add_context`).
fn facility_context(
    tx: &Connection,
    org: &str,
    now_ms: i64,
) -> StoreResult<Vec<(super::push::Key, super::push::Stored)>> {
    let mut stmt = tx.prepare_cached(
        "SELECT collection, id, fields, field_hlcs, deleted, deleted_hlc, created_by, purged FROM records
         WHERE org_id = ?1 AND (collection = ?2 OR (collection = ?3 AND window_ms >= ?4))",
    )?;
    let since = now_ms - latarnia_core::facilities::HOLDS_LOOKBACK_HOURS * 3_600_000;
    let rows = stmt.query_map(
        params![org, latarnia_core::protocol::FACILITIES, latarnia_core::protocol::BED_HOLDS, since],
        |r| {
            Ok((
                (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                (
                    RecordState {
                        fields: json(&r.get::<_, String>(2)?)?,
                        field_hlcs: json(&r.get::<_, String>(3)?)?,
                        deleted: r.get(4)?,
                        deleted_hlc: r.get(5)?,
                        purged: r.get(7)?,
                    },
                    r.get::<_, String>(6)?,
                ),
            ))
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn outgoing(user: &User, r: &rusqlite::Row) -> rusqlite::Result<StoredChange> {
    let change = StoredChange {
        collection: r.get(0)?,
        id: uuid(r.get(1)?)?,
        fields: json(&r.get::<_, String>(2)?)?,
        field_hlcs: json(&r.get::<_, String>(3)?)?,
        deleted: r.get(4)?,
        version: r.get::<_, i64>(5)? as u64,
        deleted_hlc: r.get(6)?,
        purged: r.get(8)?,
    };
    Ok(super::outgoing(user, &r.get::<_, String>(7)?, change))
}

fn pull_tx(
    c: &mut Connection,
    user: &User,
    client: Uuid,
    after: u64,
    limit: u32,
    from: Option<i64>,
) -> StoreResult<PullPage> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let last_mutation_id: i64 = tx
        .query_row(
            "SELECT last_mid FROM clients WHERE client_id = ?1 AND user_id = ?2",
            params![client.to_string(), user.id.to_string()],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let org_version: i64 =
        tx.query_row("SELECT version FROM orgs WHERE id = ?1", [user.org_id.to_string()], |r| r.get(0))?;
    if after > org_version as u64 {
        return Err(StoreError::CursorReset);
    }
    let collections = readable(user.role);
    let list = serde_json::to_string(&collections).unwrap_or_default();
    let scope = if user.role == Role::Facility {
        let mut stmt =
            tx.prepare_cached("SELECT id, fields FROM records WHERE org_id = ?1 AND collection = ?2 AND NOT deleted")?;
        let rows = stmt
            .query_map(params![user.org_id.to_string(), latarnia_core::protocol::FACILITIES], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        super::hold_scope(user, rows)
    } else {
        None
    };
    let mut stmt = tx.prepare_cached(
        "SELECT collection, id, fields, field_hlcs, deleted, version, deleted_hlc, created_by, purged FROM records
         WHERE org_id = ?1 AND version > ?2 AND collection IN (SELECT value FROM json_each(?3))
           AND (?5 IS NULL OR window_ms IS NULL OR window_ms >= ?5)
           AND (?6 IS NULL OR collection <> ?7
                OR json_extract(fields, '$.facility_id') IN (SELECT value FROM json_each(?6)))
         ORDER BY version LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        params![
            user.org_id.to_string(),
            after as i64,
            list,
            limit as i64 + 1,
            from,
            scope,
            latarnia_core::protocol::BED_HOLDS
        ],
        |r| outgoing(user, r),
    )?;
    let changes = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    drop(stmt);
    Ok(PullPage::new(changes, limit, after, org_version as u64, last_mutation_id as u64))
}

#[async_trait::async_trait]
impl Storage for SqliteStore {
    fn describe(&self) -> String {
        format!("SQLite at {}", self.path.display())
    }

    async fn epoch(&self) -> StoreResult<String> {
        self.read(|c| Ok(c.query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |r| r.get(0))?)).await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)).map(|_| ())?)).await
    }

    async fn org_add(&self, name: &str) -> StoreResult<Org> {
        let org = Org { id: Uuid::new_v4(), name: name.to_owned() };
        let o = org.clone();
        self.run(move |c| {
            c.execute("INSERT INTO orgs (id, name) VALUES (?1, ?2)", params![o.id.to_string(), o.name])?;
            Ok(())
        })
        .await?;
        Ok(org)
    }

    async fn org_by_name(&self, name: &str) -> StoreResult<Option<Org>> {
        let name = name.to_owned();
        self.read(move |c| {
            Ok(c.query_row("SELECT id, name FROM orgs WHERE name = ?1", [name], |r| {
                Ok(Org { id: uuid(r.get(0)?)?, name: r.get(1)? })
            })
            .optional()?)
        })
        .await
    }

    async fn user_count(&self) -> StoreResult<u64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get::<_, i64>(0))? as u64)).await
    }

    async fn user_add(&self, user: &User, password_hash: &str) -> StoreResult<()> {
        let (u, h) = (user.clone(), password_hash.to_owned());
        self.run(move |c| {
            c.execute(
                "INSERT INTO users (id, org_id, login, display_name, role, password_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![u.id.to_string(), u.org_id.to_string(), u.login, u.display_name, u.role.as_str(), h],
            )?;
            Ok(())
        })
        .await
    }

    async fn user_list(&self, org: Option<Uuid>) -> StoreResult<Vec<Account>> {
        self.read(move |c| {
            let mut s = c.prepare(&format!("{ACCOUNT} WHERE ?1 IS NULL OR org_id = ?1 ORDER BY login"))?;
            let rows = s.query_map([org.map(|o| o.to_string())], account_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn account(&self, login: &str) -> StoreResult<Option<Account>> {
        let login = login.to_owned();
        self.read(move |c| Ok(c.query_row(&format!("{ACCOUNT} WHERE login = ?1"), [login], account_row).optional()?))
            .await
    }

    async fn user_disable(&self, login: &str) -> StoreResult<bool> {
        let login = login.to_owned();
        self.run(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute("UPDATE users SET disabled = 1 WHERE login = ?1", [&login])?;
            tx.execute(
                "UPDATE tokens SET revoked = 1, wipe = 1 WHERE user_id IN (SELECT id FROM users WHERE login = ?1)",
                [&login],
            )?;
            tx.execute(FORGET_DEVICE_KEYS, [&login])?;
            tx.commit()?;
            Ok(n > 0)
        })
        .await
    }

    async fn user_set_role(&self, login: &str, role: Role) -> StoreResult<bool> {
        let (login, role) = (login.to_owned(), role.as_str().to_owned());
        self.run(move |c| Ok(c.execute("UPDATE users SET role = ?2 WHERE login = ?1", [&login, &role])? > 0)).await
    }

    async fn user_enable(&self, login: &str) -> StoreResult<bool> {
        let login = login.to_owned();
        self.run(move |c| Ok(c.execute("UPDATE users SET disabled = 0 WHERE login = ?1", [&login])? > 0)).await
    }

    async fn user_set_password(&self, login: &str, password_hash: &str) -> StoreResult<bool> {
        let (login, hash) = (login.to_owned(), password_hash.to_owned());
        self.run(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute("UPDATE users SET password_hash = ?2 WHERE login = ?1", [&login, &hash])?;
            tx.execute(
                "UPDATE tokens SET revoked = 1 WHERE user_id IN (SELECT id FROM users WHERE login = ?1)",
                [&login],
            )?;
            tx.commit()?;
            Ok(n > 0)
        })
        .await
    }

    async fn token_add(&self, token_hash: &str, user: Uuid, device: &str, expires_ms: i64) -> StoreResult<()> {
        let (h, d) = (token_hash.to_owned(), device.to_owned());
        self.run(move |c| {
            c.execute(
                "INSERT INTO tokens (hash, user_id, device, expires_ms) VALUES (?1, ?2, ?3, ?4)",
                params![h, user.to_string(), d, expires_ms],
            )?;
            Ok(())
        })
        .await
    }

    async fn token_user(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<User>> {
        let h = token_hash.to_owned();
        self.read(move |c| {
            let a = c
                .query_row(
                    "SELECT u.id, u.login, u.display_name, u.role, u.org_id, u.password_hash, u.disabled
                     FROM tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.hash = ?1 AND t.revoked = 0 AND t.expires_ms > ?2 AND u.disabled = 0",
                    params![h, now_ms],
                    account_row,
                )
                .optional()?;
            Ok(a.map(|a| a.user))
        })
        .await
    }

    async fn token_revoke(&self, token_hash: &str) -> StoreResult<()> {
        let h = token_hash.to_owned();
        self.run(move |c| {
            c.execute("UPDATE tokens SET revoked = 1 WHERE hash = ?1", [h])?;
            Ok(())
        })
        .await
    }

    async fn token_wiped(&self, token_hash: &str) -> StoreResult<bool> {
        let h = token_hash.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM tokens t JOIN users u ON u.id = t.user_id
                   WHERE t.hash = ?1 AND (t.wipe = 1 OR u.disabled = 1))",
                [h],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn tokens_revoke_all(&self, login: &str) -> StoreResult<u64> {
        let login = login.to_owned();
        self.run(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE tokens SET revoked = 1, wipe = 1 WHERE revoked = 0 AND user_id IN (SELECT id FROM users WHERE login = ?1)",
                [&login],
            )?;
            tx.execute(FORGET_DEVICE_KEYS, [&login])?;
            tx.commit()?;
            Ok(n as u64)
        })
        .await
    }

    async fn device_key(&self, user: Uuid, client: Uuid, fresh: &str) -> StoreResult<String> {
        let (user, client, fresh) = (user.to_string(), client.to_string(), fresh.to_owned());
        self.run(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO device_keys (user_id, client_id, secret) VALUES (?1, ?2, ?3)",
                params![user, client, fresh],
            )?;
            Ok(c.query_row(
                "SELECT secret FROM device_keys WHERE user_id = ?1 AND client_id = ?2",
                params![user, client],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn push(&self, user: &User, req: &PushRequest, now_ms: i64) -> StoreResult<PushResponse> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.pushes
            .send((user.clone(), req.clone(), now_ms, reply))
            .map_err(|_| StoreError::Busy("the writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Busy("the writer has stopped".into()))?
    }

    async fn pull(
        &self,
        user: &User,
        client_id: Uuid,
        after: u64,
        limit: u32,
        from: Option<i64>,
    ) -> StoreResult<PullPage> {
        let user = user.clone();
        self.read(move |c| pull_tx(c, &user, client_id, after, limit, from)).await
    }

    async fn history(&self, user: &User, q: &HistoryQuery) -> StoreResult<Vec<StoredChange>> {
        let (user, q) = (user.clone(), q.clone());
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT collection, id, fields, field_hlcs, deleted, version, deleted_hlc, created_by, purged FROM records
                 WHERE org_id = ?1 AND collection = ?2 AND window_ms < ?3 AND NOT deleted
                   AND (?4 IS NULL OR json_extract(fields, '$.site_id') = ?4)
                 ORDER BY window_ms DESC LIMIT ?5",
            )?;
            let site = q.site.map(|s| s.to_string());
            let rows = stmt.query_map(
                params![user.org_id.to_string(), q.collection, q.before_ms, site, q.limit as i64],
                |r| outgoing(&user, r),
            )?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn window_days(&self, org: Uuid, role: Role) -> StoreResult<u32> {
        self.read(move |c| {
            let days: Option<u32> = c
                .query_row(
                    "SELECT days FROM org_windows WHERE org_id = ?1 AND role = ?2",
                    params![org.to_string(), role.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(days.unwrap_or_else(|| latarnia_core::window::default_days(role)))
        })
        .await
    }

    async fn org_set_window(&self, name: &str, role: Role, days: u32) -> StoreResult<bool> {
        let name = name.to_owned();
        self.run(move |c| {
            Ok(c.execute(
                "INSERT INTO org_windows (org_id, role, days) SELECT id, ?2, ?3 FROM orgs WHERE name = ?1
                 ON CONFLICT (org_id, role) DO UPDATE SET days = excluded.days",
                params![name, role.as_str(), days],
            )? > 0)
        })
        .await
    }

    async fn audit(&self, org: Uuid, collection: &str, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
        let collection = collection.to_owned();
        self.read(move |c| {
            let mut s = c.prepare(
                "SELECT seq, at_ms, user_id, client_id, mid, collection, iif(record_id = '', ?3, record_id), op, hlc,
                   fields, status, error FROM mutation_log
                 WHERE org_id = ?1 AND collection = ?2
                   AND (record_id = ?3 OR (record_id = '' AND instr(record_ids, ?3) > 0)) ORDER BY seq",
            )?;
            let rows = s.query_map(params![org.to_string(), collection, id.to_string()], |r| {
                Ok(AuditEntry {
                    seq: r.get(0)?,
                    at_ms: r.get(1)?,
                    user_id: uuid(r.get(2)?)?,
                    client_id: uuid(r.get(3)?)?,
                    mid: r.get::<_, i64>(4)? as u64,
                    collection: r.get(5)?,
                    record_id: uuid(r.get(6)?)?,
                    op: r.get(7)?,
                    hlc: r.get(8)?,
                    fields: json(&r.get::<_, String>(9)?)?,
                    status: r.get(10)?,
                    error: r.get(11)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn renew_epoch(&self) -> StoreResult<String> {
        let epoch = Uuid::new_v4().to_string();
        let e = epoch.clone();
        self.run(move |c| {
            c.execute("UPDATE meta SET value = ?1 WHERE key = 'epoch'", [e])?;
            Ok(())
        })
        .await?;
        Ok(epoch)
    }

    async fn org_list(&self) -> StoreResult<Vec<(Org, u32)>> {
        self.read(|c| {
            let mut s = c.prepare("SELECT id, name, retention_months FROM orgs ORDER BY name")?;
            let rows = s.query_map([], |r| Ok((Org { id: uuid(r.get(0)?)?, name: r.get(1)? }, r.get::<_, u32>(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn org_set_lock_minutes(&self, name: &str, minutes: u32) -> StoreResult<bool> {
        let name = name.to_owned();
        self.run(move |c| {
            Ok(c.execute("UPDATE orgs SET lock_minutes = ?2 WHERE name = ?1", params![name, minutes])? > 0)
        })
        .await
    }

    async fn org_set_public_facilities(&self, name: &str, on: bool) -> StoreResult<Option<Uuid>> {
        let name = name.to_owned();
        self.run(move |c| {
            let id: Option<String> = c
                .query_row(
                    "UPDATE orgs SET public_facilities = ?2 WHERE name = ?1 RETURNING id",
                    params![name, on],
                    |r| r.get(0),
                )
                .optional()?;
            id.map(uuid).transpose().map_err(Into::into)
        })
        .await
    }

    async fn org_public_facilities(&self, org: Uuid) -> StoreResult<bool> {
        self.read(move |c| {
            let on: Option<bool> = c
                .query_row("SELECT public_facilities FROM orgs WHERE id = ?1", [org.to_string()], |r| r.get(0))
                .optional()?;
            Ok(on.unwrap_or(false))
        })
        .await
    }

    async fn phone_settings(&self, org: Uuid) -> StoreResult<PhoneSettings> {
        self.read(move |c| {
            let minutes: Option<u32> = c
                .query_row("SELECT lock_minutes FROM orgs WHERE id = ?1", [org.to_string()], |r| r.get(0))
                .optional()?;
            Ok(minutes.map(|m| PhoneSettings { lock_after_minutes: m }).unwrap_or_default())
        })
        .await
    }

    async fn org_set_retention(&self, name: &str, months: u32) -> StoreResult<bool> {
        let name = name.to_owned();
        self.run(move |c| {
            Ok(c.execute("UPDATE orgs SET retention_months = ?2 WHERE name = ?1", params![name, months])? > 0)
        })
        .await
    }

    async fn scan(&self, org: Uuid, which: Scan, after: ScanAfter, limit: u32) -> StoreResult<ScanPage> {
        let from: i64 = match after {
            Some(a) => a.parse().map_err(|_| StoreError::Failed(format!("not a scan position: {a:?}")))?,
            None => 0,
        };
        self.read(move |c| {
            // In rowid order, the order the rows lie in the file: a job's page of updates then
            // dirties a few neighbouring pages instead of one page per record (ids are random).
            // One collection through `records_scan` (org, collection), whose entries are in
            // rowid order; deleted records along the table itself (`+org_id`: no index, no sort).
            let cond = which.condition();
            let sql = match which {
                Scan::Deleted => format!("SELECT rowid, {SCAN_COLUMNS} FROM records WHERE rowid > ?2 AND +org_id = ?1 AND {cond} ORDER BY rowid LIMIT ?3"),
                Scan::Collection(_) => format!("SELECT rowid, {SCAN_COLUMNS} FROM records INDEXED BY records_scan WHERE org_id = ?1 AND collection = ?4 AND rowid > ?2 AND {cond} ORDER BY rowid LIMIT ?3"),
            };
            let mut s = c.prepare_cached(&sql)?;
            let org = org.to_string();
            let mut rows = match which {
                Scan::Deleted => s.query(params![org, from, limit])?,
                Scan::Collection(collection) => s.query(params![org, from, limit, collection])?,
            };
            let (mut page, mut last) = (ScanPage::default(), from);
            while let Some(r) = rows.next()? {
                last = r.get(0)?;
                page.rows.push((
                    r.get(1)?,
                    uuid(r.get(2)?)?,
                    RecordState {
                        fields: json(&r.get::<_, String>(3)?)?,
                        field_hlcs: json(&r.get::<_, String>(4)?)?,
                        deleted: r.get(5)?,
                        deleted_hlc: r.get(6)?,
                        purged: false,
                    },
                ));
            }
            page.next = (page.rows.len() == limit as usize).then(|| last.to_string());
            Ok(page)
        })
        .await
    }

    async fn write_server(&self, org: Uuid, writes: Vec<ServerWrite>, now_ms: i64) -> StoreResult<()> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let org = org.to_string();
            // The batch's versions in one step, given out in order.
            let top: i64 = tx.query_row(
                "UPDATE orgs SET version = version + ?2 WHERE id = ?1 RETURNING version",
                params![org, writes.len() as i64],
                |r| r.get(0),
            )?;
            let base = top - writes.len() as i64;
            {
                let mut update = tx.prepare_cached(
                    "UPDATE records SET fields = ?4, field_hlcs = ?5, purged = ?6, version = ?7, window_ms = ?8
                     WHERE org_id = ?1 AND collection = ?2 AND id = ?3",
                )?;
                let mut log = tx.prepare_cached(
                    "INSERT INTO mutation_log (org_id, at_ms, user_id, client_id, mid, collection, record_id, op, hlc,
                       fields, status, record_ids) VALUES (?1, ?2, ?3, ?3, 0, ?4, '', ?5, '', ?6, 'applied', ?7)",
                )?;
                for line in job_log_lines(&writes) {
                    log.execute(params![
                        org,
                        now_ms,
                        SERVER_USER.to_string(),
                        line.collection,
                        line.job,
                        line.fields,
                        line.ids
                    ])?;
                }
                for (n, w) in writes.iter().enumerate() {
                    let id = w.id.to_string();
                    update.execute(params![
                        org,
                        w.collection,
                        id,
                        serde_json::to_string(&w.state.fields).unwrap_or_default(),
                        serde_json::to_string(&w.state.field_hlcs).unwrap_or_default(),
                        w.state.purged,
                        base + n as i64 + 1,
                        latarnia_core::window::window_ms(&w.collection, &w.state.fields)
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn access_log_add(&self, rows: Vec<AccessRow>) -> StoreResult<()> {
        self.run(move |c| {
            let tx = c.transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO access_log (org_id, at_ms, user_id, login, client_id, device, counts)
                     VALUES (?1, ?2, ?3, ?4, ?5, COALESCE((SELECT device FROM tokens WHERE hash = ?6), ''), ?7)",
                )?;
                for r in &rows {
                    insert.execute(params![
                        r.user.org_id.to_string(),
                        r.at_ms,
                        r.user.id.to_string(),
                        r.user.login,
                        r.client_id.to_string(),
                        r.token_hash,
                        r.counts
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn access_log(&self, org: Uuid, limit: u32) -> StoreResult<Vec<AccessEntry>> {
        self.read(move |c| {
            let mut s = c.prepare(
                "SELECT at_ms, user_id, login, client_id, device, counts FROM access_log
                 WHERE org_id = ?1 ORDER BY seq DESC LIMIT ?2",
            )?;
            let rows = s.query_map(params![org.to_string(), limit], |r| {
                Ok(AccessEntry {
                    at_ms: r.get(0)?,
                    user_id: uuid(r.get(1)?)?,
                    login: r.get(2)?,
                    client_id: uuid(r.get(3)?)?,
                    device: r.get(4)?,
                    counts: json(&r.get::<_, String>(5)?)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn indicator_records(&self, org: Uuid) -> StoreResult<Dataset> {
        self.read(move |c| {
            let mut s = c.prepare(&super::indicator_rows_sql("?1", "deleted = 0"))?;
            let mut rows = s.query([org.to_string()])?;
            let mut dataset = Dataset::default();
            while let Some(r) = rows.next()? {
                let hlcs: Option<String> = r.get(3)?;
                super::add_indicator_row(
                    &mut dataset,
                    &r.get::<_, String>(0)?,
                    &r.get::<_, String>(1)?,
                    &r.get::<_, String>(2)?,
                    hlcs.as_deref(),
                );
            }
            Ok(dataset)
        })
        .await
    }

    async fn live_records(&self, org: Uuid, collection: &str) -> StoreResult<Vec<(String, String)>> {
        let collection = collection.to_owned();
        self.read(move |c| {
            let mut s = c.prepare(
                "SELECT id, fields FROM records WHERE org_id = ?1 AND collection = ?2 AND deleted = 0 ORDER BY id",
            )?;
            let rows = s.query_map([org.to_string(), collection], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database from before the window: its records get their window moments when it is
    /// opened by this version.
    #[test]
    fn the_window_migration_dates_the_records_stored_before_it() {
        let mut c = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..WINDOW_MIGRATION - 1] {
            c.execute_batch(sql).unwrap();
        }
        c.pragma_update(None, "user_version", (WINDOW_MIGRATION - 1) as i64).unwrap();
        let contact = latarnia_core::fixture::sopot_summer_2021().contacts[0].clone();
        let site = latarnia_core::fixture::sopot_summer_2021().sites[0].clone();
        let insert = "INSERT INTO records (org_id, collection, id, fields, field_hlcs, deleted, deleted_hlc, version)
                      VALUES ('o', ?1, ?2, ?3, '{}', 0, '', 1)";
        for (collection, id, fields) in [
            ("contacts", contact.id, latarnia_core::protocol::fields_of(&contact)),
            ("sites", site.id, latarnia_core::protocol::fields_of(&site)),
        ] {
            let text = serde_json::Value::Object(fields).to_string();
            c.execute(insert, params![collection, id.to_string(), text]).unwrap();
        }
        migrate(&mut c).unwrap();
        let at = |collection: &str| -> Option<i64> {
            c.query_row("SELECT window_ms FROM records WHERE collection = ?1", [collection], |r| r.get(0)).unwrap()
        };
        assert_eq!(at("contacts"), Some(contact.at.timestamp_millis()));
        assert_eq!(at("sites"), None, "places stay whole");
    }
}
