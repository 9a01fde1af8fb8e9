//! Least privilege, field by field: which fields of which records each role reads (on pull)
//! and writes (on push). One table, failing closed: every role is matched by name (no arm that
//! grants by default), and a field not named for a role is hidden from it. `docs/protocol.md`
//! shows the same table; a test reads it from there and compares every cell.

use serde_json::{Map, Value};

use crate::protocol::{
    BED_HOLDS, CONTACTS, COUNTS, COUNT_PEOPLE, COUNT_VISITS, FACILITIES, FORECASTS, MEAL_RUNS, MEAL_RUN_STOPS, PATROLS,
    REPORTS, SITES, ZIMA_SETTINGS,
};
use crate::sync::{collection, Access, Role};

/// Every field of every collection, as the protocol carries them (a test checks them against
/// the types, so the list cannot drift).
pub const FIELDS: &[(&str, &[&str])] = &[
    (PATROLS, &["area", "ended_at", "kind", "notes", "partner", "started_at", "started_by", "team"]),
    (
        CONTACTS,
        &[
            "age_band",
            "at",
            "condition",
            "follow_up",
            "gender",
            "given",
            "headcount",
            "help_refused",
            "notes",
            "patrol_id",
            "position",
            "position_status",
            "pseudonym",
            "referrals",
            "site_id",
            "sleeping_rough",
        ],
    ),
    (
        SITES,
        &[
            "access_notes",
            "address",
            "created_at",
            "dangers",
            "kind",
            "label",
            "last_visit_at",
            "merged_into",
            "position",
            "status",
            "usual_headcount",
        ],
    ),
    (
        REPORTS,
        &[
            "assigned_patrol",
            "assigned_to",
            "checked_at",
            "contact_id",
            "description",
            "filed_by",
            "outcome",
            "place_note",
            "position",
            "received_at",
            "site_id",
            "source",
            "status",
            "urgency",
        ],
    ),
    (ZIMA_SETTINGS, &["threshold_c"]),
    (FORECASTS, &["date", "min_c"]),
    (
        MEAL_RUNS,
        &[
            "created_at",
            "date",
            "depot",
            "depot_label",
            "ended_at",
            "forecast_min_c",
            "load",
            "planned_distance_m",
            "planned_minutes",
            "started_at",
            "team",
            "vehicle",
        ],
    ),
    (
        MEAL_RUN_STOPS,
        &[
            "ambulance_called",
            "condition",
            "contact_id",
            "done_at",
            "given",
            "label",
            "notes",
            "people_found",
            "position",
            "refused",
            "report_id",
            "run_id",
            "seq",
            "site_id",
            "skip_reason",
            "status",
            "taken_to_shelter",
        ],
    ),
    (COUNTS, &["ends_at", "entered_total", "name", "questionnaire", "sectors", "starts_at"]),
    (COUNT_VISITS, &["at", "count_id", "outcome", "sector_id", "site_id"]),
    (COUNT_PEOPLE, &["answers", "at", "count_id", "observed", "sector_id", "site_id"]),
    (
        FACILITIES,
        &[
            "address",
            "beds_at",
            "capacity",
            "closed_days",
            "conditions",
            "free_beds",
            "hold_minutes",
            "hours",
            "kind",
            "logins",
            "name",
            "operator",
            "phone",
            "position",
            "takes",
        ],
    ),
    (BED_HOLDS, &["contact_id", "facility_id", "held_at", "minutes", "needs", "status", "status_at", "team"]),
];

/// The fields of a collection (none for an unknown one).
pub fn fields(collection: &str) -> &'static [&'static str] {
    FIELDS.iter().find(|(c, _)| *c == collection).map_or(&[], |(_, f)| f)
}

/// Whose records' value of a field a role reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sees {
    /// In every record of the organisation.
    Every,
    /// Only in the records the user created (a partner's own reports).
    Own,
    Never,
}

/// Which records' `field` of `collection` `role` reads.
pub fn sees(role: Role, collection: &str, field: &str) -> Sees {
    if !fields(collection).contains(&field) {
        return Sees::Never;
    }
    let readable = self::collection(collection).is_some_and(|c| c.access(role) >= Access::Read);
    match role {
        Role::Admin | Role::Coordinator | Role::Streetworker => {
            if readable {
                Sees::Every
            } else {
                Sees::Never
            }
        }
        // Police, city guard: the map's safety facts, the status of every report (so that a
        // place is not reported twice), and what they wrote themselves. Never who was assigned,
        // contacts, patrols or a place's visit history.
        Role::Partner => match (collection, field) {
            (SITES, "label" | "kind" | "position" | "status" | "access_notes" | "dangers" | "merged_into") => {
                Sees::Every
            }
            (REPORTS, "received_at" | "source" | "site_id" | "position" | "place_note" | "urgency" | "status") => {
                Sees::Every
            }
            (REPORTS, "filed_by" | "description" | "outcome" | "checked_at") => Sees::Own,
            (ZIMA_SETTINGS, "threshold_c") | (FORECASTS, "date" | "min_c") => Sees::Every,
            _ => Sees::Never,
        },
        // A facility's reception: the directory, and the holds made at its facility (the pull
        // sends only those, `rules::row_scoped`) without the contact they came from.
        Role::Facility => match (collection, field) {
            (FACILITIES, _) => Sees::Every,
            (BED_HOLDS, "contact_id") => Sees::Never,
            (BED_HOLDS, _) => Sees::Every,
            _ => Sees::Never,
        },
    }
}

/// Whether `role` may write `field` of a record of `collection` — its own record (`own`: one
/// it created, or is creating) or another's. Fields it may not write are dropped from its push.
pub fn writes(role: Role, collection: &str, field: &str, own: bool) -> bool {
    if !fields(collection).contains(&field) {
        return false;
    }
    let writable = self::collection(collection).is_some_and(|c| c.access(role) == Access::Write);
    match role {
        Role::Admin | Role::Coordinator | Role::Streetworker => writable,
        Role::Partner => {
            own && matches!(
                (collection, field),
                (
                    REPORTS,
                    "received_at"
                        | "source"
                        | "site_id"
                        | "position"
                        | "place_note"
                        | "filed_by"
                        | "description"
                        | "urgency"
                )
            )
        }
        // `own` for a facility account: the record is its facility, or a hold made there.
        Role::Facility => {
            own && matches!(
                (collection, field),
                (FACILITIES, "free_beds" | "beds_at") | (BED_HOLDS, "status" | "status_at")
            )
        }
    }
}

/// The fields the server sets itself when `role` creates a record of `collection`: a partner's
/// new report starts as the team's other reports do (new, unassigned), whatever its phone sent.
pub fn initial_fields(role: Role, collection: &str) -> Map<String, Value> {
    match (role, collection) {
        (Role::Partner, REPORTS) => serde_json::json!({"status": "new"}).as_object().cloned().unwrap_or_default(),
        (Role::Admin | Role::Coordinator | Role::Streetworker | Role::Partner | Role::Facility, _) => Map::new(),
    }
}

/// Whether `role` may change a record it did not create (`false`: its own records only).
pub fn edits_others(role: Role, collection: &str) -> bool {
    let writable = self::collection(collection).is_some_and(|c| c.access(role) == Access::Write);
    match role {
        Role::Admin | Role::Coordinator | Role::Streetworker => writable,
        Role::Partner | Role::Facility => false,
    }
}

/// The fields of a record as `role` may read them: `own` when the user created it. `None` when
/// every field is visible (the record goes out as stored).
pub fn visible_fields(
    role: Role,
    collection: &str,
    own: bool,
    fields: &Map<String, Value>,
) -> Option<Map<String, Value>> {
    let shown = |name: &str| match sees(role, collection, name) {
        Sees::Every => true,
        Sees::Own => own,
        Sees::Never => false,
    };
    if fields.keys().all(|k| shown(k)) {
        return None;
    }
    Some(fields.iter().filter(|(k, _)| shown(k)).map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// The fields of a deleted record as a pull sends them, and as the end of the trash leaves them:
/// none — except a place merged into another, which stays whole as the link to the survivor
/// (`sites::Redirects`; its fields were merged into the survivor's). `None`: sent as stored.
pub fn tombstone_fields(collection: &str, fields: &Map<String, Value>) -> Option<Map<String, Value>> {
    let merged = collection == SITES && fields.get("merged_into").is_some_and(|v| !v.is_null());
    if merged || fields.is_empty() {
        None
    } else {
        Some(Map::new())
    }
}

/// The table of `docs/protocol.md`: one row per collection and field, one column per role
/// (`R` reads, `W` reads and writes, `W own` writes only in records the user created, `own: R`
/// reads only in those, `–` never).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| collection | field | admin | coordinator | streetworker | partner | facility |\n|---|---|---|---|---|---|---|\n",
    );
    for (collection, names) in FIELDS {
        for field in *names {
            let cells: Vec<&str> = Role::ALL
                .iter()
                .map(|r| {
                    match (
                        sees(*r, collection, field),
                        writes(*r, collection, field, true),
                        writes(*r, collection, field, false),
                    ) {
                        (Sees::Every, _, true) => "W",
                        (Sees::Every, true, false) => "R; W own",
                        (Sees::Own, true, false) => "own: R W",
                        (Sees::Every, false, false) => "R",
                        (Sees::Own, false, _) => "own: R",
                        (Sees::Own, true, true) => "own: R; W",
                        (Sees::Never, _, _) => "–",
                    }
                })
                .collect();
            out.push_str(&format!("| {collection} | {field} | {} |\n", cells.join(" | ")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fields_of;

    #[test]
    fn the_field_lists_are_the_types_fields() {
        let f = crate::fixture::sopot_summer_2021();
        let count = crate::fixture::count_example();
        let actual: Vec<(&str, Vec<String>)> = vec![
            (PATROLS, fields_of(&f.patrols[0]).keys().cloned().collect()),
            (CONTACTS, fields_of(&f.contacts[0]).keys().cloned().collect()),
            (SITES, fields_of(&f.sites[0]).keys().cloned().collect()),
            (REPORTS, fields_of(&f.reports[0]).keys().cloned().collect()),
            (ZIMA_SETTINGS, fields_of(&crate::ZimaSettings::default_for_org()).keys().cloned().collect()),
            (
                FORECASTS,
                fields_of(&crate::Forecast::new(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), 0.0))
                    .keys()
                    .cloned()
                    .collect(),
            ),
            (MEAL_RUNS, fields_of(&f.runs[0]).keys().cloned().collect()),
            (MEAL_RUN_STOPS, fields_of(&f.stops[0]).keys().cloned().collect()),
            (COUNTS, fields_of(&count.count).keys().cloned().collect()),
            (COUNT_VISITS, fields_of(&count.visit).keys().cloned().collect()),
            (COUNT_PEOPLE, fields_of(&count.person).keys().cloned().collect()),
            (FACILITIES, fields_of(&crate::fixture::facility_example()).keys().cloned().collect()),
            (BED_HOLDS, fields_of(&crate::fixture::hold_example()).keys().cloned().collect()),
        ];
        for (c, names) in actual {
            assert_eq!(fields(c), names, "{c}");
        }
        assert_eq!(FIELDS.len(), crate::sync::COLLECTIONS.len());
    }

    /// The table in docs/protocol.md is this one, cell by cell.
    #[test]
    fn the_documented_table_is_the_code_s() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/protocol.md")).unwrap();
        let table = markdown_table();
        if !doc.contains(&table) {
            panic!("docs/protocol.md's role table differs from the code's; it is:\n{table}");
        }
    }

    #[test]
    fn unknown_names_are_nobody_s() {
        for r in Role::ALL {
            assert_eq!(sees(*r, "boats", "label"), Sees::Never);
            assert_eq!(sees(*r, SITES, "favourite_colour"), Sees::Never);
            assert!(!writes(*r, REPORTS, "favourite_colour", true));
        }
    }

    #[test]
    fn a_partner_reads_the_description_and_outcome_of_its_own_reports_only() {
        let all: Map<String, Value> = fields(REPORTS).iter().map(|f| (f.to_string(), Value::Null)).collect();
        let own = visible_fields(Role::Partner, REPORTS, true, &all).unwrap();
        let other = visible_fields(Role::Partner, REPORTS, false, &all).unwrap();
        assert!(own.contains_key("description") && own.contains_key("outcome"));
        assert!(!other.contains_key("description") && !other.contains_key("outcome") && other.contains_key("status"));
        for hidden in ["assigned_to", "assigned_patrol", "contact_id"] {
            assert!(!own.contains_key(hidden), "{hidden}");
        }
        assert_eq!(visible_fields(Role::Coordinator, REPORTS, false, &all), None, "staff read everything");
    }
}
