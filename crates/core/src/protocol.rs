//! Protocol types of docs/protocol.md that the phone already needs offline: the outbox mutation.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Op {
    Upsert,
    Delete,
    Restore,
}

/// One local edit waiting in the outbox, exactly as it will be pushed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mutation {
    /// The phone's own sequence number, from 1: a replayed mutation is answered `duplicate`.
    #[serde(deserialize_with = "integral")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 9_007_199_254_740_991_u64))]
    pub mid: u64,
    /// One of the collections (docs/protocol.md); another is answered `rejected`
    /// (`unknown_collection`) and the rest of the push still applies.
    pub collection: String,
    pub id: Uuid,
    pub op: Op,
    /// `{physical_ms:013}-{counter:04x}-{client_id}`.
    pub hlc: String,
    /// The changed fields (docs/protocol.md gives each collection's).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: Map<String, Value>,
}

/// The largest `mid`: 2^53 − 1, the largest whole number a browser counts exactly.
pub const MAX_MID: u64 = (1 << 53) - 1;

/// Reads a whole number written either way JSON allows: `6875` or `6875.0` (JSON has one number
/// type, and JSON Schema's `integer` takes both). A fraction, a negative number or one past
/// what `T` holds is refused with serde's message.
pub fn integral<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    use serde::de::{Error, Unexpected};
    let n = serde_json::Number::deserialize(d)?;
    let whole = match (n.as_u64(), n.as_f64()) {
        (Some(u), _) => Some(u),
        // 2^53: past it, a float no longer holds every whole number.
        (None, Some(f)) if f.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&f) => Some(f as u64),
        _ => None,
    };
    let unexpected = |n: &serde_json::Number| match n.as_f64() {
        Some(f) => Unexpected::Float(f),
        None => Unexpected::Other("number"),
    };
    match whole {
        Some(u) => {
            T::try_from(u).map_err(|_| D::Error::invalid_value(Unexpected::Unsigned(u), &"a smaller whole number"))
        }
        None => Err(D::Error::invalid_type(unexpected(&n), &"a whole number, 0 or more")),
    }
}

pub const PATROLS: &str = "patrols";
pub const CONTACTS: &str = "contacts";
pub const SITES: &str = "sites";
pub const REPORTS: &str = "reports";
pub const ZIMA_SETTINGS: &str = "zima_settings";
pub const FORECASTS: &str = "forecasts";
pub const MEAL_RUNS: &str = "meal_runs";
pub const MEAL_RUN_STOPS: &str = "meal_run_stops";
pub const COUNTS: &str = "counts";
pub const COUNT_VISITS: &str = "count_visits";
pub const COUNT_PEOPLE: &str = "count_people";
pub const FACILITIES: &str = "facilities";
pub const BED_HOLDS: &str = "bed_holds";

/// A domain type that is synced as a collection of records.
pub trait Record: Serialize + serde::de::DeserializeOwned + Clone + PartialEq {
    /// The collection's name in the protocol.
    const COLLECTION: &'static str;
    /// Whether its records can link to a place (`site_link`).
    const LINKS_PLACE: bool = false;
    fn id(&self) -> Uuid;
    /// The time the record is listed by (milliseconds since the epoch).
    fn sort_ms(&self) -> f64;
    /// The record it belongs to (a contact's patrol), if any.
    fn parent(&self) -> Option<Uuid> {
        None
    }
    /// Field validation, the same on the phone and on the server.
    fn validate(&self) -> Result<(), crate::Invalid>;
    /// Its link to a place on the map, for records that have one (read through
    /// `sites::Redirects`, so a link to a merged place leads to the survivor).
    fn site_link(&mut self) -> Option<&mut Option<Uuid>> {
        None
    }
    /// The moment a phone's field-sized window measures the record's age from (milliseconds
    /// since the epoch); `None`: kept on every phone whatever its age — open work (a patrol
    /// not ended, a contact marked for follow-up, a report not closed) and records that are not
    /// history (places, settings). See [`crate::window`].
    fn window_ms(&self) -> Option<i64> {
        None
    }
    /// A visit to a place this record stands for (the place, when): a contact at a place, a
    /// meal-run stop done there. Saving one raises the place's `last_visit_at` (`Site::visited`).
    fn visit(&self) -> Option<(Uuid, chrono::DateTime<chrono::Utc>)> {
        None
    }
}

/// Noon UTC of a day: the moment a dated record (a forecast, a meal run) stands at.
fn noon_ms(date: chrono::NaiveDate) -> i64 {
    date.and_hms_opt(12, 0, 0).map_or(0, |d| d.and_utc().timestamp_millis())
}

impl Record for crate::Patrol {
    const COLLECTION: &'static str = PATROLS;
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_ms(&self) -> f64 {
        self.started_at.timestamp_millis() as f64
    }
    fn window_ms(&self) -> Option<i64> {
        self.ended_at.map(|_| self.started_at.timestamp_millis())
    }
    fn validate(&self) -> Result<(), crate::Invalid> {
        crate::validate::patrol(self)
    }
}

impl Record for crate::Contact {
    const COLLECTION: &'static str = CONTACTS;
    const LINKS_PLACE: bool = true;
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_ms(&self) -> f64 {
        self.at.timestamp_millis() as f64
    }
    fn window_ms(&self) -> Option<i64> {
        (!self.follow_up).then(|| self.at.timestamp_millis())
    }
    fn parent(&self) -> Option<Uuid> {
        self.patrol_id
    }
    fn site_link(&mut self) -> Option<&mut Option<Uuid>> {
        Some(&mut self.site_id)
    }
    fn visit(&self) -> Option<(Uuid, chrono::DateTime<chrono::Utc>)> {
        Some((self.site_id?, self.at))
    }
    fn validate(&self) -> Result<(), crate::Invalid> {
        crate::validate::contact(self)
    }
}

impl Record for crate::Site {
    const COLLECTION: &'static str = SITES;
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_ms(&self) -> f64 {
        self.created_at.timestamp_millis() as f64
    }
    fn validate(&self) -> Result<(), crate::Invalid> {
        crate::validate::site(self)
    }
}

impl Record for crate::Report {
    const COLLECTION: &'static str = REPORTS;
    const LINKS_PLACE: bool = true;
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_ms(&self) -> f64 {
        self.received_at.timestamp_millis() as f64
    }
    fn window_ms(&self) -> Option<i64> {
        (!self.is_open()).then(|| self.checked_at.unwrap_or(self.received_at).timestamp_millis())
    }
    fn parent(&self) -> Option<Uuid> {
        self.site_id
    }
    fn site_link(&mut self) -> Option<&mut Option<Uuid>> {
        Some(&mut self.site_id)
    }
    fn validate(&self) -> Result<(), crate::Invalid> {
        crate::validate::report(self)
    }
}

impl Record for crate::ZimaSettings {
    const COLLECTION: &'static str = ZIMA_SETTINGS;
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_ms(&self) -> f64 {
        0.0
    }
    fn validate(&self) -> Result<(), crate::Invalid> {
        crate::validate::zima_settings(self)
    }
}

impl Record for crate::Forecast {
    const COLLECTION: &'static str = FORECASTS;
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_ms(&self) -> f64 {
        noon_ms(self.date) as f64
    }
    fn window_ms(&self) -> Option<i64> {
        Some(noon_ms(self.date))
    }
    fn validate(&self) -> Result<(), crate::Invalid> {
        crate::validate::forecast(self)
    }
}

impl Record for crate::MealRun {
    const COLLECTION: &'static str = MEAL_RUNS;
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_ms(&self) -> f64 {
        noon_ms(self.date) as f64
    }
    fn window_ms(&self) -> Option<i64> {
        Some(noon_ms(self.date))
    }
    fn validate(&self) -> Result<(), crate::Invalid> {
        crate::validate::meal_run(self)
    }
}

impl Record for crate::MealRunStop {
    const COLLECTION: &'static str = MEAL_RUN_STOPS;
    const LINKS_PLACE: bool = true;
    fn id(&self) -> Uuid {
        self.id
    }
    /// Stops list in route order (`seq`) within their run.
    fn sort_ms(&self) -> f64 {
        -(self.seq as f64)
    }
    fn parent(&self) -> Option<Uuid> {
        Some(self.run_id)
    }
    fn site_link(&mut self) -> Option<&mut Option<Uuid>> {
        Some(&mut self.site_id)
    }
    fn visit(&self) -> Option<(Uuid, chrono::DateTime<chrono::Utc>)> {
        (self.status == crate::StopStatus::Done).then_some((self.site_id?, self.done_at?))
    }
    fn validate(&self) -> Result<(), crate::Invalid> {
        crate::validate::meal_run_stop(self)
    }
}

// Count night: anonymous by design (no person's name, notes or position), so a count's records
// are kept whole on every phone that reads them (no window): the table and the history of the
// gmina's counts read the same records on the phone as on the server (decision 111).
impl Record for crate::count::Count {
    const COLLECTION: &'static str = COUNTS;
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_ms(&self) -> f64 {
        self.starts_at.timestamp_millis() as f64
    }
    fn validate(&self) -> Result<(), crate::Invalid> {
        crate::count::validate_count(self)
    }
}

impl Record for crate::count::CountVisit {
    const COLLECTION: &'static str = COUNT_VISITS;
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_ms(&self) -> f64 {
        self.at.timestamp_millis() as f64
    }
    fn parent(&self) -> Option<Uuid> {
        Some(self.count_id)
    }
    /// A place found empty or with people was visited; one not accessible was not.
    fn visit(&self) -> Option<(Uuid, chrono::DateTime<chrono::Utc>)> {
        (self.outcome != crate::count::VisitOutcome::NotAccessible).then_some((self.site_id, self.at))
    }
    fn validate(&self) -> Result<(), crate::Invalid> {
        crate::count::validate_visit(self)
    }
}

// The aid-facility directory is kept whole on every phone (no window): the bed finder works
// offline. A bed hold is history from the moment it was made.
impl Record for crate::facilities::Facility {
    const COLLECTION: &'static str = FACILITIES;
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_ms(&self) -> f64 {
        self.beds_at.map_or(0.0, |t| t.timestamp_millis() as f64)
    }
    fn validate(&self) -> Result<(), crate::Invalid> {
        crate::facilities::validate_facility(self)
    }
}

impl Record for crate::facilities::BedHold {
    const COLLECTION: &'static str = BED_HOLDS;
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_ms(&self) -> f64 {
        self.held_at.timestamp_millis() as f64
    }
    fn parent(&self) -> Option<Uuid> {
        Some(self.facility_id)
    }
    fn window_ms(&self) -> Option<i64> {
        Some(self.held_at.timestamp_millis())
    }
    fn validate(&self) -> Result<(), crate::Invalid> {
        crate::facilities::validate_hold(self)
    }
}

impl Record for crate::count::CountPerson {
    const COLLECTION: &'static str = COUNT_PEOPLE;
    const LINKS_PLACE: bool = true;
    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_ms(&self) -> f64 {
        self.at.timestamp_millis() as f64
    }
    fn parent(&self) -> Option<Uuid> {
        Some(self.count_id)
    }
    fn site_link(&mut self) -> Option<&mut Option<Uuid>> {
        Some(&mut self.site_id)
    }
    fn validate(&self) -> Result<(), crate::Invalid> {
        crate::count::validate_person_alone(self)
    }
}

/// The fields of a record as the protocol carries them (everything but `id`).
pub fn fields_of<T: Serialize>(record: &T) -> Map<String, Value> {
    to_json(record).map(fields_of_value).unwrap_or_default()
}

/// [`fields_of`] of a record already written as a JSON value.
pub fn fields_of_value(record: Value) -> Map<String, Value> {
    match record {
        Value::Object(mut m) => {
            m.remove("id");
            m
        }
        _ => Map::new(),
    }
}

/// The fields whose value differs between two versions of a record: an edit pushes only
/// these, so per-field last-writer-wins keeps another worker's edit of another field.
pub fn changed_fields(old: &Map<String, Value>, new: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in new {
        if old.get(k) != Some(v) {
            out.insert(k.clone(), v.clone());
        }
    }
    for k in old.keys() {
        if !new.contains_key(k) {
            out.insert(k.clone(), Value::Null);
        }
    }
    out
}

/// A form's edit laid over the record as it is now: the fields the user changed (from
/// `original`, what the form loaded, to `edited`) over `current`, which may hold edits pulled
/// from other phones since the form opened. `None` when the result is not a valid `T`.
pub fn rebase<T: Record>(original: &T, edited: &T, current: &T) -> Option<T> {
    let mut fields = fields_of(current);
    fields.extend(changed_fields(&fields_of(original), &fields_of(edited)));
    read_record(fields, current.id().to_string()).ok()
}

/// A record from its fields, read back through JSON text rather than from the `Value` itself:
/// the app reads every stored record from text, and one way of reading per type keeps one copy
/// of each type's reading code in the wasm instead of two (decision 50).
pub fn from_fields<T: serde::de::DeserializeOwned>(fields: serde_json::Map<String, Value>) -> Option<T> {
    from_json(&Value::Object(fields)).ok()
}

/// The record `id` whose other fields are `fields` (the protocol carries the id beside them);
/// `None` when they do not read as a `T`.
pub fn record_of<T: serde::de::DeserializeOwned>(fields: serde_json::Map<String, Value>, id: Uuid) -> Option<T> {
    read_record(fields, id.to_string()).ok()
}

/// A record as the server stores it: its fields as JSON text beside its id; `None` when they
/// do not read as a `T`.
pub fn stored_record<T: serde::de::DeserializeOwned>(fields: &str, id: &str) -> Option<T> {
    read_record(serde_json::from_str(fields).ok()?, id.to_owned()).ok()
}

/// The one way a record is read from its fields and its id (through JSON text, as
/// [`from_fields`]): serde's error when they do not read as a `T`.
pub fn read_record<T: serde::de::DeserializeOwned>(
    mut fields: serde_json::Map<String, Value>,
    id: String,
) -> Result<T, serde_json::Error> {
    fields.insert("id".into(), Value::String(id));
    from_json(&Value::Object(fields))
}

/// `serde_json::to_value`, through text: the app writes every record as text, and one way of
/// writing per type keeps one copy of each type's writing code in the wasm instead of two
/// (as [`from_json`] for reading).
pub fn to_json<T: Serialize>(v: &T) -> Result<Value, serde_json::Error> {
    serde_json::from_str(&serde_json::to_string(v)?)
}

/// `serde_json::from_value`, through text (see [`from_fields`]).
pub fn from_json<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, serde_json::Error> {
    // `serde_json::to_string(v)`, not `v.to_string()`: `Display` goes through the formatter,
    // slower in wasm (a phone's first sync converts 22,000 records here); read back with
    // `from_str`, the one reader the app's types are compiled for.
    serde_json::from_str(&serde_json::to_string(v)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    use serde_json::json;

    #[test]
    fn mutation_serializes_as_in_the_spec() {
        let m = Mutation {
            mid: 18,
            collection: "sites".into(),
            id: Uuid::nil(),
            op: Op::Delete,
            hlc: "0001732312345678-0000-x".into(),
            fields: Map::new(),
        };
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"mid": 18, "collection": "sites", "id": Uuid::nil(), "op": "delete", "hlc": "0001732312345678-0000-x"})
        );
    }

    #[test]
    fn a_mid_is_a_whole_number_written_either_way_and_nothing_else() {
        let mid = |v: serde_json::Value| {
            serde_json::from_value::<Mutation>(
                json!({"mid": v, "collection": "sites", "id": Uuid::nil(), "op": "delete", "hlc": ""}),
            )
            .map(|m| m.mid)
            .map_err(|e| e.to_string())
        };
        assert_eq!(mid(json!(6875)), Ok(6875));
        assert_eq!(mid(json!(6875.0)), Ok(6875));
        assert_eq!(mid(json!(u64::MAX)), Ok(u64::MAX));
        for bad in [json!(6875.5), json!(-1), json!(-1.0), json!(1e300), json!("7"), json!(null)] {
            let e = mid(bad.clone()).expect_err(&bad.to_string());
            assert!(e.contains("whole number") || e.contains("invalid type"), "{bad}: {e}");
        }
        let version = |v: serde_json::Value| {
            serde_json::from_value::<crate::sync::PushRequest>(
                json!({"client_id": Uuid::nil(), "schema_version": v, "mutations": []}),
            )
            .map(|p| p.schema_version)
        };
        assert_eq!(version(json!(3.0)).unwrap(), 3);
        let e = version(json!(u64::from(u32::MAX) + 1)).unwrap_err().to_string();
        assert!(e.contains("a smaller whole number"), "{e}");
    }

    #[test]
    fn a_form_edit_keeps_what_others_changed_meanwhile() {
        let original = Contact::quick(Uuid::nil(), None, chrono::DateTime::UNIX_EPOCH, Err(PositionStatus::Denied));
        let mut edited = original.clone();
        edited.notes = "mine".into();
        let mut current = original.clone();
        current.headcount = 3; // pulled from another phone while the form was open
        let rebased = rebase(&original, &edited, &current).unwrap();
        assert_eq!((rebased.notes.as_str(), rebased.headcount), ("mine", 3));
        assert_eq!(rebase(&original, &original, &current).unwrap(), current, "no edit changes nothing");
    }

    #[test]
    fn an_edit_carries_only_what_changed() {
        let mut c = Contact::quick(Uuid::nil(), None, chrono::DateTime::UNIX_EPOCH, Err(PositionStatus::Denied));
        let before = fields_of(&c);
        assert!(!before.contains_key("id"));
        c.notes = "koc".into();
        c.given.insert(Item::Blanket, 1);
        let changed = changed_fields(&before, &fields_of(&c));
        assert_eq!(changed, json!({"notes": "koc", "given": {"blanket": 1}}).as_object().unwrap().clone());
        assert!(changed_fields(&before, &before).is_empty());
    }
}
