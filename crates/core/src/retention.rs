//! What the server erases, as ordinary changes every phone converges on: a person's pseudonym
//! on request (GDPR art. 17), contacts past the organisation's retention period, and deleted
//! records once the trash has kept them long enough. Plain rules; the server finds the records
//! and writes the results.

use chrono::{DateTime, Months, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::hlc::Hlc;
use crate::protocol::CONTACTS;
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

/// The value an erased field takes.
fn blank(field: &str) -> Value {
    match field {
        "position" => Value::Null,
        _ => Value::String(String::new()),
    }
}

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

/// Whether a contact's time (`at`) is before `cutoff`.
pub fn expired(fields: &Map<String, Value>, cutoff: DateTime<Utc>) -> bool {
    fields
        .get("at")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .is_some_and(|at| at < cutoff)
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

/// Whether `collection` holds contacts (what retention and erasure touch).
pub fn holds_people(collection: &str) -> bool {
    collection == CONTACTS
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert!(expired(&contact_state("a", "2023-12-01T23:00:00Z").fields, cutoff));
        assert!(!expired(&contact_state("a", "2023-12-02T09:00:00Z").fields, cutoff));
        assert_eq!(retention_cutoff(now, 0), None);
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
