//! The push loop, once for every backend: a group of pushes planned in memory over the records
//! they touch (read before), giving each push its answer, the log's lines and the records to
//! write. SQLite and PostgreSQL only read the records first and write the plan after.

use std::collections::HashMap;

use latarnia_core::facilities::{BedHold, Facility, HoldStatus};
use latarnia_core::protocol::{read_record, BED_HOLDS, FACILITIES};
use latarnia_core::sync::{MutationResult, PushRequest, PushResponse, RecordState, Role, Status, User};
use latarnia_core::{Mutation, Op};
use uuid::Uuid;

use super::decide;

/// A record's key in a plan: its collection and id.
pub type Key = (String, String);

/// A record as stored: its state and its creator's user id.
pub type Stored = (RecordState, String);

/// One line of the mutation log (never a field's value: only the names).
pub struct LogLine {
    pub at_ms: i64,
    pub user: String,
    pub client: String,
    pub mid: i64,
    pub collection: &'static str,
    pub record: String,
    pub op: &'static str,
    pub hlc: String,
    pub fields: String,
    pub status: &'static str,
    pub error: Option<String>,
}

/// The records a group of pushes reads and writes, and what it logs.
#[derive(Default)]
pub struct PushPlan {
    known: HashMap<Key, Stored>,
    /// Each written record at its last change in the group (the versions follow that order).
    changed: HashMap<Key, usize>,
    pub log: Vec<LogLine>,
}

impl PushPlan {
    /// A plan over the records as they are now (those the pushes name that exist).
    pub fn new(known: HashMap<Key, Stored>) -> Self {
        PushPlan { known, ..PushPlan::default() }
    }

    /// Whether a group of pushes needs the organisation's facilities and its holds of the last
    /// [`latarnia_core::facilities::HOLDS_LOOKBACK_HOURS`] read as well ([`PushPlan::add_context`]):
    /// a hold is checked against its facility's free beds, and a facility account's answer
    /// against the facilities it staffs.
    pub fn needs_facilities<'a>(requests: impl IntoIterator<Item = &'a PushRequest>) -> bool {
        requests.into_iter().flat_map(|r| &r.mutations).any(|m| m.collection == BED_HOLDS)
    }

    /// Adds records read for context (those already read stay as read).
    pub fn add_context(&mut self, rows: impl IntoIterator<Item = (Key, Stored)>) {
        for (k, v) in rows {
            self.known.entry(k).or_insert(v);
        }
    }

    /// A known live record of `collection` read as `T`.
    fn typed<T: serde::de::DeserializeOwned>(&self, collection: &str, id: &str) -> Option<T> {
        let (s, _) = self.known.get(&(collection.to_owned(), id.to_owned()))?;
        typed(id, s)
    }

    /// Whether `user`, a facility account, staffs the facility `m` changes or the one of the
    /// hold it answers.
    fn staffs(&self, user: &User, m: &Mutation, current: Option<&RecordState>) -> bool {
        let id = m.id.to_string();
        let facility: Option<Facility> = match m.collection.as_str() {
            FACILITIES => self.typed(FACILITIES, &id),
            BED_HOLDS => current
                .and_then(|s| typed::<BedHold>(&id, s))
                .and_then(|h| self.typed(FACILITIES, &h.facility_id.to_string())),
            _ => None,
        };
        facility.is_some_and(|f| f.staffed_by(&user.login))
    }

    /// Why a new hold (its admitted state `held`) cannot be made: its facility is unknown, or
    /// has no free bed left as the server counts them.
    fn hold_refusal(&self, held: &RecordState, id: Uuid, now_ms: i64) -> Option<(&'static str, String)> {
        let hold: BedHold = typed(&id.to_string(), held)?;
        if hold.status != HoldStatus::Held {
            return None;
        }
        let Some(facility) = self.typed::<Facility>(FACILITIES, &hold.facility_id.to_string()) else {
            return Some(("not_found", format!("no facility {}", hold.facility_id)));
        };
        let holds: Vec<BedHold> = self
            .known
            .iter()
            .filter(|((c, _), _)| c == BED_HOLDS)
            .filter_map(|((_, hid), (s, _))| typed::<BedHold>(hid, s))
            .filter(|h| h.facility_id == facility.id && h.id != id)
            .collect();
        let now = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
        latarnia_core::facilities::may_hold(&facility, &holds, now).err().map(|code| {
            (
                code,
                format!(
                    "{}: no free bed left (free beds as last counted, less the beds held and taken since)",
                    facility.name
                ),
            )
        })
    }

    /// The records a group of pushes names (to read before planning).
    pub fn keys<'a>(requests: impl IntoIterator<Item = &'a PushRequest>) -> Vec<Key> {
        let mut keys: Vec<Key> =
            requests.into_iter().flat_map(|r| &r.mutations).map(|m| (m.collection.clone(), m.id.to_string())).collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Applies one client's push after its last applied `mid`: its answer (the new last `mid` in
    /// it).
    pub fn push(&mut self, user: &User, req: &PushRequest, last_mid: u64, now_ms: i64) -> PushResponse {
        let (client, uid) = (req.client_id.to_string(), user.id.to_string());
        let mut last = last_mid;
        let mut results = Vec::with_capacity(req.mutations.len());
        for step in steps(&req.mutations, last_mid) {
            let m = match step {
                Step::Duplicate(r) => {
                    results.push(r);
                    continue;
                }
                Step::Apply(m) => m,
            };
            let key = (m.collection.clone(), m.id.to_string());
            let (current, created_by) = match self.known.get(&key) {
                Some((s, c)) => (Some(s), Some(c.as_str())),
                None => (None, None),
            };
            let own = if user.role == Role::Facility {
                self.staffs(user, m, current)
            } else {
                created_by.is_none_or(|c| c == uid)
            };
            let mut d = decide(user, m, current, own, now_ms);
            let creates_hold = m.collection == BED_HOLDS && current.is_none_or(|s| s.deleted);
            if let (true, Some(held)) = (creates_hold && m.op != Op::Restore, &d.new_state) {
                if let Some((code, message)) = self.hold_refusal(held, m.id, now_ms) {
                    d = super::Decision::rejected(m, code, message, d.fields, d.log_collection);
                }
            }
            if let Some(state) = d.new_state {
                let creator = created_by.map_or_else(|| uid.clone(), str::to_owned);
                self.known.insert(key.clone(), (state, creator));
                self.changed.insert(key.clone(), self.log.len());
            }
            self.log.push(line(&uid, &client, m, key.1, now_ms, d.log_collection, &d.fields, &d.result));
            last = m.mid;
            results.push(d.result);
        }
        PushResponse { last_mutation_id: last, results }
    }

    /// The records to write, in the order their new versions follow.
    pub fn written(&self) -> Vec<(&Key, &Stored)> {
        let mut written: Vec<(&Key, usize)> = self.changed.iter().map(|(k, n)| (k, *n)).collect();
        written.sort_by_key(|(_, n)| *n);
        written.into_iter().map(|(k, _)| (k, &self.known[k])).collect()
    }
}

#[allow(clippy::too_many_arguments)]
fn line(
    user: &str,
    client: &str,
    m: &Mutation,
    record: String,
    now_ms: i64,
    collection: &'static str,
    fields: &[String],
    result: &MutationResult,
) -> LogLine {
    LogLine {
        at_ms: now_ms,
        user: user.to_owned(),
        client: client.to_owned(),
        mid: m.mid as i64,
        collection,
        record,
        op: op_str(m.op),
        hlc: m.hlc.clone(),
        fields: serde_json::to_string(fields).unwrap_or_default(),
        status: status_str(result),
        error: result.error.clone(),
    }
}

pub fn op_str(op: Op) -> &'static str {
    match op {
        Op::Upsert => "upsert",
        Op::Delete => "delete",
        Op::Restore => "restore",
    }
}

pub fn status_str(r: &MutationResult) -> &'static str {
    match r.status {
        Status::Applied => "applied",
        Status::Duplicate => "duplicate",
        Status::Rejected => "rejected",
    }
}

/// A stored record's live fields read as `T` (none when deleted or not one).
fn typed<T: serde::de::DeserializeOwned>(id: &str, s: &RecordState) -> Option<T> {
    if s.deleted || s.purged {
        return None;
    }
    read_record(s.fields.clone(), id.to_owned()).ok()
}

/// What a push does with each of its mutations, from the client's last applied `mid`.
pub enum Step<'a> {
    /// At or below the last applied `mid`: answered `duplicate`, nothing applied.
    Duplicate(MutationResult),
    Apply(&'a Mutation),
}

/// Every mutation of a push in order, up to a gap in the `mid`s (the rest waits for the
/// missing one). The same in every backend.
pub fn steps(mutations: &[Mutation], mut last: u64) -> Vec<Step<'_>> {
    let mut out = Vec::with_capacity(mutations.len());
    for m in mutations {
        if m.mid <= last {
            out.push(Step::Duplicate(MutationResult {
                mid: m.mid,
                status: Status::Duplicate,
                error: None,
                message: None,
            }));
        } else if m.mid == last + 1 {
            last = m.mid;
            out.push(Step::Apply(m));
        } else {
            break;
        }
    }
    out
}
