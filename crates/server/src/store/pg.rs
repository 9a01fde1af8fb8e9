//! PostgreSQL, for a city or a country that outgrew one machine; several server instances may
//! share one database. Pushes of one organisation are serialised by a row lock on the
//! organisation (taken first), which also hands out `version`s: a transaction takes its numbers
//! only after the previous holder committed, so versions grow in commit order and a pull (one
//! REPEATABLE READ snapshot) never skips a change that commits later with a smaller number.

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use latarnia_core::indicators::Dataset;
use latarnia_core::sync::{readable, PhoneSettings, PushRequest, PushResponse, RecordState, Role, User};
use tokio_postgres::error::SqlState;
use tokio_postgres::{NoTls, Row};
use uuid::Uuid;

use super::push::PushPlan;
use super::{
    job_log_lines, scan_sql, AccessEntry, AccessRow, Account, AuditEntry, HistoryQuery, Org, PullPage, Scan, ScanAfter,
    ScanPage, ServerWrite, Storage, StoreError, StoreResult, StoredChange, SERVER_USER,
};

const MIGRATIONS: &[&str] = &[
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    "CREATE TABLE orgs (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, version BIGINT NOT NULL DEFAULT 0);
     CREATE TABLE users (id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id),
        login TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL, role TEXT NOT NULL,
        password_hash TEXT NOT NULL, disabled BOOLEAN NOT NULL DEFAULT false);
     CREATE TABLE tokens (hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
        device TEXT NOT NULL, expires_ms BIGINT NOT NULL, revoked BOOLEAN NOT NULL DEFAULT false);
     CREATE INDEX tokens_user ON tokens(user_id);
     CREATE TABLE clients (client_id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
        last_mid BIGINT NOT NULL DEFAULT 0);
     CREATE TABLE records (org_id TEXT NOT NULL, collection TEXT NOT NULL, id TEXT NOT NULL,
        fields TEXT NOT NULL, field_hlcs TEXT NOT NULL, deleted BOOLEAN NOT NULL,
        deleted_hlc TEXT NOT NULL, version BIGINT NOT NULL,
        PRIMARY KEY (org_id, collection, id));
     CREATE INDEX records_version ON records(org_id, version);
     CREATE TABLE mutation_log (seq BIGSERIAL PRIMARY KEY, org_id TEXT NOT NULL,
        at_ms BIGINT NOT NULL, user_id TEXT NOT NULL, client_id TEXT NOT NULL, mid BIGINT NOT NULL,
        collection TEXT NOT NULL, record_id TEXT NOT NULL, op TEXT NOT NULL, hlc TEXT NOT NULL,
        fields TEXT NOT NULL, status TEXT NOT NULL, error TEXT);
     CREATE INDEX mutation_log_record ON mutation_log(org_id, collection, record_id);",
    "ALTER TABLE records ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
     ALTER TABLE records ADD COLUMN purged BOOLEAN NOT NULL DEFAULT false;
     ALTER TABLE orgs ADD COLUMN retention_months INTEGER NOT NULL DEFAULT 36;
     CREATE TABLE access_log (seq BIGSERIAL PRIMARY KEY, org_id TEXT NOT NULL,
        at_ms BIGINT NOT NULL, user_id TEXT NOT NULL, login TEXT NOT NULL, client_id TEXT NOT NULL,
        device TEXT NOT NULL, counts TEXT NOT NULL);
     CREATE INDEX access_log_org ON access_log(org_id, seq);",
    // 4: a device withdrawn by the organisation (remote wipe), apart from a session ended.
    "ALTER TABLE tokens ADD COLUMN wipe BOOLEAN NOT NULL DEFAULT false;",
    // 5: each phone's recovery key (a PIN forgotten: the password opens the phone's data again).
    // And how long an unattended app stays open, per organisation.
    "CREATE TABLE device_keys (user_id TEXT NOT NULL, client_id TEXT NOT NULL, secret TEXT NOT NULL,
        PRIMARY KEY (user_id, client_id));
     ALTER TABLE orgs ADD COLUMN lock_minutes INTEGER NOT NULL DEFAULT 5;",
    // 6: the field-sized window (see the SQLite store's migration 6).
    "ALTER TABLE records ADD COLUMN window_ms BIGINT;
     CREATE INDEX records_window ON records(org_id, collection, window_ms);
     CREATE TABLE org_windows (org_id TEXT NOT NULL, role TEXT NOT NULL, days INTEGER NOT NULL,
        PRIMARY KEY (org_id, role));",
    // 7: one line of the log per page of a server job, naming its records
    // (`store::job_log_lines`).
    "ALTER TABLE mutation_log ADD COLUMN record_ids TEXT NOT NULL DEFAULT '';",
    // 8: the aid-facility list without sign-in, when an organisation switches it on.
    "ALTER TABLE orgs ADD COLUMN public_facilities BOOLEAN NOT NULL DEFAULT false;",
];

/// The migration that added `records.window_ms`: the rows stored before it get theirs.
const WINDOW_MIGRATION: usize = 6;

/// A withdrawn user's phones can no longer be opened with the password.
const FORGET_DEVICE_KEYS: &str = "DELETE FROM device_keys WHERE user_id IN (SELECT id FROM users WHERE login = $1)";

/// Any number: two instances starting at once take turns migrating.
const MIGRATION_LOCK: i64 = 0x4c61_7461_726e_6961;

pub struct PgStore {
    pool: Pool,
    /// The organisations' writers' own connections: a group commit never queues behind a
    /// hundred phones' pulls for one of `pool`'s (it did, and a push then waited seconds).
    write_pool: Pool,
    describe: String,
    /// One writer task per organisation (made at its first push): it takes every push of that
    /// organisation waiting in this instance and applies them in one transaction, each in its
    /// own savepoint, with one commit — group commit, as SQLite's writer does. Organisations
    /// never wait on each other's writer.
    writers: std::sync::Mutex<std::collections::HashMap<Uuid, tokio::sync::mpsc::UnboundedSender<PushJob>>>,
}

/// Connections for pulls, jobs and the rest; and for the organisations' writers apart.
const READ_CONNECTIONS: usize = 16;
const WRITE_CONNECTIONS: usize = 8;

/// A push waiting for its organisation's writer.
type PushJob = (User, PushRequest, i64, tokio::sync::oneshot::Sender<StoreResult<PushResponse>>);

/// At most this many pushes in one group.
const GROUP: usize = 64;

async fn writer(pool: Pool, org: String, mut jobs: tokio::sync::mpsc::UnboundedReceiver<PushJob>) {
    while let Some(first) = jobs.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP {
            match jobs.try_recv() {
                Ok(j) => group.push(j),
                Err(_) => break,
            }
        }
        match group_commit(&pool, &org, &group).await {
            Ok(results) => {
                for ((_, _, _, reply), r) in group.into_iter().zip(results) {
                    let _ = reply.send(r);
                }
            }
            // Nothing of the group was applied: every push is answered 503 and retried.
            Err(e) => {
                let message = e.to_string();
                for (_, _, _, reply) in group {
                    let _ = reply.send(Err(StoreError::Busy(message.clone())));
                }
            }
        }
    }
}

/// One group of an organisation's pushes in one transaction, in four round trips whatever its
/// size (requests polled together are pipelined by tokio-postgres): the organisation's row lock,
/// the clients' claims and every record the group touches; then the records, the log, the
/// clients' marks, the organisation's version and the commit. Everything between is decided in
/// memory, in order (a record touched twice sees its first change, across pushes too). A push
/// that is refused (a client of another user) writes nothing; a database error fails the group,
/// whose pushes are then answered 503 and retried.
async fn group_commit(pool: &Pool, org: &str, group: &[PushJob]) -> StoreResult<Vec<StoreResult<PushResponse>>> {
    let c = pool.get().await?;
    let result = group_in(&c, org, group).await;
    if result.is_err() {
        // After a failed COMMIT there is no transaction left, and this is answered harmlessly.
        let _ = c.batch_execute("ROLLBACK").await;
    }
    result
}

async fn group_in(
    c: &deadpool_postgres::Object,
    org: &str,
    group: &[PushJob],
) -> StoreResult<Vec<StoreResult<PushResponse>>> {
    use tokio_postgres::types::ToSql;
    let (lock, claim, read, upsert, insert, mark, set) = tokio::try_join!(
        // The organisation's row lock first: one group per organisation at a time, in every
        // instance; it is held until the commit and orders the versions.
        c.prepare_cached("SELECT version FROM orgs WHERE id = $1 FOR UPDATE"),
        c.prepare_cached(
            "INSERT INTO clients (client_id, user_id) SELECT * FROM unnest($1::text[], $2::text[])
             ON CONFLICT (client_id) DO UPDATE SET last_mid = clients.last_mid
             RETURNING client_id, user_id, last_mid",
        ),
        // By the primary key (an index scan whatever the table's size); a pair of another
        // collection with one of these ids is not asked for below.
        c.prepare_cached(
            "SELECT collection, id, fields, field_hlcs, deleted, deleted_hlc, created_by, purged FROM records
             WHERE org_id = $1 AND collection = ANY($2::text[]) AND id = ANY($3::text[])",
        ),
        c.prepare_cached(
            "INSERT INTO records (org_id, collection, id, fields, field_hlcs, deleted, deleted_hlc, version, created_by,
               window_ms)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::text[],
               $8::bigint[], $9::text[], $10::bigint[])
             ON CONFLICT (org_id, collection, id) DO UPDATE SET fields = excluded.fields,
               field_hlcs = excluded.field_hlcs, deleted = excluded.deleted,
               deleted_hlc = excluded.deleted_hlc, version = excluded.version, window_ms = excluded.window_ms",
        ),
        c.prepare_cached(
            "INSERT INTO mutation_log (org_id, at_ms, user_id, client_id, mid, collection, record_id, op, hlc,
               fields, status, error)
             SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[],
               $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])",
        ),
        c.prepare_cached(
            "UPDATE clients SET last_mid = u.last_mid FROM unnest($1::text[], $2::bigint[]) AS u(client_id, last_mid)
             WHERE clients.client_id = u.client_id",
        ),
        c.prepare_cached("UPDATE orgs SET version = $2 WHERE id = $1"),
    )?;
    // Each client claimed once (by the first push of the group that names it).
    let (mut clients, mut users): (Vec<String>, Vec<String>) = Default::default();
    let (mut cols, mut ids): (Vec<String>, Vec<String>) = Default::default();
    for (user, req, _, _) in group {
        let client = req.client_id.to_string();
        if !clients.contains(&client) {
            clients.push(client);
            users.push(user.id.to_string());
        }
        for m in &req.mutations {
            cols.push(m.collection.clone());
            ids.push(m.id.to_string());
        }
    }
    let org_text = org.to_owned();
    let lock_args: [&(dyn ToSql + Sync); 1] = [&org_text];
    let claim_args: [&(dyn ToSql + Sync); 2] = [&clients, &users];
    let read_args: [&(dyn ToSql + Sync); 3] = [&org_text, &cols, &ids];
    let (begun, locked, claimed, rows) = tokio::join!(
        c.batch_execute("BEGIN"),
        c.query_one(&lock, &lock_args),
        c.query(&claim, &claim_args),
        c.query(&read, &read_args)
    );
    begun?;
    let first_version: i64 = locked?.get(0);
    let mut owners: std::collections::HashMap<String, (String, u64)> = std::collections::HashMap::new();
    for r in claimed? {
        owners.insert(r.get(0), (r.get(1), r.get::<_, i64>(2) as u64));
    }
    let mut known = std::collections::HashMap::new();
    for r in rows? {
        let state = RecordState {
            fields: json(r.get(2))?,
            field_hlcs: json(r.get(3))?,
            deleted: r.get(4),
            deleted_hlc: r.get(5),
            purged: r.get(7),
        };
        known.insert((r.get(0), r.get(1)), (state, r.get(6)));
    }
    let mut plan = PushPlan::new(known);
    if PushPlan::needs_facilities(group.iter().map(|g| &g.1)) {
        let now_ms = group.iter().map(|g| g.2).max().unwrap_or_default();
        let since = now_ms - latarnia_core::facilities::HOLDS_LOOKBACK_HOURS * 3_600_000;
        let (facilities, holds) = (latarnia_core::protocol::FACILITIES, latarnia_core::protocol::BED_HOLDS);
        let args: [&(dyn ToSql + Sync); 4] = [&org_text, &facilities, &holds, &since];
        let rows = c
            .query(
                "SELECT collection, id, fields, field_hlcs, deleted, deleted_hlc, created_by, purged FROM records
                 WHERE org_id = $1 AND (collection = $2 OR (collection = $3 AND window_ms >= $4))",
                &args,
            )
            .await?;
        let mut context = Vec::with_capacity(rows.len());
        for r in rows {
            let state = RecordState {
                fields: json(r.get(2))?,
                field_hlcs: json(r.get(3))?,
                deleted: r.get(4),
                deleted_hlc: r.get(5),
                purged: r.get(7),
            };
            context.push(((r.get(0), r.get(1)), (state, r.get(6))));
        }
        plan.add_context(context);
    }
    let mut marks: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    let mut out = Vec::with_capacity(group.len());
    for (user, req, now_ms, _) in group {
        let client = req.client_id.to_string();
        let Some((owner, last_mid)) = owners.get_mut(&client) else {
            out.push(Err(StoreError::Failed("a client not claimed".into())));
            continue;
        };
        if *owner != user.id.to_string() {
            out.push(Err(StoreError::Forbidden("client_id")));
            continue;
        }
        let answer = plan.push(user, req, *last_mid, *now_ms);
        if answer.last_mutation_id != *last_mid {
            *last_mid = answer.last_mutation_id;
            marks.insert(client, answer.last_mutation_id as i64);
        }
        out.push(Ok(answer));
    }
    let mut a = RecordColumns::default();
    for (n, (key, (state, creator))) in plan.written().into_iter().enumerate() {
        a.collection.push(key.0.clone());
        a.id.push(key.1.clone());
        a.fields.push(serde_json::Value::Object(state.fields.clone()).to_string());
        a.hlcs.push(serde_json::to_string(&state.field_hlcs).unwrap_or_default());
        a.deleted.push(state.deleted);
        a.deleted_hlc.push(state.deleted_hlc.clone());
        a.version.push(first_version + n as i64 + 1);
        a.created_by.push(creator.clone());
        a.window_ms.push(latarnia_core::window::window_ms(&key.0, &state.fields));
    }
    let mut log = LogColumns::default();
    for line in plan.log {
        log.at_ms.push(line.at_ms);
        log.user.push(line.user);
        log.client.push(line.client);
        log.mid.push(line.mid);
        log.collection.push(line.collection);
        log.record.push(line.record);
        log.op.push(line.op);
        log.hlc.push(line.hlc);
        log.fields.push(line.fields);
        log.status.push(line.status);
        log.error.push(line.error);
    }
    let version = first_version + a.id.len() as i64;
    let (mark_clients, mark_mids): (Vec<String>, Vec<i64>) = marks.into_iter().unzip();
    let l = &log;
    let upsert_args: [&(dyn ToSql + Sync); 10] = [
        &org_text,
        &a.collection,
        &a.id,
        &a.fields,
        &a.hlcs,
        &a.deleted,
        &a.deleted_hlc,
        &a.version,
        &a.created_by,
        &a.window_ms,
    ];
    let log_args: [&(dyn ToSql + Sync); 12] = [
        &org_text,
        &l.at_ms,
        &l.user,
        &l.client,
        &l.mid,
        &l.collection,
        &l.record,
        &l.op,
        &l.hlc,
        &l.fields,
        &l.status,
        &l.error,
    ];
    let mark_args: [&(dyn ToSql + Sync); 2] = [&mark_clients, &mark_mids];
    let set_args: [&(dyn ToSql + Sync); 2] = [&org_text, &version];
    // Versions are handed out here, in order, and the organisation's row is written once per
    // group (a row updated at every push piles up versions of itself that every later update
    // has to walk). PostgreSQL's default synchronous_commit: the commit is on disk when it
    // answers.
    let skip = || async { Ok(0) };
    let (records, lines, marked, set_version, committed) = tokio::join!(
        async {
            match a.id.is_empty() {
                true => skip().await,
                false => c.execute(&upsert, &upsert_args).await,
            }
        },
        async {
            match l.mid.is_empty() {
                true => skip().await,
                false => c.execute(&insert, &log_args).await,
            }
        },
        async {
            match mark_clients.is_empty() {
                true => skip().await,
                false => c.execute(&mark, &mark_args).await,
            }
        },
        async {
            match version == first_version {
                true => skip().await,
                false => c.execute(&set, &set_args).await,
            }
        },
        c.batch_execute("COMMIT")
    );
    records?;
    lines?;
    marked?;
    set_version?;
    committed?;
    Ok(out)
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.code() {
            Some(c) if *c == SqlState::UNIQUE_VIOLATION => StoreError::Conflict,
            Some(c)
                if *c == SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == SqlState::T_R_DEADLOCK_DETECTED
                    || *c == SqlState::ADMIN_SHUTDOWN
                    || *c == SqlState::TOO_MANY_CONNECTIONS =>
            {
                StoreError::Busy(e.to_string())
            }
            None if e.is_closed() => StoreError::Busy(e.to_string()),
            _ => StoreError::Failed(e.to_string()),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::Busy(e.to_string())
    }
}

fn uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Failed(format!("stored id: {e}")))
}

fn json<T: serde::de::DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Failed(format!("stored json: {e}")))
}

const ACCOUNT: &str = "SELECT id, login, display_name, role, org_id, password_hash, disabled FROM users";

fn account_row(r: &Row) -> StoreResult<Account> {
    let role: String = r.get(3);
    Ok(Account {
        user: User {
            id: uuid(r.get(0))?,
            login: r.get(1),
            display_name: r.get(2),
            role: Role::parse(&role).ok_or_else(|| StoreError::Failed(format!("stored role {role:?}")))?,
            org_id: uuid(r.get(4))?,
        },
        password_hash: r.get(5),
        disabled: r.get(6),
    })
}

impl PgStore {
    pub async fn open(url: &str) -> StoreResult<Self> {
        let tls = super::pg_tls::mode(url)?;
        let config: tokio_postgres::Config =
            tls.url.parse().map_err(|e| StoreError::Failed(format!("DATABASE_URL is not a PostgreSQL URL: {e}")))?;
        let describe = format!(
            "PostgreSQL {} on {}",
            config.get_dbname().unwrap_or("(default)"),
            config
                .get_hosts()
                .iter()
                .map(|h| match h {
                    tokio_postgres::config::Host::Tcp(s) => s.clone(),
                    #[cfg(unix)]
                    tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        );
        let describe = format!("{describe} (sslmode={})", tls.mode);
        let pool = |size: usize| -> StoreResult<Pool> {
            let mc = ManagerConfig { recycling_method: RecyclingMethod::Fast };
            let manager = match super::pg_tls::connector(&tls)? {
                Some(rustls) => Manager::from_config(config.clone(), rustls, mc),
                None => Manager::from_config(config.clone(), NoTls, mc),
            };
            Pool::builder(manager).max_size(size).build().map_err(|e| StoreError::Failed(e.to_string()))
        };
        let store = PgStore {
            pool: pool(READ_CONNECTIONS)?,
            write_pool: pool(WRITE_CONNECTIONS)?,
            describe,
            writers: Default::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Whether this store's connections to PostgreSQL are encrypted (`pg_stat_ssl`).
    pub async fn encrypted(&self) -> StoreResult<bool> {
        let c = self.pool.get().await?;
        let row = c.query_opt("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).await?;
        Ok(row.is_some_and(|r| r.get(0)))
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut c = self.pool.get().await.map_err(|e| StoreError::Failed(format!("cannot reach PostgreSQL: {e}")))?;
        let tx = c.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL)").await?;
        let done: Option<i32> = tx.query_opt("SELECT version FROM schema_version", &[]).await?.map(|r| r.get(0));
        if done.is_none() {
            tx.execute("INSERT INTO schema_version (version) VALUES (0)", &[]).await?;
        }
        let done = done.unwrap_or(0) as usize;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
            tx.batch_execute(sql).await?;
            tx.execute("UPDATE schema_version SET version = $1", &[&((i + 1) as i32)]).await?;
            if i + 1 == WINDOW_MIGRATION {
                backfill_window(&tx).await?;
            }
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('epoch', $1) ON CONFLICT (key) DO NOTHING",
            &[&Uuid::new_v4().to_string()],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Gives every stored record its window moment (once, in the migration that added the column).
async fn backfill_window(tx: &deadpool_postgres::Transaction<'_>) -> StoreResult<()> {
    let (mut orgs, mut collections, mut ids, mut ats) =
        (Vec::<String>::new(), Vec::new(), Vec::<String>::new(), Vec::new());
    for r in tx.query("SELECT org_id, collection, id, fields FROM records", &[]).await? {
        let collection: String = r.get(1);
        let fields = serde_json::from_str(r.get::<_, &str>(3)).unwrap_or_default();
        if let Some(at) = latarnia_core::window::window_ms(&collection, &fields) {
            orgs.push(r.get(0));
            collections.push(collection);
            ids.push(r.get(2));
            ats.push(at);
        }
    }
    tx.execute(
        "UPDATE records r SET window_ms = u.at FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
           AS u(org_id, collection, id, at) WHERE r.org_id = u.org_id AND r.collection = u.collection AND r.id = u.id",
        &[&orgs, &collections, &ids, &ats],
    )
    .await?;
    Ok(())
}

/// A row of `SELECT collection, id, fields, field_hlcs, deleted, version, deleted_hlc,
/// created_by, purged FROM records`, as `user` may read it.
fn outgoing(user: &User, r: &tokio_postgres::Row) -> StoreResult<StoredChange> {
    let change = StoredChange {
        collection: r.get(0),
        id: uuid(r.get(1))?,
        fields: json(r.get(2))?,
        field_hlcs: json(r.get(3))?,
        deleted: r.get(4),
        version: r.get::<_, i64>(5) as u64,
        deleted_hlc: r.get(6),
        purged: r.get(8),
    };
    Ok(super::outgoing(user, r.get(7), change))
}

/// Records to write with one `unnest` statement, column by column.
#[derive(Default)]
struct RecordColumns {
    collection: Vec<String>,
    id: Vec<String>,
    fields: Vec<String>,
    hlcs: Vec<String>,
    deleted: Vec<bool>,
    deleted_hlc: Vec<String>,
    version: Vec<i64>,
    created_by: Vec<String>,
    window_ms: Vec<Option<i64>>,
}

/// Lines of the log to write with one `unnest` statement, column by column.
#[derive(Default)]
struct LogColumns {
    at_ms: Vec<i64>,
    user: Vec<String>,
    client: Vec<String>,
    mid: Vec<i64>,
    collection: Vec<&'static str>,
    record: Vec<String>,
    op: Vec<&'static str>,
    hlc: Vec<String>,
    fields: Vec<String>,
    status: Vec<&'static str>,
    error: Vec<Option<String>>,
}

#[async_trait::async_trait]
impl Storage for PgStore {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    async fn epoch(&self) -> StoreResult<String> {
        let c = self.pool.get().await?;
        let q = c.prepare_cached("SELECT value FROM meta WHERE key = 'epoch'").await?;
        Ok(c.query_one(&q, &[]).await?.get(0))
    }

    async fn ping(&self) -> StoreResult<()> {
        self.pool.get().await?.query_one("SELECT 1", &[]).await?;
        Ok(())
    }

    async fn org_add(&self, name: &str) -> StoreResult<Org> {
        let org = Org { id: Uuid::new_v4(), name: name.to_owned() };
        self.pool
            .get()
            .await?
            .execute("INSERT INTO orgs (id, name) VALUES ($1, $2)", &[&org.id.to_string(), &org.name])
            .await?;
        Ok(org)
    }

    async fn org_by_name(&self, name: &str) -> StoreResult<Option<Org>> {
        let row = self.pool.get().await?.query_opt("SELECT id, name FROM orgs WHERE name = $1", &[&name]).await?;
        row.map(|r| Ok(Org { id: uuid(r.get(0))?, name: r.get(1) })).transpose()
    }

    async fn user_count(&self) -> StoreResult<u64> {
        let n: i64 = self.pool.get().await?.query_one("SELECT count(*) FROM users", &[]).await?.get(0);
        Ok(n as u64)
    }

    async fn user_add(&self, u: &User, password_hash: &str) -> StoreResult<()> {
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO users (id, org_id, login, display_name, role, password_hash) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&u.id.to_string(), &u.org_id.to_string(), &u.login, &u.display_name, &u.role.as_str(), &password_hash],
            )
            .await?;
        Ok(())
    }

    async fn user_list(&self, org: Option<Uuid>) -> StoreResult<Vec<Account>> {
        let org = org.map(|o| o.to_string());
        let rows = self
            .pool
            .get()
            .await?
            .query(&format!("{ACCOUNT} WHERE $1::TEXT IS NULL OR org_id = $1 ORDER BY login"), &[&org])
            .await?;
        rows.iter().map(account_row).collect()
    }

    async fn account(&self, login: &str) -> StoreResult<Option<Account>> {
        let row = self.pool.get().await?.query_opt(&format!("{ACCOUNT} WHERE login = $1"), &[&login]).await?;
        row.as_ref().map(account_row).transpose()
    }

    async fn user_disable(&self, login: &str) -> StoreResult<bool> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let n = tx.execute("UPDATE users SET disabled = true WHERE login = $1", &[&login]).await?;
        tx.execute(
            "UPDATE tokens SET revoked = true, wipe = true WHERE user_id IN (SELECT id FROM users WHERE login = $1)",
            &[&login],
        )
        .await?;
        tx.execute(FORGET_DEVICE_KEYS, &[&login]).await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn user_set_role(&self, login: &str, role: Role) -> StoreResult<bool> {
        let n = self
            .pool
            .get()
            .await?
            .execute("UPDATE users SET role = $2 WHERE login = $1", &[&login, &role.as_str()])
            .await?;
        Ok(n > 0)
    }

    async fn user_enable(&self, login: &str) -> StoreResult<bool> {
        let n = self.pool.get().await?.execute("UPDATE users SET disabled = false WHERE login = $1", &[&login]).await?;
        Ok(n > 0)
    }

    async fn user_set_password(&self, login: &str, password_hash: &str) -> StoreResult<bool> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let n = tx.execute("UPDATE users SET password_hash = $2 WHERE login = $1", &[&login, &password_hash]).await?;
        tx.execute(
            "UPDATE tokens SET revoked = true WHERE user_id IN (SELECT id FROM users WHERE login = $1)",
            &[&login],
        )
        .await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn token_add(&self, token_hash: &str, user: Uuid, device: &str, expires_ms: i64) -> StoreResult<()> {
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO tokens (hash, user_id, device, expires_ms) VALUES ($1, $2, $3, $4)",
                &[&token_hash, &user.to_string(), &device, &expires_ms],
            )
            .await?;
        Ok(())
    }

    async fn token_user(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<User>> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT u.id, u.login, u.display_name, u.role, u.org_id, u.password_hash, u.disabled
                 FROM tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.hash = $1 AND NOT t.revoked AND t.expires_ms > $2 AND NOT u.disabled",
                &[&token_hash, &now_ms],
            )
            .await?;
        Ok(row.as_ref().map(account_row).transpose()?.map(|a| a.user))
    }

    async fn token_revoke(&self, token_hash: &str) -> StoreResult<()> {
        self.pool.get().await?.execute("UPDATE tokens SET revoked = true WHERE hash = $1", &[&token_hash]).await?;
        Ok(())
    }

    async fn token_wiped(&self, token_hash: &str) -> StoreResult<bool> {
        let row = self
            .pool
            .get()
            .await?
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM tokens t JOIN users u ON u.id = t.user_id
                   WHERE t.hash = $1 AND (t.wipe OR u.disabled))",
                &[&token_hash],
            )
            .await?;
        Ok(row.get(0))
    }

    async fn tokens_revoke_all(&self, login: &str) -> StoreResult<u64> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let n = tx
            .execute(
                "UPDATE tokens SET revoked = true, wipe = true WHERE NOT revoked AND user_id IN (SELECT id FROM users WHERE login = $1)",
                &[&login],
            )
            .await?;
        tx.execute(FORGET_DEVICE_KEYS, &[&login]).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn device_key(&self, user: Uuid, client: Uuid, fresh: &str) -> StoreResult<String> {
        let c = self.pool.get().await?;
        let (user, client) = (user.to_string(), client.to_string());
        c.execute(
            "INSERT INTO device_keys (user_id, client_id, secret) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&user, &client, &fresh],
        )
        .await?;
        let row = c
            .query_one("SELECT secret FROM device_keys WHERE user_id = $1 AND client_id = $2", &[&user, &client])
            .await?;
        Ok(row.get(0))
    }

    async fn push(&self, user: &User, req: &PushRequest, now_ms: i64) -> StoreResult<PushResponse> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let mut job = Some((user.clone(), req.clone(), now_ms, reply));
        for _ in 0..2 {
            let sender = {
                let mut writers = self.writers.lock().unwrap_or_else(|p| p.into_inner());
                writers
                    .entry(user.org_id)
                    .or_insert_with(|| {
                        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                        tokio::spawn(writer(self.write_pool.clone(), user.org_id.to_string(), rx));
                        tx
                    })
                    .clone()
            };
            match sender.send(job.take().expect("a job to send")) {
                Ok(()) => return answer.await.map_err(|_| StoreError::Busy("the writer has stopped".into()))?,
                // Its writer ended (a runtime that stopped): a new one takes it.
                Err(e) => {
                    job = Some(e.0);
                    self.writers.lock().unwrap_or_else(|p| p.into_inner()).remove(&user.org_id);
                }
            }
        }
        Err(StoreError::Busy("the writer has stopped".into()))
    }

    async fn pull(
        &self,
        user: &User,
        client_id: Uuid,
        after: u64,
        limit: u32,
        from: Option<i64>,
    ) -> StoreResult<PullPage> {
        let c = self.pool.get().await?;
        let org = user.org_id.to_string();
        // Statements prepared once per connection.
        let (q_client, q_org, q_records) = tokio::try_join!(
            c.prepare_cached("SELECT last_mid FROM clients WHERE client_id = $1 AND user_id = $2"),
            c.prepare_cached("SELECT version FROM orgs WHERE id = $1"),
            c.prepare_cached(
                "SELECT collection, id, fields, field_hlcs, deleted, version, deleted_hlc, created_by, purged FROM records
                 WHERE org_id = $1 AND version > $2 AND collection = ANY($3)
                   AND ($5::bigint IS NULL OR window_ms IS NULL OR window_ms >= $5)
                   AND ($6::text IS NULL OR collection <> $7
                        OR (fields::jsonb ->> 'facility_id') IN (SELECT jsonb_array_elements_text($6::jsonb)))
                 ORDER BY version LIMIT $4"
            ),
        )?;
        let collections: Vec<String> = readable(user.role).into_iter().map(String::from).collect();
        let scope: Option<String> = if user.role == Role::Facility {
            let rows = c
                .query(
                    "SELECT id, fields FROM records WHERE org_id = $1 AND collection = $2 AND NOT deleted",
                    &[&org, &latarnia_core::protocol::FACILITIES],
                )
                .await?;
            super::hold_scope(user, rows.iter().map(|r| (r.get(0), r.get(1))))
        } else {
            None
        };
        let holds = latarnia_core::protocol::BED_HOLDS;
        let (client, user_id, after_v, rows_wanted) =
            (client_id.to_string(), user.id.to_string(), after as i64, limit as i64 + 1);
        let client_args: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&client, &user_id];
        let org_args: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&org];
        let record_args: [&(dyn tokio_postgres::types::ToSql + Sync); 7] =
            [&org, &after_v, &collections, &rows_wanted, &from, &scope, &holds];
        // One snapshot (the records are those of the version read), in one round trip: the
        // transaction, the three queries and the commit go together (pipelined). After an
        // error the rest fail and COMMIT rolls back.
        let (begun, client_row, org_row, rows, committed) = tokio::join!(
            c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
            c.query_opt(&q_client, &client_args),
            c.query_one(&q_org, &org_args),
            c.query(&q_records, &record_args),
            c.batch_execute("COMMIT")
        );
        begun?;
        let last_mutation_id: i64 = client_row?.map_or(0, |r| r.get(0));
        let org_version: i64 = org_row?.get(0);
        let rows = rows?;
        committed?;
        if after > org_version as u64 {
            return Err(StoreError::CursorReset);
        }
        let changes = rows.iter().map(|r| outgoing(user, r)).collect::<StoreResult<Vec<_>>>()?;
        Ok(PullPage::new(changes, limit, after, org_version as u64, last_mutation_id as u64))
    }

    async fn history(&self, user: &User, q: &HistoryQuery) -> StoreResult<Vec<StoredChange>> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT collection, id, fields, field_hlcs, deleted, version, deleted_hlc, created_by, purged FROM records
                 WHERE org_id = $1 AND collection = $2 AND window_ms < $3 AND NOT deleted
                   AND ($4::text IS NULL OR fields::jsonb ->> 'site_id' = $4)
                 ORDER BY window_ms DESC LIMIT $5",
                &[
                    &user.org_id.to_string(),
                    &q.collection,
                    &q.before_ms,
                    &q.site.map(|s| s.to_string()),
                    &i64::from(q.limit),
                ],
            )
            .await?;
        rows.iter().map(|r| outgoing(user, r)).collect()
    }

    async fn window_days(&self, org: Uuid, role: Role) -> StoreResult<u32> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT days FROM org_windows WHERE org_id = $1 AND role = $2",
                &[&org.to_string(), &role.as_str()],
            )
            .await?;
        Ok(row.map_or_else(|| latarnia_core::window::default_days(role), |r| r.get::<_, i32>(0).max(0) as u32))
    }

    async fn org_set_window(&self, name: &str, role: Role, days: u32) -> StoreResult<bool> {
        let n = self
            .pool
            .get()
            .await?
            .execute(
                "INSERT INTO org_windows (org_id, role, days) SELECT id, $2, $3 FROM orgs WHERE name = $1
                 ON CONFLICT (org_id, role) DO UPDATE SET days = excluded.days",
                &[&name, &role.as_str(), &(days as i32)],
            )
            .await?;
        Ok(n > 0)
    }

    async fn org_list(&self) -> StoreResult<Vec<(Org, u32)>> {
        let rows =
            self.pool.get().await?.query("SELECT id, name, retention_months FROM orgs ORDER BY name", &[]).await?;
        rows.iter()
            .map(|r| Ok((Org { id: uuid(r.get(0))?, name: r.get(1) }, r.get::<_, i32>(2).max(0) as u32)))
            .collect()
    }

    async fn org_set_lock_minutes(&self, name: &str, minutes: u32) -> StoreResult<bool> {
        let minutes = minutes.min(i32::MAX as u32) as i32;
        let n = self
            .pool
            .get()
            .await?
            .execute("UPDATE orgs SET lock_minutes = $2 WHERE name = $1", &[&name, &minutes])
            .await?;
        Ok(n > 0)
    }

    async fn org_set_public_facilities(&self, name: &str, on: bool) -> StoreResult<Option<Uuid>> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt("UPDATE orgs SET public_facilities = $2 WHERE name = $1 RETURNING id", &[&name, &on])
            .await?;
        row.map(|r| Uuid::parse_str(&r.get::<_, String>(0)).map_err(|e| StoreError::Failed(e.to_string()))).transpose()
    }

    async fn org_public_facilities(&self, org: Uuid) -> StoreResult<bool> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt("SELECT public_facilities FROM orgs WHERE id = $1", &[&org.to_string()])
            .await?;
        Ok(row.is_some_and(|r| r.get::<_, bool>(0)))
    }

    async fn phone_settings(&self, org: Uuid) -> StoreResult<PhoneSettings> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt("SELECT lock_minutes FROM orgs WHERE id = $1", &[&org.to_string()])
            .await?;
        Ok(row.map(|r| PhoneSettings { lock_after_minutes: r.get::<_, i32>(0).max(1) as u32 }).unwrap_or_default())
    }

    async fn org_set_retention(&self, name: &str, months: u32) -> StoreResult<bool> {
        let n = self
            .pool
            .get()
            .await?
            .execute(
                "UPDATE orgs SET retention_months = $2 WHERE name = $1",
                &[&name, &(months.min(i32::MAX as u32) as i32)],
            )
            .await?;
        Ok(n > 0)
    }

    async fn scan(&self, org: Uuid, which: Scan, after: ScanAfter, limit: u32) -> StoreResult<ScanPage> {
        // The position: the last row's collection and id (`collection/id`).
        let start = match which {
            Scan::Collection(c) => c,
            Scan::Deleted => "",
        };
        let (collection, id) = match &after {
            Some(a) => a.split_once('/').ok_or_else(|| StoreError::Failed(format!("not a scan position: {a:?}")))?,
            None => (start, ""),
        };
        let c = self.pool.get().await?;
        let mut page = ScanPage::default();
        for sql in scan_sql(which) {
            let left = i64::from(limit) - page.rows.len() as i64;
            // Typed: the second query does not use the id.
            let text = tokio_postgres::types::Type::TEXT;
            let s = c
                .prepare_typed_cached(&sql, &[text.clone(), text.clone(), text, tokio_postgres::types::Type::INT8])
                .await?;
            for r in c.query(&s, &[&org.to_string(), &collection, &id, &left]).await? {
                page.rows.push((
                    r.get(0),
                    uuid(r.get(1))?,
                    RecordState {
                        fields: json(r.get(2))?,
                        field_hlcs: json(r.get(3))?,
                        deleted: r.get(4),
                        deleted_hlc: r.get(5),
                        purged: false,
                    },
                ));
            }
            if page.rows.len() == limit as usize {
                break;
            }
        }
        if page.rows.len() == limit as usize {
            page.next = page.rows.last().map(|(c, id, _)| format!("{c}/{id}"));
        }
        Ok(page)
    }

    async fn write_server(&self, org: Uuid, writes: Vec<ServerWrite>, now_ms: i64) -> StoreResult<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let org = org.to_string();
        tx.query_one("SELECT version FROM orgs WHERE id = $1 FOR UPDATE", &[&org]).await?;
        let top: i64 = tx
            .query_one(
                "UPDATE orgs SET version = version + $2 WHERE id = $1 RETURNING version",
                &[&org, &(writes.len() as i64)],
            )
            .await?
            .get(0);
        let base = top - writes.len() as i64;
        #[allow(clippy::type_complexity)]
        let mut a: (Vec<String>, Vec<String>, Vec<String>, Vec<String>, Vec<bool>, Vec<i64>, Vec<Option<i64>>) =
            Default::default();
        for (n, w) in writes.iter().enumerate() {
            a.0.push(w.collection.clone());
            a.1.push(w.id.to_string());
            a.2.push(serde_json::to_string(&w.state.fields).unwrap_or_default());
            a.3.push(serde_json::to_string(&w.state.field_hlcs).unwrap_or_default());
            a.4.push(w.state.purged);
            a.5.push(base + n as i64 + 1);
            a.6.push(latarnia_core::window::window_ms(&w.collection, &w.state.fields));
        }
        tx.execute(
            "UPDATE records r SET fields = u.fields, field_hlcs = u.field_hlcs, purged = u.purged, version = u.version,
               window_ms = u.window_ms
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::bigint[], $8::bigint[])
               AS u(collection, id, fields, field_hlcs, purged, version, window_ms)
             WHERE r.org_id = $1 AND r.collection = u.collection AND r.id = u.id",
            &[&org, &a.0, &a.1, &a.2, &a.3, &a.4, &a.5, &a.6],
        )
        .await?;
        let mut lines: (Vec<String>, Vec<&str>, Vec<String>, Vec<String>) = Default::default();
        for line in job_log_lines(&writes) {
            lines.0.push(line.collection);
            lines.1.push(line.job);
            lines.2.push(line.fields);
            lines.3.push(line.ids);
        }
        tx.execute(
            "INSERT INTO mutation_log (org_id, at_ms, user_id, client_id, mid, collection, record_id, op, hlc, fields, status,
               record_ids)
             SELECT $1, $2, $3, $3, 0, collection, '', op, '', fields, 'applied', ids
             FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) AS u(collection, op, fields, ids)",
            &[&org, &now_ms, &SERVER_USER.to_string(), &lines.0, &lines.1, &lines.2, &lines.3],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn access_log_add(&self, rows: Vec<AccessRow>) -> StoreResult<()> {
        let mut a: (Vec<String>, Vec<i64>, Vec<String>, Vec<String>, Vec<String>, Vec<String>, Vec<String>) =
            Default::default();
        for r in rows {
            a.0.push(r.user.org_id.to_string());
            a.1.push(r.at_ms);
            a.2.push(r.user.id.to_string());
            a.3.push(r.user.login);
            a.4.push(r.client_id.to_string());
            a.5.push(r.token_hash);
            a.6.push(r.counts);
        }
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO access_log (org_id, at_ms, user_id, login, client_id, device, counts)
                 SELECT u.org_id, u.at_ms, u.user_id, u.login, u.client_id,
                   COALESCE((SELECT device FROM tokens WHERE hash = u.token_hash), ''), u.counts
                 FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                   WITH ORDINALITY AS u(org_id, at_ms, user_id, login, client_id, token_hash, counts, n)
                 ORDER BY u.n",
                &[&a.0, &a.1, &a.2, &a.3, &a.4, &a.5, &a.6],
            )
            .await?;
        Ok(())
    }

    async fn access_log(&self, org: Uuid, limit: u32) -> StoreResult<Vec<AccessEntry>> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT at_ms, user_id, login, client_id, device, counts FROM access_log
                 WHERE org_id = $1 ORDER BY seq DESC LIMIT $2",
                &[&org.to_string(), &i64::from(limit)],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AccessEntry {
                    at_ms: r.get(0),
                    user_id: uuid(r.get(1))?,
                    login: r.get(2),
                    client_id: uuid(r.get(3))?,
                    device: r.get(4),
                    counts: json(r.get(5))?,
                })
            })
            .collect()
    }

    async fn indicator_records(&self, org: Uuid) -> StoreResult<Dataset> {
        let sql = super::indicator_rows_sql("$1", "NOT deleted");
        let rows = self.pool.get().await?.query(&sql, &[&org.to_string()]).await?;
        let mut dataset = Dataset::default();
        for r in &rows {
            let hlcs: Option<&str> = r.get(3);
            super::add_indicator_row(&mut dataset, r.get(0), r.get(1), r.get(2), hlcs);
        }
        Ok(dataset)
    }

    async fn live_records(&self, org: Uuid, collection: &str) -> StoreResult<Vec<(String, String)>> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT id, fields FROM records WHERE org_id = $1 AND collection = $2 AND NOT deleted ORDER BY id",
                &[&org.to_string(), &collection],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn audit(&self, org: Uuid, collection: &str, id: Uuid) -> StoreResult<Vec<AuditEntry>> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT seq, at_ms, user_id, client_id, mid, collection,
                   CASE WHEN record_id = '' THEN $3 ELSE record_id END, op, hlc, fields, status, error
                 FROM mutation_log WHERE org_id = $1 AND collection = $2
                   AND (record_id = $3 OR (record_id = '' AND strpos(record_ids, $3) > 0)) ORDER BY seq",
                &[&org.to_string(), &collection, &id.to_string()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    seq: r.get(0),
                    at_ms: r.get(1),
                    user_id: uuid(r.get(2))?,
                    client_id: uuid(r.get(3))?,
                    mid: r.get::<_, i64>(4) as u64,
                    collection: r.get(5),
                    record_id: uuid(r.get(6))?,
                    op: r.get(7),
                    hlc: r.get(8),
                    fields: json(r.get(9))?,
                    status: r.get(10),
                    error: r.get(11),
                })
            })
            .collect()
    }

    async fn renew_epoch(&self) -> StoreResult<String> {
        let epoch = Uuid::new_v4().to_string();
        self.pool.get().await?.execute("UPDATE meta SET value = $1 WHERE key = 'epoch'", &[&epoch]).await?;
        Ok(epoch)
    }
}
