//! The sync protocol of docs/protocol.md in plain Rust: the wire types of push, pull and login,
//! and the pull cursor. The rules a push is admitted by (the collections, who may read and
//! write them, the per-field merge) are in [`crate::rules`], re-exported here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::protocol::Mutation;
pub use crate::rules::*;

/// The protocol's `schema_version`.
pub const SCHEMA_VERSION: u32 = 1;
/// At most this many mutations in one push (413 past that).
pub const MAX_PUSH_MUTATIONS: usize = 500;
/// At most this many bytes in one push body (413 past that).
pub const MAX_PUSH_BYTES: usize = 1 << 20;
/// The pull page size when the client names none, and the largest it may name.
pub const DEFAULT_PULL_LIMIT: u32 = 500;
pub const MAX_PULL_LIMIT: u32 = 2_000;
/// An HLC further ahead of the server's clock than this is clamped to the server's clock.
pub const MAX_CLOCK_AHEAD_MS: u64 = 60_000;

/// Who a user is in their organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    Admin,
    Coordinator,
    Streetworker,
    Partner,
    /// A facility's staff (a shelter's reception): reports its free beds and sees the beds held
    /// for it — nothing else.
    Facility,
}

impl Role {
    pub const ALL: &'static [Role] =
        &[Role::Admin, Role::Coordinator, Role::Streetworker, Role::Partner, Role::Facility];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
            Role::Streetworker => "streetworker",
            Role::Partner => "partner",
            Role::Facility => "facility",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.as_str() == s)
    }
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
    #[serde(default)]
    pub device_name: String,
    /// The phone's client id: the answer then carries its recovery key (`device_key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Uuid))]
    pub client_id: Option<Uuid>,
}

/// The signed-in user (`GET /api/v1/me`, and in the login answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
    /// This user's recovery key for the phone `client_id` (64 hex digits), when one was given:
    /// the phone keeps its data key wrapped under it as well as under the PIN, and never keeps
    /// this key itself (docs/protocol.md, "Sign-in").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_key: Option<String>,
    #[serde(default)]
    pub phone: PhoneSettings,
}

/// What the organisation sets for its phones (sent in the login answer; the phone keeps it with
/// its session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhoneSettings {
    /// Minutes in the background before the app locks itself.
    pub lock_after_minutes: u32,
}

/// Who the phone's user is now and what the organisation sets for its phones, sent with the
/// last page of every pull (a compatible extension of the protocol): a new role, name or lock
/// time reaches a phone at its next sync, not only at its next sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub user: User,
    pub phone: PhoneSettings,
}

impl Default for PhoneSettings {
    fn default() -> Self {
        PhoneSettings { lock_after_minutes: crate::lock::DEFAULT_LOCK_AFTER_MINUTES }
    }
}

/// Every error answer: a machine code and a human sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub error: String,
    pub message: String,
}

impl ApiError {
    pub fn new(error: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError { error: error.into(), message: message.into() }
    }
}

/// `GET /api/v1/health`: the server is up, its database answers, and which protocol it speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    /// The server's release.
    pub version: String,
    /// The protocol's `schema_version` ([`SCHEMA_VERSION`]).
    pub protocol: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub client_id: Uuid,
    #[serde(deserialize_with = "crate::protocol::integral")]
    pub schema_version: u32,
    pub mutations: Vec<Mutation>,
}

impl PushRequest {
    /// What makes a push malformed as a whole (answered `400`, nothing applied): a `mid` of 0
    /// (a client numbers its mutations from 1) or past [`MAX_MID`](crate::protocol::MAX_MID).
    pub fn malformed(&self) -> Option<String> {
        let max = crate::protocol::MAX_MID;
        self.mutations
            .iter()
            .position(|m| !(1..=max).contains(&m.mid))
            .map(|i| format!("mutations[{i}].mid: must be from 1 to {max}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Status {
    Applied,
    Duplicate,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MutationResult {
    pub mid: u64,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For a rejection: which field and why, in words (a compatible extension of the protocol).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    pub last_mutation_id: u64,
    pub results: Vec<MutationResult>,
}

/// A record's whole current state, as a pull carries it. `F` and `H` are its fields and their
/// HLCs: parsed (the default), or the JSON text as the server stored it (`StoredChange`, with the `raw` feature), sent
/// on without parsing every record again — the same type, so the same JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(bound = ""))]
pub struct Change<F = Map<String, Value>, H = BTreeMap<String, String>> {
    pub collection: String,
    pub id: Uuid,
    /// The record's fields (docs/protocol.md gives each collection's).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: F,
    /// Each field's HLC.
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>))]
    pub field_hlcs: H,
    pub deleted: bool,
    /// The HLC that decided `deleted` (a compatible extension of the protocol; empty when never deleted).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub deleted_hlc: String,
    pub version: u64,
    /// Deleted longer ago than the server's trash keeps records: its fields are erased for
    /// good, and a phone erases its own copy (a compatible extension of the protocol).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub purged: bool,
}

/// A change as the server stores it: its fields and their HLCs as the stored JSON text.
#[cfg(feature = "raw")]
pub type StoredChange = Change<Box<serde_json::value::RawValue>, Box<serde_json::value::RawValue>>;

#[cfg(feature = "raw")]
impl StoredChange {
    /// The parsed change (tests and tools; pulls send the stored text).
    pub fn parse(&self) -> Change {
        Change {
            collection: self.collection.clone(),
            id: self.id,
            fields: serde_json::from_str(self.fields.get()).unwrap_or_default(),
            field_hlcs: serde_json::from_str(self.field_hlcs.get()).unwrap_or_default(),
            deleted: self.deleted,
            deleted_hlc: self.deleted_hlc.clone(),
            version: self.version,
            purged: self.purged,
        }
    }
}

impl<F: Fields> Change<F> {
    /// Whether a phone drops its copy of the record: purged, with nothing kept (a merged place
    /// is kept whole, as the link to the survivor).
    pub fn erases_local(&self) -> bool {
        self.purged && self.fields.is_empty()
    }

    /// The record the change carries, read as `T` (its fields and its id); `None` when they
    /// are not a valid `T` for this version (a tombstone, a newer app's record).
    pub fn record<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        self.fields.record(self.id)
    }
}

/// A pulled change's fields as a phone reads them: parsed into a map, or (feature `raw`) kept
/// as the JSON text that came, read straight into the record when nothing is merged with it
/// (a fresh phone's first sync reads 22,000 records; a map of each was a tenth of it).
pub trait Fields {
    /// The fields as a map (to merge with pending local edits, to compare with what was pushed).
    fn to_map(&self) -> Map<String, Value>;
    fn is_empty(&self) -> bool;
    /// The record of these fields with its `id`, as [`crate::protocol::from_fields`] reads it.
    fn record<T: serde::de::DeserializeOwned>(&self, id: Uuid) -> Option<T> {
        crate::protocol::record_of(self.to_map(), id)
    }
}

impl Fields for Map<String, Value> {
    fn to_map(&self) -> Map<String, Value> {
        self.clone()
    }

    fn is_empty(&self) -> bool {
        Map::is_empty(self)
    }
}

#[cfg(feature = "raw")]
impl Fields for Box<serde_json::value::RawValue> {
    fn to_map(&self) -> Map<String, Value> {
        serde_json::from_str(self.get()).unwrap_or_default()
    }

    fn is_empty(&self) -> bool {
        self.to_map().is_empty()
    }

    fn record<T: serde::de::DeserializeOwned>(&self, id: Uuid) -> Option<T> {
        // The text with the id put first (made by a plain function: only the read itself is
        // made once per record type, the wasm's size); anything that does not read so (an `id`
        // among the fields) is read the map's way.
        let direct = with_id(self.get(), id).and_then(|text| serde_json::from_str(&text).ok());
        direct.or_else(|| crate::protocol::record_of(serde_json::from_str(self.get()).ok()?, id))
    }
}

/// `{"id":"…",` and the fields of `text` (a JSON object): the record's text, made without
/// parsing it.
#[cfg(feature = "raw")]
#[inline(never)]
fn with_id(text: &str, id: Uuid) -> Option<String> {
    let rest = text.trim_start().strip_prefix('{')?.trim_start();
    let sep = if rest.starts_with('}') { "" } else { "," };
    Some(format!("{{\"id\":\"{id}\"{sep}{rest}"))
}

/// A pulled change as a phone reads it: the fields as the text that came ([`Fields`]).
#[cfg(feature = "raw")]
pub type RawChange = Change<Box<serde_json::value::RawValue>>;

#[cfg(feature = "raw")]
impl Change {
    /// The same change with its fields as JSON text, as a phone reads a pull (tests).
    pub fn with_raw_fields(self) -> RawChange {
        let fields = serde_json::value::to_raw_value(&self.fields).expect("a map is JSON");
        Change {
            collection: self.collection,
            id: self.id,
            fields,
            field_hlcs: self.field_hlcs,
            deleted: self.deleted,
            deleted_hlc: self.deleted_hlc,
            version: self.version,
            purged: self.purged,
        }
    }
}

/// One page of a pull (`C`: the server sends `StoredChange`s, a phone reads [`Change`]s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullResponse<C = Change> {
    pub changes: Vec<C>,
    pub cursor: String,
    pub has_more: bool,
    pub last_mutation_id: u64,
    /// How many changes come after this page (a compatible extension of the protocol: a phone's progress bar).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    /// The window the page was cut to, when the phone asked for one (`window=true`; a
    /// compatible extension of the protocol).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<PullWindow>,
    /// The user and the organisation's phone settings as they are now, on the last page
    /// (`has_more` false; a compatible extension of the protocol).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
}

/// A phone's field-sized window, as a pull applied it (`latarnia_core::window`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullWindow {
    /// The role's window in days; `0`: no window, the whole history.
    pub days: u32,
    /// The first moment inside it (ms since the epoch); absent with `days` 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_ms: Option<i64>,
}

/// `GET /history`: a collection's records from before the phone's window, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryResponse {
    pub changes: Vec<Change>,
    /// Whether older ones follow (ask again with `before` = the last one's moment).
    pub has_more: bool,
}

/// `POST /api/v1/erasure`: a person's erasure on request (GDPR art. 17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErasureRequest {
    /// The person's pseudonym; case and spaces are ignored.
    #[cfg_attr(feature = "openapi", schema(pattern = "\\S"))]
    pub pseudonym: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErasureAnswer {
    /// Contacts whose pseudonym and notes were erased.
    pub erased: u64,
}

/// `GET /api/v1/indicators`: the period as understood, and the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorsAnswer {
    pub period: crate::indicators::Period,
    pub indicators: crate::indicators::Indicators,
}

/// One entry of the append-only log of mutations (`GET /api/v1/audit/…`, the audit trail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub user_id: Uuid,
    pub client_id: Uuid,
    pub mid: u64,
    pub collection: String,
    pub record_id: Uuid,
    pub op: String,
    pub hlc: String,
    /// The names of the fields the mutation carried (never their values).
    pub fields: Vec<String>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One pull, as the access log keeps it (`GET /api/v1/access-log`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessEntry {
    pub at_ms: i64,
    pub user_id: Uuid,
    pub login: String,
    pub client_id: Uuid,
    pub device: String,
    /// Records sent, by collection.
    pub counts: BTreeMap<String, u64>,
}

/// The longest page of `GET /history`.
pub const MAX_HISTORY_LIMIT: u32 = 200;

/// A pull cursor: the server's epoch and the last version the client has seen. Opaque to the
/// client.
pub fn cursor(epoch: &str, version: u64) -> String {
    format!("{epoch}.{version}")
}

/// The version after which to pull. An empty cursor starts from the beginning; a cursor of
/// another epoch, or one that cannot be read, is `None` (`409 cursor_reset`).
pub fn parse_cursor(cursor: &str, epoch: &str) -> Option<u64> {
    if cursor.is_empty() {
        return Some(0);
    }
    let (e, v) = cursor.rsplit_once('.')?;
    if e != epoch {
        return None;
    }
    v.parse().ok()
}

/// A record's field HLCs with the one most of them share kept once, under the key `""`, and
/// `""` in place of it for each field (no field is named `""`). Fields written together share
/// an HLC of ~55 characters, so a contact's map shrinks from ~1 KB to ~300 bytes. A phone's
/// store keeps this form, and a pull sends it to an app that asks (`compact=true`,
/// docs/protocol.md); maps without the key `""` read as they are.
pub mod shared_hlcs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// The HLC most fields of `map` share, if two or more do (a map that already names a
    /// field `""`, never a record's, has none: it is left as it is).
    fn shared_of<S: AsRef<str> + Ord>(map: &BTreeMap<S, S>) -> Option<&str> {
        // A record has a handful of distinct HLCs: a list beats a map here (a page of 2,000).
        let mut counts: Vec<(&str, usize)> = Vec::with_capacity(4);
        for hlc in map.values().map(AsRef::as_ref) {
            match counts.iter_mut().find(|(h, _)| *h == hlc) {
                Some((_, n)) => *n += 1,
                None => counts.push((hlc, 1)),
            }
        }
        let (shared, n) = counts.into_iter().rev().max_by_key(|(_, n)| *n)?;
        // `""` sorts first.
        let named_empty = map.keys().next().is_some_and(|k| k.as_ref().is_empty());
        (n > 1 && !named_empty).then_some(shared)
    }

    /// The shared form of `map` (as it is when no two fields share an HLC).
    pub fn compact<S: AsRef<str> + Ord>(map: &BTreeMap<S, S>) -> BTreeMap<&str, &str> {
        let shared = shared_of(map);
        let mut out: BTreeMap<&str, &str> =
            map.iter().map(|(k, v)| (k.as_ref(), if Some(v.as_ref()) == shared { "" } else { v.as_ref() })).collect();
        if let Some(shared) = shared {
            out.insert("", shared);
        }
        out
    }

    /// Every field's HLC again, from either form.
    pub fn expand(map: &mut BTreeMap<String, String>) {
        if let Some(shared) = map.remove("") {
            for v in map.values_mut().filter(|v| v.is_empty()) {
                v.clone_from(&shared);
            }
        }
    }

    /// A field's HLC, in either form.
    pub fn get<'a>(map: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
        match map.get(name)?.as_str() {
            "" => map.get("").map(String::as_str),
            own => Some(own),
        }
    }

    /// How many fields have an HLC, in either form.
    pub fn fields(map: &BTreeMap<String, String>) -> usize {
        map.len() - usize::from(map.contains_key(""))
    }

    /// `#[serde(with = "shared_hlcs")]`: written shared, read from either form.
    pub fn serialize<S: Serializer>(map: &BTreeMap<String, String>, s: S) -> Result<S::Ok, S::Error> {
        let Some(shared) = shared_of(map) else { return map.serialize(s) };
        // Written as `compact` makes it (`""` sorts first), without building it.
        let fields = map.iter().map(|(k, v)| (k.as_str(), if v == shared { "" } else { v.as_str() }));
        s.collect_map(std::iter::once(("", shared)).chain(fields))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
        let mut map = BTreeMap::<String, String>::deserialize(d)?;
        expand(&mut map);
        Ok(map)
    }

    #[cfg(test)]
    mod tests {
        use std::collections::BTreeMap;

        use proptest::prelude::*;

        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Held(#[serde(with = "super")] BTreeMap<String, String>);

        fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        }

        #[test]
        fn the_shared_hlc_is_kept_once_and_every_map_reads_back_as_it_was() {
            let (a, b) = ("1767225600000-0000-aaaa", "1767225600001-0000-bbbb");
            let together = map(&[("notes", a), ("headcount", a), ("gender", a), ("at", b)]);
            let text = serde_json::to_string(&Held(together.clone())).unwrap();
            assert_eq!(text.matches(a).count(), 1, "{text}");
            assert_eq!(serde_json::from_str::<Held>(&text).unwrap().0, together);
            for m in [map(&[]), map(&[("notes", a)]), map(&[("notes", a), ("at", b)])] {
                let text = serde_json::to_string(&Held(m.clone())).unwrap();
                assert!(!text.contains(r#""""#), "nothing shared, nothing compacted: {text}");
                assert_eq!(serde_json::from_str::<Held>(&text).unwrap().0, m, "{text}");
            }
            // As stored before (and as a pull sends it to an app that does not ask): every
            // field with its own HLC.
            let old = format!(r#"{{"notes":"{a}","at":"{b}"}}"#);
            assert_eq!(serde_json::from_str::<Held>(&old).unwrap().0, map(&[("notes", a), ("at", b)]));
        }

        proptest! {
            /// Any map of fields (never named `""`) to non-empty HLCs comes back as it was, and
            /// the shared form is never longer.
            #[test]
            fn every_map_comes_back_as_it_was(
                m in prop::collection::btree_map("[a-z_]{1,12}", prop::sample::select(vec![
                    "1767225600000-0000-aaaa".to_string(), "1767225600001-0000-bbbb".to_string(),
                    "1767225600002-0001-cccc".to_string()]), 0..20)
            ) {
                let shared = super::compact(&m);
                let mut back: BTreeMap<String, String> =
                    shared.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                super::expand(&mut back);
                prop_assert_eq!(&back, &m);
                let full = serde_json::to_string(&m).unwrap().len();
                prop_assert!(serde_json::to_string(&shared).unwrap().len() <= full);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_wire_shapes_are_the_spec_s() {
        let r = PushResponse {
            last_mutation_id: 18,
            results: vec![
                MutationResult { mid: 17, status: Status::Applied, error: None, message: None },
                MutationResult { mid: 18, status: Status::Rejected, error: Some("forbidden".into()), message: None },
            ],
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"last_mutation_id": 18, "results": [{"mid": 17, "status": "applied"},
                   {"mid": 18, "status": "rejected", "error": "forbidden"}]})
        );
        let u: User = serde_json::from_value(json!({"id": Uuid::nil(), "login": "ala", "display_name": "Ala",
            "role": "streetworker", "org_id": Uuid::nil()}))
        .unwrap();
        assert_eq!(u.role, Role::Streetworker);
    }

    #[test]
    fn cursors_name_their_epoch() {
        assert_eq!(parse_cursor("", "e1"), Some(0));
        assert_eq!(parse_cursor(&cursor("e1", 42), "e1"), Some(42));
        assert_eq!(parse_cursor(&cursor("e1", 42), "e2"), None);
        assert_eq!(parse_cursor("garbage", "e1"), None);
        assert_eq!(parse_cursor("e1.x", "e1"), None);
    }

    /// A change's record read from the text that came is the record read from its map, for
    /// every record of the fixture, and the odd shapes a server could send read the same way.
    #[test]
    fn a_record_read_from_the_text_of_its_fields_is_the_one_read_from_the_map() {
        fn both<T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
            records: &[T],
            id: impl Fn(&T) -> Uuid,
        ) {
            for r in records {
                let change = Change {
                    collection: "x".into(),
                    id: id(r),
                    fields: crate::protocol::fields_of(r),
                    field_hlcs: BTreeMap::new(),
                    deleted: false,
                    deleted_hlc: String::new(),
                    version: 1,
                    purged: false,
                };
                let from_map: Option<T> = change.record();
                assert_eq!(from_map.as_ref(), Some(r));
                assert_eq!(change.clone().with_raw_fields().record::<T>(), from_map);
            }
        }
        let d = crate::fixture::sopot_summer_2021();
        both(&d.contacts, |c| c.id);
        both(&d.patrols, |p| p.id);
        both(&d.sites, |s| s.id);
        let raw = |text: &str| -> Box<serde_json::value::RawValue> { serde_json::from_str(text).unwrap() };
        let id = Uuid::from_u128(7);
        #[derive(Debug, PartialEq, serde::Deserialize)]
        struct Only {
            id: Uuid,
            #[serde(default)]
            n: u32,
        }
        assert_eq!(raw("{}").record::<Only>(id), Some(Only { id, n: 0 }));
        assert_eq!(raw(" { } ").record::<Only>(id), Some(Only { id, n: 0 }));
        assert_eq!(raw(r#"{ "n" : 3 }"#).record::<Only>(id), Some(Only { id, n: 3 }));
        // An id among the fields: the change's own id wins, as on the map's way.
        let other = Uuid::from_u128(9);
        assert_eq!(raw(&format!(r#"{{"id":"{other}","n":1}}"#)).record::<Only>(id), Some(Only { id, n: 1 }));
        assert_eq!(raw("[1]").record::<Only>(id), None);
        assert_eq!(raw(r#"{"n":"three"}"#).record::<Only>(id), None);
        assert!(raw(" {} ").is_empty() && !raw(r#"{"n":1}"#).is_empty());
    }
}
