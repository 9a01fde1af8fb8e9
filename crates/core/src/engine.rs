//! The phone's side of docs/protocol.md as plain logic: push the outbox, then pull, applying each batch
//! with its cursor at once. The browser shell (IndexedDB, fetch) and the test clients (memory,
//! HTTP) implement the two small traits; the rules live here once.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use futures::future::join;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::hlc::Hlc;
use crate::protocol::{Mutation, Op};
use crate::sync::{
    shared_hlcs, Account, ApiError, Change, Fields, PullResponse, PullWindow, PushRequest, PushResponse, Status,
    MAX_PULL_LIMIT, MAX_PUSH_BYTES, MAX_PUSH_MUTATIONS, SCHEMA_VERSION,
};

/// Why a request did not get an answer the engine can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// No network, a dropped connection, a timeout: try again later.
    Offline,
    /// The session is no longer valid: sign in again (nothing local is lost).
    Unauthorized,
    /// 401 revoked: the organisation withdrew this device; it erases what it holds.
    Revoked,
    /// 409 cursor_reset: the server was restored; pull again from the start.
    CursorReset,
    /// 502–504 (a proxy in front of a server that is down or restarting), or 503 from the
    /// server: try again later.
    Unavailable(String),
    /// Any other refusal (403, 413, 426, 500…): the status and the server's error.
    Refused(u16, ApiError),
    /// An answer that does not follow the protocol (a captive portal's page, a cut body): the
    /// network is there, so this is never taken for "offline".
    BadAnswer(u16),
}

impl TransportError {
    /// Whether the phone's request never reached the server: no network, a page that is not
    /// the server's (a Wi-Fi's sign-in page) or a gateway with no server behind it. Any of the
    /// server's own refusals reached it. The phone's top bar says "no connection" after one.
    pub fn unreached(&self) -> bool {
        matches!(self, TransportError::Offline | TransportError::BadAnswer(_) | TransportError::Unavailable(_))
    }

    /// The error of an answer other than 200, from its status and its body (`ApiError`).
    pub fn of_answer(status: u16, body: &str) -> TransportError {
        let error = serde_json::from_str::<ApiError>(body).ok();
        let code = error.as_ref().map(|e| e.error.as_str());
        match (status, code) {
            (401, Some("revoked")) => TransportError::Revoked,
            (401, _) => TransportError::Unauthorized,
            (409, Some("cursor_reset")) => TransportError::CursorReset,
            (0 | 502..=504, _) => TransportError::Unavailable(status.to_string()),
            (_, _) => match error {
                Some(e) => TransportError::Refused(status, e),
                None => TransportError::BadAnswer(status),
            },
        }
    }
}

/// An answer's body as `T` (200) or the error it carries: one reading of answers for every client.
pub fn decode<T: serde::de::DeserializeOwned>(status: u16, body: &str) -> Result<T, TransportError> {
    match status {
        200 => serde_json::from_str(body).map_err(|_| TransportError::BadAnswer(status)),
        _ => Err(TransportError::of_answer(status, body)),
    }
}

#[allow(async_fn_in_trait)]
pub trait Transport {
    /// How a pulled change's fields are read ([`Fields`]: a map, or the text that came).
    type Fields: Fields;
    async fn push(&self, req: &PushRequest) -> Result<PushResponse, TransportError>;
    async fn pull(
        &self,
        client_id: Uuid,
        cursor: &str,
        limit: u32,
    ) -> Result<PullResponse<Change<Self::Fields>>, TransportError>;
}

/// A mutation the server refused for good.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rejected {
    pub mutation: Mutation,
    pub error: String,
    pub message: String,
}

/// The local store as the engine sees it.
#[allow(async_fn_in_trait)]
pub trait Replica {
    type Error: std::fmt::Debug;
    /// How it reads a pulled change's fields (the same as its transport's).
    type Fields: Fields;
    async fn client_id(&self) -> Result<Uuid, Self::Error>;
    /// The oldest pending mutations, in `mid` order.
    async fn outbox(&self) -> Result<Vec<Mutation>, Self::Error>;
    /// Removes the mutations up to `through` from the outbox and keeps `rejected` to show.
    async fn acknowledge(&self, through: u64, rejected: Vec<Rejected>) -> Result<(), Self::Error>;
    async fn cursor(&self) -> Result<String, Self::Error>;
    /// What a replica can work out from pulled changes before it looks at what it stores (a
    /// phone converts the records while the page before is being written).
    type Prepared;
    async fn prepare(&self, changes: &[Change<Self::Fields>]) -> Self::Prepared;
    /// Applies pulled changes (with what `prepare` made of them) and stores `cursor`, atomically.
    async fn apply_pull(
        &self,
        changes: &[Change<Self::Fields>],
        prepared: Self::Prepared,
        cursor: &str,
    ) -> Result<(), Self::Error>;
    /// The server lost changes (restored from a backup): replace the outbox with everything
    /// this phone holds ([`resend_plan`]), numbered after the server's `after_mid`.
    async fn resend_all(&self, after_mid: u64) -> Result<(), Self::Error>;
    /// The server cut the pull to a field-sized window (`crate::window`): drop what has left
    /// it and is not pending. Replicas that keep the whole history do nothing.
    async fn keep_window(&self, window: PullWindow) -> Result<WindowKept, Self::Error> {
        let _ = window;
        Ok(WindowKept::default())
    }
}

/// What a replica did with a field-sized window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowKept {
    /// Records dropped (they left the window and the server holds them).
    pub dropped: usize,
    /// The window is longer than the last one: the replica lacks records now inside it, and
    /// everything is pulled again.
    pub grew: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SyncError<E> {
    Transport(TransportError),
    Local(E),
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub pushed: usize,
    pub rejected: usize,
    pub pulled: usize,
    /// Of those pulled, the records that only brought back this phone's own writes of this sync
    /// ([`is_echo`]): nothing of them was written again.
    pub echoes: usize,
    pub cursor_reset: bool,
    /// Everything held was sent again: the server had lost changes.
    pub resent: bool,
    /// The window grew: everything was pulled again.
    pub window_grew: bool,
    /// Records that left the window, dropped from the phone.
    pub dropped: usize,
    /// The user and the phone settings as the server sent them with the pull's last page
    /// (servers before this extension send none).
    pub account: Option<Account>,
}

/// How far a sync is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Pushed {
        done: usize,
        total: usize,
    },
    /// `total`: what this sync will have received when done, when the server says.
    Pulled {
        done: usize,
        total: Option<usize>,
    },
}

/// The next push of `outbox`: as many of its first mutations as one push may hold, in count
/// (`MAX_PUSH_MUTATIONS`) and in bytes (`MAX_PUSH_BYTES`, the server's limit: 500 contacts with
/// notes as long as allowed are twice that), halved until it fits. A single mutation too large
/// on its own goes alone (the server refuses it; validation keeps every record well below).
pub fn push_request(client_id: Uuid, outbox: &[Mutation]) -> PushRequest {
    let mut n = batch_len(outbox, MAX_PUSH_MUTATIONS);
    loop {
        let req = PushRequest { client_id, schema_version: SCHEMA_VERSION, mutations: deletes_first(outbox, n) };
        if n <= 1 || json_len(&req) <= MAX_PUSH_BYTES {
            return req;
        }
        n = batch_len(outbox, n / 2);
    }
}

/// The length of `value` as JSON, counted without writing it anywhere.
fn json_len(value: &impl serde::Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
}

/// How many of the outbox's first mutations go into one push: at most `max`, and never cutting
/// between a record's mutations when a later one deletes it — so a record created and deleted
/// offline reaches the server in one transaction and nobody ever pulls it alive.
pub fn batch_len(outbox: &[Mutation], max: usize) -> usize {
    let limit = outbox.len().min(max);
    let mut last_delete: HashMap<(&str, Uuid), usize> = HashMap::new();
    for (i, m) in outbox.iter().enumerate() {
        if m.op == Op::Delete {
            last_delete.insert((m.collection.as_str(), m.id), i);
        }
    }
    // A cut at `end` is clean when no record before it is deleted at or after it.
    let mut reach = 0;
    let mut best = None;
    for (i, m) in outbox[..limit].iter().enumerate() {
        if let Some(&d) = last_delete.get(&(m.collection.as_str(), m.id)) {
            reach = reach.max(d);
        }
        if reach <= i {
            best = Some(i + 1);
        }
    }
    // No clean cut within the limit (one record with more than `max` pending mutations):
    // progress comes first.
    best.unwrap_or(limit)
}

/// The first `n` mutations of the outbox as they are pushed: a record whose last pending
/// operation is a delete travels deleted — its upserts become deletes carrying the same fields
/// (a protocol extension) — so a record created and deleted offline is never alive on the server,
/// however the outbox is cut into pushes. The final state is the same as in the original order.
pub fn deletes_first(outbox: &[Mutation], n: usize) -> Vec<Mutation> {
    let mut last_flag: HashMap<(&str, Uuid), Op> = HashMap::new();
    for m in outbox {
        if m.op != Op::Upsert {
            last_flag.insert((m.collection.as_str(), m.id), m.op);
        }
    }
    outbox[..n]
        .iter()
        .map(|m| {
            let ends_deleted = last_flag.get(&(m.collection.as_str(), m.id)) == Some(&Op::Delete);
            let later_restore = outbox.iter().any(|o| o.mid > m.mid && o.id == m.id && o.op == Op::Restore);
            if m.op == Op::Upsert && ends_deleted && !later_restore {
                Mutation { op: Op::Delete, ..m.clone() }
            } else {
                m.clone()
            }
        })
        .collect()
}

/// One sync: push everything pending (in batches), then pull until the server has no more.
/// A server restored from a backup is noticed (a gap in the client's mutations, or a cursor
/// reset) and gets everything this phone holds again, so nothing is lost.
pub async fn sync_once<T: Transport, R: Replica<Fields = T::Fields>>(
    transport: &T,
    replica: &R,
    mut progress: impl FnMut(Progress),
) -> Result<SyncReport, SyncError<R::Error>> {
    let client_id = replica.client_id().await.map_err(SyncError::Local)?;
    let mut report = SyncReport::default();
    let mut pushed = Pushed::new();
    loop {
        if let Some(server_last) =
            push_all(transport, replica, client_id, &mut report, &mut pushed, &mut progress).await?
        {
            if report.resent {
                return Err(SyncError::Transport(TransportError::Refused(
                    409,
                    ApiError::new("lost_changes", "the server keeps losing changes"),
                )));
            }
            replica.resend_all(server_last).await.map_err(SyncError::Local)?;
            report.resent = true;
            continue;
        }
        match pull_all(transport, replica, client_id, &pushed, &mut report, &mut progress).await? {
            Pulled::Done { window, account, from_start } => {
                report.account = account.or(report.account.take());
                let Some(window) = window else { return Ok(report) };
                let kept = replica.keep_window(window).await.map_err(SyncError::Local)?;
                report.dropped += kept.dropped;
                // A pull from the start (a fresh phone, one that started over on a new role, a
                // restored server) already brought everything inside the window it was cut to.
                if !kept.grew || report.window_grew || from_start {
                    return Ok(report);
                }
                // A longer window: the records now inside it come with everything again (those
                // this sync pushed too: one may have left the phone with the shorter window).
                report.window_grew = true;
                pushed.clear();
                replica.apply_pull(&[], replica.prepare(&[]).await, "").await.map_err(SyncError::Local)?;
                continue;
            }
            Pulled::CursorReset => {}
        }
        // The server was restored: forget the cursor, and before pulling anything (which
        // would lay the server's older state over ours) send everything we hold again.
        report.cursor_reset = true;
        replica.apply_pull(&[], replica.prepare(&[]).await, "").await.map_err(SyncError::Local)?;
        if !report.resent {
            let probe = transport.pull(client_id, "", 1).await.map_err(SyncError::Transport)?;
            replica.resend_all(probe.last_mutation_id).await.map_err(SyncError::Local)?;
            report.resent = true;
        }
    }
}

/// What this sync pushed and the server took, per record: each field's last value with its HLC,
/// or `None` once the record was deleted or restored.
#[derive(Debug, Default)]
pub struct Pushed(HashMap<Uuid, (String, Option<PushedFields>)>);

/// Per field: the HLC and the value last pushed.
type PushedFields = BTreeMap<String, (String, Value)>;

impl Pushed {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// `m` was refused: the phone keeps its own value of the record and shows the refusal, and
    /// the server's copy differs from it, so the record is applied when it comes back.
    pub fn refuse(&mut self, m: &Mutation) {
        self.0.insert(m.id, (m.collection.clone(), None));
    }

    /// `m` was taken by the server.
    pub fn add(&mut self, m: &Mutation) {
        let (_, fields) = self.0.entry(m.id).or_insert_with(|| (m.collection.clone(), Some(BTreeMap::new())));
        match (m.op, fields) {
            (Op::Upsert, Some(fields)) => {
                for (name, value) in &m.fields {
                    if fields.get(name).is_none_or(|(hlc, _)| *hlc < m.hlc) {
                        fields.insert(name.clone(), (m.hlc.clone(), value.clone()));
                    }
                }
            }
            (Op::Upsert, None) => {}
            (Op::Delete | Op::Restore, fields) => *fields = None,
        }
    }
}

/// Pushes the outbox, read once and then again only when it was all sent (for what was written
/// meanwhile); `Some(server's last mid)` when the server is missing earlier mutations.
async fn push_all<T: Transport, R: Replica>(
    transport: &T,
    replica: &R,
    client_id: Uuid,
    report: &mut SyncReport,
    pushed: &mut Pushed,
    progress: &mut impl FnMut(Progress),
) -> Result<Option<u64>, SyncError<R::Error>> {
    let mut outbox = replica.outbox().await.map_err(SyncError::Local)?;
    let mut total = outbox.len();
    while !outbox.is_empty() {
        let req = push_request(client_id, &outbox);
        let resp = transport.push(&req).await.map_err(SyncError::Transport)?;
        let (through, rejected) = outcome(&req.mutations, &resp);
        if through < req.mutations[0].mid.saturating_sub(1) {
            return Ok(Some(through));
        }
        let refused: HashSet<u64> = rejected.iter().map(|r| r.mutation.mid).collect();
        let taken = req.mutations.iter().filter(|m| m.mid <= through);
        for m in taken.clone() {
            match refused.contains(&m.mid) {
                true => pushed.refuse(m),
                false => pushed.add(m),
            }
        }
        report.pushed += taken.count();
        report.rejected += rejected.len();
        replica.acknowledge(through, rejected).await.map_err(SyncError::Local)?;
        outbox.retain(|m| m.mid > through);
        if outbox.is_empty() {
            outbox = replica.outbox().await.map_err(SyncError::Local)?;
        }
        total = total.max(report.pushed + outbox.len());
        progress(Progress::Pushed { done: report.pushed, total });
    }
    Ok(None)
}

/// Whether a pulled change only brings back what this sync pushed: a record never deleted whose
/// every field is exactly one this sync pushed, with the same value and HLC, and no other. The
/// phone holds just that already (its own writes, or later ones of its own), so applying it
/// would change nothing. Anything else is applied: a record with another writer's field, one the
/// server changed (a field it dropped or set itself, a value it normalised, a field hidden from
/// this role), a deleted one (its fields are not sent), one written in an earlier sync too.
pub fn is_echo<F: Fields>(c: &Change<F>, pushed: &Pushed) -> bool {
    let Some((collection, Some(fields))) = pushed.0.get(&c.id) else { return false };
    if *collection != c.collection || c.purged || c.deleted || !c.deleted_hlc.is_empty() {
        return false;
    }
    // The HLCs in either form (a phone keeps a pull's shared form as it came).
    let theirs = c.fields.to_map();
    fields.len() == theirs.len()
        && fields.len() == shared_hlcs::fields(&c.field_hlcs)
        && fields.iter().all(|(name, (hlc, value))| {
            theirs.get(name) == Some(value) && shared_hlcs::get(&c.field_hlcs, name) == Some(hlc.as_str())
        })
}

/// How a pull ended.
enum Pulled {
    /// The server has no more: the window the last page was cut to, if any, the account it
    /// carried, and whether the pull began from an empty cursor (the whole window came).
    Done { window: Option<PullWindow>, account: Option<Account>, from_start: bool },
    /// The server refused the cursor (restored from a backup).
    CursorReset,
}

/// The first page of a pull: small, so that a phone starts writing while the next, full page
/// (`MAX_PULL_LIMIT`) is fetched and prepared.
pub const FIRST_PULL_LIMIT: u32 = 250;

/// Pulls until the server has no more.
async fn pull_all<T: Transport, R: Replica<Fields = T::Fields>>(
    transport: &T,
    replica: &R,
    client_id: Uuid,
    pushed: &Pushed,
    report: &mut SyncReport,
    progress: &mut impl FnMut(Progress),
) -> Result<Pulled, SyncError<R::Error>> {
    let cursor = replica.cursor().await.map_err(SyncError::Local)?;
    // Each page is fetched and prepared while the one before is written: the network, the
    // phone's processor and its storage work side by side. A page is applied (with its cursor)
    // before the next one is, so a failure keeps everything before it.
    // This sync's own pushes coming back are left out before anything is done with them.
    // The first page is small, so that writing starts soon while the full pages follow.
    let fetch = |cursor: String, limit: u32| async move {
        let mut page = transport.pull(client_id, &cursor, limit).await?;
        let received = page.changes.len();
        page.changes.retain(|c| !is_echo(c, pushed));
        let prepared = replica.prepare(&page.changes).await;
        Ok::<_, TransportError>((page, received, prepared))
    };
    let (mut page, mut received, mut prepared) = match fetch(cursor.clone(), FIRST_PULL_LIMIT).await {
        Err(TransportError::CursorReset) if !cursor.is_empty() => return Ok(Pulled::CursorReset),
        other => other.map_err(SyncError::Transport)?,
    };
    loop {
        let apply = replica.apply_pull(&page.changes, prepared, &page.cursor);
        let (applied, next) = if page.has_more {
            let (a, n) = join(apply, fetch(page.cursor.clone(), MAX_PULL_LIMIT)).await;
            (a, Some(n))
        } else {
            (apply.await, None)
        };
        applied.map_err(SyncError::Local)?;
        report.pulled += received;
        report.echoes += received - page.changes.len();
        let total = page.remaining.map(|r| report.pulled + r as usize);
        progress(Progress::Pulled { done: report.pulled, total });
        (page, received, prepared) = match next {
            None => {
                return Ok(Pulled::Done { window: page.window, account: page.account, from_start: cursor.is_empty() })
            }
            Some(Err(TransportError::CursorReset)) if !page.cursor.is_empty() => return Ok(Pulled::CursorReset),
            Some(other) => other.map_err(SyncError::Transport)?,
        };
    }
}

/// A record as a phone holds it, with the HLC of each field and of its deleted flag.
#[derive(Debug, Clone, Copy)]
pub struct Held<'a> {
    pub collection: &'a str,
    pub id: Uuid,
    pub fields: &'a Map<String, Value>,
    pub field_hlcs: &'a BTreeMap<String, String>,
    pub deleted: bool,
    pub deleted_hlc: &'a str,
}

/// Everything a phone holds as mutations numbered from `after_mid + 1`, carrying the original
/// HLCs so that last-writer-wins decides on the server as it did before it lost them: per record
/// one upsert of all fields at its oldest HLC (a whole, valid record), one upsert per newer HLC
/// for the fields written then, and its delete or restore.
pub fn resend_plan<'a>(held: impl IntoIterator<Item = Held<'a>>, after_mid: u64) -> Vec<Mutation> {
    let mut out = Vec::new();
    for h in held {
        let mut by_hlc: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
        let newest = h.field_hlcs.values().max().map(String::as_str).unwrap_or("");
        for (name, value) in h.fields {
            let hlc = h.field_hlcs.get(name).map_or(newest, String::as_str);
            by_hlc.entry(hlc).or_default().insert(name.clone(), value.clone());
        }
        let mut ops: Vec<(Op, String, Map<String, Value>)> = Vec::new();
        if let Some((oldest, _)) = by_hlc.iter().next().filter(|(h, _)| !h.is_empty()) {
            ops.push((Op::Upsert, (*oldest).to_owned(), h.fields.clone()));
            for (hlc, fields) in by_hlc.iter().skip(1) {
                ops.push((Op::Upsert, (*hlc).to_owned(), fields.clone()));
            }
        }
        if !h.deleted_hlc.is_empty() {
            ops.push((if h.deleted { Op::Delete } else { Op::Restore }, h.deleted_hlc.to_owned(), Map::new()));
        }
        for (op, hlc, fields) in ops {
            let mid = after_mid + out.len() as u64 + 1;
            out.push(Mutation { mid, collection: h.collection.to_owned(), id: h.id, op, hlc, fields });
        }
    }
    out
}

/// Reads a push answer: everything up to `last_mutation_id` is done (applied, duplicate or
/// rejected); the rejected ones are kept to show.
pub fn outcome(sent: &[Mutation], resp: &PushResponse) -> (u64, Vec<Rejected>) {
    let by_mid: HashMap<u64, &Mutation> = sent.iter().map(|m| (m.mid, m)).collect();
    let rejected = resp
        .results
        .iter()
        .filter(|r| r.status == Status::Rejected && r.mid <= resp.last_mutation_id)
        .filter_map(|r| {
            by_mid.get(&r.mid).map(|m| Rejected {
                mutation: (*m).clone(),
                error: r.error.clone().unwrap_or_default(),
                message: r.message.clone().unwrap_or_default(),
            })
        })
        .collect();
    (resp.last_mutation_id, rejected)
}

/// What the outbox still holds for one record: those fields (and the deleted flag) keep their
/// local value when a pull brings the record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pending {
    pub fields: BTreeSet<String>,
    pub deleted: Option<bool>,
}

pub fn pending(outbox: &[Mutation]) -> BTreeMap<(String, Uuid), Pending> {
    let mut out: BTreeMap<(String, Uuid), Pending> = BTreeMap::new();
    for m in outbox {
        let p = out.entry((m.collection.clone(), m.id)).or_default();
        match m.op {
            Op::Upsert => p.fields.extend(m.fields.keys().cloned()),
            Op::Delete => p.deleted = Some(true),
            Op::Restore => p.deleted = Some(false),
        }
    }
    out
}

/// The local record after a pull: the server's state, except the fields (and deleted flag) with
/// pending local mutations, which keep their local value until pushed.
pub fn merge_pulled<F: Fields>(
    local: Option<(&Map<String, Value>, bool)>,
    change: &Change<F>,
    pending: Option<&Pending>,
) -> (Map<String, Value>, bool) {
    let mut fields = change.fields.to_map();
    let mut deleted = change.deleted;
    if let (Some((local_fields, local_deleted)), Some(p)) = (local, pending) {
        for name in &p.fields {
            match local_fields.get(name) {
                Some(v) => fields.insert(name.clone(), v.clone()),
                None => fields.remove(name),
            };
        }
        if p.deleted.is_some() {
            deleted = local_deleted;
        }
    }
    (fields, deleted)
}

/// The newest HLC in a batch of changes: the client's clock observes it (docs/protocol.md).
pub fn newest_hlc<F>(changes: &[Change<F>]) -> Option<Hlc> {
    // Most fields of a change share one HLC: each distinct one in a row is parsed once (a page
    // holds 30,000 HLCs; parsing them all was 2 % of a first sync). Either form of the field
    // HLCs (`shared_hlcs`): the shared one's `""` fields are no HLC.
    let mut last = "";
    changes
        .iter()
        .flat_map(|c| c.field_hlcs.values())
        .filter(|h| std::mem::replace(&mut last, h.as_str()) != h.as_str())
        .filter_map(|h| h.parse::<Hlc>().ok())
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn answers_are_read_as_the_protocol_says() {
        let err = |code: &str| format!(r#"{{"error":"{code}","message":"why"}}"#);
        assert_eq!(decode::<PushResponse>(401, &err("revoked")), Err(TransportError::Revoked));
        assert_eq!(decode::<PushResponse>(401, &err("unauthorized")), Err(TransportError::Unauthorized));
        assert_eq!(decode::<PushResponse>(401, "<html>login</html>"), Err(TransportError::Unauthorized));
        assert_eq!(decode::<PushResponse>(409, &err("cursor_reset")), Err(TransportError::CursorReset));
        assert_eq!(decode::<PushResponse>(503, &err("unavailable")), Err(TransportError::Unavailable("503".into())));
        assert_eq!(decode::<PushResponse>(502, "Bad Gateway"), Err(TransportError::Unavailable("502".into())));
        assert_eq!(
            decode::<PushResponse>(413, &err("too_large")),
            Err(TransportError::Refused(413, ApiError::new("too_large", "why")))
        );
        // The network is there but the answer is not the protocol's: never "offline".
        assert_eq!(decode::<PushResponse>(200, "<html>Wi-Fi login</html>"), Err(TransportError::BadAnswer(200)));
        assert_eq!(decode::<PushResponse>(200, r#"{"results":[]}"#), Err(TransportError::BadAnswer(200)));
        assert_eq!(decode::<PushResponse>(403, "<html>Forbidden</html>"), Err(TransportError::BadAnswer(403)));
        assert_eq!(
            decode::<PushResponse>(200, r#"{"last_mutation_id":3,"results":[]}"#),
            Ok(PushResponse { last_mutation_id: 3, results: vec![] })
        );
    }

    #[test]
    fn a_request_reached_the_server_when_the_server_itself_answered() {
        let err = |code: &str| format!(r#"{{"error":"{code}","message":"why"}}"#);
        let reached = |status: u16, body: &str| !decode::<PushResponse>(status, body).unwrap_err().unreached();
        // The server's own refusals: it was reached.
        assert!(reached(401, &err("revoked")));
        assert!(reached(401, &err("unauthorized")));
        assert!(reached(409, &err("cursor_reset")));
        assert!(reached(413, &err("too_large")));
        // A Wi-Fi's sign-in page, a gateway with nothing behind it, no network: not reached.
        assert!(!reached(200, "<html>Wi-Fi login</html>"));
        assert!(!reached(403, "<html>Forbidden</html>"));
        assert!(!reached(502, "Bad Gateway"));
        assert!(!reached(503, &err("unavailable")));
        assert!(TransportError::Offline.unreached());
    }

    fn m(mid: u64, id: u128, op: Op) -> Mutation {
        Mutation {
            mid,
            collection: "patrols".into(),
            id: Uuid::from_u128(id),
            op,
            hlc: String::new(),
            fields: if op == Op::Upsert { json!({"area": mid}).as_object().unwrap().clone() } else { Map::new() },
        }
    }

    #[test]
    fn only_a_record_exactly_as_this_sync_pushed_it_is_an_echo() {
        let id = Uuid::from_u128(1);
        let push = |mid: u64, op: Op, fields: Value| Mutation {
            mid,
            collection: "patrols".into(),
            id,
            op,
            hlc: format!("h{mid}"),
            fields: fields.as_object().unwrap().clone(),
        };
        let change = |fields: Value, hlcs: &[(&str, &str)]| Change {
            collection: "patrols".into(),
            id,
            fields: fields.as_object().unwrap().clone(),
            field_hlcs: hlcs.iter().map(|(k, h)| (k.to_string(), h.to_string())).collect(),
            deleted: false,
            deleted_hlc: String::new(),
            version: 3,
            purged: false,
        };
        let mut pushed = Pushed::new();
        pushed.add(&push(1, Op::Upsert, json!({"area": "a", "team": ["A"]})));
        pushed.add(&push(2, Op::Upsert, json!({"area": "b"})));
        let back = change(json!({"area": "b", "team": ["A"]}), &[("area", "h2"), ("team", "h1")]);
        assert!(is_echo(&back, &pushed));
        let shared = change(json!({"area": "b", "team": ["A"]}), &[("", "h2"), ("area", ""), ("team", "h1")]);
        assert!(is_echo(&shared, &pushed), "the same in the shared form of the HLCs");
        let other = change(json!({"area": "b", "team": ["A"]}), &[("", "h1"), ("area", ""), ("team", "")]);
        assert!(!is_echo(&other, &pushed), "the shared form, another HLC");
        assert!(!is_echo(&back, &Pushed::new()), "not pushed in this sync");
        assert!(!is_echo(&Change { collection: "contacts".into(), ..back.clone() }, &pushed), "another collection");
        assert!(
            !is_echo(&change(json!({"area": "b", "team": ["B"]}), &[("area", "h2"), ("team", "h9")]), &pushed),
            "another writer's field"
        );
        assert!(
            !is_echo(&change(json!({"area": "b"}), &[("area", "h2")]), &pushed),
            "a field the server dropped or hid"
        );
        assert!(
            !is_echo(
                &change(
                    json!({"area": "b", "team": ["A"], "notes": "x"}),
                    &[("area", "h2"), ("team", "h1"), ("notes", "h0")]
                ),
                &pushed
            ),
            "a field from before"
        );
        assert!(
            !is_echo(&change(json!({"area": "B", "team": ["A"]}), &[("area", "h2"), ("team", "h1")]), &pushed),
            "a value the server changed"
        );
        assert!(!is_echo(&Change { deleted: true, deleted_hlc: "h3".into(), ..back.clone() }, &pushed), "deleted");
        assert!(!is_echo(&Change { purged: true, ..back.clone() }, &pushed), "purged");
        let mut refused = Pushed::new();
        refused.add(&push(1, Op::Upsert, json!({"area": "a", "team": ["A"]})));
        refused.refuse(&push(2, Op::Upsert, json!({"area": "b"})));
        refused.add(&push(5, Op::Upsert, json!({"team": ["A"]})));
        let server_kept = change(json!({"area": "a", "team": ["A"]}), &[("area", "h1"), ("team", "h5")]);
        assert!(!is_echo(&server_kept, &refused), "a refused write: the phone follows the server");
        pushed.add(&push(3, Op::Delete, json!({})));
        pushed.add(&push(4, Op::Restore, json!({})));
        assert!(!is_echo(&back, &pushed), "deleted and restored in this sync");
    }

    #[test]
    fn a_batch_never_separates_a_record_from_its_later_delete() {
        let outbox = vec![m(1, 1, Op::Upsert), m(2, 2, Op::Upsert), m(3, 2, Op::Upsert), m(4, 2, Op::Delete)];
        assert_eq!(batch_len(&outbox, 10), 4);
        assert_eq!(batch_len(&outbox, 3), 1, "record 2 waits for the batch with its delete");
        assert_eq!(batch_len(&outbox, 1), 1);
        let only_two = vec![m(1, 2, Op::Upsert), m(2, 2, Op::Delete)];
        assert_eq!(batch_len(&only_two, 1), 1, "no way to keep them together: progress first");
    }

    #[test]
    fn pulled_values_keep_pending_local_fields() {
        let local = json!({"area": "mine", "team": ["A"]}).as_object().unwrap().clone();
        let change = Change {
            collection: "patrols".into(),
            id: Uuid::nil(),
            fields: json!({"area": "theirs", "team": ["B"], "kind": "night_patrol"}).as_object().unwrap().clone(),
            field_hlcs: BTreeMap::new(),
            deleted: true,
            deleted_hlc: String::new(),
            version: 3,
            purged: false,
        };
        let p = pending(&[m(1, 0, Op::Upsert)]);
        let mut mine = p[&("patrols".to_string(), Uuid::nil())].clone();
        mine.fields = ["area".to_string()].into();
        let (f, deleted) = merge_pulled(Some((&local, false)), &change, Some(&mine));
        assert_eq!(f, json!({"area": "mine", "team": ["B"], "kind": "night_patrol"}).as_object().unwrap().clone());
        assert!(deleted, "no pending delete or restore: the server's flag");
        mine.deleted = Some(false);
        assert!(!merge_pulled(Some((&local, false)), &change, Some(&mine)).1);
        assert_eq!(merge_pulled(None, &change, None).0, change.fields);
    }

    #[test]
    fn an_answer_acknowledges_through_its_last_mutation_id() {
        let sent = vec![m(1, 1, Op::Upsert), m(2, 1, Op::Upsert), m(3, 1, Op::Upsert)];
        let resp: PushResponse = serde_json::from_value(json!({"last_mutation_id": 2, "results": [
            {"mid": 1, "status": "duplicate"}, {"mid": 2, "status": "rejected", "error": "invalid", "message": "area"}]}))
        .unwrap();
        let (through, rejected) = outcome(&sent, &resp);
        assert_eq!(through, 2);
        assert_eq!(rejected.len(), 1);
        assert_eq!((rejected[0].mutation.mid, rejected[0].error.as_str()), (2, "invalid"));
    }

    #[test]
    fn a_record_that_ends_deleted_travels_deleted() {
        let outbox = vec![
            m(1, 1, Op::Upsert),
            m(2, 2, Op::Upsert),
            m(3, 1, Op::Delete),
            m(4, 2, Op::Delete),
            m(5, 2, Op::Restore),
            m(6, 2, Op::Upsert),
        ];
        let b = deletes_first(&outbox, 6);
        let ops: Vec<Op> = b.iter().map(|m| m.op).collect();
        assert_eq!(ops, vec![Op::Delete, Op::Upsert, Op::Delete, Op::Delete, Op::Restore, Op::Upsert]);
        assert_eq!(b[0].fields, outbox[0].fields, "the fields travel with the delete");
        assert_eq!(deletes_first(&outbox, 1)[0].op, Op::Delete, "also when the delete is in a later push");
    }

    #[test]
    fn resending_keeps_each_field_s_hlc() {
        let fields = json!({"area": "b", "kind": "night_patrol", "team": []}).as_object().unwrap().clone();
        let hlcs: BTreeMap<String, String> =
            [("area", "2"), ("kind", "1"), ("team", "1")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        let held = Held {
            collection: "patrols",
            id: Uuid::nil(),
            fields: &fields,
            field_hlcs: &hlcs,
            deleted: true,
            deleted_hlc: "3",
        };
        let plan = resend_plan([held], 10);
        let summary: Vec<(u64, Op, &str, usize)> =
            plan.iter().map(|m| (m.mid, m.op, m.hlc.as_str(), m.fields.len())).collect();
        assert_eq!(summary, vec![(11, Op::Upsert, "1", 3), (12, Op::Upsert, "2", 1), (13, Op::Delete, "3", 0)]);
        // Replayed on an empty server, the plan gives back what the phone held.
        let mut state = crate::sync::RecordState::default();
        for m in &plan {
            state.apply(m.op, &m.fields, &m.hlc);
        }
        assert_eq!((state.fields, state.field_hlcs, state.deleted), (fields, hlcs, true));
    }

    /// A server of no records that cuts every pull to `days`, counting the pulls by cursor.
    struct WindowServer {
        days: u32,
        pulls: std::cell::RefCell<Vec<String>>,
    }

    impl Transport for WindowServer {
        type Fields = Map<String, Value>;
        async fn push(&self, _: &PushRequest) -> Result<PushResponse, TransportError> {
            unreachable!("nothing to push")
        }
        async fn pull(&self, _: Uuid, cursor: &str, _: u32) -> Result<PullResponse, TransportError> {
            self.pulls.borrow_mut().push(cursor.to_owned());
            let window = PullWindow { days: self.days, from_ms: Some(0) };
            Ok(PullResponse {
                changes: vec![],
                cursor: "c1".into(),
                has_more: false,
                last_mutation_id: 0,
                remaining: None,
                window: Some(window),
                account: None,
            })
        }
    }

    /// A phone that holds a cursor and the window its last pull was cut to.
    struct WindowPhone {
        cursor: std::cell::RefCell<String>,
        days: std::cell::Cell<u32>,
    }

    impl Replica for WindowPhone {
        type Error = ();
        type Fields = Map<String, Value>;
        type Prepared = ();
        async fn client_id(&self) -> Result<Uuid, ()> {
            Ok(Uuid::nil())
        }
        async fn outbox(&self) -> Result<Vec<Mutation>, ()> {
            Ok(vec![])
        }
        async fn acknowledge(&self, _: u64, _: Vec<Rejected>) -> Result<(), ()> {
            Ok(())
        }
        async fn cursor(&self) -> Result<String, ()> {
            Ok(self.cursor.borrow().clone())
        }
        async fn prepare(&self, _: &[Change<Self::Fields>]) {}
        async fn apply_pull(&self, _: &[Change<Self::Fields>], _: (), cursor: &str) -> Result<(), ()> {
            *self.cursor.borrow_mut() = cursor.to_owned();
            Ok(())
        }
        async fn resend_all(&self, _: u64) -> Result<(), ()> {
            Ok(())
        }
        async fn keep_window(&self, window: PullWindow) -> Result<WindowKept, ()> {
            let grew = window.days > self.days.replace(window.days);
            Ok(WindowKept { dropped: 0, grew })
        }
    }

    /// Runs a future whose every step is ready at once (the fakes above never wait).
    fn ready<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn a_longer_window_pulls_everything_again_once_and_only_when_the_pull_did_not_start_from_scratch() {
        let pulls = |cursor: &str| {
            let server = WindowServer { days: 400, pulls: Default::default() };
            let phone = WindowPhone { cursor: std::cell::RefCell::new(cursor.into()), days: 30.into() };
            let report = ready(sync_once(&server, &phone, |_| {})).unwrap();
            assert_eq!(phone.days.get(), 400);
            (server.pulls.into_inner(), report.window_grew)
        };
        // A phone that had pulled under a 30-day window: what is now inside it comes again.
        assert_eq!(pulls("c0"), (vec!["c0".to_owned(), String::new()], true));
        // A phone that started over (a new role: the coordinator's 400 days): its pull from the
        // start brought the whole window already, so it is not pulled a second time.
        assert_eq!(pulls(""), (vec![String::new()], false));
    }

    proptest! {
        #[test]
        fn batches_cover_the_outbox_in_order(ops in proptest::collection::vec((0u128..6, 0u8..3), 1..60), max in 1usize..20) {
            let outbox: Vec<Mutation> = ops.iter().enumerate().map(|(i, (id, op))| {
                m(i as u64 + 1, *id, [Op::Upsert, Op::Delete, Op::Restore][*op as usize])
            }).collect();
            let mut start = 0;
            while start < outbox.len() {
                let n = batch_len(&outbox[start..], max);
                prop_assert!(n >= 1 && n <= max);
                // A record whose delete comes after the cut is not in the batch, unless no
                // clean cut existed within the limit.
                let splits = |k: usize| {
                    let (b, a) = outbox[start..].split_at(k);
                    b.iter().any(|b| a.iter().any(|a| a.op == Op::Delete && a.id == b.id))
                };
                let clean_exists = (1..=max.min(outbox.len() - start)).any(|k| !splits(k));
                prop_assert!(!splits(n) || !clean_exists);
                start += n;
            }
            prop_assert_eq!(start, outbox.len());
        }

        /// Parsing each distinct HLC in a row once finds the same newest as parsing them all
        /// (malformed ones left out either way).
        #[test]
        fn the_newest_hlc_is_the_newest_of_all(pages in proptest::collection::vec(
            proptest::collection::btree_map("[a-d]", prop_oneof![
                (0u64..4, 0u16..3).prop_map(|(ms, c)| Hlc { physical_ms: 1_767_225_600_000 + ms, counter: c, client: Uuid::from_u128(7) }.to_string()),
                Just("garbage".to_string()),
            ], 0..5), 0..6)
        ) {
            let changes: Vec<Change> = pages.into_iter().map(|field_hlcs| Change {
                collection: "contacts".into(), id: Uuid::nil(), fields: Map::new(), field_hlcs,
                deleted: false, deleted_hlc: String::new(), version: 1, purged: false,
            }).collect();
            let all = changes.iter().flat_map(|c| c.field_hlcs.values()).filter_map(|h| h.parse::<Hlc>().ok()).max();
            prop_assert_eq!(newest_hlc(&changes), all);
        }
    }

    proptest! {
        // Each case pushes megabytes (serialised in a debug build): fewer cases.
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Every push fits the server's limits, in count and in bytes, whatever the notes'
        /// lengths, and the pushes together send the whole outbox once, in order.
        #[test]
        fn pushes_fit_the_server_s_limits(lens in proptest::collection::vec((0u128..40, 0usize..16_000), 1..300)) {
            let outbox: Vec<Mutation> = lens.iter().enumerate().map(|(i, (id, len))| {
                let mut x = m(i as u64 + 1, *id, Op::Upsert);
                x.fields.insert("notes".into(), json!("ż".repeat(*len / 2)));
                x
            }).collect();
            let mut start = 0;
            while start < outbox.len() {
                let req = push_request(Uuid::nil(), &outbox[start..]);
                let n = req.mutations.len();
                prop_assert!((1..=MAX_PUSH_MUTATIONS).contains(&n));
                prop_assert!(serde_json::to_vec(&req).unwrap().len() <= MAX_PUSH_BYTES);
                let mids: Vec<u64> = req.mutations.iter().map(|m| m.mid).collect();
                let expected: Vec<u64> = outbox[start..start + n].iter().map(|m| m.mid).collect();
                prop_assert_eq!(mids, expected);
                start += n;
            }
        }
    }
}
