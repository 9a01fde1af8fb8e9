//! Storage behind one trait, with an SQLite (default, embedded) and a PostgreSQL
//! implementation that pass the same contract suite (`contract.rs`). The sync rules themselves
//! are plain logic in `latarnia_core::sync`; a backend only reads and writes rows, in one
//! transaction per push.

#[cfg(feature = "test-support")]
pub mod contract;
pub mod pg;
pub mod pg_tls;
pub mod push;
pub mod sqlite;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use latarnia_core::indicators::Dataset;
use latarnia_core::sync::{
    admit, clamp_hlc, MutationResult, PullResponse, PushRequest, PushResponse, RecordState, Role, Status, StoredChange,
    User,
};
use latarnia_core::Mutation;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Map;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A temporary failure (busy, shutting down): the caller may retry; nothing was applied.
    #[error("storage busy: {0}")]
    Busy(String),
    #[error("already exists")]
    Conflict,
    #[error("not found")]
    NotFound,
    /// The request is not allowed for this user (a client id that belongs to someone else).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The cursor is past anything this database has: it was restored from an older backup.
    #[error("cursor ahead of the database")]
    CursorReset,
    #[error("storage failed: {0}")]
    Failed(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Busy(e.to_string())
            }
            Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict,
            _ => StoreError::Failed(e.to_string()),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Org {
    pub id: Uuid,
    pub name: String,
}

/// A user as stored, with what login needs.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: User,
    pub password_hash: String,
    pub disabled: bool,
}

pub use latarnia_core::sync::{AccessEntry, AuditEntry};

/// The user id the server's own changes are logged under.
pub const SERVER_USER: Uuid = Uuid::max();

/// One record a server job changes.
#[derive(Debug, Clone)]
pub struct ServerWrite {
    pub collection: String,
    pub id: Uuid,
    pub state: RecordState,
    /// `erase`, `anonymise` or `purge` (the log's `op`).
    pub job: &'static str,
    pub fields: Vec<String>,
}

/// The log's lines for one page of a server job: one per collection, job and field names,
/// naming every record it changed (`record_ids`, space-separated; `record_id` is empty). A
/// page then adds a line or two to the log rather than one entry per record at a random place
/// in the log's index, which was most of a job's time. [`Storage::audit`] reads them as one
/// entry per record.
pub(crate) fn job_log_lines(writes: &[ServerWrite]) -> Vec<JobLogLine> {
    let mut lines: BTreeMap<(&str, &'static str, String), String> = BTreeMap::new();
    for w in writes {
        let key = (w.collection.as_str(), w.job, serde_json::to_string(&w.fields).unwrap_or_default());
        let ids = lines.entry(key).or_default();
        if !ids.is_empty() {
            ids.push(' ');
        }
        ids.push_str(&w.id.to_string());
    }
    lines
        .into_iter()
        .map(|((collection, job, fields), ids)| JobLogLine { collection: collection.to_owned(), job, fields, ids })
        .collect()
}

/// A line of the log for a page of a server job ([`job_log_lines`]).
pub(crate) struct JobLogLine {
    pub collection: String,
    pub job: &'static str,
    /// The field names, as JSON.
    pub fields: String,
    pub ids: String,
}

/// One pull, as it is noted (the device is looked up from the session).
#[derive(Debug, Clone)]
pub struct AccessRow {
    pub user: User,
    pub client_id: Uuid,
    pub token_hash: String,
    /// `{collection: count}` as JSON text.
    pub counts: String,
    pub at_ms: i64,
}

/// What a server job does.
#[derive(Debug, Clone)]
pub enum Job {
    /// Erase a person: pseudonym and notes of every contact with this pseudonym.
    Erase(String),
    /// Anonymise contacts from before this moment.
    Retention(chrono::DateTime<chrono::Utc>),
    /// End the trash of records deleted before this time (ms).
    Purge(u64),
}

/// Records a job reads at a time; it decides and writes each page (one transaction) while
/// reading the next, so pushes wait at most for one page's write.
pub const JOB_PAGE: u32 = 500;

/// Where a paged [`Storage::scan`] goes on from: a position only the backend that gave it reads
/// (SQLite: the last row's rowid, so that a job walks the table in the order its rows lie on
/// disk; PostgreSQL: the last row's collection and id). `None`: from the start.
pub type ScanAfter = Option<String>;

/// One page of a [`Storage::scan`]: the rows, and where the next page starts (`None` after the
/// last).
#[derive(Debug, Default)]
pub struct ScanPage {
    pub rows: Vec<(String, Uuid, RecordState)>,
    pub next: ScanAfter,
}

/// Runs a job over an organisation's records; the number of records it changed (or would
/// change, with `dry_run`).
pub async fn run_job(db: &Db, org: Uuid, job: &Job, now_ms: i64, dry_run: bool) -> StoreResult<u64> {
    use latarnia_core::retention::{anonymise, erase, has_pseudonym, purge, ERASED, RETAINED};
    let scans: Vec<Scan> = match job {
        Job::Erase(_) => vec![Scan::Collection(latarnia_core::protocol::CONTACTS)],
        Job::Retention(_) => RETAINED.iter().map(|c| Scan::Collection(c)).collect(),
        Job::Purge(_) => vec![Scan::Deleted],
    };
    let now = now_ms.max(0) as u64;
    let decide = |(collection, id, mut state): (String, Uuid, RecordState)| -> Option<ServerWrite> {
        let (name, fields) = match job {
            Job::Erase(p) if has_pseudonym(&state.fields, p) => ("erase", erase(&mut state, ERASED, now)),
            Job::Retention(cutoff) => ("anonymise", anonymise(&collection, &mut state, *cutoff, now)),
            Job::Purge(cutoff) => {
                let names: Vec<String> = state.fields.keys().cloned().collect();
                if !purge(&collection, &mut state, *cutoff) {
                    return None;
                }
                ("purge", names)
            }
            _ => return None,
        };
        (name == "purge" || !fields.is_empty()).then_some(ServerWrite { collection, id, state, job: name, fields })
    };
    // Three pages at a time: one read (by a reader), one decided (here), one written (by the
    // writer); the scans one after another.
    let scan = |which: Scan, after: ScanAfter| {
        let db = db.clone();
        tokio::spawn(async move { db.scan(org, which, after, JOB_PAGE).await })
    };
    let mut scans = scans.into_iter();
    let first = scans.next().map(|w| (w, scan(w, None)));
    let (mut count, mut reading, mut writing) = (0u64, first, None::<tokio::task::JoinHandle<StoreResult<()>>>);
    while let Some((which, r)) = reading.take() {
        let page = r.await.map_err(|e| StoreError::Failed(e.to_string()))??;
        reading = match page.next {
            Some(next) => Some((which, scan(which, Some(next)))),
            None => scans.next().map(|w| (w, scan(w, None))),
        };
        let batch: Vec<ServerWrite> = page.rows.into_iter().filter_map(decide).collect();
        count += batch.len() as u64;
        if !dry_run && !batch.is_empty() {
            if let Some(w) = writing.take() {
                w.await.map_err(|e| StoreError::Failed(e.to_string()))??;
            }
            let db = db.clone();
            writing = Some(tokio::spawn(async move { db.write_server(org, batch, now_ms).await }));
        }
    }
    if let Some(w) = writing {
        w.await.map_err(|e| StoreError::Failed(e.to_string()))??;
    }
    Ok(count)
}

/// What the organisation holds about the person with `pseudonym` (GDPR art. 15): every contact
/// with it (case and spaces ignored; those in the trash too), with its place's name and the
/// beds held from it, for `retention::subject_access_rows`.
pub async fn subject_access(
    db: &Db,
    org: Uuid,
    pseudonym: &str,
) -> StoreResult<Vec<latarnia_core::retention::HeldContact>> {
    use latarnia_core::facilities::{BedHold, Facility};
    use latarnia_core::protocol::record_of;
    use latarnia_core::retention::{has_pseudonym, HeldContact};
    use latarnia_core::{Contact, Site};
    use std::collections::HashMap;
    let mut found: Vec<HeldContact> = Vec::new();
    let mut after = None;
    loop {
        let page = db.scan(org, Scan::Collection(latarnia_core::protocol::CONTACTS), after, JOB_PAGE).await?;
        for (_, id, state) in page.rows {
            if !has_pseudonym(&state.fields, pseudonym) {
                continue;
            }
            match record_of::<Contact>(state.fields, id) {
                Some(contact) => found.push(HeldContact { contact, deleted: state.deleted, site: None, holds: vec![] }),
                None => tracing::warn!(%id, "a contact with the pseudonym does not read as one; left out of the copy"),
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    if found.is_empty() {
        return Ok(found);
    }
    use latarnia_core::protocol::{BED_HOLDS, FACILITIES, SITES};
    let sites: HashMap<Uuid, String> =
        live::<Site>(db, org, SITES).await?.into_iter().map(|s| (s.id, s.label)).collect();
    let facilities: HashMap<Uuid, String> =
        live::<Facility>(db, org, FACILITIES).await?.into_iter().map(|f| (f.id, f.name)).collect();
    let holds: Vec<BedHold> = live(db, org, BED_HOLDS).await?;
    for h in &mut found {
        h.site = h.contact.site_id.and_then(|id| sites.get(&id).cloned());
        h.holds = holds
            .iter()
            .filter(|b| b.contact_id == Some(h.contact.id))
            .map(|b| (facilities.get(&b.facility_id).cloned().unwrap_or_default(), b.held_at))
            .collect();
    }
    Ok(found)
}

/// The organisation's live records of `collection` that read as a `T`.
async fn live<T: serde::de::DeserializeOwned>(db: &Db, org: Uuid, collection: &str) -> StoreResult<Vec<T>> {
    let rows = db.live_records(org, collection).await?;
    Ok(rows.iter().filter_map(|(id, f)| latarnia_core::protocol::stored_record::<T>(f, id)).collect())
}

/// One page of a pull: changes after a version, in version order.
#[derive(Debug, Clone)]
pub struct PullPage {
    pub changes: Vec<StoredChange>,
    /// The version the next pull starts after (the last change's, or the asked one).
    pub last_version: u64,
    pub has_more: bool,
    pub last_mutation_id: u64,
    /// Changes after this page, at most: the writes to the organisation's records after it (its
    /// version counter minus the page's last version). Exact unless a record was written more
    /// than once since — counting rows instead costs a scan of the whole backlog on every page.
    pub remaining: u64,
}

/// What [`Storage::history`] reads.
#[derive(Debug, Clone)]
pub struct HistoryQuery {
    pub collection: String,
    /// Records whose window moment is before this (ms).
    pub before_ms: i64,
    /// Only the records at this place (contacts and reports).
    pub site: Option<Uuid>,
    pub limit: u32,
}

impl PullPage {
    /// A page from `changes` (read after `after`, up to `limit` and one more to tell whether
    /// more follow), the organisation at `org_version`. The last page ends at the organisation's
    /// version, not at its last change: the writes a window left out are not read again.
    pub fn new(
        mut changes: Vec<StoredChange>,
        limit: u32,
        after: u64,
        org_version: u64,
        last_mutation_id: u64,
    ) -> PullPage {
        let more = changes.len() > limit as usize;
        changes.truncate(limit as usize);
        let last_version = if more { changes.last().map_or(after, |c| c.version) } else { org_version.max(after) };
        // What is left, at most: every write after this page (O(1); see `PullPage::remaining`).
        let remaining = if more { org_version.saturating_sub(last_version) } else { 0 };
        PullPage { changes, last_version, has_more: more, last_mutation_id, remaining }
    }

    pub fn into_response(
        self,
        epoch: &str,
        window: Option<latarnia_core::sync::PullWindow>,
    ) -> PullResponse<StoredChange> {
        PullResponse {
            changes: self.changes,
            cursor: latarnia_core::sync::cursor(epoch, self.last_version),
            has_more: self.has_more,
            last_mutation_id: self.last_mutation_id,
            remaining: Some(self.remaining),
            window,
            account: None,
        }
    }
}

#[async_trait::async_trait]
pub trait Storage: Send + Sync + 'static {
    /// What the operator sees at start: "SQLite at …" or the PostgreSQL host.
    fn describe(&self) -> String;
    /// This database's sync epoch (random, made at creation, renewed on restore).
    async fn epoch(&self) -> StoreResult<String>;
    async fn ping(&self) -> StoreResult<()>;

    async fn org_add(&self, name: &str) -> StoreResult<Org>;
    async fn org_by_name(&self, name: &str) -> StoreResult<Option<Org>>;
    async fn user_count(&self) -> StoreResult<u64>;
    /// Adds a user; a login already taken (in any organisation) is `Conflict`.
    async fn user_add(&self, user: &User, password_hash: &str) -> StoreResult<()>;
    async fn user_list(&self, org: Option<Uuid>) -> StoreResult<Vec<Account>>;
    async fn account(&self, login: &str) -> StoreResult<Option<Account>>;
    /// Disables a user and withdraws all their devices (see `token_wiped`); `false` when no
    /// such login.
    async fn user_disable(&self, login: &str) -> StoreResult<bool>;
    /// Changes a user's role; `false` when no such login.
    async fn user_set_role(&self, login: &str, role: Role) -> StoreResult<bool>;
    /// Enables a user again; `false` when no such login.
    async fn user_enable(&self, login: &str) -> StoreResult<bool>;
    /// Sets a user's password hash and ends all their sessions; `false` when no such login.
    async fn user_set_password(&self, login: &str, password_hash: &str) -> StoreResult<bool>;

    async fn token_add(&self, token_hash: &str, user: Uuid, device: &str, expires_ms: i64) -> StoreResult<()>;
    /// The user of a live token: not revoked, not expired, user not disabled.
    async fn token_user(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<User>>;
    /// Ends a session (a sign-out): the device keeps nothing anyway.
    async fn token_revoke(&self, token_hash: &str) -> StoreResult<()>;
    /// Whether the organisation withdrew this token's device (`token revoke`, `user disable`):
    /// it is told `revoked` and erases what it holds. A sign-out, a changed password or an
    /// expired token are not (the phone keeps unsent records and asks to sign in again).
    async fn token_wiped(&self, token_hash: &str) -> StoreResult<bool>;
    /// Revokes every token of a login and withdraws its devices; the number revoked.
    async fn tokens_revoke_all(&self, login: &str) -> StoreResult<u64>;
    /// The recovery key of one user's phone (`client`): the one kept, or `fresh` kept and
    /// returned. It opens the phone's data again when its PIN is locked out, and only from a
    /// password sign-in; `token revoke` and `user disable` forget the user's keys.
    async fn device_key(&self, user: Uuid, client: Uuid, fresh: &str) -> StoreResult<String>;

    /// Applies a push in one transaction, committed durably before it returns.
    async fn push(&self, user: &User, req: &PushRequest, now_ms: i64) -> StoreResult<PushResponse>;
    /// Changes after `after` that the user may read, with `last_mutation_id` read in the same
    /// transaction. `after` beyond the organisation's last version is `CursorReset`. With
    /// `window_from`, only records whose window moment is not before it, or that have none
    /// (open work, places; `latarnia_core::window`).
    async fn pull(
        &self,
        user: &User,
        client_id: Uuid,
        after: u64,
        limit: u32,
        window_from: Option<i64>,
    ) -> StoreResult<PullPage>;
    /// Live records of one collection from before a moment (their window moment), newest first,
    /// as `user` may read them: a phone's history past its window.
    async fn history(&self, user: &User, query: &HistoryQuery) -> StoreResult<Vec<StoredChange>>;
    /// How many days of history a role's phones keep in an organisation (0: all of it).
    async fn window_days(&self, org: Uuid, role: Role) -> StoreResult<u32>;
    /// Sets a role's window in an organisation; `false` when no such name.
    async fn org_set_window(&self, name: &str, role: Role, days: u32) -> StoreResult<bool>;
    /// The log of one record, oldest first.
    async fn audit(&self, org: Uuid, collection: &str, id: Uuid) -> StoreResult<Vec<AuditEntry>>;
    /// Gives the database a new epoch (after it was restored from a backup): every phone's
    /// cursor is then refused and it pulls again from the start, keeping its outbox.
    async fn renew_epoch(&self) -> StoreResult<String>;
    /// Every organisation with its retention setting (months; 0 = off).
    async fn org_list(&self) -> StoreResult<Vec<(Org, u32)>>;
    /// Sets an organisation's retention of contacts in months; `false` when no such name.
    async fn org_set_retention(&self, name: &str, months: u32) -> StoreResult<bool>;
    /// Sets how long an organisation's unattended app stays open; `false` when no such name.
    async fn org_set_lock_minutes(&self, name: &str, minutes: u32) -> StoreResult<bool>;
    /// Switches the public list of the organisation's aid facilities on or off: its id (the
    /// list's address), or `None` for no such organisation.
    async fn org_set_public_facilities(&self, name: &str, on: bool) -> StoreResult<Option<Uuid>>;
    /// Whether the organisation `org` shows its aid facilities without sign-in (false for an
    /// unknown one).
    async fn org_public_facilities(&self, org: Uuid) -> StoreResult<bool>;
    /// What an organisation sets for its phones (the defaults for an unknown id).
    async fn phone_settings(&self, org: Uuid) -> StoreResult<latarnia_core::sync::PhoneSettings>;
    /// The records a server job looks at ([`Scan`]), never purged ones; at most `limit` of them, after `after` (the
    /// `next` of the page before), in an order of the backend's choosing that every page
    /// continues.
    async fn scan(&self, org: Uuid, which: Scan, after: ScanAfter, limit: u32) -> StoreResult<ScanPage>;
    /// Writes the results of a server job in one transaction, each as a new version (so every
    /// phone pulls it) and a line of the log (the job's name and the field names).
    async fn write_server(&self, org: Uuid, writes: Vec<ServerWrite>, now_ms: i64) -> StoreResult<()>;
    /// Notes pulls (in one transaction): who, from which device (the session's), when, how many
    /// records of each collection.
    async fn access_log_add(&self, rows: Vec<AccessRow>) -> StoreResult<()>;
    /// The newest `limit` entries of the organisation's access log, newest first.
    async fn access_log(&self, org: Uuid, limit: u32) -> StoreResult<Vec<AccessEntry>>;
    /// The organisation's live records of the collections the indicators read
    /// (`indicators::COLLECTIONS`), typed, with when each place's and report's status was set.
    async fn indicator_records(&self, org: Uuid) -> StoreResult<Dataset>;
    /// The organisation's live records of one collection as stored: id and fields (JSON).
    async fn live_records(&self, org: Uuid, collection: &str) -> StoreResult<Vec<(String, String)>>;
}

/// The two queries of a job's paged [`Storage::scan`] on PostgreSQL (`$1`…`$4`: organisation,
/// collection, id, limit): the rest of the cursor's collection after its id, then the
/// collections after it. Each is one index seek; a single query with
/// `collection > c OR (collection = c AND id > i)` walks the collection from its start again for
/// every page.
/// For one collection only the first of them.
pub(crate) fn scan_sql(which: Scan) -> Vec<String> {
    let select = format!("SELECT {SCAN_COLUMNS} FROM records");
    let cond = which.condition();
    let rest = format!("{select} WHERE org_id = $1 AND collection = $2 AND id > $3 AND {cond} ORDER BY id LIMIT $4");
    match which {
        Scan::Collection(_) => vec![rest],
        Scan::Deleted => vec![
            rest,
            format!("{select} WHERE org_id = $1 AND collection > $2 AND {cond} ORDER BY collection, id LIMIT $4"),
        ],
    }
}

/// The columns a scan reads.
pub(crate) const SCAN_COLUMNS: &str = "collection, id, fields, field_hlcs, deleted, deleted_hlc";

/// Which records a server job reads (never purged ones: nothing is left in them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// Every record of one collection, live or deleted (retention, erasure, a person's copy).
    Collection(&'static str),
    /// Every deleted record of every collection (the trash's end).
    Deleted,
}

impl Scan {
    /// Which rows, in SQL (the collection itself is the query's parameter).
    pub(crate) fn condition(self) -> &'static str {
        match self {
            Scan::Collection(_) => "NOT purged",
            Scan::Deleted => "deleted AND NOT purged",
        }
    }
}

/// The query of `Storage::indicator_records` in either dialect: `org` is the organisation's
/// placeholder, `live` the test of a row not deleted. Rows: collection, id, fields, and the
/// field HLCs of places and reports (whose `status` time dates "closed"); places merged into
/// others too, deleted as they are (where a contact linked to them counts).
pub(crate) fn indicator_rows_sql(org: &str, live: &str) -> String {
    use latarnia_core::protocol::{REPORTS, SITES};
    let quoted = |names: &[&str]| names.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT collection, id, fields, CASE WHEN collection IN ({}) THEN field_hlcs END FROM records
         WHERE org_id = {org} AND collection IN ({})
           AND ({live} OR (collection = '{SITES}' AND fields LIKE '%\"merged_into\":\"%'))",
        quoted(&[SITES, REPORTS]),
        quoted(latarnia_core::indicators::COLLECTIONS)
    )
}

/// Adds one stored row to `dataset`; a row that does not read as its type (a newer app's, or
/// damaged) is logged and left out rather than failing the whole table.
pub(crate) fn add_indicator_row(
    dataset: &mut Dataset,
    collection: &str,
    id: &str,
    fields: &str,
    field_hlcs: Option<&str>,
) {
    let status_hlc = field_hlcs
        .and_then(|h| serde_json::from_str::<std::collections::HashMap<&str, &str>>(h).ok())
        .and_then(|h| h.get("status").map(|s| s.to_string()));
    let ok = Uuid::parse_str(id)
        .map_err(|_| latarnia_core::indicators::Unreadable)
        .and_then(|id| dataset.add_stored(collection, id, fields, status_hlc.as_deref()));
    if ok.is_err() {
        tracing::warn!(collection, id, "a stored record does not read as its type; left out of the indicators");
    }
}

pub type Db = Arc<dyn Storage>;

/// Opens the store `database_url` names: empty → SQLite in `data_dir`; `sqlite://…`; or
/// `postgres://…`.
pub async fn open(data_dir: &Path, database_url: &str) -> StoreResult<Db> {
    if database_url.is_empty() || database_url.starts_with("sqlite://") {
        let data_dir = data_dir.to_owned();
        let url = database_url.to_owned();
        let s = tokio::task::spawn_blocking(move || sqlite::SqliteStore::open(&data_dir, &url))
            .await
            .map_err(|e| StoreError::Failed(e.to_string()))??;
        Ok(Arc::new(s))
    } else if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Ok(Arc::new(pg::PgStore::open(database_url).await?))
    } else {
        Err(StoreError::Failed(format!(
            "unsupported DATABASE_URL {database_url:?}: use an empty value, sqlite:///path or postgres://…"
        )))
    }
}

impl Decision {
    pub fn rejected(
        m: &Mutation,
        code: &str,
        message: String,
        fields: Vec<String>,
        log_collection: &'static str,
    ) -> Decision {
        Decision {
            result: MutationResult {
                mid: m.mid,
                status: Status::Rejected,
                error: Some(code.into()),
                message: Some(message),
            },
            new_state: None,
            fields,
            log_collection,
        }
    }
}

/// The ids of the facilities a facility account staffs, from the organisation's live
/// `facilities` rows (id, fields): the holds a pull sends it (`rules::row_scoped`). `None` for
/// every other role (no rows are left out).
pub fn hold_scope(user: &User, facilities: impl IntoIterator<Item = (String, String)>) -> Option<String> {
    if user.role != Role::Facility {
        return None;
    }
    let ids: Vec<String> = facilities
        .into_iter()
        .filter(|(id, fields)| {
            latarnia_core::protocol::stored_record::<latarnia_core::facilities::Facility>(fields, id)
                .is_some_and(|f| f.staffed_by(&user.login))
        })
        .map(|(id, _)| id)
        .collect();
    Some(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
}

/// What one mutation does to one record: the rule, apart from how rows are read and written.
pub struct Decision {
    pub result: MutationResult,
    /// The record's new state, when it changed.
    pub new_state: Option<RecordState>,
    /// The field names carried that the collection knows (for the log: never a value, never a
    /// name a client made up).
    pub fields: Vec<String>,
    /// The collection's name for the log (`"?"` for one the server does not know).
    pub log_collection: &'static str,
}

/// Decides one mutation of `user`'s. `own`: the record is the user's own — they created it (or
/// are creating it), or, for a facility account, it is its facility or a hold made there.
pub fn decide(user: &User, m: &Mutation, current: Option<&RecordState>, own: bool, now_ms: i64) -> Decision {
    let known = latarnia_core::access::fields(&m.collection);
    let names = m.fields.keys().filter(|k| known.contains(&k.as_str())).cloned().collect();
    let log_collection = latarnia_core::sync::collection(&m.collection).map_or("?", |c| c.name);
    match admit(user.role, m, current, own) {
        Err(r) => Decision::rejected(m, r.code, r.message, names, log_collection),
        Ok(mut fields) => {
            let mut state = current.cloned().unwrap_or_default();
            let hlc = clamp_hlc(&m.hlc, now_ms.max(0) as u64);
            // Who filed a report is the account that pushed it, not what its phone wrote.
            if current.is_none()
                && m.collection == latarnia_core::protocol::REPORTS
                && m.op == latarnia_core::Op::Upsert
            {
                fields.insert("filed_by".into(), user.display_name.clone().into());
            }
            let changed = state.apply(m.op, &fields, &hlc) || current.is_none();
            Decision {
                result: MutationResult { mid: m.mid, status: Status::Applied, error: None, message: None },
                new_state: changed.then_some(state),
                fields: names,
                log_collection,
            }
        }
    }
}

/// A stored change's field HLCs rewritten in the shared form (`sync::shared_hlcs`), for an app
/// that asks for it; a map that cannot be read goes out as stored.
pub fn compact_hlcs(c: &mut StoredChange) {
    let Ok(map) = serde_json::from_str::<BTreeMap<&str, &str>>(c.field_hlcs.get()) else { return };
    let shared = latarnia_core::sync::shared_hlcs::compact(&map);
    if shared.len() > map.len() {
        if let Ok(raw) = serde_json::value::to_raw_value(&shared) {
            c.field_hlcs = raw;
        }
    }
}

/// A stored change as `user` may read it: a deleted record as its tombstone, and for a partner
/// or a facility account only the fields its role reads (`access::visible_fields`). Records that need no cut go out
/// as stored text.
pub fn outgoing(user: &User, created_by: &str, mut c: StoredChange) -> StoredChange {
    let cut = |fields: &Map<String, serde_json::Value>| {
        let tomb = if c.deleted { latarnia_core::access::tombstone_fields(&c.collection, fields) } else { None };
        let base = tomb.as_ref().unwrap_or(fields);
        let own = created_by == user.id.to_string();
        latarnia_core::access::visible_fields(user.role, &c.collection, own, base).or(tomb)
    };
    // Staff reading a live record: sent as stored, never parsed (the pull's hot path).
    if !c.deleted && !matches!(user.role, Role::Partner | Role::Facility) {
        return c;
    }
    let fields: Map<String, serde_json::Value> = match serde_json::from_str(c.fields.get()) {
        Ok(f) => f,
        Err(_) => return c,
    };
    if let Some(shown) = cut(&fields) {
        let hlcs: Map<String, serde_json::Value> = serde_json::from_str(c.field_hlcs.get()).unwrap_or_default();
        let hlcs: Map<String, serde_json::Value> = hlcs.into_iter().filter(|(k, _)| shown.contains_key(k)).collect();
        let raw = |m: Map<String, serde_json::Value>| {
            RawValue::from_string(serde_json::Value::Object(m).to_string()).unwrap_or_else(|_| c.fields.clone())
        };
        c.field_hlcs = raw(hlcs);
        c.fields = raw(shown);
    }
    c
}
