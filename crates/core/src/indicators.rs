//! The yearly report's indicators (wskaźniki): one function, [`compute`], run by the server over
//! the organisation's records (`GET /api/v1/indicators`) and by the app offline over the
//! phone's, so both give the same numbers for the same records.
//!
//! The rules every indicator follows (written on the report page and in `docs/indicators.md`):
//! - Only live records are passed in: deleted records never count; an edited record is one
//!   record, counted as it is now.
//! - Dates are calendar days in Poland (Europe/Warsaw, with summer time), inclusive at both ends.
//! - A patrol counts in the period it started, even when it ended after midnight of the last
//!   day or of a month; its contacts count with it. A contact without a patrol counts by its own
//!   time.
//! - "People met" is cumulative (the sum of each contact's headcount), as the reports count.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::{
    Contact, Item, MealRun, MealRunStop, Patrol, PatrolKind, ReferralKind, ReferralOutcome, Report, ReportStatus, Site,
    SiteStatus, StopStatus,
};
use crate::protocol;
use crate::summary::PatrolSummary;
use crate::validate::{FieldError, Invalid};

/// The longest period one table covers (a few years of comparison is plenty; it bounds the
/// chart's months).
pub const MAX_PERIOD_DAYS: i64 = 366 * 10;

/// Referrals that count as a person taken to a shelter (when accepted).
pub const SHELTER_REFERRALS: &[ReferralKind] =
    &[ReferralKind::Shelter, ReferralKind::NightShelter, ReferralKind::WarmingCentre, ReferralKind::WinterPoint];

/// The days the table covers, inclusive, and optionally one team member (as written in the
/// patrols' and runs' team lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

impl Period {
    /// A checked period: `from` not after `to`, at most [`MAX_PERIOD_DAYS`].
    pub fn new(from: NaiveDate, to: NaiveDate, member: Option<String>) -> Result<Self, Invalid> {
        if !crate::validate::year_ok(from) || !crate::validate::year_ok(to) {
            let field = if crate::validate::year_ok(from) { "to" } else { "from" };
            return Err(Invalid(vec![FieldError { field, code: "date_range" }]));
        }
        if to < from {
            return Err(Invalid(vec![FieldError { field: "to", code: "period_order" }]));
        }
        if (to - from).num_days() >= MAX_PERIOD_DAYS {
            return Err(Invalid(vec![FieldError { field: "from", code: "period_too_long" }]));
        }
        let member = member.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
        Ok(Period { from, to, member })
    }

    /// Parses the dates as a form or a query string gives them (`YYYY-MM-DD`).
    pub fn parse(from: &str, to: &str, member: Option<String>) -> Result<Self, Invalid> {
        let date = |s: &str, field: &'static str, errors: &mut Vec<FieldError>| {
            let d = s.trim().parse::<NaiveDate>().ok();
            match d {
                None => errors.push(FieldError { field, code: "date_invalid" }),
                Some(d) if !crate::validate::year_ok(d) => errors.push(FieldError { field, code: "date_range" }),
                Some(_) => {}
            }
            d.filter(|d| crate::validate::year_ok(*d))
        };
        let mut errors = Vec::new();
        let (f, t) = (date(from, "from", &mut errors), date(to, "to", &mut errors));
        match (f, t) {
            (Some(f), Some(t)) => Period::new(f, t, member),
            _ => Err(Invalid(errors)),
        }
    }

    /// A calendar month.
    pub fn month(year: i32, month: u32) -> Option<Self> {
        let from = NaiveDate::from_ymd_opt(year, month, 1)?;
        let next = if month == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { from.with_month(month + 1) }?;
        Some(Period { from, to: next.pred_opt()?, member: None })
    }

    /// A quarter (1–4).
    pub fn quarter(year: i32, quarter: u32) -> Option<Self> {
        if !(1..=4).contains(&quarter) {
            return None;
        }
        let first = Period::month(year, quarter * 3 - 2)?;
        let last = Period::month(year, quarter * 3)?;
        Some(Period { from: first.from, to: last.to, member: None })
    }

    /// A calendar year.
    pub fn year(year: i32) -> Option<Self> {
        Some(Period {
            from: NaiveDate::from_ymd_opt(year, 1, 1)?,
            to: NaiveDate::from_ymd_opt(year, 12, 31)?,
            member: None,
        })
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// The first instant of `from` and the first instant after `to`, in Poland: what a store
    /// reads by time (a little wider is fine: `compute` filters exactly).
    pub fn utc_bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = |d: NaiveDate| poland_to_utc(d.and_time(NaiveTime::MIN));
        (start(self.from), start(self.to + Duration::days(1)))
    }

    fn has_member(&self, team: &[String]) -> bool {
        match &self.member {
            None => true,
            Some(m) => {
                let m = m.to_lowercase();
                team.iter().any(|t| t.trim().to_lowercase() == m)
            }
        }
    }
}

/// The last Sunday of `month` in `year` (`None` past the calendar's end).
fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let last = Period::month(year, month)?.to;
    let back = last.weekday().num_days_from_sunday();
    last.checked_sub_signed(Duration::days(i64::from(back)))
}

/// Poland's offset from UTC at `at`: CET (+1) in winter, CEST (+2) from 01:00 UTC on the last
/// Sunday of March to 01:00 UTC on the last Sunday of October (the EU rule, in force since 1996).
pub fn poland_offset_hours(at: DateTime<Utc>) -> i64 {
    let year = at.year();
    let switch = |month| last_sunday(year, month).and_then(|d| d.and_hms_opt(1, 0, 0)).map(|d| d.and_utc());
    match (switch(3), switch(10)) {
        (Some(spring), Some(autumn)) if at >= spring && at < autumn => 2,
        _ => 1,
    }
}

/// The wall-clock time in Poland of an instant.
pub fn poland_time(at: DateTime<Utc>) -> NaiveDateTime {
    at.checked_add_signed(Duration::hours(poland_offset_hours(at))).unwrap_or(at).naive_utc()
}

/// The calendar day in Poland of an instant.
pub fn poland_date(at: DateTime<Utc>) -> NaiveDate {
    poland_time(at).date()
}

/// The instant of a wall-clock time in Poland (a time skipped in spring reads as summer time,
/// a repeated one in autumn as the first).
pub fn poland_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    let summer = Utc.from_utc_datetime(&(local - Duration::hours(2)));
    if poland_offset_hours(summer) == 2 {
        summer
    } else {
        Utc.from_utc_datetime(&(local - Duration::hours(1)))
    }
}

/// Everything the indicators are computed from: the live records of an organisation (or of a
/// phone), and when each place's and report's `status` was last set (the physical time of that
/// field's HLC), which dates "closed".
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub patrols: Vec<Patrol>,
    pub contacts: Vec<Contact>,
    pub sites: Vec<Site>,
    pub reports: Vec<Report>,
    pub runs: Vec<MealRun>,
    pub stops: Vec<MealRunStop>,
    pub status_set_at: BTreeMap<Uuid, DateTime<Utc>>,
    /// Places merged into others (deleted, so not in `sites`): a contact linked to one counts
    /// at the place it was merged into.
    pub merged: crate::sites::Redirects,
    /// The aid facilities and the beds held there: a referral whose person arrived counts as
    /// accepted, and the referrals are counted by facility.
    pub facilities: Vec<crate::facilities::Facility>,
    pub holds: Vec<crate::facilities::BedHold>,
}

/// A stored record that does not read as its collection's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a stored record does not read as its type")]
pub struct Unreadable;

/// The collections the indicators read.
pub const COLLECTIONS: &[&str] = &[
    protocol::PATROLS,
    protocol::CONTACTS,
    protocol::SITES,
    protocol::REPORTS,
    protocol::MEAL_RUNS,
    protocol::MEAL_RUN_STOPS,
    protocol::FACILITIES,
    protocol::BED_HOLDS,
];

impl Dataset {
    /// Adds one live record as a store keeps it: its `fields` JSON object (without `id`) and
    /// the HLC of its `status` field, if any. A record that does not read as its type (written
    /// by a newer app, damaged) is skipped and counted in the result's `Err`.
    pub fn add_stored(
        &mut self,
        collection: &str,
        id: Uuid,
        fields: &str,
        status_hlc: Option<&str>,
    ) -> Result<(), Unreadable> {
        // `{"id":"…",` + the fields: one parse, no intermediate map.
        let body = fields.trim_start().strip_prefix('{').ok_or(Unreadable)?;
        let sep = if body.trim_start().starts_with('}') { "" } else { "," };
        let text = format!("{{\"id\":\"{id}\"{sep}{body}");
        fn read<T: serde::de::DeserializeOwned>(text: &str, into: &mut Vec<T>) -> Result<(), Unreadable> {
            into.push(serde_json::from_str(text).map_err(|_| Unreadable)?);
            Ok(())
        }
        match collection {
            protocol::PATROLS => read(&text, &mut self.patrols),
            protocol::CONTACTS => read(&text, &mut self.contacts),
            protocol::SITES => {
                let site: crate::Site = serde_json::from_str(&text).map_err(|_| Unreadable)?;
                match site.merged_into {
                    Some(into) => self.merged.insert(site.id, into),
                    None => self.sites.push(site),
                }
                Ok(())
            }
            protocol::REPORTS => read(&text, &mut self.reports),
            protocol::MEAL_RUNS => read(&text, &mut self.runs),
            protocol::MEAL_RUN_STOPS => read(&text, &mut self.stops),
            protocol::FACILITIES => read(&text, &mut self.facilities),
            protocol::BED_HOLDS => read(&text, &mut self.holds),
            _ => return Ok(()),
        }?;
        if let Some(at) = status_hlc.and_then(|h| h.parse::<crate::Hlc>().ok()) {
            if let Some(t) = DateTime::from_timestamp_millis(at.physical_ms as i64) {
                self.status_set_at.insert(id, t);
            }
        }
        Ok(())
    }
}

/// One month's bar of the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthRow {
    /// `YYYY-MM`.
    pub month: String,
    pub patrols: u32,
    pub contacts: u32,
}

/// The table. Indicators that cannot be told per team member (places found and closed,
/// reports) are `None` when the period names one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Indicators {
    pub patrols: u32,
    pub patrols_by_kind: BTreeMap<PatrolKind, u32>,
    /// Ended patrols' time, in minutes.
    pub patrol_minutes: i64,
    pub contacts: u32,
    pub people_met: u32,
    pub distinct_persons: u32,
    pub contacts_with_women: u32,
    pub contacts_with_children: u32,
    pub premedical_help: u32,
    pub given: BTreeMap<Item, u32>,
    pub referrals: BTreeMap<ReferralKind, BTreeMap<ReferralOutcome, u32>>,
    pub taken_to_shelter: u32,
    pub ambulances_called: u32,
    pub help_refused: u32,
    pub places_active: u32,
    pub places_new: Option<u32>,
    pub places_closed: Option<u32>,
    pub reports_received: Option<u32>,
    pub reports_closed: Option<u32>,
    /// Median of received → checked, over the reports checked in the period.
    pub report_check_median_minutes: Option<i64>,
    pub meal_runs: u32,
    pub stops_visited: u32,
    pub meals_delivered: u32,
    pub hot_drinks_delivered: u32,
    pub by_month: Vec<MonthRow>,
    /// Beds held from the app in the period, by facility (by name), with how many of the
    /// people arrived.
    #[serde(default)]
    pub referrals_by_facility: Vec<FacilityReferrals>,
}

/// One facility's row of the referrals made through the bed finder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FacilityReferrals {
    pub facility: String,
    /// Beds held (cancelled ones left out).
    pub held: u32,
    /// People the facility marked arrived.
    pub arrived: u32,
}

impl Indicators {
    /// Patrol hours as the reports write them: whole hours and tenths.
    pub fn patrol_hours(&self) -> f64 {
        (self.patrol_minutes as f64 / 6.0).round() / 10.0
    }

    pub fn referral_count(&self, kind: ReferralKind) -> u32 {
        self.referrals.get(&kind).map_or(0, |m| m.values().sum())
    }
}

fn month_key(d: NaiveDate) -> (i32, u32) {
    (d.year(), d.month())
}

fn months(period: &Period) -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    let mut d = period.from.with_day(1).expect("day 1");
    while d <= period.to {
        out.push(month_key(d));
        d = if d.month() == 12 {
            NaiveDate::from_ymd_opt(d.year() + 1, 1, 1).expect("January")
        } else {
            d.with_month(d.month() + 1).expect("next month")
        };
    }
    out
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2 })
}

/// `c` with its referrals of `kinds` accepted ([`Contact::accept_referral`]).
fn with_accepted(c: &Contact, kinds: &[ReferralKind]) -> Contact {
    let mut c = c.clone();
    kinds.iter().for_each(|k| c.accept_referral(*k));
    c
}

/// The beds held in the period (their day in Poland; a member's: their team's), by facility.
fn by_facility(records: &Dataset, period: &Period) -> Vec<FacilityReferrals> {
    use crate::facilities::HoldStatus;
    let mut rows: BTreeMap<String, FacilityReferrals> = BTreeMap::new();
    for h in &records.holds {
        if h.status == HoldStatus::Cancelled || !period.contains(poland_date(h.held_at)) || !period.has_member(&h.team)
        {
            continue;
        }
        let Some(f) = records.facilities.iter().find(|f| f.id == h.facility_id) else { continue };
        let row = rows
            .entry(f.name.clone())
            .or_insert_with(|| FacilityReferrals { facility: f.name.clone(), ..Default::default() });
        row.held += 1;
        row.arrived += u32::from(h.status == HoldStatus::Arrived);
    }
    rows.into_values().collect()
}

/// Computes the table for `period` over `records` (live records only; see the module's rules).
pub fn compute(records: &Dataset, period: &Period) -> Indicators {
    let mut out = Indicators::default();
    let mut chart: BTreeMap<(i32, u32), (u32, u32)> = months(period).into_iter().map(|m| (m, (0, 0))).collect();
    let bump = |chart: &mut BTreeMap<(i32, u32), (u32, u32)>, day: NaiveDate, patrol: bool| {
        if let Some(row) = chart.get_mut(&month_key(day)) {
            if patrol {
                row.0 += 1;
            } else {
                row.1 += 1;
            }
        }
    };

    // Patrols: where each one counts (its start), and whether it is the member's.
    let mut patrol_day: HashMap<Uuid, (NaiveDate, bool)> = HashMap::with_capacity(records.patrols.len());
    for p in &records.patrols {
        let day = poland_date(p.started_at);
        let mine = period.has_member(&p.team);
        patrol_day.insert(p.id, (day, mine));
        if !(mine && period.contains(day)) {
            continue;
        }
        out.patrols += 1;
        *out.patrols_by_kind.entry(p.kind).or_default() += 1;
        if let Some(end) = p.ended_at {
            out.patrol_minutes += (end - p.started_at).num_minutes().max(0);
        }
        bump(&mut chart, day, true);
    }

    let mut tally = PatrolSummary::default();
    let mut pseudonyms = BTreeSet::new();
    let mut active_places = BTreeSet::new();
    // A contact an Akcja ZIMA stop wrote is the work of that run's team, as a patrol's contact
    // is the patrol's team's: a member's figures come from every record whose team names them.
    let run_of: HashMap<Uuid, &MealRun> = records.runs.iter().map(|r| (r.id, r)).collect();
    let by_stop: HashMap<Uuid, bool> = records
        .stops
        .iter()
        .filter_map(|s| {
            let mine = run_of.get(&s.run_id).map_or(period.member.is_none(), |r| period.has_member(&r.team));
            Some((s.contact_id?, mine))
        })
        .collect();
    // A bed held for a contact's person who arrived makes that contact's referral of the
    // facility's kind accepted.
    let arrived = crate::facilities::arrived_referrals(&records.holds, &records.facilities);
    for c in &records.contacts {
        let answered;
        let c = match arrived.get(&c.id) {
            Some(kinds) => {
                answered = with_accepted(c, kinds);
                &answered
            }
            None => c,
        };
        // A contact counts with its patrol; without one (or when the patrol is gone), by itself.
        let (day, mine) = match c.patrol_id.and_then(|id| patrol_day.get(&id)) {
            Some(&(day, mine)) => (day, mine),
            None => (poland_date(c.at), by_stop.get(&c.id).copied().unwrap_or(period.member.is_none())),
        };
        if !(mine && period.contains(day)) {
            continue;
        }
        bump(&mut chart, day, false);
        tally.add(c);
        let pseudonym = c.pseudonym.trim();
        if !pseudonym.is_empty() {
            pseudonyms.insert(pseudonym.to_lowercase());
        }
        if let Some(site) = c.site_id {
            active_places.insert(records.merged.follow(site));
        }
    }
    out.distinct_persons = pseudonyms.len() as u32;
    out.contacts = tally.contacts;
    out.people_met = tally.people_met;
    out.contacts_with_women = tally.with_women;
    out.contacts_with_children = tally.with_children;
    out.help_refused = tally.help_refused;
    out.premedical_help = tally.given.get(&Item::PremedicalHelp).copied().unwrap_or(0);
    out.given = tally.given;
    out.referrals = tally.referrals;
    out.referrals_by_facility = by_facility(records, period);
    out.taken_to_shelter =
        SHELTER_REFERRALS.iter().filter_map(|k| out.referrals.get(k)?.get(&ReferralOutcome::Accepted)).sum();
    out.ambulances_called = out.referral_count(ReferralKind::AmbulanceCalled);

    // Places: visited with people (a contact there), mapped, closed. A place merged into
    // another is deleted, so never here.
    let live_sites: BTreeSet<Uuid> = records.sites.iter().map(|s| s.id).collect();
    out.places_active = active_places.intersection(&live_sites).count() as u32;
    let status_day = |id: Uuid| records.status_set_at.get(&id).map(|t| poland_date(*t));
    if period.member.is_none() {
        out.places_new =
            Some(records.sites.iter().filter(|s| period.contains(poland_date(s.created_at))).count() as u32);
        out.places_closed = Some(
            records
                .sites
                .iter()
                .filter(|s| s.status == SiteStatus::Closed && status_day(s.id).is_some_and(|d| period.contains(d)))
                .count() as u32,
        );
        out.reports_received =
            Some(records.reports.iter().filter(|r| period.contains(poland_date(r.received_at))).count() as u32);
        out.reports_closed = Some(
            records
                .reports
                .iter()
                .filter(|r| r.status == ReportStatus::Closed && status_day(r.id).is_some_and(|d| period.contains(d)))
                .count() as u32,
        );
        out.report_check_median_minutes = median(
            records
                .reports
                .iter()
                .filter_map(|r| Some((r.checked_at?, r.received_at)))
                .filter(|(checked, _)| period.contains(poland_date(*checked)))
                .map(|(checked, received)| (checked - received).num_minutes().max(0))
                .collect(),
        );
    }

    // Akcja ZIMA: runs on nights in the period (the member's, when one is named) and their
    // done stops.
    let runs: BTreeSet<Uuid> =
        records.runs.iter().filter(|r| period.contains(r.date) && period.has_member(&r.team)).map(|r| r.id).collect();
    out.meal_runs = runs.len() as u32;
    for s in records.stops.iter().filter(|s| s.status == StopStatus::Done && runs.contains(&s.run_id)) {
        out.stops_visited += 1;
        out.meals_delivered += s.given.get(&Item::HotMeal).copied().unwrap_or(0);
        out.hot_drinks_delivered += s.given.get(&Item::HotDrink).copied().unwrap_or(0);
    }

    out.by_month = chart
        .into_iter()
        .map(|((y, m), (patrols, contacts))| MonthRow { month: format!("{y:04}-{m:02}"), patrols, contacts })
        .collect();
    out
}

/// The team members the indicators can be asked for: every name on a patrol's or a run's team
/// (trimmed, once whatever its case), sorted.
pub fn members(records: &Dataset) -> Vec<String> {
    let teams = records.patrols.iter().map(|p| &p.team).chain(records.runs.iter().map(|r| &r.team));
    let mut names: Vec<String> = teams.flatten().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    crate::order::sort_by_key(&mut names, |m| (m.to_lowercase(), m.clone()));
    names.dedup_by(|a, b| a.to_lowercase() == b.to_lowercase());
    names
}

/// The default period: the previous calendar month of `today` (what a monthly report covers).
pub fn default_period(today: NaiveDate) -> Period {
    let first = today.with_day(1).expect("day 1");
    let last_month = first.pred_opt().expect("a day before");
    Period::month(last_month.year(), last_month.month()).expect("a valid month")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;
    use crate::model::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn run(records: &Dataset, from: NaiveDate, to: NaiveDate) -> Indicators {
        compute(records, &Period::new(from, to, None).unwrap())
    }

    #[test]
    fn a_person_who_arrived_where_a_bed_was_held_is_an_accepted_referral_by_facility() {
        use crate::facilities::{BedHold, HoldStatus};
        use crate::fixture::{facility_example, hold_example};
        let facility = facility_example();
        let hold = hold_example();
        let mut c = contact(0xc0, None, hold.held_at);
        c.referrals = vec![crate::Referral { kind: ReferralKind::NightShelter, outcome: ReferralOutcome::Pending }];
        let mut elsewhere = facility_example();
        elsewhere.id = Uuid::from_u128(0xe15e);
        let mut d = Dataset { contacts: vec![c], facilities: vec![facility, elsewhere], ..Default::default() };
        let year = Period::year(2026).unwrap();
        let pending = |i: &Indicators| i.referrals[&ReferralKind::NightShelter].clone();
        d.holds = vec![hold.clone()];
        let before = compute(&d, &year);
        assert_eq!(pending(&before), BTreeMap::from([(ReferralOutcome::Pending, 1)]));
        let name = "Noclegownia św. Brata Alberta".to_owned();
        assert_eq!(before.referrals_by_facility, [FacilityReferrals { facility: name.clone(), held: 1, arrived: 0 }]);
        let arrived = BedHold { status: HoldStatus::Arrived, status_at: Some(hold.held_at), ..hold.clone() };
        let cancelled = BedHold { id: Uuid::from_u128(9), status: HoldStatus::Cancelled, ..hold.clone() };
        d.holds = vec![arrived, cancelled];
        let after = compute(&d, &year);
        assert_eq!(pending(&after), BTreeMap::from([(ReferralOutcome::Accepted, 1)]));
        assert_eq!(after.taken_to_shelter, 1);
        assert_eq!(after.referrals_by_facility, [FacilityReferrals { facility: name, held: 1, arrived: 1 }]);
        assert!(compute(&d, &Period::year(2025).unwrap()).referrals_by_facility.is_empty());
    }

    #[test]
    fn the_sopot_summer_of_2021_gives_the_reported_numbers() {
        let f = fixture::sopot_summer_2021();
        let records = f;
        let t = run(&records, day(2021, 6, 1), day(2021, 8, 31));
        assert_eq!(t.patrols, 150);
        assert_eq!(t.patrol_hours(), 450.0);
        assert_eq!(t.contacts, 977);
        assert_eq!(t.contacts_with_women, 97);
        assert_eq!(t.contacts_with_children, 21);
        assert_eq!(t.premedical_help, 394);
        assert_eq!(t.given.get(&Item::Mask), Some(&111));
        assert_eq!(t.by_month.iter().map(|m| m.patrols).sum::<u32>(), 150);
        assert_eq!(t.by_month.iter().map(|m| m.contacts).sum::<u32>(), 977);
        assert_eq!(t.by_month.iter().map(|m| m.month.as_str()).collect::<Vec<_>>(), ["2021-06", "2021-07", "2021-08"]);
        // The same year, from May (nothing) to September (nothing): the same numbers.
        assert_eq!(run(&records, day(2021, 1, 1), day(2021, 12, 31)).contacts, 977);
    }

    #[test]
    fn summer_time_follows_the_eu_rule() {
        // 2021: summer time from 28 March 01:00 UTC to 31 October 01:00 UTC.
        assert_eq!((last_sunday(2021, 3), last_sunday(2021, 10)), (Some(day(2021, 3, 28)), Some(day(2021, 10, 31))));
        assert_eq!(poland_offset_hours(at(2021, 3, 28, 0, 59)), 1);
        assert_eq!(poland_offset_hours(at(2021, 3, 28, 1, 0)), 2);
        assert_eq!(poland_offset_hours(at(2021, 10, 31, 0, 59)), 2);
        assert_eq!(poland_offset_hours(at(2021, 10, 31, 1, 0)), 1);
        // 23:30 UTC on 31 May is 01:30 on 1 June in Poland; 23:30 UTC on 31 December is 00:30.
        assert_eq!(poland_date(at(2021, 5, 31, 23, 30)), day(2021, 6, 1));
        assert_eq!(poland_date(at(2021, 12, 31, 23, 30)), day(2022, 1, 1));
        assert_eq!(poland_to_utc(day(2021, 6, 1).and_hms_opt(0, 0, 0).unwrap()), at(2021, 5, 31, 22, 0));
        assert_eq!(poland_to_utc(day(2021, 1, 1).and_hms_opt(0, 0, 0).unwrap()), at(2020, 12, 31, 23, 0));
        let p = Period::month(2021, 6).unwrap();
        assert_eq!(p.utc_bounds(), (at(2021, 5, 31, 22, 0), at(2021, 6, 30, 22, 0)));
    }

    fn patrol(id: u128, start: DateTime<Utc>, minutes: i64, team: &[&str]) -> Patrol {
        Patrol {
            id: Uuid::from_u128(id),
            kind: PatrolKind::NightPatrol,
            team: team.iter().map(|s| s.to_string()).collect(),
            partner: None,
            area: String::new(),
            started_at: start,
            ended_at: Some(start + Duration::minutes(minutes)),
            notes: String::new(),
            started_by: None,
        }
    }

    fn contact(id: u128, patrol: Option<u128>, when: DateTime<Utc>) -> Contact {
        Contact::quick(Uuid::from_u128(id), patrol.map(Uuid::from_u128), when, Err(PositionStatus::Denied))
    }

    #[test]
    fn a_patrol_across_a_month_boundary_counts_with_its_contacts_in_the_month_it_started() {
        // Starts 31 January 22:00 in Poland (21:00 UTC), a contact at 00:30 on 1 February.
        let p = patrol(1, at(2026, 1, 31, 21, 0), 240, &["Ania"]);
        let c = contact(2, Some(1), at(2026, 1, 31, 23, 30));
        // A contact without a patrol at the same moment counts on 1 February (Polish time).
        let alone = contact(3, None, at(2026, 1, 31, 23, 30));
        let patrols = [p];
        let contacts = [c, alone];
        let records = Dataset { patrols: patrols.to_vec(), contacts: contacts.to_vec(), ..Default::default() };
        let jan = compute(&records, &Period::month(2026, 1).unwrap());
        let feb = compute(&records, &Period::month(2026, 2).unwrap());
        assert_eq!((jan.patrols, jan.contacts, jan.patrol_minutes), (1, 1, 240));
        assert_eq!((feb.patrols, feb.contacts, feb.patrol_minutes), (0, 1, 0));
        // A patrol that starts at 00:30 on 1 June in Poland (22:30 UTC on 31 May) is June's.
        let june_night = [patrol(4, at(2026, 5, 31, 22, 30), 60, &[])];
        let records = Dataset { patrols: june_night.to_vec(), ..Default::default() };
        assert_eq!(compute(&records, &Period::month(2026, 5).unwrap()).patrols, 0);
        assert_eq!(compute(&records, &Period::month(2026, 6).unwrap()).patrols, 1);
    }

    #[test]
    fn a_period_with_no_data_is_all_zeros_with_a_row_per_month() {
        let records = Dataset::default();
        let t = compute(&records, &Period::quarter(2025, 4).unwrap());
        assert_eq!(t.patrols + t.contacts + t.people_met + t.meal_runs, 0);
        assert_eq!(t.places_new, Some(0));
        assert_eq!(t.report_check_median_minutes, None);
        assert_eq!(t.by_month.len(), 3);
        assert!(t.by_month.iter().all(|m| m.patrols == 0 && m.contacts == 0));
        // A period outside the records of a fixture is empty too.
        let f = fixture::sopot_summer_2021();
        let t = run(&f, day(2022, 1, 1), day(2022, 1, 1));
        assert_eq!((t.patrols, t.contacts, t.by_month.len()), (0, 0, 1));
    }

    #[test]
    fn periods_out_of_order_or_unreadable_are_refused_with_the_field() {
        assert_eq!(Period::parse("2021-06-30", "2021-06-01", None).unwrap_err().code_for("to"), Some("period_order"));
        let e = Period::parse("30.06.2021", "", None).unwrap_err();
        assert_eq!((e.code_for("from"), e.code_for("to")), (Some("date_invalid"), Some("date_invalid")));
        assert_eq!(
            Period::parse("2001-01-01", "2021-01-01", None).unwrap_err().code_for("from"),
            Some("period_too_long")
        );
        // Years outside 2000–2100 are refused before any date arithmetic (an overflow once).
        let e = Period::parse("+262142-12-31", "2021-01-01", None).unwrap_err();
        assert!(matches!(e.code_for("from"), Some("date_invalid" | "date_range")), "{e}");
        assert_eq!(Period::parse("1999-12-31", "2021-01-01", None).unwrap_err().code_for("from"), Some("date_range"));
        assert_eq!(Period::parse("2021-01-01", "2101-01-01", None).unwrap_err().code_for("to"), Some("date_range"));
        assert!(Period::parse("2100-12-01", "2100-12-31", None).is_ok());
        let one_day = Period::parse("2021-06-01", "2021-06-01", Some("  ".into())).unwrap();
        assert_eq!(one_day.member, None);
        assert_eq!(Period::quarter(2021, 3).unwrap(), Period::parse("2021-07-01", "2021-09-30", None).unwrap());
        assert_eq!(Period::year(2024).unwrap().to, day(2024, 12, 31));
        assert_eq!(default_period(day(2026, 1, 15)), Period::month(2025, 12).unwrap());
    }

    #[test]
    fn one_team_member_counts_their_patrols_their_contacts_and_their_runs() {
        let patrols = [
            patrol(1, at(2026, 3, 2, 19, 0), 60, &["Ania", "Bartek"]),
            patrol(2, at(2026, 3, 3, 19, 0), 90, &["Celina"]),
        ];
        let contacts = [
            contact(10, Some(1), at(2026, 3, 2, 19, 30)),
            contact(11, Some(2), at(2026, 3, 3, 19, 30)),
            contact(12, None, at(2026, 3, 3, 19, 30)),
        ];
        let records = Dataset { patrols: patrols.to_vec(), contacts: contacts.to_vec(), ..Default::default() };
        let mut p = Period::month(2026, 3).unwrap();
        p.member = Some("ania".into());
        let t = compute(&records, &p);
        assert_eq!((t.patrols, t.contacts, t.patrol_minutes), (1, 1, 60));
        assert_eq!((t.places_new, t.reports_received), (None, None));
        let all = compute(&records, &Period::month(2026, 3).unwrap());
        assert_eq!((all.patrols, all.contacts, all.patrol_minutes), (2, 3, 150));
    }

    #[test]
    fn places_reports_and_runs_count_by_their_own_dates() {
        let f = fixture::sopot_summer_2021();
        let records = f;
        let t = run(&records, day(2021, 6, 1), day(2021, 8, 31));
        assert_eq!(t.places_new, Some(fixture::SOPOT_PLACES as u32));
        assert_eq!(t.places_active, fixture::SOPOT_PLACES as u32);
        assert_eq!(t.places_closed, Some(1));
        assert_eq!(t.reports_received, Some(4));
        assert_eq!(t.reports_closed, Some(2));
        // Checked after 30, 90 and 150 minutes.
        assert_eq!(t.report_check_median_minutes, Some(90));
        assert_eq!((t.meal_runs, t.stops_visited, t.meals_delivered, t.hot_drinks_delivered), (1, 2, 7, 9));
        assert_eq!(t.taken_to_shelter, 3);
        assert_eq!(t.ambulances_called, 2);
        assert_eq!(t.distinct_persons, 5);
        // July alone: the run and one closed report are in July.
        let july = compute(&records, &Period::month(2021, 7).unwrap());
        assert_eq!((july.meal_runs, july.reports_closed), (1, Some(1)));
    }

    #[test]
    fn a_member_on_every_team_has_the_organisations_figures() {
        let mut f = fixture::sopot_summer_2021();
        // A run's done stop that found people wrote a contact (no patrol).
        let written = f.stops[0].as_contact(Uuid::from_u128(0x5709), f.stops[0].done_at.unwrap());
        f.stops[0].contact_id = Some(written.id);
        f.contacts.push(written);
        for p in &mut f.patrols {
            p.team = vec!["Ania".into()];
        }
        for r in &mut f.runs {
            r.team = vec![" ania ".into()];
        }
        let (from, to) = (day(2021, 6, 1), day(2021, 8, 31));
        let org = run(&f, from, to);
        let ania = compute(&f, &Period::new(from, to, Some("Ania".into())).unwrap());
        assert_eq!(
            (ania.patrols, ania.contacts, ania.people_met, &ania.given, ania.meal_runs, ania.stops_visited),
            (org.patrols, org.contacts, org.people_met, &org.given, org.meal_runs, org.stops_visited)
        );
        assert_eq!((ania.meals_delivered, ania.hot_drinks_delivered), (org.meals_delivered, org.hot_drinks_delivered));
        // Someone on no team has nothing.
        let ola = compute(&f, &Period::new(from, to, Some("Ola".into())).unwrap());
        assert_eq!((ola.contacts, ola.meal_runs), (0, 0));
        // A name on a run's team is a member as much as one on a patrol's.
        f.runs[0].team = vec!["Kierowca Jan".into()];
        assert_eq!(members(&f), ["Ania", "Kierowca Jan"]);
    }

    #[test]
    fn a_deleted_run_counts_nowhere_with_its_stops_and_their_contacts() {
        let f = fixture::sopot_summer_2021();
        let summer = (day(2021, 6, 1), day(2021, 8, 31));
        let before = run(&f, summer.0, summer.1);
        let mut stops = f.stops.clone();
        // One of the run's stops found people and wrote a contact.
        let written = f.contacts[0].id;
        stops[0].contact_id = Some(written);
        let gone = f.runs[0].id;
        let (gone_stops, gone_contacts) = crate::zima::with_run(gone, &stops);
        assert_eq!((gone_stops.len(), &gone_contacts), (stops.len(), &vec![written]));
        let after = Dataset {
            runs: f.runs.iter().filter(|r| r.id != gone).cloned().collect(),
            stops: stops.iter().filter(|s| !gone_stops.contains(&s.id)).cloned().collect(),
            contacts: f.contacts.iter().filter(|c| !gone_contacts.contains(&c.id)).cloned().collect(),
            ..f.clone()
        };
        let t = run(&after, summer.0, summer.1);
        assert_eq!((t.meal_runs, t.stops_visited, t.meals_delivered), (0, 0, 0));
        assert_eq!(t.contacts, before.contacts - 1);
    }

    #[test]
    fn an_edited_record_counts_once_as_it_is_now_and_a_deleted_one_never() {
        let f = fixture::sopot_summer_2021();
        let mut contacts = f.contacts.clone();
        // Edited: the first contact now has three people and a woman among them.
        contacts[0].headcount = 3;
        contacts[0].gender = Some(Gender::Mixed);
        let was_women = f.contacts[0].with_women();
        // Deleted: the store leaves the second out.
        let deleted = contacts.remove(1);
        let records = Dataset { contacts, ..f.clone() };
        let t = run(&records, day(2021, 6, 1), day(2021, 8, 31));
        assert_eq!(t.contacts, 976);
        let before = run(&f, day(2021, 6, 1), day(2021, 8, 31));
        assert_eq!(t.people_met, before.people_met + 3 - f.contacts[0].headcount - deleted.headcount);
        assert_eq!(
            t.contacts_with_women,
            before.contacts_with_women + u32::from(!was_women) - u32::from(deleted.with_women())
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Splitting a period into its months never changes a count: every patrol and contact
        /// falls in exactly one month, whatever its time.
        #[test]
        fn months_add_up_to_the_year(
            starts in proptest::collection::vec((0i64..365 * 24 * 60, 0i64..600, proptest::option::of(0usize..4)), 1..40),
        ) {
            let year_start = poland_to_utc(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap().and_time(NaiveTime::MIN));
            let mut patrols = Vec::new();
            let mut contacts = Vec::new();
            for (i, (minute, length, _)) in starts.iter().enumerate() {
                let start = year_start + Duration::minutes(*minute);
                patrols.push(Patrol {
                    id: Uuid::from_u128(i as u128 + 1),
                    kind: PatrolKind::NightPatrol,
                    team: vec![],
                    partner: None,
                    area: String::new(),
                    started_at: start,
                    ended_at: Some(start + Duration::minutes(*length)),
                    notes: String::new(),
                    started_by: None,
                });
            }
            for (i, (minute, length, patrol)) in starts.iter().enumerate() {
                let when = year_start + Duration::minutes(minute + length / 2);
                let parent = patrol.and_then(|p| patrols.get(p)).map(|p: &Patrol| p.id);
                contacts.push(Contact::quick(Uuid::from_u128(1000 + i as u128), parent, when, Err(crate::model::PositionStatus::Denied)));
            }
                        let records = Dataset { patrols: patrols.to_vec(), contacts: contacts.to_vec(), ..Default::default() };
            // Contacts near the new year's midnight may fall in 2026: take two years.
            let whole = compute(&records, &Period::new(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(), None).unwrap());
            let (mut patrols_sum, mut contacts_sum, mut minutes) = (0, 0, 0);
            for y in [2025, 2026] {
                for m in 1..=12 {
                    let t = compute(&records, &Period::month(y, m).unwrap());
                    patrols_sum += t.patrols;
                    contacts_sum += t.contacts;
                    minutes += t.patrol_minutes;
                }
            }
            prop_assert_eq!(whole.patrols, patrols.len() as u32);
            prop_assert_eq!(whole.contacts, contacts.len() as u32);
            prop_assert_eq!((patrols_sum, contacts_sum, minutes), (whole.patrols, whole.contacts, whole.patrol_minutes));
        }
    }
}
