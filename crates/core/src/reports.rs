//! Reports from the 24 h line as work: the order they are worked in, where each one is (a
//! mapped place, a position, and what the caller said), how far it is from a worker, and the
//! source a new report starts with.

use crate::model::{Position, Report, ReportSource, Site, Urgency};
use crate::sites::distance_m;
use crate::sync::Role;

/// The order reports are worked in: open before done, urgent before normal before low, then
/// the longest waiting first.
pub fn work_order(reports: &mut [Report]) {
    let rank = |u: Urgency| match u {
        Urgency::Urgent => 0,
        Urgency::Normal => 1,
        Urgency::Low => 2,
    };
    crate::order::sort_by(reports, |a, b| {
        (!a.is_open(), rank(a.urgency), a.received_at, a.id).cmp(&(!b.is_open(), rank(b.urgency), b.received_at, b.id))
    });
}

/// Where a report is, as a streetworker reads it on a task.
#[derive(Debug, Clone, PartialEq)]
pub struct Whereabouts {
    /// The mapped place's name, else what the caller said ("where exactly"); empty when the
    /// report has only a position.
    pub label: String,
    /// What the caller said, when a place's name is the label.
    pub note: String,
    /// Where to go: the place's position, else the report's own.
    pub position: Option<Position>,
    /// Metres from the worker, when both positions are known.
    pub distance_m: Option<f64>,
}

impl Whereabouts {
    /// In one line, as a list of reports shows it: the place and what the caller said, else
    /// what the caller said, else the coordinates; empty when nothing says where.
    pub fn line(&self) -> String {
        match (self.label.is_empty(), self.note.is_empty(), self.position) {
            (false, false, _) => format!("{} ({})", self.label, self.note),
            (false, true, _) => self.label.clone(),
            (true, _, Some(p)) => format!("{:.5}, {:.5}", p.lat, p.lon),
            (true, _, None) => String::new(),
        }
    }
}

/// Where `report` is, from the places on the phone and the worker's position.
pub fn whereabouts(report: &Report, sites: &[Site], here: Option<&Position>) -> Whereabouts {
    let site = report.site_id.and_then(|id| sites.iter().find(|s| s.id == id));
    let note = report.place_note.trim().to_owned();
    let (label, note) = match site {
        Some(s) => (s.label.clone(), note),
        None => (note, String::new()),
    };
    let position = site.map(|s| s.position).or(report.position).filter(|p| p.lat.is_finite() && p.lon.is_finite());
    let distance_m = position.zip(here).map(|(p, h)| distance_m(&p, h));
    Whereabouts { label, note, position, distance_m }
}

/// A distance as a worker reads it: "350 m", "1,2 km" (decimal comma in Polish).
pub fn distance_text(m: f64, decimal_comma: bool) -> String {
    if m < 1_000.0 {
        format!("{:.0} m", (m / 10.0).round() * 10.0)
    } else {
        let km = format!("{:.1} km", m / 1_000.0);
        if decimal_comma {
            km.replace('.', ",")
        } else {
            km
        }
    }
}

/// The source a new report starts with: who files it. The 24 h line's coordinators file what
/// callers say; a partner agency's account files its own — a city guard's or a police
/// account is known by its name (accounts carry no agency of their own).
pub fn default_source(role: Role, account_name: &str) -> ReportSource {
    let name = account_name.to_lowercase();
    match role {
        Role::Partner if name.contains("straż") || name.contains("straz") || name.contains("city guard") => {
            ReportSource::CityGuard
        }
        Role::Partner if name.contains("polic") => ReportSource::Police,
        Role::Partner | Role::Facility => ReportSource::Other,
        Role::Admin | Role::Coordinator | Role::Streetworker => ReportSource::Phone24h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ReportStatus, SiteKind};
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    fn report(site: Option<Uuid>, position: Option<Position>, note: &str) -> Report {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 22, 0, 0).unwrap();
        Report {
            site_id: site,
            position,
            place_note: note.into(),
            urgency: Urgency::Urgent,
            ..Report::new(Uuid::from_u128(1), at, "Ktoś leży na ławce")
        }
    }

    #[test]
    fn a_task_names_the_place_or_the_landmark_and_how_far_it_is() {
        let p = |lat: f64| Position { lat, lon: 18.56, accuracy_m: 5.0 };
        let created = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let site = Site::new(Uuid::from_u128(7), "Dworzec, wiata", SiteKind::Station, p(54.441), created);
        let here = p(54.44);
        let at_site =
            whereabouts(&report(Some(site.id), None, "przy kasach"), std::slice::from_ref(&site), Some(&here));
        assert_eq!((at_site.label.as_str(), at_site.note.as_str()), ("Dworzec, wiata", "przy kasach"));
        assert_eq!(at_site.position, Some(site.position));
        assert!((100.0..120.0).contains(&at_site.distance_m.unwrap()));
        let landmark = whereabouts(&report(None, Some(p(54.45)), "ławka za Biedronką"), &[], None);
        assert_eq!((landmark.label.as_str(), landmark.distance_m), ("ławka za Biedronką", None));
        assert_eq!(distance_text(111.2, true), "110 m");
        assert_eq!(distance_text(1_234.0, true), "1,2 km");
        assert_eq!(distance_text(1_234.0, false), "1.2 km");
    }

    #[test]
    fn a_report_s_place_in_one_line() {
        let p = Position { lat: 54.441234, lon: 18.561234, accuracy_m: 5.0 };
        let created = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let site = Site::new(Uuid::from_u128(7), "Dworzec, wiata", SiteKind::Station, p, created);
        let line = |r: &Report| whereabouts(r, std::slice::from_ref(&site), None).line();
        assert_eq!(line(&report(Some(site.id), None, "przy kasach")), "Dworzec, wiata (przy kasach)");
        assert_eq!(line(&report(Some(site.id), None, "")), "Dworzec, wiata");
        assert_eq!(line(&report(None, None, "pod mostem")), "pod mostem");
        assert_eq!(line(&report(None, Some(p), "")), "54.44123, 18.56123");
        assert_eq!(line(&report(None, None, "")), "");
    }

    #[test]
    fn open_and_urgent_first_then_the_longest_waiting() {
        let r = |n: u128, urgency: Urgency, status: ReportStatus, hour: u32| Report {
            id: Uuid::from_u128(n),
            received_at: Utc.with_ymd_and_hms(2026, 1, 10, hour, 0, 0).unwrap(),
            urgency,
            status,
            ..report(None, None, "")
        };
        let mut v = vec![
            r(1, Urgency::Urgent, ReportStatus::Closed, 1),
            r(2, Urgency::Low, ReportStatus::New, 1),
            r(3, Urgency::Normal, ReportStatus::Assigned, 5),
            r(4, Urgency::Normal, ReportStatus::New, 3),
            r(5, Urgency::Urgent, ReportStatus::New, 9),
        ];
        work_order(&mut v);
        assert_eq!(v.iter().map(|r| r.id.as_u128()).collect::<Vec<_>>(), vec![5, 4, 3, 2, 1]);
    }

    #[test]
    fn a_report_starts_with_who_files_it_as_its_source() {
        assert_eq!(default_source(Role::Partner, "Straż Miejska Sopot"), ReportSource::CityGuard);
        assert_eq!(default_source(Role::Partner, "KMP Gdańsk — Policja"), ReportSource::Police);
        assert_eq!(default_source(Role::Partner, "MOPS"), ReportSource::Other);
        assert_eq!(default_source(Role::Coordinator, "Straż Miejska"), ReportSource::Phone24h);
    }
}
