//! Akcja ZIMA: is tonight a ZIMA night, which stops to propose for a run, what is left in the
//! vehicle, and a run's summary.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use uuid::Uuid;

use crate::model::{Contact, Forecast, Item, LoadLine, MealRun, MealRunStop, Position, Report, Site, StopStatus};
use crate::sites::is_live;

/// The wall-clock hour a night ends.
pub const NIGHT_ENDS_AT_HOUR: i64 = 6;

/// The night a wall-clock moment (in Poland) belongs to, dated by its evening. Before 06:00 it
/// is still the night that began the evening before (a run at 02:00 is last evening's); from
/// 06:00 on it is the night ahead, so a forecast or a run a coordinator enters in the morning
/// or the afternoon is tonight's.
pub fn night_of(local: NaiveDateTime) -> NaiveDate {
    (local - chrono::Duration::hours(NIGHT_ENDS_AT_HOUR)).date()
}

/// A run in a list: its night, and its vehicle (or, with none written, its depot).
pub fn run_title(run: &MealRun) -> String {
    let what = if run.vehicle.trim().is_empty() { &run.depot_label } else { &run.vehicle };
    crate::shown::parts([crate::shown::iso_date(run.date).as_str(), what])
}

/// The forecast of `night` when it is at or below the threshold: the banner's text.
pub fn zima_night(forecasts: &[Forecast], night: NaiveDate, threshold_c: f64) -> Option<&Forecast> {
    forecasts.iter().find(|f| f.date == night && f.is_zima(threshold_c))
}

/// A stop the coordinator may add to a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub site_id: Option<Uuid>,
    pub report_id: Option<Uuid>,
    pub label: String,
    pub position: Position,
    /// People found at the last visit (a place), or 0 (a report).
    pub people_last_time: u32,
}

impl Candidate {
    /// This candidate as stop `seq` of a run, still to be done.
    pub fn to_stop(&self, id: Uuid, run_id: Uuid, seq: u32) -> MealRunStop {
        MealRunStop {
            id,
            run_id,
            seq,
            site_id: self.site_id,
            report_id: self.report_id,
            label: self.label.clone(),
            position: self.position,
            status: StopStatus::Planned,
            skip_reason: String::new(),
            people_found: 0,
            given: BTreeMap::new(),
            condition: None,
            ambulance_called: false,
            taken_to_shelter: false,
            refused: false,
            notes: String::new(),
            done_at: None,
            contact_id: None,
        }
    }
}

/// The stops to propose: live places where people were found at the last visit (most people
/// first), then open reports not about one of those places. A report about a place the team
/// has visited before still shows as the report (it is the newer news).
pub fn candidates(sites: &[Site], contacts: &[Contact], reports: &[Report]) -> Vec<Candidate> {
    let mut last: BTreeMap<Uuid, (DateTime<Utc>, u32)> = BTreeMap::new();
    for c in contacts {
        if let Some(s) = c.site_id {
            let e = last.entry(s).or_insert((c.at, c.headcount));
            if c.at >= e.0 {
                *e = (c.at, c.headcount);
            }
        }
    }
    let open: Vec<&Report> = reports.iter().filter(|r| r.is_open()).collect();
    let reported: Vec<Uuid> = open.iter().filter_map(|r| r.site_id).collect();
    let mut out: Vec<Candidate> = sites
        .iter()
        .filter(|s| is_live(s) && !reported.contains(&s.id))
        .filter_map(|s| {
            let (_, people) = last.get(&s.id)?;
            (*people > 0).then(|| Candidate {
                site_id: Some(s.id),
                report_id: None,
                label: s.label.clone(),
                position: s.position,
                people_last_time: *people,
            })
        })
        .collect();
    crate::order::sort_by(&mut out, |a, b| b.people_last_time.cmp(&a.people_last_time).then(a.label.cmp(&b.label)));
    for r in open {
        let site = r.site_id.and_then(|id| sites.iter().find(|s| s.id == id));
        let Some(position) = site.map(|s| s.position).or(r.position) else { continue };
        out.push(Candidate {
            site_id: site.map(|s| s.id),
            report_id: Some(r.id),
            label: site.map_or_else(|| crate::shown::excerpt(&r.description, 60), |s| s.label.clone()),
            position,
            people_last_time: 0,
        });
    }
    out
}

/// For each candidate, whether another run of `night` already has it as a stop (planned or
/// done; a skipped stop is free again): when two vehicles go out the same night, the second
/// is offered the places the first does not cover.
pub fn on_other_runs(candidates: &[Candidate], runs: &[MealRun], stops: &[MealRunStop], night: NaiveDate) -> Vec<bool> {
    let tonight: Vec<Uuid> = runs.iter().filter(|r| r.date == night).map(|r| r.id).collect();
    let taken: Vec<&MealRunStop> =
        stops.iter().filter(|s| tonight.contains(&s.run_id) && s.status != StopStatus::Skipped).collect();
    candidates
        .iter()
        .map(|c| {
            taken.iter().any(|s| match (c.report_id, c.site_id) {
                (Some(r), _) => s.report_id == Some(r),
                (None, Some(site)) => s.site_id == Some(site) && s.report_id.is_none(),
                (None, None) => false,
            })
        })
        .collect()
}

/// What is left in the vehicle: each load line less what the done stops gave of that item.
pub fn load_left(load: &[LoadLine], stops: &[MealRunStop]) -> Vec<LoadLine> {
    let given = given_total(stops);
    load.iter()
        .map(|l| {
            let used = Item::parse(&l.item).and_then(|i| given.get(&i)).copied().unwrap_or(0);
            LoadLine { item: l.item.clone(), quantity: l.quantity.saturating_sub(used) }
        })
        .collect()
}

fn given_total(stops: &[MealRunStop]) -> BTreeMap<Item, u32> {
    let mut total = BTreeMap::new();
    for s in stops.iter().filter(|s| s.status == StopStatus::Done) {
        for (item, n) in &s.given {
            *total.entry(*item).or_insert(0) += n;
        }
    }
    total
}

/// The end of a run: stops visited and skipped, people met, each item given, how long it took
/// (first to last stop, or the run's own start and end), and the distance driven as planned.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub stops: usize,
    pub visited: usize,
    pub skipped: usize,
    pub people: u32,
    pub given: BTreeMap<Item, u32>,
    pub minutes: Option<i64>,
    pub distance_m: f64,
    pub complete: bool,
}

impl RunSummary {
    /// How far the run is, the one definition every screen shows: stops handled (visited or
    /// skipped) of all its stops, with the skipped ones named apart — "4 / 5 (1 skipped)".
    pub fn progress(&self) -> Progress {
        Progress { handled: self.visited + self.skipped, skipped: self.skipped, total: self.stops }
    }
}

/// A run's progress (see [`RunSummary::progress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Stops visited or skipped.
    pub handled: usize,
    pub skipped: usize,
    pub total: usize,
}

pub fn summary(run: &MealRun, stops: &[MealRunStop]) -> RunSummary {
    let done: Vec<&MealRunStop> = stops.iter().filter(|s| s.status == StopStatus::Done).collect();
    let times: Vec<DateTime<Utc>> = done.iter().filter_map(|s| s.done_at).collect();
    let start = run.started_at.or_else(|| times.iter().min().copied());
    let end = run.ended_at.or_else(|| times.iter().max().copied());
    RunSummary {
        stops: stops.len(),
        visited: done.len(),
        skipped: stops.iter().filter(|s| s.status == StopStatus::Skipped).count(),
        people: done.iter().map(|s| s.people_found).sum(),
        given: given_total(stops),
        minutes: start.zip(end).map(|(a, b)| (b - a).num_minutes()),
        distance_m: run.planned_distance_m,
        complete: !stops.is_empty() && stops.iter().all(|s| s.status != StopStatus::Planned),
    }
}

/// What deleting a run deletes with it, so that a run planned by mistake counts nowhere: its
/// stops, and the contacts its stops wrote (a stop that found people is also a contact).
/// Restoring the run restores the same records.
pub fn with_run(run: Uuid, stops: &[MealRunStop]) -> (Vec<Uuid>, Vec<Uuid>) {
    let mine: Vec<&MealRunStop> = stops.iter().filter(|s| s.run_id == run).collect();
    (mine.iter().map(|s| s.id).collect(), mine.iter().filter_map(|s| s.contact_id).collect())
}

/// A link that opens a position in the phone's maps app (Android and iOS both handle `geo:`
/// poorly from a web app; OpenStreetMap's page offers "directions" and opens apps).
pub fn maps_link(p: &Position) -> String {
    format!("https://www.openstreetmap.org/?mlat={:.6}&mlon={:.6}#map=18/{:.6}/{:.6}", p.lat, p.lon, p.lat, p.lon)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PositionStatus, ReportSource, ReportStatus, SiteKind, SiteStatus};
    use chrono::TimeZone;

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, day, 22, 0, 0).unwrap()
    }

    fn site(n: u128, status: SiteStatus) -> Site {
        let at = Position { lat: 50.8, lon: 19.1 + n as f64 / 1000.0, accuracy_m: 5.0 };
        Site { status, ..Site::new(Uuid::from_u128(n), format!("Miejsce {n}"), SiteKind::AllotmentShed, at, t(1)) }
    }

    fn contact(n: u128, site: u128, day: u32, people: u32) -> Contact {
        let mut c = Contact::quick(Uuid::from_u128(1000 + n), None, t(day), Err(PositionStatus::Unavailable));
        c.site_id = Some(Uuid::from_u128(site));
        c.headcount = people;
        c
    }

    fn report(n: u128, site: Option<u128>, status: ReportStatus) -> Report {
        Report {
            source: ReportSource::Resident,
            site_id: site.map(Uuid::from_u128),
            position: Some(Position { lat: 50.81, lon: 19.2, accuracy_m: 0.0 }),
            status,
            ..Report::new(Uuid::from_u128(2000 + n), t(3), format!("Zgłoszenie {n}"))
        }
    }

    #[test]
    fn proposed_stops_are_places_with_people_last_time_and_open_reports() {
        let sites = [
            site(1, SiteStatus::Active),
            site(2, SiteStatus::Active),
            site(3, SiteStatus::Closed),
            site(4, SiteStatus::Active),
        ];
        let contacts = [
            contact(1, 1, 2, 3),
            contact(2, 2, 2, 2),
            contact(3, 2, 5, 1), // the last visit to 2 found one person
            contact(4, 3, 5, 4), // closed place: not proposed
        ];
        let mut none_last_time = contact(5, 4, 6, 1);
        none_last_time.headcount = 0;
        let reports = [
            report(1, None, ReportStatus::New),
            report(2, Some(1), ReportStatus::Assigned),
            report(3, None, ReportStatus::Closed),
        ];
        let c = candidates(&sites, &[&contacts[..], &[none_last_time]].concat(), &reports);
        let labels: Vec<&str> = c.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["Miejsce 2", "Zgłoszenie 1", "Miejsce 1"], "place 1 comes as its report");
        assert_eq!(c[0].people_last_time, 1);
        assert_eq!((c[2].site_id, c[2].report_id), (Some(Uuid::from_u128(1)), Some(Uuid::from_u128(2002))));
    }

    fn stop(n: u128, status: StopStatus, people: u32, meals: u32, minute: u32) -> MealRunStop {
        let place = Candidate {
            site_id: None,
            report_id: None,
            label: format!("Przystanek {n}"),
            position: Position { lat: 50.8, lon: 19.1, accuracy_m: 0.0 },
            people_last_time: 0,
        };
        MealRunStop {
            status,
            skip_reason: if status == StopStatus::Skipped { "zamknięte".into() } else { String::new() },
            people_found: people,
            given: if meals > 0 { [(Item::HotMeal, meals)].into() } else { BTreeMap::new() },
            done_at: (status == StopStatus::Done).then(|| Utc.with_ymd_and_hms(2026, 1, 14, 22, minute, 0).unwrap()),
            ..place.to_stop(Uuid::from_u128(n), Uuid::nil(), n as u32)
        }
    }

    #[test]
    fn the_summary_and_what_is_left_in_the_vehicle() {
        let run = MealRun {
            id: Uuid::nil(),
            date: NaiveDate::from_ymd_opt(2026, 1, 14).unwrap(),
            forecast_min_c: Some(-15.0),
            team: vec![],
            vehicle: String::new(),
            depot_label: "Ogrzewalnia".into(),
            depot: Position { lat: 50.8, lon: 19.1, accuracy_m: 0.0 },
            load: crate::model::default_load(),
            planned_distance_m: 12_345.0,
            planned_minutes: 90.0,
            started_at: None,
            ended_at: None,
            created_at: t(14),
        };
        let stops = [
            stop(1, StopStatus::Done, 2, 2, 5),
            stop(2, StopStatus::Skipped, 0, 0, 0),
            stop(3, StopStatus::Done, 3, 3, 50),
            stop(4, StopStatus::Planned, 0, 0, 0),
        ];
        let s = summary(&run, &stops);
        assert_eq!((s.stops, s.visited, s.skipped, s.people), (4, 2, 1, 5));
        assert_eq!(s.given.get(&Item::HotMeal), Some(&5));
        assert_eq!(s.minutes, Some(45));
        assert!(!s.complete, "one stop still planned");
        assert_eq!(s.progress(), Progress { handled: 3, skipped: 1, total: 4 }, "visited and skipped are both handled");
        let left = load_left(&run.load, &stops);
        assert_eq!(left[0], LoadLine { item: "hot_meal".into(), quantity: 25 });
        assert_eq!(left[4], LoadLine { item: "first_aid_kit".into(), quantity: 1 }, "not given out");
        let all_done = [stop(1, StopStatus::Done, 2, 40, 5)];
        assert_eq!(load_left(&run.load, &all_done)[0].quantity, 0, "never below zero");
        assert!(summary(&run, &all_done).complete);
        assert!(!summary(&run, &[]).complete);
    }

    #[test]
    fn a_run_is_named_by_its_night_and_vehicle_or_depot() {
        let mut run = MealRun {
            id: Uuid::nil(),
            date: NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
            forecast_min_c: None,
            team: vec![],
            vehicle: "Bus MOPS".into(),
            depot_label: "Ogrzewalnia".into(),
            depot: Position { lat: 50.8, lon: 19.1, accuracy_m: 0.0 },
            load: vec![],
            planned_distance_m: 0.0,
            planned_minutes: 0.0,
            started_at: None,
            ended_at: None,
            created_at: t(5),
        };
        assert_eq!(run_title(&run), "2026-12-05 · Bus MOPS");
        run.vehicle = " ".into();
        assert_eq!(run_title(&run), "2026-12-05 · Ogrzewalnia");
        run.depot_label.clear();
        assert_eq!(run_title(&run), "2026-12-05");
    }

    #[test]
    fn a_night_is_dated_by_its_evening_and_ends_at_six() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let at = |d: NaiveDate, h, m| night_of(d.and_hms_opt(h, m, 0).unwrap());
        let eve = day.pred_opt().unwrap();
        assert_eq!(at(day, 0, 30), eve, "half past midnight: last evening's night");
        assert_eq!(at(day, 5, 59), eve);
        assert_eq!(at(day, 6, 0), day, "the morning plans tonight");
        assert_eq!(at(day, 10, 21), day);
        assert_eq!(at(day, 23, 59), day);
    }

    #[test]
    fn tonight_is_a_zima_night_at_or_below_the_threshold() {
        let night = NaiveDate::from_ymd_opt(2026, 1, 14).unwrap();
        let f = [Forecast::new(night, -12.0), Forecast::new(night.succ_opt().unwrap(), -3.0)];
        assert_eq!(zima_night(&f, night, -10.0).map(|f| f.min_c), Some(-12.0));
        assert!(zima_night(&f, night.succ_opt().unwrap(), -10.0).is_none());
        assert!(zima_night(&f, night.succ_opt().unwrap(), -2.0).is_some(), "Sopot's lower threshold");
        assert!(
            maps_link(&Position { lat: 50.8, lon: 19.1, accuracy_m: 0.0 }).contains("mlat=50.800000&mlon=19.100000")
        );
    }

    #[test]
    fn a_second_run_the_same_night_is_offered_what_the_first_does_not_cover() {
        let sites = [site(1, SiteStatus::Active), site(2, SiteStatus::Active), site(3, SiteStatus::Active)];
        let contacts = [contact(10, 1, 1, 2), contact(11, 2, 1, 1), contact(12, 3, 1, 3)];
        let reports = [report(20, None, ReportStatus::New)];
        let all = candidates(&sites, &contacts, &reports);
        assert_eq!(all.len(), 4);
        let night = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
        let run = |n: u128, date: NaiveDate| MealRun {
            id: Uuid::from_u128(n),
            date,
            forecast_min_c: None,
            team: vec![],
            vehicle: String::new(),
            depot_label: String::new(),
            depot: Position { lat: 54.44, lon: 18.56, accuracy_m: 0.0 },
            load: vec![],
            planned_distance_m: 0.0,
            planned_minutes: 0.0,
            started_at: None,
            ended_at: None,
            created_at: t(1),
        };
        let first = run(100, night);
        let last_week = run(101, night - chrono::Duration::days(7));
        let stop_at = |c: &Candidate, run: &MealRun, seq: u32, status: StopStatus| MealRunStop {
            status,
            ..c.to_stop(Uuid::from_u128(200 + u128::from(seq) + run.id.as_u128()), run.id, seq)
        };
        // The first van took place 3 (planned) and the report (done), skipped place 1; last
        // week's run went to place 2.
        let by_site =
            |id: u128| all.iter().find(|c| c.site_id == Some(Uuid::from_u128(id)) && c.report_id.is_none()).unwrap();
        let report_stop = all.iter().find(|c| c.report_id.is_some()).unwrap();
        let stops = [
            stop_at(by_site(3), &first, 1, StopStatus::Planned),
            stop_at(report_stop, &first, 2, StopStatus::Done),
            stop_at(by_site(1), &first, 3, StopStatus::Skipped),
            stop_at(by_site(2), &last_week, 1, StopStatus::Done),
        ];
        let taken = on_other_runs(&all, &[first.clone(), last_week], &stops, night);
        let free: Vec<&str> = all.iter().zip(&taken).filter(|(_, t)| !**t).map(|(c, _)| c.label.as_str()).collect();
        assert_eq!(free, [by_site(1).label.as_str(), by_site(2).label.as_str()]);
        // Another night: nothing is taken.
        assert!(on_other_runs(&all, &[first], &stops, night + chrono::Duration::days(1)).iter().all(|t| !t));
    }
}
