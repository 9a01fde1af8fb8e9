//! The field-sized window (docs/protocol.md, "The window"): a phone keeps the contacts,
//! patrols, reports and meal runs of the last N days — an organisation setting per role — plus
//! whatever is still open; places and settings stay whole. The server sends a fresh phone only
//! its window, and a phone lets go of what has left it once the server holds it.
//!
//! One rule serves both sides: [`Record::window_ms`] on the phone's typed records, and
//! [`window_ms`] on the server's stored fields (which reads them as the same types).

use serde_json::{Map, Value};

#[cfg(doc)]
use crate::protocol::Record;

use crate::sync::Role;

/// Streetworkers and partners: the weeks the field work needs.
pub const DEFAULT_FIELD_DAYS: u32 = 30;
/// Coordinators and admins: a year's report and the month before it.
pub const DEFAULT_OFFICE_DAYS: u32 = 400;
/// The longest window a setting may give (ten years); `0` means no window: the whole history.
pub const MAX_DAYS: u32 = 3_650;
const DAY_MS: i64 = 86_400_000;

/// The window a role has when the organisation has set none.
pub fn default_days(role: Role) -> u32 {
    match role {
        Role::Admin | Role::Coordinator => DEFAULT_OFFICE_DAYS,
        Role::Streetworker | Role::Partner | Role::Facility => DEFAULT_FIELD_DAYS,
    }
}

/// The first moment inside a window of `days` that ends at `now_ms`; `None` for `0` (no
/// window: everything is kept).
pub fn from_ms(days: u32, now_ms: i64) -> Option<i64> {
    (days > 0).then(|| now_ms.saturating_sub(i64::from(days.min(MAX_DAYS)) * DAY_MS))
}

/// Whether a record whose window moment is `window_ms` belongs on a phone whose window starts
/// at `from` (`None`: no window).
pub fn inside(window_ms: Option<i64>, from: Option<i64>) -> bool {
    match (window_ms, from) {
        (Some(at), Some(from)) => at >= from,
        _ => true,
    }
}

/// [`Record::window_ms`] of a record as the server stores it: its fields read as the
/// collection's type. Fields that do not read as one (an erased or purged record, a
/// collection this version does not know) give `None`: kept, so what a phone holds always
/// hears of it.
pub fn window_ms(collection: &str, fields: &Map<String, Value>) -> Option<i64> {
    if fields.is_empty() {
        return None;
    }
    crate::rules::typed(collection).and_then(|t| (t.window)(fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;
    use crate::protocol::{fields_of, Record, CONTACTS, SITES};
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;
    use uuid::Uuid;

    fn contact(day: u32, follow_up: bool) -> crate::Contact {
        let mut c = crate::Contact::quick(
            Uuid::from_u128(u128::from(day)),
            None,
            Utc.with_ymd_and_hms(2026, 1, day, 22, 0, 0).unwrap(),
            Err(crate::PositionStatus::Unavailable),
        );
        c.follow_up = follow_up;
        c
    }

    #[test]
    fn the_default_windows_are_thirty_days_in_the_field_and_four_hundred_in_the_office() {
        assert_eq!(default_days(Role::Streetworker), 30);
        assert_eq!(default_days(Role::Partner), 30);
        assert_eq!(default_days(Role::Coordinator), 400);
        assert_eq!(default_days(Role::Admin), 400);
        assert_eq!(from_ms(0, 1_000), None, "0: no window");
        assert_eq!(from_ms(1, 2 * DAY_MS), Some(DAY_MS));
        assert_eq!(from_ms(u32::MAX, 0), Some(-i64::from(MAX_DAYS) * DAY_MS), "bounded");
    }

    #[test]
    fn open_work_is_kept_whatever_its_age_and_history_by_its_date() {
        let old = contact(1, false);
        assert_eq!(old.window_ms(), Some(old.at.timestamp_millis()));
        assert_eq!(contact(1, true).window_ms(), None, "marked for follow-up");
        let mut patrol = fixture::sopot_summer_2021().patrols[0].clone();
        patrol.ended_at = None;
        assert_eq!(patrol.window_ms(), None, "a patrol not ended");
        patrol.ended_at = Some(patrol.started_at + chrono::Duration::hours(4));
        assert_eq!(patrol.window_ms(), Some(patrol.started_at.timestamp_millis()));
        let mut report = crate::Report::new(Uuid::from_u128(9), old.at, "ktoś śpi na ławce");
        assert_eq!(report.window_ms(), None, "a new report");
        report.status = crate::ReportStatus::Closed;
        report.outcome = "nikogo".into();
        let checked = old.at + chrono::Duration::days(3);
        report.checked_at = Some(checked);
        assert_eq!(report.window_ms(), Some(checked.timestamp_millis()), "closed: from when it was checked");
    }

    #[test]
    fn the_server_reads_the_same_moment_from_stored_fields() {
        for c in [contact(3, false), contact(4, true)] {
            assert_eq!(window_ms(CONTACTS, &fields_of(&c)), c.window_ms());
        }
        assert_eq!(window_ms(CONTACTS, &Map::new()), None, "purged: kept, so phones hear of it");
        assert_eq!(window_ms(CONTACTS, &serde_json::json!({"at": "nonsense"}).as_object().unwrap().clone()), None);
        assert_eq!(window_ms("whatever", &fields_of(&contact(3, false))), None);
        assert_eq!(window_ms(SITES, &fields_of(&fixture::sopot_summer_2021().sites[0])), None, "places stay whole");
    }

    proptest! {
        #[test]
        fn a_record_is_inside_exactly_when_its_moment_is_not_before_the_window(
            at in -10_000_000_000_000i64..10_000_000_000_000, days in 0u32..5_000, now in 0i64..10_000_000_000_000,
        ) {
            let from = from_ms(days, now);
            prop_assert!(inside(None, from), "open work is always inside");
            prop_assert_eq!(inside(Some(at), from), days == 0 || at >= now - i64::from(days.min(MAX_DAYS)) * DAY_MS);
        }

        #[test]
        fn typed_and_stored_agree_for_any_contact(day in 1u32..29, hour in 0u32..24, follow_up: bool) {
            let mut c = contact(day, follow_up);
            c.at = Utc.with_ymd_and_hms(2026, 2, day, hour, 0, 0).unwrap();
            prop_assert_eq!(window_ms(CONTACTS, &fields_of(&c)), c.window_ms());
        }
    }
}
