//! The map of non-residential places: distances, the places nearest to a position, the ones a
//! new place may duplicate, duplicates found after sync, merging two places, and each place's
//! visits. Great-circle distances (haversine) through `geo`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use geo::{Distance, Haversine, Point};
use uuid::Uuid;

use crate::model::{Contact, MealRunStop, Position, Report, Site, SiteStatus, StopStatus};

/// Within this distance a new place warns of an existing one (a setting; this is its default).
pub const DUPLICATE_RADIUS_M: f64 = 30.0;

/// Metres between two positions along the earth's surface.
pub fn distance_m(a: &Position, b: &Position) -> f64 {
    Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

/// A place that still counts on the map: not closed, not merged into another.
pub fn is_live(s: &Site) -> bool {
    s.status != SiteStatus::Closed && s.merged_into.is_none()
}

/// Up to `n` places nearest to `at`, nearest first, with their distances.
pub fn nearest<'a>(sites: impl IntoIterator<Item = &'a Site>, at: &Position, n: usize) -> Vec<(&'a Site, f64)> {
    let mut by_distance: Vec<(&Site, f64)> =
        sites.into_iter().filter(|s| s.merged_into.is_none()).map(|s| (s, distance_m(&s.position, at))).collect();
    by_distance.sort_by(|a, b| a.1.total_cmp(&b.1));
    by_distance.truncate(n);
    by_distance
}

/// Live places within `radius_m` of `at` other than `except`: what creating a place there
/// warns about, nearest first.
pub fn near_duplicates<'a>(
    sites: impl IntoIterator<Item = &'a Site>,
    at: &Position,
    radius_m: f64,
    except: Uuid,
) -> Vec<(&'a Site, f64)> {
    let mut near: Vec<(&Site, f64)> = sites
        .into_iter()
        .filter(|s| s.id != except && is_live(s))
        .map(|s| (s, distance_m(&s.position, at)))
        .filter(|(_, d)| *d <= radius_m)
        .collect();
    near.sort_by(|a, b| a.1.total_cmp(&b.1));
    near
}

/// Pairs of live places within `radius_m` of each other (each pair once, the smaller id first,
/// sorted): what the coordinator is asked to look at after two phones created the same place.
/// Places are put in cells about `radius_m` wide, so each is compared with its neighbours only.
pub fn duplicate_pairs(sites: &[Site], radius_m: f64) -> Vec<(Uuid, Uuid)> {
    let live: Vec<&Site> = sites.iter().filter(|s| is_live(s)).collect();
    // One degree of latitude is ~111 km; a degree of longitude shrinks with the latitude, so
    // cells are as many degrees of longitude as make `radius_m` at the most poleward place.
    let lat_step = (radius_m / 111_000.0).max(1e-9);
    let max_lat = live.iter().map(|s| s.position.lat.abs()).fold(0.0_f64, f64::max).min(89.0);
    let lon_step = (lat_step / max_lat.to_radians().cos()).max(1e-9);
    let cell = |p: &Position| ((p.lat / lat_step).floor() as i64, (p.lon / lon_step).floor() as i64);
    let mut grid: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for (i, s) in live.iter().enumerate() {
        grid.entry(cell(&s.position)).or_default().push(i);
    }
    let mut pairs = Vec::new();
    for s in &live {
        let (cy, cx) = cell(&s.position);
        for dy in -1..=1 {
            for dx in -1..=1 {
                for &j in grid.get(&(cy + dy, cx + dx)).into_iter().flatten() {
                    let o = live[j];
                    if s.id < o.id && distance_m(&s.position, &o.position) <= radius_m {
                        pairs.push((s.id, o.id));
                    }
                }
            }
        }
    }
    pairs.sort();
    pairs
}

/// What merging `other` into `survivor` writes: every contact and report of `other` moves to
/// the survivor, and `other` is marked merged (and then deleted, so it stays restorable).
#[derive(Debug, Clone, PartialEq)]
pub struct MergePlan {
    pub contacts: Vec<Contact>,
    pub reports: Vec<Report>,
    /// Akcja ZIMA stops at the place (those that found nobody are visits by themselves).
    pub stops: Vec<MealRunStop>,
    pub retired: Site,
}

pub fn merge_plan(
    survivor: &Site,
    other: &Site,
    contacts: &[Contact],
    reports: &[Report],
    stops: &[MealRunStop],
) -> MergePlan {
    let moved = |site: Option<Uuid>| site == Some(other.id);
    MergePlan {
        stops: stops
            .iter()
            .filter(|s| moved(s.site_id))
            .map(|s| MealRunStop { site_id: Some(survivor.id), ..s.clone() })
            .collect(),
        contacts: contacts
            .iter()
            .filter(|c| moved(c.site_id))
            .map(|c| Contact { site_id: Some(survivor.id), ..c.clone() })
            .collect(),
        reports: reports
            .iter()
            .filter(|r| moved(r.site_id))
            .map(|r| Report { site_id: Some(survivor.id), ..r.clone() })
            .collect(),
        retired: Site { merged_into: Some(survivor.id), ..other.clone() },
    }
}

/// A visit to a place: a contact made there, or an Akcja ZIMA stop that found nobody (a stop
/// that found people wrote a contact, counted once as that contact).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Visit {
    pub contact: Option<Uuid>,
    pub stop: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub people: u32,
}

/// The visits of a place, newest first.
pub fn visits(site: Uuid, contacts: &[Contact], stops: &[MealRunStop]) -> Vec<Visit> {
    let mut v: Vec<Visit> = contacts
        .iter()
        .filter(|c| c.site_id == Some(site))
        .map(|c| Visit { contact: Some(c.id), stop: None, at: c.at, people: c.headcount })
        .collect();
    v.extend(
        stops
            .iter()
            .filter(|s| s.site_id == Some(site) && s.status == StopStatus::Done && s.contact_id.is_none())
            .filter_map(|s| Some(Visit { contact: None, stop: Some(s.id), at: s.done_at?, people: s.people_found })),
    );
    v.sort_by_key(|v| std::cmp::Reverse(v.at));
    v
}

/// Whether a place was last visited more than `days` days before `now` (or never).
pub fn not_visited_for(site: Uuid, contacts: &[Contact], stops: &[MealRunStop], days: i64, now: DateTime<Utc>) -> bool {
    let by_contact = contacts.iter().filter(|c| c.site_id == Some(site)).map(|c| c.at);
    let by_stop =
        stops.iter().filter(|s| s.site_id == Some(site) && s.status == StopStatus::Done).filter_map(|s| s.done_at);
    by_contact.chain(by_stop).max().is_none_or(|last| now - last > chrono::Duration::days(days))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PositionStatus, SiteKind};
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(lat: f64, lon: f64) -> Position {
        Position { lat, lon, accuracy_m: 10.0 }
    }

    fn site(n: u128, lat: f64, lon: f64) -> Site {
        Site {
            id: Uuid::from_u128(n),
            label: format!("miejsce {n}"),
            kind: SiteKind::AllotmentShed,
            position: at(lat, lon),
            address: String::new(),
            access_notes: String::new(),
            dangers: String::new(),
            status: SiteStatus::Active,
            usual_headcount: None,
            created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            merged_into: None,
        }
    }

    fn contact_at(n: u128, site: Option<Uuid>, day: u32) -> Contact {
        let mut c = Contact::quick(
            Uuid::from_u128(1_000 + n),
            None,
            Utc.with_ymd_and_hms(2026, 1, day, 22, 0, 0).unwrap(),
            Err(PositionStatus::Unavailable),
        );
        c.site_id = site;
        c
    }

    #[test]
    fn distances_match_the_map() {
        // Sopot pier to Gdańsk Główny: ~11.2 km.
        let d = distance_m(&at(54.4476, 18.5690), &at(54.3556, 18.6444));
        assert!((11_000.0..11_500.0).contains(&d), "{d}");
        // 0.0002° of latitude is ~22 m: within the duplicate radius; 0.0004° (~44 m) is not.
        assert!(distance_m(&at(54.44, 18.56), &at(54.4402, 18.56)) < DUPLICATE_RADIUS_M);
        assert!(distance_m(&at(54.44, 18.56), &at(54.4404, 18.56)) > DUPLICATE_RADIUS_M);
    }

    #[test]
    fn a_new_place_warns_of_live_places_nearby_only() {
        let mut closed = site(2, 54.4401, 18.56);
        closed.status = SiteStatus::Closed;
        let sites = [site(1, 54.4402, 18.56), closed, site(3, 54.45, 18.56)];
        let near = near_duplicates(&sites, &at(54.44, 18.56), DUPLICATE_RADIUS_M, Uuid::nil());
        assert_eq!(near.iter().map(|(s, _)| s.id).collect::<Vec<_>>(), [Uuid::from_u128(1)]);
        // Editing place 1 itself does not warn about itself.
        assert!(near_duplicates(&sites, &at(54.44, 18.56), DUPLICATE_RADIUS_M, Uuid::from_u128(1)).is_empty());
    }

    #[test]
    fn the_nearest_places_come_first() {
        let sites = [site(1, 54.46, 18.56), site(2, 54.441, 18.56), site(3, 54.45, 18.56)];
        let got: Vec<u128> = nearest(&sites, &at(54.44, 18.56), 2).iter().map(|(s, _)| s.id.as_u128()).collect();
        assert_eq!(got, [2, 3]);
    }

    #[test]
    fn merging_moves_every_visit_and_retires_the_other() {
        let (keep, gone) = (site(1, 54.44, 18.56), site(2, 54.4401, 18.56));
        let contacts = [contact_at(1, Some(gone.id), 3), contact_at(2, Some(keep.id), 4), contact_at(3, None, 5)];
        let report = Report {
            id: Uuid::from_u128(30),
            received_at: Utc.with_ymd_and_hms(2026, 1, 1, 22, 0, 0).unwrap(),
            source: crate::model::ReportSource::Phone24h,
            site_id: Some(gone.id),
            position: None,
            description: "Ktoś śpi w altanie".into(),
            urgency: crate::model::Urgency::Normal,
            status: crate::model::ReportStatus::New,
            assigned_patrol: None,
            assigned_to: String::new(),
            contact_id: None,
            checked_at: None,
            outcome: String::new(),
        };
        let candidate = crate::zima::Candidate {
            site_id: Some(gone.id),
            report_id: None,
            label: gone.label.clone(),
            position: gone.position,
            people_last_time: 0,
        };
        // An Akcja ZIMA stop there that found nobody: a visit of its own.
        let stop = MealRunStop {
            status: StopStatus::Done,
            done_at: Some(Utc.with_ymd_and_hms(2026, 1, 6, 22, 0, 0).unwrap()),
            ..candidate.to_stop(Uuid::from_u128(40), Uuid::from_u128(41), 1)
        };
        let plan = merge_plan(&keep, &gone, &contacts, std::slice::from_ref(&report), std::slice::from_ref(&stop));
        assert_eq!(plan.contacts.len(), 1);
        assert_eq!(plan.reports.iter().map(|r| r.site_id).collect::<Vec<_>>(), [Some(keep.id)]);
        assert_eq!(plan.stops.iter().map(|s| s.site_id).collect::<Vec<_>>(), [Some(keep.id)]);
        assert_eq!(visits(keep.id, &[], &plan.stops).len(), 1, "the stop's visit moves too");
        assert_eq!(plan.contacts[0].site_id, Some(keep.id));
        assert_eq!(plan.retired.merged_into, Some(keep.id));
        let after: Vec<Contact> =
            contacts.iter().map(|c| plan.contacts.iter().find(|m| m.id == c.id).unwrap_or(c).clone()).collect();
        assert_eq!(visits(keep.id, &after, &[]).len(), 2, "the survivor's history holds both visits");
        assert!(visits(gone.id, &after, &[]).is_empty());
        assert!(!is_live(&plan.retired));
    }

    #[test]
    fn visits_are_newest_first_and_age_is_counted_from_the_last() {
        let s = Uuid::from_u128(1);
        let contacts = [contact_at(1, Some(s), 3), contact_at(2, Some(s), 9), contact_at(3, None, 20)];
        let v = visits(s, &contacts, &[]);
        assert_eq!(v.iter().map(|v| v.contact.unwrap().as_u128()).collect::<Vec<_>>(), [1_002, 1_001]);
        let now = Utc.with_ymd_and_hms(2026, 1, 20, 12, 0, 0).unwrap();
        assert!(not_visited_for(s, &contacts, &[], 7, now));
        assert!(!not_visited_for(s, &contacts, &[], 14, now));
        assert!(not_visited_for(Uuid::from_u128(9), &contacts, &[], 365, now), "never visited");
    }

    proptest! {
        #[test]
        fn duplicate_pairs_are_exactly_the_close_pairs(
            points in prop::collection::vec((54.40f64..54.42, 18.50f64..18.53), 0..60),
            radius in 5.0f64..400.0,
        ) {
            let sites: Vec<Site> = points.iter().enumerate().map(|(i, (lat, lon))| site(i as u128 + 1, *lat, *lon)).collect();
            let mut brute = Vec::new();
            for a in &sites {
                for b in &sites {
                    if a.id < b.id && distance_m(&a.position, &b.position) <= radius {
                        brute.push((a.id, b.id));
                    }
                }
            }
            brute.sort();
            prop_assert_eq!(duplicate_pairs(&sites, radius), brute);
        }

        #[test]
        fn distance_is_symmetric_and_zero_only_at_the_same_place(
            a in (-89.0f64..89.0, -179.0f64..179.0), b in (-89.0f64..89.0, -179.0f64..179.0),
        ) {
            let (p, q) = (at(a.0, a.1), at(b.0, b.1));
            prop_assert!((distance_m(&p, &q) - distance_m(&q, &p)).abs() < 1e-6);
            prop_assert!(distance_m(&p, &p) < 1e-6);
            prop_assert!(distance_m(&p, &q) <= 20_040_000.0);
        }
    }
}
