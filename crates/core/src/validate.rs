//! Field validation shared by the app (shown at the field) and the server (rejects the
//! mutation). An error names the field and a machine code; the app turns the code into a
//! sentence in the user's language (`err_<code>` in the translation files).

use serde::Serialize;

use crate::model::{
    Contact, Forecast, MealRun, MealRunStop, Patrol, Position, Report, ReportStatus, Site, StopStatus, ZimaSettings,
};

pub const NOTES_MAX_CHARS: usize = 2_000;
pub const PSEUDONYM_MAX_CHARS: usize = 40;
pub const HEADCOUNT_MAX: u32 = 200;
pub const ITEM_COUNT_MAX: u32 = 999;
pub const TEAM_MAX: usize = 12;
pub const NAME_MAX_CHARS: usize = 40;
pub const AREA_MAX_CHARS: usize = 120;
pub const LABEL_MAX_CHARS: usize = 80;
pub const ADDRESS_MAX_CHARS: usize = 200;
pub const SITE_TEXT_MAX_CHARS: usize = 1_000;
/// A position less precise than this is flagged (shown, not refused).
pub const ACCURACY_FLAG_M: f64 = 100.0;

/// Every error code `FieldError::code` can carry; the app has a text for each (`err_<code>`).
pub const CODES: &[&str] = &[
    "headcount_range",
    "notes_too_long",
    "pseudonym_too_long",
    "item_count_range",
    "referral_repeated",
    "lat_range",
    "lon_range",
    "accuracy_range",
    "team_too_large",
    "team_member_invalid",
    "area_too_long",
    "ends_before_start",
    "label_empty",
    "label_too_long",
    "address_too_long",
    "text_too_long",
    "description_empty",
    "place_missing",
    "assignee_missing",
    "outcome_missing",
    "temperature_range",
    "temperature_empty",
    "temperature_not_number",
    "load_invalid",
    "skip_reason_missing",
    "stop_result_on_skip",
    "date_invalid",
    "period_order",
    "period_too_long",
    "date_range",
    "pseudonym_empty",
    "count_name_empty",
    "count_window",
    "sector_name_empty",
    "sector_polygon",
    "sector_repeated",
    "question_incomplete",
    "question_repeated",
    "question_choices",
    "question_kind",
    "answer_unknown_question",
    "answer_not_observable",
    "answer_invalid",
    "count_too_large",
    "questionnaire_unreadable",
    "hours_invalid",
    "beds_range",
    "hold_minutes_range",
    "login_invalid",
    "national_id_in_text",
];

/// The years a date may fall in (inclusive): the work's, with room either side. Past them a
/// date is a typing mistake or an attack (`+262142-12-31` once overflowed the indicators).
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Whether a date's year is in [`YEARS`].
pub fn year_ok(d: impl chrono::Datelike) -> bool {
    YEARS.contains(&d.year())
}

fn check_time(e: &mut Errors, t: Option<chrono::DateTime<chrono::Utc>>, field: &'static str) {
    e.check(t.is_none_or(year_ok), field, "date_range");
}

/// Forecasts and thresholds outside this range (°C) are typing mistakes.
pub const TEMPERATURE_RANGE_C: std::ops::RangeInclusive<f64> = -50.0..=45.0;

/// A temperature as typed on a phone ("-12", "−12,5", " 3 "), or the error code that says
/// what is wrong with it: nothing typed, not a number, or out of range. Tenths are kept.
pub fn temperature(text: &str) -> Result<f64, &'static str> {
    let t = text.trim();
    if t.is_empty() {
        return Err("temperature_empty");
    }
    let n: f64 = t.replace(['−', '–'], "-").replace(',', ".").parse().map_err(|_| "temperature_not_number")?;
    if !n.is_finite() {
        return Err("temperature_not_number");
    }
    if !TEMPERATURE_RANGE_C.contains(&n) {
        return Err("temperature_range");
    }
    Ok((n * 10.0).round() / 10.0)
}

/// A temperature as the app shows it: the typographic minus, tenths only when there are any,
/// a decimal comma in Polish ("−14,5 °C", "−14 °C").
pub fn celsius(t: f64, decimal_comma: bool) -> String {
    let text = if (t * 10.0).round() % 10.0 == 0.0 { format!("{t:.0}") } else { format!("{t:.1}") };
    let text = if decimal_comma { text.replace('.', ",") } else { text };
    format!("{} °C", text.replace('-', "−"))
}
/// A vehicle's load: at most this many lines and this many of each.
pub const LOAD_LINES_MAX: usize = 20;
pub const LOAD_QUANTITY_MAX: u32 = 9_999;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
}

/// Every problem found in a record, not only the first one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid record: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.code)).collect::<Vec<_>>().join(", "))]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn code_for(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.code)
    }
}

/// The problems found so far in a record (used by every check of the domain).
#[derive(Default)]
pub(crate) struct Errors(Vec<FieldError>);

impl Errors {
    pub(crate) fn check(&mut self, ok: bool, field: &'static str, code: &'static str) {
        debug_assert!(CODES.contains(&code), "undeclared error code {code}");
        if !ok {
            self.0.push(FieldError { field, code });
        }
    }

    pub(crate) fn has_any(&self) -> bool {
        !self.0.is_empty()
    }

    pub(crate) fn finish(self) -> Result<(), Invalid> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.0))
        }
    }
}

pub(crate) fn chars(s: &str) -> usize {
    s.chars().count()
}

pub fn position(p: &Position) -> Result<(), Invalid> {
    let mut e = Errors::default();
    check_position(&mut e, p);
    e.finish()
}

pub(crate) fn check_position(e: &mut Errors, p: &Position) {
    e.check(p.lat.is_finite() && (-90.0..=90.0).contains(&p.lat), "lat", "lat_range");
    e.check(p.lon.is_finite() && (-180.0..=180.0).contains(&p.lon), "lon", "lon_range");
    e.check(p.accuracy_m.is_finite() && p.accuracy_m >= 0.0, "accuracy_m", "accuracy_range");
}

/// Whether `text` holds a Polish national identifier: a PESEL (11 digits, a month the number
/// can encode and its check digit right) or an identity card's series and number (`ABC123456`
/// or `ABC 123456`, its check digit right). A person is recorded under a pseudonym only; one
/// such number in the notes undoes that, so the phone's forms refuse it (the check digits keep
/// an ordinary number — a phone number, a count — from being taken for one, but for about one
/// in fifty 11-digit numbers).
pub fn national_id_in(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or(' ');
    let value = |c: char| c.to_digit(36).unwrap_or(0);
    (0..chars.len()).any(|i| {
        let starts = i == 0 || !at(i - 1).is_alphanumeric();
        // A PESEL: 11 digits, no digit either side.
        let pesel = starts && (i..i + 11).all(|j| at(j).is_ascii_digit()) && !at(i + 11).is_alphanumeric() && {
            let d: Vec<u32> = chars[i..i + 11].iter().map(|c| value(*c)).collect();
            let sum: u32 = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3].iter().zip(&d).map(|(w, d)| w * d).sum();
            let month = (d[2] * 10 + d[3]) % 20;
            let day = d[4] * 10 + d[5];
            (10 - sum % 10) % 10 == d[10] && (1..=12).contains(&month) && (1..=31).contains(&day)
        };
        // An identity card: three letters, a space or none, six digits (the first the check).
        let card = starts && (i..i + 3).all(|j| at(j).is_ascii_alphabetic()) && {
            let from = if at(i + 3) == ' ' { i + 4 } else { i + 3 };
            (from..from + 6).all(|j| at(j).is_ascii_digit()) && !at(from + 6).is_alphanumeric() && {
                let v: Vec<u32> = chars[i..i + 3].iter().chain(&chars[from..from + 6]).map(|c| value(*c)).collect();
                let sum: u32 = [7, 3, 1, 0, 7, 3, 1, 7, 3].iter().zip(&v).map(|(w, v)| w * v).sum();
                sum % 10 == v[3]
            }
        };
        pesel || card
    })
}

/// The `national_id_in_text` errors of a form's free-text fields.
pub fn no_national_ids(fields: &[(&'static str, &str)]) -> Vec<FieldError> {
    fields
        .iter()
        .filter(|(_, text)| national_id_in(text))
        .map(|(field, _)| FieldError { field, code: "national_id_in_text" })
        .collect()
}

pub fn contact(c: &Contact) -> Result<(), Invalid> {
    let mut e = Errors::default();
    e.check((1..=HEADCOUNT_MAX).contains(&c.headcount), "headcount", "headcount_range");
    check_time(&mut e, Some(c.at), "at");
    e.check(chars(&c.notes) <= NOTES_MAX_CHARS, "notes", "notes_too_long");
    e.check(chars(&c.pseudonym) <= PSEUDONYM_MAX_CHARS, "pseudonym", "pseudonym_too_long");
    e.check(c.given.values().all(|n| (1..=ITEM_COUNT_MAX).contains(n)), "given", "item_count_range");
    let mut kinds: Vec<_> = c.referrals.iter().map(|r| r.kind).collect();
    crate::order::sort_by(&mut kinds, |a, b| a.cmp(b));
    kinds.dedup();
    e.check(kinds.len() == c.referrals.len(), "referrals", "referral_repeated");
    if let Some(p) = &c.position {
        check_position(&mut e, p);
    }
    e.finish()
}

pub fn patrol(p: &Patrol) -> Result<(), Invalid> {
    let mut e = Errors::default();
    e.check(p.team.len() <= TEAM_MAX, "team", "team_too_large");
    e.check(p.team.iter().all(|m| !m.trim().is_empty() && chars(m) <= NAME_MAX_CHARS), "team", "team_member_invalid");
    check_time(&mut e, Some(p.started_at), "started_at");
    check_time(&mut e, p.ended_at, "ended_at");
    e.check(chars(&p.area) <= AREA_MAX_CHARS, "area", "area_too_long");
    e.check(chars(&p.notes) <= NOTES_MAX_CHARS, "notes", "notes_too_long");
    if let Some(end) = p.ended_at {
        e.check(end >= p.started_at, "ended_at", "ends_before_start");
    }
    e.finish()
}

pub fn site(s: &Site) -> Result<(), Invalid> {
    let mut e = Errors::default();
    e.check(!s.label.trim().is_empty(), "label", "label_empty");
    e.check(chars(&s.label) <= LABEL_MAX_CHARS, "label", "label_too_long");
    check_position(&mut e, &s.position);
    check_time(&mut e, Some(s.created_at), "created_at");
    e.check(chars(&s.address) <= ADDRESS_MAX_CHARS, "address", "address_too_long");
    e.check(chars(&s.access_notes) <= SITE_TEXT_MAX_CHARS, "access_notes", "text_too_long");
    e.check(chars(&s.dangers) <= SITE_TEXT_MAX_CHARS, "dangers", "text_too_long");
    e.check(s.usual_headcount.is_none_or(|n| n <= HEADCOUNT_MAX), "usual_headcount", "headcount_range");
    e.finish()
}

pub fn zima_settings(z: &ZimaSettings) -> Result<(), Invalid> {
    let mut e = Errors::default();
    e.check(TEMPERATURE_RANGE_C.contains(&z.threshold_c), "threshold_c", "temperature_range");
    e.finish()
}

pub fn forecast(f: &Forecast) -> Result<(), Invalid> {
    let mut e = Errors::default();
    e.check(TEMPERATURE_RANGE_C.contains(&f.min_c), "min_c", "temperature_range");
    e.check(year_ok(f.date), "date", "date_range");
    e.finish()
}

pub fn meal_run(r: &MealRun) -> Result<(), Invalid> {
    let mut e = Errors::default();
    e.check(r.team.len() <= TEAM_MAX, "team", "team_too_large");
    e.check(r.team.iter().all(|m| !m.trim().is_empty() && chars(m) <= NAME_MAX_CHARS), "team", "team_member_invalid");
    e.check(year_ok(r.date), "date", "date_range");
    check_time(&mut e, r.started_at, "started_at");
    check_time(&mut e, r.ended_at, "ended_at");
    check_time(&mut e, Some(r.created_at), "created_at");
    e.check(chars(&r.vehicle) <= NAME_MAX_CHARS, "vehicle", "team_member_invalid");
    e.check(!r.depot_label.trim().is_empty(), "depot_label", "label_empty");
    e.check(chars(&r.depot_label) <= LABEL_MAX_CHARS, "depot_label", "label_too_long");
    check_position(&mut e, &r.depot);
    e.check(r.forecast_min_c.is_none_or(|t| TEMPERATURE_RANGE_C.contains(&t)), "forecast_min_c", "temperature_range");
    e.check(
        r.load.len() <= LOAD_LINES_MAX
            && r.load.iter().all(|l| {
                !l.item.trim().is_empty() && chars(&l.item) <= NAME_MAX_CHARS && l.quantity <= LOAD_QUANTITY_MAX
            }),
        "load",
        "load_invalid",
    );
    if let (Some(start), Some(end)) = (r.started_at, r.ended_at) {
        e.check(end >= start, "ended_at", "ends_before_start");
    }
    e.finish()
}

pub fn meal_run_stop(s: &MealRunStop) -> Result<(), Invalid> {
    let mut e = Errors::default();
    e.check(!s.label.trim().is_empty(), "label", "label_empty");
    e.check(chars(&s.label) <= LABEL_MAX_CHARS, "label", "label_too_long");
    check_position(&mut e, &s.position);
    e.check(s.people_found <= HEADCOUNT_MAX, "people_found", "headcount_range");
    check_time(&mut e, s.done_at, "done_at");
    e.check(s.given.values().all(|n| *n <= ITEM_COUNT_MAX), "given", "item_count_range");
    e.check(chars(&s.notes) <= NOTES_MAX_CHARS, "notes", "notes_too_long");
    e.check(chars(&s.skip_reason) <= AREA_MAX_CHARS, "skip_reason", "text_too_long");
    e.check(s.status != StopStatus::Skipped || !s.skip_reason.trim().is_empty(), "skip_reason", "skip_reason_missing");
    e.check(
        s.status != StopStatus::Skipped || (s.people_found == 0 && s.given.values().all(|n| *n == 0)),
        "people_found",
        "stop_result_on_skip",
    );
    e.finish()
}

pub fn report(r: &Report) -> Result<(), Invalid> {
    let mut e = Errors::default();
    e.check(!r.description.trim().is_empty(), "description", "description_empty");
    check_time(&mut e, Some(r.received_at), "received_at");
    check_time(&mut e, r.checked_at, "checked_at");
    e.check(chars(&r.description) <= NOTES_MAX_CHARS, "description", "notes_too_long");
    e.check(r.site_id.is_some() || r.position.is_some(), "position", "place_missing");
    e.check(chars(&r.place_note) <= ADDRESS_MAX_CHARS, "place_note", "address_too_long");
    e.check(chars(&r.filed_by) <= LABEL_MAX_CHARS, "filed_by", "label_too_long");
    if let Some(p) = &r.position {
        check_position(&mut e, p);
    }
    e.check(chars(&r.assigned_to) <= NAME_MAX_CHARS, "assigned_to", "team_member_invalid");
    e.check(
        r.status != ReportStatus::Assigned || r.assigned_patrol.is_some() || !r.assigned_to.trim().is_empty(),
        "assigned_to",
        "assignee_missing",
    );
    e.check(r.status != ReportStatus::Closed || !r.outcome.trim().is_empty(), "outcome", "outcome_missing");
    e.check(chars(&r.outcome) <= NOTES_MAX_CHARS, "outcome", "notes_too_long");
    e.finish()
}

/// Splits the team field as typed ("Ania, Kuba; Ola") into trimmed, non-empty names.
pub fn split_team(input: &str) -> Vec<String> {
    input.split([',', ';', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pesel_or_an_identity_card_number_is_found_in_free_text() {
        for text in [
            "44051401359",
            "PESEL: 44051401359.",
            "ur. 2002, pesel 02270803624 (z MOPS)",
            "dowód ABA300000",
            "dowód aba 300000, ważny",
        ] {
            assert!(national_id_in(text), "{text}");
        }
        for text in [
            "",
            "Pan Janek spod wiaduktu, prosi o śpiwór",
            "44051401358",
            "440514013591",
            "144051401359",
            "tel. 601 234 567",
            "+48601234567",
            "2026-12-05 23:40, 12 osób",
            "ABA300001",
            "ABAB300000",
            "ABA3000000",
            "44001401359",
        ] {
            assert!(!national_id_in(text), "{text}");
        }
        assert_eq!(
            no_national_ids(&[("pseudonym", "Rudy"), ("notes", "PESEL 44051401359")]),
            vec![FieldError { field: "notes", code: "national_id_in_text" }]
        );
    }

    proptest::proptest! {
        /// Any PESEL with its right check digit is found, wherever it stands in the notes, and
        /// the same number with any other check digit is not.
        #[test]
        fn every_pesel_is_found_and_a_wrong_check_digit_is_not(
            year in 0u32..100, month in 1u32..=12, century in 0u32..5, day in 1u32..=31, serial in 0u32..10_000,
            before in "[a-ząż ,.:]{0,12}", after in "[ a-ząż,.]{0,12}"
        ) {
            let ten = format!("{year:02}{:02}{day:02}{serial:04}", month + 20 * century);
            let digits: Vec<u32> = ten.chars().map(|c| c.to_digit(10).unwrap()).collect();
            let sum: u32 = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3].iter().zip(&digits).map(|(w, d)| w * d).sum();
            let check = (10 - sum % 10) % 10;
            let spaced = |s: &str| if s.is_empty() { String::new() } else { format!("{s} ") };
            let text = |c: u32| format!("{}{ten}{c} {after}", spaced(&before));
            proptest::prop_assert!(national_id_in(&text(check)));
            for wrong in (0..10).filter(|c| *c != check) {
                proptest::prop_assert!(!national_id_in(&text(wrong)));
            }
        }
    }

    #[test]
    fn a_typed_temperature_is_read_or_named_wrong() {
        assert_eq!(temperature("-12"), Ok(-12.0));
        assert_eq!(temperature("−14,5"), Ok(-14.5));
        assert_eq!(temperature(" 3 "), Ok(3.0));
        assert_eq!(temperature(""), Err("temperature_empty"));
        assert_eq!(temperature("  "), Err("temperature_empty"));
        assert_eq!(temperature("zimno"), Err("temperature_not_number"));
        assert_eq!(temperature("NaN"), Err("temperature_not_number"));
        assert_eq!(temperature("inf"), Err("temperature_not_number"));
        assert_eq!(temperature("-80"), Err("temperature_range"));
        assert_eq!(celsius(-14.5, true), "−14,5 °C");
        assert_eq!(celsius(-14.5, false), "−14.5 °C");
        assert_eq!(celsius(-14.0, true), "−14 °C");
        assert_eq!(celsius(3.0, true), "3 °C");
    }
    use crate::model::*;
    use chrono::{Duration, TimeZone, Utc};
    use proptest::prelude::*;
    use uuid::Uuid;

    fn contact_with(f: impl FnOnce(&mut Contact)) -> Contact {
        let mut c = Contact::quick(
            Uuid::nil(),
            None,
            Utc.with_ymd_and_hms(2026, 1, 10, 23, 0, 0).unwrap(),
            Err(PositionStatus::Unavailable),
        );
        f(&mut c);
        c
    }

    #[test]
    fn quick_contact_is_valid() {
        assert_eq!(contact(&contact_with(|_| {})), Ok(()));
    }

    #[test]
    fn notes_limit_counts_characters_not_bytes() {
        // 2,000 Polish letters are 4,000 bytes and still allowed.
        let ok = contact_with(|c| c.notes = "ż".repeat(NOTES_MAX_CHARS));
        assert_eq!(contact(&ok), Ok(()));
        let long = contact_with(|c| c.notes = "a".repeat(NOTES_MAX_CHARS + 1));
        assert_eq!(contact(&long).unwrap_err().code_for("notes"), Some("notes_too_long"));
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let bad = contact_with(|c| {
            c.headcount = 0;
            c.given.insert(Item::Blanket, 0);
            c.position = Some(Position { lat: 91.0, lon: -181.0, accuracy_m: f64::NAN });
        });
        let err = contact(&bad).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["headcount", "given", "lat", "lon", "accuracy_m"]);
    }

    #[test]
    fn a_referral_kind_is_recorded_once() {
        let r = Referral { kind: ReferralKind::Shelter, outcome: ReferralOutcome::Pending };
        let bad = contact_with(|c| c.referrals = vec![r, r]);
        assert_eq!(contact(&bad).unwrap_err().code_for("referrals"), Some("referral_repeated"));
    }

    #[test]
    fn patrol_crossing_midnight_is_valid_but_not_ending_before_start() {
        let start = Utc.with_ymd_and_hms(2026, 1, 10, 22, 0, 0).unwrap();
        let mut p = Patrol {
            id: Uuid::nil(),
            kind: PatrolKind::NightPatrol,
            team: split_team("Ania, Kuba;  "),
            partner: Some(PartnerAgency::CityGuard),
            area: "Dworzec".into(),
            started_at: start,
            ended_at: Some(start + Duration::hours(5)),
            notes: String::new(),
            started_by: None,
        };
        assert_eq!(p.team, ["Ania", "Kuba"]);
        assert_eq!(patrol(&p), Ok(()));
        p.ended_at = Some(start - Duration::minutes(1));
        assert_eq!(patrol(&p).unwrap_err().code_for("ended_at"), Some("ends_before_start"));
    }

    fn a_site() -> Site {
        let at = Position { lat: 54.44, lon: 18.56, accuracy_m: 8.0 };
        let created = Utc.with_ymd_and_hms(2026, 1, 10, 22, 0, 0).unwrap();
        Site {
            address: "ROD Bursztyn, alejka 3".into(),
            dangers: "pies".into(),
            usual_headcount: Some(2),
            ..Site::new(Uuid::nil(), "Altanka przy torach", SiteKind::AllotmentShed, at, created)
        }
    }

    #[test]
    fn a_place_needs_a_label_and_a_position_on_earth() {
        assert_eq!(site(&a_site()), Ok(()));
        let mut bad = a_site();
        bad.label = "   ".into();
        bad.position = Position { lat: -91.0, lon: 181.0, accuracy_m: 5.0 };
        bad.address = "a".repeat(ADDRESS_MAX_CHARS + 1);
        let err = site(&bad).unwrap_err();
        assert_eq!(
            err.0.iter().map(|e| (e.field, e.code)).collect::<Vec<_>>(),
            [("label", "label_empty"), ("lat", "lat_range"), ("lon", "lon_range"), ("address", "address_too_long")]
        );
        bad = a_site();
        bad.label = "ł".repeat(LABEL_MAX_CHARS + 1);
        assert_eq!(site(&bad).unwrap_err().code_for("label"), Some("label_too_long"));
        // An unknown type is not a place at all.
        let mut v = serde_json::to_value(a_site()).unwrap();
        v["kind"] = "castle".into();
        assert!(serde_json::from_value::<Site>(v).is_err());
    }

    #[test]
    fn a_report_says_where_and_what_and_is_closed_with_an_outcome() {
        let received = Utc.with_ymd_and_hms(2026, 1, 10, 22, 0, 0).unwrap();
        let mut r =
            Report { urgency: Urgency::Urgent, ..Report::new(Uuid::nil(), received, "Mężczyzna śpi na przystanku") };
        assert_eq!(report(&r).unwrap_err().code_for("position"), Some("place_missing"));
        r.site_id = Some(Uuid::from_u128(1));
        assert_eq!(report(&r), Ok(()));
        r.status = ReportStatus::Assigned;
        assert_eq!(report(&r).unwrap_err().code_for("assigned_to"), Some("assignee_missing"));
        r.assigned_to = "Ania".into();
        r.status = ReportStatus::Closed;
        assert_eq!(report(&r).unwrap_err().code_for("outcome"), Some("outcome_missing"));
        r.outcome = "Przewieziony do noclegowni".into();
        assert_eq!(report(&r), Ok(()));
    }

    proptest! {
        #[test]
        fn positions_are_valid_exactly_inside_the_ranges(lat in -200.0f64..200.0, lon in -400.0f64..400.0, acc in -10.0f64..5000.0) {
            let ok = (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) && acc >= 0.0;
            prop_assert_eq!(position(&Position { lat, lon, accuracy_m: acc }).is_ok(), ok);
        }

        #[test]
        fn notes_are_valid_exactly_up_to_the_limit(n in 0usize..2100) {
            let c = contact_with(|c| c.notes = "ł".repeat(n));
            prop_assert_eq!(contact(&c).is_ok(), n <= NOTES_MAX_CHARS);
        }
    }

    #[test]
    fn akcja_zima_records_refuse_typing_mistakes() {
        use chrono::NaiveDate;
        let night = NaiveDate::from_ymd_opt(2026, 1, 14).unwrap();
        assert_eq!(forecast(&Forecast::new(night, -14.0)), Ok(()));
        assert_eq!(forecast(&Forecast::new(night, -140.0)).unwrap_err().code_for("min_c"), Some("temperature_range"));
        assert_eq!(Forecast::id_for(night), Forecast::new(night, 3.0).id, "one record per night");
        assert_ne!(Forecast::id_for(night), Forecast::id_for(night.succ_opt().unwrap()));
        assert!(Forecast::new(night, -10.0).is_zima(-10.0), "at the threshold counts");
        assert!(!Forecast::new(night, -9.5).is_zima(-10.0));
        let bad = ZimaSettings { threshold_c: 99.0, ..ZimaSettings::default_for_org() };
        assert_eq!(zima_settings(&bad).unwrap_err().code_for("threshold_c"), Some("temperature_range"));

        let run = MealRun {
            id: Uuid::nil(),
            date: night,
            forecast_min_c: Some(-14.0),
            team: vec!["Ania".into()],
            vehicle: "Bus MOPS".into(),
            depot_label: "Ogrzewalnia".into(),
            depot: Position { lat: 50.81, lon: 19.12, accuracy_m: 0.0 },
            load: crate::model::default_load(),
            planned_distance_m: 0.0,
            planned_minutes: 0.0,
            started_at: None,
            ended_at: None,
            created_at: Utc.with_ymd_and_hms(2026, 1, 14, 18, 0, 0).unwrap(),
        };
        assert_eq!(meal_run(&run), Ok(()));
        let mut no_depot = run.clone();
        no_depot.depot_label = " ".into();
        no_depot.depot.lat = 95.0;
        let e = meal_run(&no_depot).unwrap_err();
        assert_eq!((e.code_for("depot_label"), e.code_for("lat")), (Some("label_empty"), Some("lat_range")));
        let mut bad_load = run;
        bad_load.load[0].quantity = 100_000;
        assert_eq!(meal_run(&bad_load).unwrap_err().code_for("load"), Some("load_invalid"));
    }

    #[test]
    fn a_stop_is_done_with_its_result_or_skipped_with_a_reason() {
        let place = crate::zima::Candidate {
            site_id: Some(Uuid::from_u128(7)),
            report_id: None,
            label: "Altanki ROD".into(),
            position: Position { lat: 50.8, lon: 19.1, accuracy_m: 0.0 },
            people_last_time: 2,
        };
        let mut stop = MealRunStop { status: StopStatus::Skipped, ..place.to_stop(Uuid::from_u128(1), Uuid::nil(), 1) };
        assert_eq!(meal_run_stop(&stop).unwrap_err().code_for("skip_reason"), Some("skip_reason_missing"));
        stop.skip_reason = "Brama zamknięta".into();
        assert_eq!(meal_run_stop(&stop), Ok(()));
        stop.people_found = 2;
        assert_eq!(meal_run_stop(&stop).unwrap_err().code_for("people_found"), Some("stop_result_on_skip"));

        stop.status = StopStatus::Done;
        stop.given.insert(Item::HotMeal, 2);
        stop.given.insert(Item::Blanket, 0);
        stop.condition = Some(Condition::HypothermiaRisk);
        stop.ambulance_called = true;
        assert_eq!(meal_run_stop(&stop), Ok(()));
        let at = Utc.with_ymd_and_hms(2026, 1, 14, 23, 0, 0).unwrap();
        let c = stop.as_contact(Uuid::from_u128(9), at);
        assert_eq!((c.site_id, c.headcount, c.at), (stop.site_id, 2, at));
        assert_eq!(c.given.get(&Item::HotMeal), Some(&2));
        assert!(!c.given.contains_key(&Item::Blanket), "nothing given is not listed");
        assert_eq!(c.referrals[0].kind, ReferralKind::AmbulanceCalled);
        assert_eq!(contact(&c), Ok(()), "the contact a stop writes is valid");
    }
}
