//! The rules a push is admitted by, the same on the server and the phone: the collections and
//! who may read, write and delete them (the role table of docs/protocol.md), the field checks,
//! and the per-field last-writer-wins merge.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::hlc::Hlc;
use crate::protocol::{Mutation, Op, Record};
use crate::sync::{Role, MAX_CLOCK_AHEAD_MS};

/// What a role may do with a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    None,
    Read,
    Write,
}

/// Why a mutation can never be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: &'static str,
    pub message: String,
}

impl Rejection {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Rejection { code, message: message.into() }
    }
}

type CheckFn = fn(Uuid, &Map<String, Value>) -> Result<(), Rejection>;
type WindowFn = fn(&Map<String, Value>) -> Option<i64>;

/// A collection: its name and who may read and write it. A new collection is one entry in
/// [`COLLECTIONS`], one in [`TYPED`] and a [`Record`] implementation — no new plumbing.
pub struct Collection {
    pub name: &'static str,
    /// Access per role, in the order of `Role::ALL`.
    access: [Access; 5],
    /// Who may delete and restore records (of those who may write), in the order of `Role::ALL`.
    deletes: [bool; 5],
}

impl Collection {
    fn index(role: Role) -> usize {
        Role::ALL.iter().position(|r| *r == role).unwrap_or(0)
    }

    pub fn access(&self, role: Role) -> Access {
        self.access[Self::index(role)]
    }

    pub fn may_delete(&self, role: Role) -> bool {
        self.access(role) == Access::Write && self.deletes[Self::index(role)]
    }
}

/// [`Record::window_ms`] of stored fields read as `T`; `None` when they do not read as one.
fn window<T: Record>(fields: &Map<String, Value>) -> Option<i64> {
    crate::protocol::record_of::<T>(fields.clone(), Uuid::nil())?.window_ms()
}

fn check<T: Record>(id: Uuid, candidate: &Map<String, Value>) -> Result<(), Rejection> {
    let record: T = crate::protocol::read_record(candidate.clone(), id.to_string())
        .map_err(|e| Rejection::new("invalid", format!("{}: {e}", T::COLLECTION)))?;
    record.validate().map_err(|e| Rejection::new("invalid", e.to_string()))
}

use Access::{None as No, Read as R, Write as W};

/// Every collection of v1 this server knows. Access order: admin, coordinator, streetworker,
/// partner, facility. Partners see the map of places and file reports; they never read contacts
/// or patrols. A facility's staff read the directory and the holds made at their own facility
/// ([`row_scoped`]) and write only its free beds and their holds' answers.
pub static COLLECTIONS: &[Collection] = &[
    Collection { name: crate::protocol::PATROLS, access: [W, W, W, No, No], deletes: [true, true, true, false, false] },
    Collection {
        name: crate::protocol::CONTACTS,
        access: [W, W, W, No, No],
        deletes: [true, true, true, false, false],
    },
    // The shared map: every worker keeps it current; deleting (and merging) a place is the
    // coordinator's.
    Collection { name: crate::protocol::SITES, access: [W, W, W, R, No], deletes: [true, true, false, false, false] },
    Collection { name: crate::protocol::REPORTS, access: [W, W, W, W, No], deletes: [true, true, false, false, false] },
    // Akcja ZIMA: the coordinator sets the threshold and the night's forecast (every device
    // shows the banner) and plans the runs; the team records each stop.
    Collection {
        name: crate::protocol::ZIMA_SETTINGS,
        access: [W, W, R, R, No],
        deletes: [false, false, false, false, false],
    },
    Collection {
        name: crate::protocol::FORECASTS,
        access: [W, W, R, R, No],
        deletes: [true, true, false, false, false],
    },
    Collection {
        name: crate::protocol::MEAL_RUNS,
        access: [W, W, W, No, No],
        deletes: [true, true, false, false, false],
    },
    Collection {
        name: crate::protocol::MEAL_RUN_STOPS,
        access: [W, W, W, No, No],
        deletes: [true, true, false, false, false],
    },
    // Count night: the coordinator prepares the count (sectors, teams, questionnaire); the
    // teams' phones read it and record their visits and questionnaires. A partner agency's
    // officer walks with a team, on the team's phone.
    Collection { name: crate::protocol::COUNTS, access: [W, W, R, No, No], deletes: [true, true, false, false, false] },
    Collection {
        name: crate::protocol::COUNT_VISITS,
        access: [W, W, W, No, No],
        deletes: [true, true, false, false, false],
    },
    Collection {
        name: crate::protocol::COUNT_PEOPLE,
        access: [W, W, W, No, No],
        // A questionnaire recorded twice by mistake is taken back at once, by the team.
        deletes: [true, true, true, false, false],
    },
    // The aid-facility directory: kept by coordinators, read by every phone (the bed finder
    // works offline); a facility's staff write its free beds.
    Collection {
        name: crate::protocol::FACILITIES,
        access: [W, W, R, No, W],
        deletes: [true, true, false, false, false],
    },
    // A streetworker holds a bed; the facility marks the person arrived or not.
    Collection {
        name: crate::protocol::BED_HOLDS,
        access: [W, W, W, No, W],
        deletes: [true, true, false, false, false],
    },
];

/// A collection's record type, as the two things the rules need of it: the field check of a
/// `candidate` (the stored fields with the incoming ones laid over them) and the stored
/// fields' window moment (`crate::window::window_ms`). Kept apart from [`COLLECTIONS`], which
/// the app's first screens read for the roles: the code reading every record type is reached
/// only through this table, so the app's first load holds none of it (issue 18).
pub struct Typed {
    pub name: &'static str,
    pub check: CheckFn,
    pub window: WindowFn,
}

macro_rules! typed {
    ($($name:expr => $t:ty,)*) => {
        &[$(Typed { name: $name, check: check::<$t>, window: window::<$t> },)*]
    };
}

/// Every collection's record type, in the order of [`COLLECTIONS`].
pub static TYPED: &[Typed] = typed! {
    crate::protocol::PATROLS => crate::Patrol,
    crate::protocol::CONTACTS => crate::Contact,
    crate::protocol::SITES => crate::Site,
    crate::protocol::REPORTS => crate::Report,
    crate::protocol::ZIMA_SETTINGS => crate::ZimaSettings,
    crate::protocol::FORECASTS => crate::Forecast,
    crate::protocol::MEAL_RUNS => crate::MealRun,
    crate::protocol::MEAL_RUN_STOPS => crate::MealRunStop,
    crate::protocol::COUNTS => crate::count::Count,
    crate::protocol::COUNT_VISITS => crate::count::CountVisit,
    crate::protocol::COUNT_PEOPLE => crate::count::CountPerson,
    crate::protocol::FACILITIES => crate::facilities::Facility,
    crate::protocol::BED_HOLDS => crate::facilities::BedHold,
};

/// The record type of collection `name`.
pub fn typed(name: &str) -> Option<&'static Typed> {
    TYPED.iter().find(|t| t.name == name)
}

/// Whether `role` reads only some records of `collection` (a facility's staff: the holds made
/// at their facility). A pull sends it only those; whole-collection reads (history) refuse it.
pub fn row_scoped(role: Role, collection: &str) -> bool {
    role == Role::Facility && collection == crate::protocol::BED_HOLDS
}

pub fn collection(name: &str) -> Option<&'static Collection> {
    COLLECTIONS.iter().find(|c| c.name == name)
}

/// Whether `role` may create and change records of `collection` — what the app offers it.
/// An unknown collection is nobody's.
pub fn may_write(role: Role, collection: &str) -> bool {
    self::collection(collection).is_some_and(|c| c.access(role) == Access::Write)
}

/// Whether `role` may delete (and restore) records of `collection`.
pub fn may_delete(role: Role, collection: &str) -> bool {
    self::collection(collection).is_some_and(|c| c.may_delete(role))
}

/// The collections a role may read (what a pull returns to it).
pub fn readable(role: Role) -> Vec<&'static str> {
    COLLECTIONS.iter().filter(|c| c.access(role) >= Access::Read).map(|c| c.name).collect()
}

/// A record as the server keeps it: the fields, each field's winning HLC, and the deleted flag
/// with its own HLC.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RecordState {
    pub fields: Map<String, Value>,
    pub field_hlcs: BTreeMap<String, String>,
    pub deleted: bool,
    #[serde(default)]
    pub deleted_hlc: String,
    /// Deleted longer than the trash keeps records: its fields are erased and it stays a
    /// tombstone for good (no change applies to it any more).
    #[serde(default)]
    pub purged: bool,
}

impl RecordState {
    /// Applies one mutation under per-field last-writer-wins (HLC string order; the HLC ends
    /// in the client id, so it breaks ties). Returns whether anything changed. Applying the same
    /// set of mutations in any order gives the same state.
    pub fn apply(&mut self, op: Op, fields: &Map<String, Value>, hlc: &str) -> bool {
        if self.purged {
            return false;
        }
        match op {
            Op::Upsert => {
                let mut changed = false;
                for (name, value) in fields {
                    if self.field_hlcs.get(name).is_none_or(|h| hlc > h.as_str()) {
                        self.fields.insert(name.clone(), value.clone());
                        self.field_hlcs.insert(name.clone(), hlc.to_owned());
                        changed = true;
                    }
                }
                changed
            }
            Op::Delete | Op::Restore => {
                // A delete may carry the record's fields (a record created and deleted before
                // it was ever pushed arrives already deleted): they merge like an upsert's.
                let mut changed = false;
                if op == Op::Delete && !fields.is_empty() {
                    changed = self.apply(Op::Upsert, fields, hlc);
                }
                if hlc > self.deleted_hlc.as_str() {
                    self.deleted = op == Op::Delete;
                    self.deleted_hlc = hlc.to_owned();
                    true
                } else {
                    changed
                }
            }
        }
    }
}

/// Checks a mutation against the collection rules and the user's role, and returns the fields
/// to merge: those the role may write (`access::writes`; unknown fields dropped). `current` is
/// the record as stored, if it exists; `own` whether the user created it.
pub fn admit(
    role: Role,
    m: &Mutation,
    current: Option<&RecordState>,
    own: bool,
) -> Result<Map<String, Value>, Rejection> {
    let c = collection(&m.collection)
        .ok_or_else(|| Rejection::new("unknown_collection", format!("unknown collection {:?}", m.collection)))?;
    if c.access(role) < Access::Write {
        return Err(Rejection::new("forbidden", format!("a {} may not write {}", role.as_str(), c.name)));
    }
    if m.hlc.parse::<Hlc>().is_err() {
        return Err(Rejection::new("invalid", "malformed hlc"));
    }
    if matches!(m.op, Op::Delete | Op::Restore) && !c.may_delete(role) {
        return Err(Rejection::new("forbidden", format!("a {} may not delete {}", role.as_str(), c.name)));
    }
    if role == Role::Facility && current.is_none() {
        return Err(Rejection::new("forbidden", "a facility account changes only its own facility's records"));
    }
    let own = own || current.is_none();
    if !own && !crate::access::edits_others(role, c.name) {
        return Err(Rejection::new(
            "forbidden",
            format!("a {} may change only the {} they created", role.as_str(), c.name),
        ));
    }
    match m.op {
        Op::Upsert => {
            let mut admitted: Map<String, Value> = m
                .fields
                .iter()
                .filter(|(k, _)| crate::access::writes(role, c.name, k, own))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if current.is_none() {
                admitted.extend(crate::access::initial_fields(role, c.name));
            }
            let mut candidate = current.map(|s| s.fields.clone()).unwrap_or_default();
            candidate.extend(admitted.iter().map(|(k, v)| (k.clone(), v.clone())));
            let t = typed(c.name)
                .ok_or_else(|| Rejection::new("unknown_collection", format!("unknown collection {:?}", c.name)))?;
            (t.check)(m.id, &candidate)?;
            Ok(admitted)
        }
        Op::Delete if !m.fields.is_empty() => {
            let upsert = Mutation { op: Op::Upsert, ..m.clone() };
            admit(role, &upsert, current, own)
        }
        Op::Restore if current.is_some_and(|s| s.purged) => {
            Err(Rejection::new("gone", "deleted longer ago than the trash keeps records: it cannot be restored"))
        }
        Op::Delete | Op::Restore if current.is_none() => {
            Err(Rejection::new("not_found", "delete or restore of a record the server does not have"))
        }
        Op::Delete | Op::Restore => Ok(Map::new()),
    }
}

/// The HLC the server stores for a mutation: one more than 60 s ahead of the server's clock is
/// pulled back to the server's clock, keeping its counter and client id.
pub fn clamp_hlc(hlc: &str, server_now_ms: u64) -> String {
    match hlc.parse::<Hlc>() {
        Ok(h) if h.physical_ms > server_now_ms.saturating_add(MAX_CLOCK_AHEAD_MS) => {
            Hlc { physical_ms: server_now_ms, ..h }.to_string()
        }
        _ => hlc.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::protocol::fields_of;
    use proptest::prelude::*;
    use serde_json::json;

    fn fields(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn every_collection_has_its_record_type_and_no_more() {
        let names: Vec<_> = COLLECTIONS.iter().map(|c| c.name).collect();
        let typed: Vec<_> = TYPED.iter().map(|t| t.name).collect();
        assert_eq!(names, typed);
        // And each entry checks its own type: a contact's fields pass as a contact, not a place.
        let id = Uuid::from_u128(7);
        assert!((typed_check(crate::protocol::CONTACTS))(id, &contact_fields()).is_ok());
        assert!((typed_check(crate::protocol::SITES))(id, &contact_fields()).is_err());
    }

    fn typed_check(name: &str) -> CheckFn {
        super::typed(name).unwrap().check
    }

    fn contact_fields() -> Map<String, Value> {
        let c = Contact::quick(
            Uuid::nil(),
            None,
            chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(365 * 51),
            Err(PositionStatus::Denied),
        );
        fields_of(&c)
    }

    fn upsert(id: Uuid, f: Map<String, Value>) -> Mutation {
        Mutation {
            mid: 1,
            collection: "contacts".into(),
            id,
            op: Op::Upsert,
            hlc: Hlc::zero(Uuid::nil()).tick(5).unwrap().to_string(),
            fields: f,
        }
    }

    #[test]
    fn admit_checks_collection_role_and_fields() {
        let id = Uuid::from_u128(7);
        let ok = upsert(id, contact_fields());
        assert!(admit(Role::Streetworker, &ok, None, true).is_ok());
        assert_eq!(admit(Role::Partner, &ok, None, true).unwrap_err().code, "forbidden");
        let mut unknown = ok.clone();
        unknown.collection = "boats".into();
        assert_eq!(admit(Role::Admin, &unknown, None, true).unwrap_err().code, "unknown_collection");
        let mut bad = contact_fields();
        bad.insert("headcount".into(), json!(100000));
        assert_eq!(admit(Role::Admin, &upsert(id, bad), None, true).unwrap_err().code, "invalid");
        let mut bad_type = contact_fields();
        bad_type.insert("gender".into(), json!("dragon"));
        let r = admit(Role::Admin, &upsert(id, bad_type), None, true).unwrap_err();
        assert_eq!(r.code, "invalid");
        assert!(r.message.contains("dragon"), "{}", r.message);
        let mut pos = contact_fields();
        pos.insert("position".into(), json!({"lat": 91.0, "lon": 19.0, "accuracy_m": 5.0}));
        assert!(admit(Role::Admin, &upsert(id, pos), None, true).unwrap_err().message.contains("lat_range"));
    }

    #[test]
    fn unknown_fields_are_ignored_and_partial_edits_check_against_the_stored_record() {
        let id = Uuid::from_u128(7);
        let mut f = contact_fields();
        f.insert("favourite_colour".into(), json!("blue"));
        let admitted = admit(Role::Streetworker, &upsert(id, f), None, true).unwrap();
        assert!(!admitted.contains_key("favourite_colour"));
        let mut stored = RecordState::default();
        stored.apply(Op::Upsert, &admitted, "a");
        // A partial edit alone would not be a whole contact; laid over the stored one it is.
        let edit = upsert(id, fields(json!({"notes": "koc"})));
        assert_eq!(admit(Role::Streetworker, &edit, Some(&stored), true).unwrap(), fields(json!({"notes": "koc"})));
        assert_eq!(admit(Role::Streetworker, &edit, None, true).unwrap_err().code, "invalid");
        let del = Mutation { op: Op::Delete, fields: Map::new(), ..edit };
        assert_eq!(admit(Role::Streetworker, &del, None, true).unwrap_err().code, "not_found");
        assert!(admit(Role::Streetworker, &del, Some(&stored), true).is_ok());
    }

    #[test]
    fn a_delete_may_carry_the_fields_of_a_record_never_pushed() {
        let id = Uuid::from_u128(9);
        let del = Mutation { op: Op::Delete, ..upsert(id, contact_fields()) };
        let fields = admit(Role::Streetworker, &del, None, true).unwrap();
        let mut s = RecordState::default();
        assert!(s.apply(Op::Delete, &fields, &del.hlc));
        assert!(s.deleted);
        assert_eq!(s.fields, contact_fields());
        let mut bad = contact_fields();
        bad.insert("headcount".into(), json!(0));
        assert_eq!(
            admit(Role::Streetworker, &Mutation { op: Op::Delete, ..upsert(id, bad) }, None, true).unwrap_err().code,
            "invalid"
        );
    }

    #[test]
    fn delete_needs_restore_to_come_back() {
        let mut s = RecordState::default();
        s.apply(Op::Upsert, &fields(json!({"a": 1})), "2");
        assert!(s.apply(Op::Delete, &Map::new(), "3"));
        assert!(s.apply(Op::Upsert, &fields(json!({"a": 2})), "4"));
        assert!(s.deleted, "an upsert of other fields does not undelete");
        assert!(!s.apply(Op::Restore, &Map::new(), "1"), "an older restore loses");
        assert!(s.apply(Op::Restore, &Map::new(), "5"));
        assert!(!s.deleted);
    }

    #[test]
    fn a_clock_far_ahead_is_clamped() {
        let client = Uuid::from_u128(3);
        let now = 1_700_000_000_000u64;
        let ahead = Hlc { physical_ms: now + 3_600_000, counter: 2, client }.to_string();
        assert_eq!(clamp_hlc(&ahead, now), Hlc { physical_ms: now, counter: 2, client }.to_string());
        let near = Hlc { physical_ms: now + 30_000, counter: 0, client }.to_string();
        assert_eq!(clamp_hlc(&near, now), near);
    }

    #[test]
    fn the_role_table() {
        let all = [
            "patrols",
            "contacts",
            "sites",
            "reports",
            "zima_settings",
            "forecasts",
            "meal_runs",
            "meal_run_stops",
            "counts",
            "count_visits",
            "count_people",
            "facilities",
            "bed_holds",
        ];
        assert_eq!(readable(Role::Streetworker), all);
        assert_eq!(readable(Role::Facility), ["facilities", "bed_holds"], "a reception reads the directory and holds");
        assert!(row_scoped(Role::Facility, "bed_holds") && !row_scoped(Role::Streetworker, "bed_holds"));
        assert!(may_write(Role::Facility, "facilities"), "its free beds");
        assert!(!may_delete(Role::Facility, "facilities") && !may_delete(Role::Facility, "bed_holds"));
        assert_eq!(
            readable(Role::Partner),
            vec!["sites", "reports", "zima_settings", "forecasts"],
            "partners never read contacts, patrols or runs; they see the Akcja ZIMA banner"
        );
        let may_write = |name: &str| {
            let c = collection(name).unwrap();
            Role::ALL.iter().filter(|r| c.access(**r) == Access::Write).map(|r| r.as_str()).collect::<Vec<_>>()
        };
        assert_eq!(may_write("forecasts"), ["admin", "coordinator"], "the coordinator declares the night");
        assert_eq!(may_write("zima_settings"), ["admin", "coordinator"]);
        assert_eq!(may_write("meal_run_stops"), ["admin", "coordinator", "streetworker"]);
        assert_eq!(may_write("counts"), ["admin", "coordinator"], "the coordinator prepares the count");
        assert_eq!(may_write("count_people"), ["admin", "coordinator", "streetworker"]);
        assert!(may_delete(Role::Streetworker, "count_people") && !may_delete(Role::Streetworker, "counts"));
        let may_delete = |name: &str| {
            let c = collection(name).unwrap();
            Role::ALL.iter().filter(|r| c.may_delete(**r)).map(|r| r.as_str()).collect::<Vec<_>>()
        };
        assert_eq!(may_delete("contacts"), ["admin", "coordinator", "streetworker"]);
        assert_eq!(may_delete("sites"), ["admin", "coordinator"], "deleting a place is the coordinator's");
        assert_eq!(may_delete("reports"), ["admin", "coordinator"]);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
    }

    #[test]
    fn what_each_role_may_write_and_delete_follows_the_table() {
        use crate::protocol::{CONTACTS, FORECASTS, MEAL_RUNS, PATROLS, REPORTS};
        assert!(may_write(Role::Coordinator, MEAL_RUNS) && may_delete(Role::Coordinator, MEAL_RUNS));
        assert!(may_write(Role::Streetworker, MEAL_RUNS) && !may_delete(Role::Streetworker, MEAL_RUNS));
        for c in [MEAL_RUNS, PATROLS, CONTACTS, FORECASTS] {
            assert!(!may_write(Role::Partner, c), "a partner is never offered {c}");
        }
        assert!(may_write(Role::Partner, REPORTS) && !may_delete(Role::Partner, REPORTS));
        assert!(!may_write(Role::Admin, "no_such_collection") && !may_delete(Role::Admin, "no_such_collection"));
    }

    fn arb_mutation() -> impl Strategy<Value = (Op, Map<String, Value>, String)> {
        let op = prop_oneof![Just(Op::Upsert), Just(Op::Upsert), Just(Op::Delete), Just(Op::Restore)];
        let f = proptest::collection::btree_map("[abc]", 0i64..5, 0..3)
            .prop_map(|m| m.into_iter().map(|(k, v)| (k, json!(v))).collect::<Map<_, _>>());
        (op, f).prop_map(|(op, f)| (op, f, String::new()))
    }

    proptest! {
        /// Convergence: every replica that applies the same mutations, in any order and with
        /// any repetition, ends in the same state.
        #[test]
        fn merge_converges_in_any_order(ms in proptest::collection::vec(arb_mutation(), 0..12), seed in any::<u64>()) {
            // Distinct HLCs, as real mutations have.
            let ms: Vec<_> = ms.into_iter().enumerate().map(|(i, (op, f, _))| (op, f, format!("{i:04}"))).collect();
            let mut in_order = RecordState::default();
            for (op, f, h) in &ms {
                in_order.apply(*op, f, h);
            }
            let mut shuffled = ms.clone();
            let mut x = seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let mut other = RecordState::default();
            for (op, f, h) in shuffled.iter().chain(ms.iter().take(3)) {
                other.apply(*op, f, h);
            }
            prop_assert_eq!(in_order, other);
        }
    }
}
