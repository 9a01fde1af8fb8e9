//! What the server erases, as ordinary changes every phone converges on: a person's pseudonym
//! on request (GDPR art. 17), contacts past the organisation's retention period, and deleted
//! records once the trash has kept them long enough. Plain rules; the server finds the records
//! and writes the results.

use chrono::{DateTime, Months, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::hlc::Hlc;
use crate::model::ReportStatus;
use crate::protocol::{CONTACTS, MEAL_RUN_STOPS, PATROLS, REPORTS};
use crate::sync::RecordState;

/// The fields an anonymised contact loses: who (pseudonym), what was written about them
/// (notes) and exactly where (position). The place link, counts, categories, items and
/// referrals stay, so the indicators stay (but "distinct persons").
pub const ANONYMISED: &[&str] = &["pseudonym", "notes", "position"];
/// The fields an erasure on request removes from every contact with the pseudonym.
pub const ERASED: &[&str] = &["pseudonym", "notes"];
/// Default retention of contacts, in months (an organisation setting; 0 = kept until deleted).
pub const DEFAULT_RETENTION_MONTHS: u32 = 36;
/// Default days a deleted record can be restored (a server setting).
pub const DEFAULT_TRASH_DAYS: u32 = 30;

/// A pseudonym as it is compared: case and spaces ignored.
pub fn pseudonym_key(p: &str) -> String {
    p.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

/// The value an erased field takes: none for a position, a dash for a text a record may not be
/// without (a report's description and outcome, a stop's label), empty for the others.
fn blank(field: &str) -> Value {
    match field {
        "position" => Value::Null,
        "description" | "outcome" | "label" => Value::String(ERASED_TEXT.into()),
        _ => Value::String(String::new()),
    }
}

/// What an erased text that may not be empty reads.
pub const ERASED_TEXT: &str = "—";

/// An HLC of the server's that wins over every field of `state` (so the erasure is the last
/// write of each field it touches), at `now_ms` or just after the newest field.
pub fn server_hlc(state: &RecordState, now_ms: u64) -> String {
    let newest = state.field_hlcs.values().filter_map(|h| h.parse::<Hlc>().ok()).max();
    let h = match newest {
        Some(n) if n.physical_ms >= now_ms => match n.counter.checked_add(1) {
            Some(counter) => Hlc { physical_ms: n.physical_ms, counter, client: Uuid::max() },
            None => Hlc { physical_ms: n.physical_ms + 1, counter: 0, client: Uuid::max() },
        },
        _ => Hlc { physical_ms: now_ms, counter: 0, client: Uuid::max() },
    };
    h.to_string()
}

/// Erases `fields` of a live record as a change at the server's HLC; the names changed (empty
/// when they were blank already).
pub fn erase(state: &mut RecordState, fields: &[&str], now_ms: u64) -> Vec<String> {
    let todo: Map<String, Value> = fields
        .iter()
        .filter(|f| state.fields.get(**f).is_some_and(|v| *v != blank(f)))
        .map(|f| (f.to_string(), blank(f)))
        .collect();
    if todo.is_empty() || state.purged {
        return Vec::new();
    }
    let hlc = server_hlc(state, now_ms);
    state.apply(crate::Op::Upsert, &todo, &hlc);
    todo.into_iter().map(|(k, _)| k).collect()
}

/// Whether a contact carries `pseudonym` (case and spaces ignored; an empty one never matches).
pub fn has_pseudonym(fields: &Map<String, Value>, pseudonym: &str) -> bool {
    let key = pseudonym_key(pseudonym);
    !key.is_empty() && fields.get("pseudonym").and_then(Value::as_str).is_some_and(|p| pseudonym_key(p) == key)
}

/// The moment before which contacts are anonymised, `months` before `now` (`None`: off).
pub fn retention_cutoff(now: DateTime<Utc>, months: u32) -> Option<DateTime<Utc>> {
    if months == 0 {
        return None;
    }
    now.checked_sub_months(Months::new(months))
}

/// Ends a deleted record's time in the trash: only its tombstone stays (`access::tombstone_fields`).
/// `false` when there is nothing to do (live, purged already, or deleted after `cutoff_ms`).
pub fn purge(collection: &str, state: &mut RecordState, cutoff_ms: u64) -> bool {
    let deleted_at = state.deleted_hlc.parse::<Hlc>().map(|h| h.physical_ms).unwrap_or(u64::MAX);
    if !state.deleted || state.purged || deleted_at >= cutoff_ms {
        return false;
    }
    if let Some(kept) = crate::access::tombstone_fields(collection, &state.fields) {
        state.field_hlcs.retain(|k, _| kept.contains_key(k));
        state.fields = kept;
    }
    state.purged = true;
    true
}

/// Whether `collection` holds contacts (what erasure on request touches).
pub fn holds_people(collection: &str) -> bool {
    collection == CONTACTS
}

/// The collections retention looks at: each holds text typed about people or where they slept.
pub const RETAINED: &[&str] = &[CONTACTS, REPORTS, PATROLS, MEAL_RUN_STOPS];

/// Retention of one record of `collection`: when its moment is before `cutoff`, what a person
/// could be recognised by is erased as a change at the server's HLC (the names changed; none
/// when there was nothing left to erase, or it is not yet due):
/// - a contact: pseudonym, notes and exact position (the place link, counts and categories
///   stay for the indicators);
/// - a report no longer open (checked or closed): its description, outcome (a dash) and the caller's landmark; its
///   place stays, as on the map;
/// - a patrol: the team's notes on it;
/// - a meal-run stop: its notes, and the label it took from a report's description.
pub fn anonymise(collection: &str, state: &mut RecordState, cutoff: DateTime<Utc>, now_ms: u64) -> Vec<String> {
    let f = &state.fields;
    let text = |name: &str| f.get(name).and_then(Value::as_str);
    let before = |name: &str| text(name).and_then(|s| DateTime::parse_from_rfc3339(s).ok()).is_some_and(|t| t < cutoff);
    let fields: &[&str] = match collection {
        CONTACTS if before("at") => ANONYMISED,
        REPORTS
            if before("received_at")
                && !text("status").and_then(ReportStatus::parse).is_some_and(ReportStatus::is_open) =>
        {
            &["description", "outcome", "place_note"]
        }
        PATROLS if before("started_at") => &["notes"],
        MEAL_RUN_STOPS if before("done_at") => {
            if f.get("report_id").is_some_and(|r| !r.is_null()) {
                &["notes", "label"]
            } else {
                &["notes"]
            }
        }
        _ => return Vec::new(),
    };
    erase(state, fields, now_ms)
}

/// One contact in a person's copy of their data, with what the server knows around it.
#[derive(Debug, Clone)]
pub struct HeldContact {
    pub contact: crate::model::Contact,
    /// In the trash (deleted, not yet purged): still held, so still in the copy.
    pub deleted: bool,
    /// The name of the place it is linked to.
    pub site: Option<String>,
    /// Beds held for the person from this contact: the facility's name and when.
    pub holds: Vec<(String, DateTime<Utc>)>,
}

/// A person's copy of what the organisation holds about them (GDPR art. 15): every contact
/// recorded with their pseudonym, oldest first, one row each, in words — `word(key)` gives the
/// text of a translation key (`condition_ill`, `item_blanket`…), the key itself when it has
/// none — with the time in Poland. The first row names the columns.
pub fn subject_access_rows(mut held: Vec<HeldContact>, word: impl Fn(&str) -> String) -> Vec<Vec<crate::csv::Cell>> {
    use crate::csv::Cell::{self, Int, Text};
    let when =
        |at: DateTime<Utc>| crate::shown::moment(crate::indicators::poland_time(at), crate::shown::Shown::DateTime);
    let yes_no = |b: bool| word(if b { "yes" } else { "no" });
    let header = [
        "subject_when",
        "subject_place",
        "subject_position",
        "contact_headcount",
        "contact_gender",
        "contact_age",
        "contact_sleeping_rough",
        "contact_condition",
        "contact_given",
        "contact_referrals",
        "contact_help_refused",
        "contact_follow_up",
        "contact_notes",
        "subject_holds",
        "subject_deleted",
    ];
    held.sort_by_key(|h| (h.contact.at, h.contact.id));
    let mut rows = vec![header.iter().map(|k| Text(word(k))).collect::<Vec<Cell>>()];
    for h in held {
        let c = &h.contact;
        let given: Vec<String> = c
            .given
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(item, n)| format!("{} ×{n}", word(&format!("item_{}", item.as_str()))))
            .collect();
        let referrals: Vec<String> = c
            .referrals
            .iter()
            .map(|r| {
                let (kind, outcome) = (word(&format!("referral_{}", r.kind.as_str())), r.outcome.as_str());
                format!("{kind}: {}", word(&format!("outcome_{outcome}")))
            })
            .collect();
        let holds: Vec<String> = h.holds.iter().map(|(name, at)| format!("{name}, {}", when(*at))).collect();
        rows.push(vec![
            Text(when(c.at)),
            Text(h.site.clone().unwrap_or_default()),
            Text(c.position.map(|p| format!("{:.5}, {:.5}", p.lat, p.lon)).unwrap_or_default()),
            Int(i64::from(c.headcount)),
            Text(c.gender.map(|g| word(&format!("gender_{}", g.as_str()))).unwrap_or_default()),
            Text(c.age_band.map(|a| word(&format!("age_{}", a.as_str()))).unwrap_or_default()),
            Text(c.sleeping_rough.map(yes_no).unwrap_or_default()),
            Text(c.condition.map(|x| word(&format!("condition_{}", x.as_str()))).unwrap_or_default()),
            Text(given.join(", ")),
            Text(referrals.join(", ")),
            Text(yes_no(c.help_refused)),
            Text(yes_no(c.follow_up)),
            Text(c.notes.clone()),
            Text(holds.join("; ")),
            Text(if h.deleted { yes_no(true) } else { String::new() }),
        ]);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_s_copy_lists_their_contacts_oldest_first_in_words() {
        use crate::model::{Contact, PositionStatus};
        let at = |d: u32, h: u32| chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, d, h, 0, 0).unwrap();
        let mut later = Contact::quick(Uuid::from_u128(2), None, at(10, 21), Err(PositionStatus::Denied));
        later.notes = "kaszle".into();
        let earlier = Contact::quick(Uuid::from_u128(1), None, at(3, 20), Err(PositionStatus::Denied));
        let held = vec![
            HeldContact {
                contact: later,
                deleted: false,
                site: Some("Dworzec".into()),
                holds: vec![("Noclegownia".into(), at(10, 22))],
            },
            HeldContact { contact: earlier, deleted: true, site: None, holds: vec![] },
        ];
        let rows = subject_access_rows(held, |k| format!("<{k}>"));
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][0], crate::csv::Cell::Text("<subject_when>".into()));
        let text = |r: usize, c: usize| match &rows[r][c] {
            crate::csv::Cell::Text(t) => t.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(
            (text(1, 0), text(1, 14)),
            ("2026-01-03 21:00".into(), "<yes>".into()),
            "oldest first, in Polish time, deleted"
        );
        assert_eq!(
            (text(2, 1), text(2, 12), text(2, 13)),
            ("Dworzec".into(), "kaszle".into(), "Noclegownia, 2026-01-10 23:00".into())
        );
        assert_eq!(text(2, 14), "", "not deleted");
    }
    use crate::protocol::fields_of;
    use crate::Op;
    use serde_json::json;

    fn contact_state(pseudonym: &str, at: &str) -> RecordState {
        let f = crate::fixture::sopot_summer_2021();
        let mut fields = fields_of(&f.contacts[0]);
        fields.insert("pseudonym".into(), json!(pseudonym));
        fields.insert("notes".into(), json!("kaszle, prosi o śpiwór"));
        fields.insert("position".into(), json!({"lat": 54.44, "lon": 18.56, "accuracy_m": 5.0}));
        fields.insert("at".into(), json!(at));
        let mut s = RecordState::default();
        s.apply(
            Op::Upsert,
            &fields,
            &Hlc { physical_ms: 2_000_000_000_000, counter: 3, client: Uuid::nil() }.to_string(),
        );
        s
    }

    #[test]
    fn pseudonyms_match_ignoring_case_and_spaces() {
        let s = contact_state("Pan Janek", "2021-06-01T20:00:00Z");
        assert!(has_pseudonym(&s.fields, " pan  JANEK "));
        assert!(!has_pseudonym(&s.fields, "Janek"));
        assert!(!has_pseudonym(&s.fields, "  "));
    }

    #[test]
    fn an_erasure_wins_over_every_earlier_write_and_keeps_the_counts() {
        let mut s = contact_state("Pan Janek", "2021-06-01T20:00:00Z");
        let before = s.clone();
        // The server's clock is behind a phone's HLC: the erasure still comes after it.
        let changed = erase(&mut s, ANONYMISED, 1_000);
        assert_eq!(changed, ["notes", "position", "pseudonym"]);
        assert_eq!((s.fields["pseudonym"].as_str(), s.fields["notes"].as_str()), (Some(""), Some("")));
        assert!(s.fields["position"].is_null());
        assert_eq!(s.fields["headcount"], before.fields["headcount"]);
        assert_eq!(s.fields["given"], before.fields["given"]);
        for f in ANONYMISED {
            assert!(s.field_hlcs[*f] > before.field_hlcs[*f], "{f}");
        }
        // An older write of the pseudonym (an offline phone) loses to it.
        assert!(!s.apply(
            Op::Upsert,
            &json!({"pseudonym": "Pan Janek"}).as_object().unwrap().clone(),
            &before.field_hlcs["pseudonym"]
        ));
        assert!(erase(&mut s, ANONYMISED, 1_000).is_empty(), "erasing twice changes nothing");
    }

    #[test]
    fn retention_counts_months_back_and_zero_is_off() {
        let now = DateTime::parse_from_rfc3339("2026-12-02T08:00:00Z").unwrap().to_utc();
        let cutoff = retention_cutoff(now, 36).unwrap();
        let mut old = contact_state("a", "2023-12-01T23:00:00Z");
        assert_eq!(anonymise(CONTACTS, &mut old, cutoff, 1_000), ["notes", "position", "pseudonym"]);
        let mut newer = contact_state("a", "2023-12-02T09:00:00Z");
        assert!(anonymise(CONTACTS, &mut newer, cutoff, 1_000).is_empty());
        assert_eq!(retention_cutoff(now, 0), None);
    }

    #[test]
    fn retention_takes_text_about_people_from_reports_patrols_and_stops() {
        let cutoff = DateTime::parse_from_rfc3339("2023-12-01T00:00:00Z").unwrap().to_utc();
        let state = |v: Value| RecordState {
            fields: v.as_object().unwrap().clone(),
            field_hlcs: Default::default(),
            deleted: false,
            deleted_hlc: String::new(),
            purged: false,
        };
        let report = |status: &str, at: &str| {
            state(serde_json::json!({"received_at": at, "status": status, "description": "Pan Janek śpi na ławce",
                "outcome": "w schronisku", "place_note": "za sklepem", "urgency": "urgent"}))
        };
        let mut closed = report("closed", "2021-01-01T00:00:00Z");
        assert_eq!(anonymise(REPORTS, &mut closed, cutoff, 1_000), ["description", "outcome", "place_note"]);
        assert_eq!(closed.fields["description"], ERASED_TEXT, "a report may not be without a description");
        assert_eq!(closed.fields["urgency"], "urgent");
        let mut checked = report("checked", "2021-01-01T00:00:00Z");
        assert_eq!(anonymise(REPORTS, &mut checked, cutoff, 1_000).len(), 3, "checked is no longer open");
        for status in ["new", "assigned"] {
            assert!(
                anonymise(REPORTS, &mut report(status, "2021-01-01T00:00:00Z"), cutoff, 1_000).is_empty(),
                "{status}"
            );
        }
        assert!(anonymise(REPORTS, &mut report("closed", "2024-01-01T00:00:00Z"), cutoff, 1_000).is_empty());
        let mut patrol =
            state(serde_json::json!({"started_at": "2021-01-01T20:00:00Z", "notes": "Pan Janek pod mostem"}));
        assert_eq!(anonymise(PATROLS, &mut patrol, cutoff, 1_000), ["notes"]);
        let stop = |report: Value| {
            state(serde_json::json!({"done_at": "2021-01-01T23:00:00Z", "report_id": report, "label": "Pan Janek",
                "notes": "zmarznięty"}))
        };
        assert_eq!(anonymise(MEAL_RUN_STOPS, &mut stop(Value::Null), cutoff, 1_000), ["notes"], "a place's name stays");
        assert_eq!(anonymise(MEAL_RUN_STOPS, &mut stop(serde_json::json!("r")), cutoff, 1_000), ["label", "notes"]);
        let mut planned = stop(Value::Null);
        planned.fields.insert("done_at".into(), Value::Null);
        assert!(anonymise(MEAL_RUN_STOPS, &mut planned, cutoff, 1_000).is_empty(), "never done: no moment yet");
        assert!(anonymise("sites", &mut patrol, cutoff, 1_000).is_empty(), "places are the map");
    }

    #[test]
    fn the_trash_ends_in_a_tombstone_for_good() {
        let mut s = contact_state("a", "2021-06-01T20:00:00Z");
        let deleted_at = Hlc { physical_ms: 2_000_000_000_100, counter: 0, client: Uuid::nil() }.to_string();
        assert!(!purge(CONTACTS, &mut s, u64::MAX), "a live record stays");
        s.apply(Op::Delete, &Map::new(), &deleted_at);
        assert!(!purge(CONTACTS, &mut s, 2_000_000_000_100), "still in the trash");
        assert!(purge(CONTACTS, &mut s, 2_000_000_000_101));
        assert!(s.fields.is_empty() && s.field_hlcs.is_empty() && s.deleted && s.purged);
        assert!(!s.apply(
            Op::Restore,
            &Map::new(),
            &Hlc { physical_ms: u64::MAX >> 12, counter: 0, client: Uuid::nil() }.to_string()
        ));
        assert!(!s.apply(Op::Upsert, &json!({"notes": "x"}).as_object().unwrap().clone(), "9"));
        // A merged place stays whole: links to it lead to the survivor.
        let mut site = RecordState::default();
        site.apply(
            Op::Upsert,
            &json!({"label": "Altana", "merged_into": Uuid::nil()}).as_object().unwrap().clone(),
            "1",
        );
        site.apply(Op::Delete, &Map::new(), &deleted_at);
        assert!(purge(crate::protocol::SITES, &mut site, u64::MAX));
        assert_eq!(site.fields["label"], "Altana");
    }
}
