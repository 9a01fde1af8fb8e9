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
    crate::order::sort_by(&mut by_distance, |a, b| a.1.total_cmp(&b.1));
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
    crate::order::sort_by(&mut near, |a, b| a.1.total_cmp(&b.1));
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
    crate::order::sort_by(&mut pairs, |a, b| a.cmp(b));
    pairs
}

/// A field of a place that two mapped copies of it may disagree on, decided field by field
/// when a coordinator merges them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SiteField {
    Label,
    Kind,
    Status,
    Position,
    Address,
    AccessNotes,
    Dangers,
    UsualHeadcount,
}

impl SiteField {
    pub const ALL: [SiteField; 8] = [
        SiteField::Label,
        SiteField::Kind,
        SiteField::Status,
        SiteField::Position,
        SiteField::Address,
        SiteField::AccessNotes,
        SiteField::Dangers,
        SiteField::UsualHeadcount,
    ];

    /// The field's name in the protocol (and the translation key's suffix).
    pub fn as_str(self) -> &'static str {
        match self {
            SiteField::Label => "label",
            SiteField::Kind => "kind",
            SiteField::Status => "status",
            SiteField::Position => "position",
            SiteField::Address => "address",
            SiteField::AccessNotes => "access_notes",
            SiteField::Dangers => "dangers",
            SiteField::UsualHeadcount => "usual_headcount",
        }
    }

    /// Free text, which can keep both values joined.
    pub fn is_text(self) -> bool {
        matches!(self, SiteField::Label | SiteField::Address | SiteField::AccessNotes | SiteField::Dangers)
    }

    fn text(self, s: &Site) -> Option<&str> {
        match self {
            SiteField::Label => Some(&s.label),
            SiteField::Address => Some(&s.address),
            SiteField::AccessNotes => Some(&s.access_notes),
            SiteField::Dangers => Some(&s.dangers),
            _ => None,
        }
    }

    /// The field as shown to the coordinator when the two differ (text as typed; the other
    /// fields as their protocol value, which the app translates).
    pub fn differs(self, a: &Site, b: &Site) -> bool {
        match self {
            SiteField::Kind => a.kind != b.kind,
            SiteField::Status => a.status != b.status,
            SiteField::Position => (a.position.lat, a.position.lon) != (b.position.lat, b.position.lon),
            SiteField::UsualHeadcount => a.usual_headcount != b.usual_headcount,
            text => text.text(a).map(str::trim) != text.text(b).map(str::trim),
        }
    }
}

/// Which value a merged field keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keep {
    /// The surviving place's value.
    Survivor,
    /// The other place's value.
    Other,
    /// Both (text fields only): the survivor's, then the other's.
    Both,
}

/// The fields two places disagree on: what the merge screen asks about.
pub fn differing_fields(survivor: &Site, other: &Site) -> Vec<SiteField> {
    SiteField::ALL.into_iter().filter(|f| f.differs(survivor, other)).collect()
}

/// What the merge screen proposes for a field: nothing typed is dropped by default — notes
/// typed on both are kept joined, a value present on one side only is kept; the name and the
/// rest keep the survivor's value (both are on the screen to choose from).
pub fn default_keep(field: SiteField, survivor: &Site, other: &Site) -> Keep {
    match (field.text(survivor).map(str::trim), field.text(other).map(str::trim)) {
        (Some(a), Some(b)) if a == b || b.is_empty() || (field == SiteField::Label && !a.is_empty()) => Keep::Survivor,
        (Some(""), Some(_)) => Keep::Other,
        (Some(_), Some(_)) => Keep::Both,
        _ if field == SiteField::UsualHeadcount && survivor.usual_headcount.is_none() => Keep::Other,
        _ => Keep::Survivor,
    }
}

/// The surviving place with the coordinator's choices applied (a field not in `choices` takes
/// `default_keep`). `Both` joins two texts with " / " on the label and a new line elsewhere;
/// on a field that is not text it keeps the survivor's value.
pub fn merged_site(survivor: &Site, other: &Site, choices: &[(SiteField, Keep)]) -> Site {
    let mut out = survivor.clone();
    for field in differing_fields(survivor, other) {
        let keep =
            choices.iter().find(|(f, _)| *f == field).map_or_else(|| default_keep(field, survivor, other), |c| c.1);
        let joined = |a: &str, b: &str| {
            let sep = if field == SiteField::Label { " / " } else { "\n" };
            match (a.trim(), b.trim()) {
                ("", b) => b.to_owned(),
                (a, "") => a.to_owned(),
                (a, b) => format!("{a}{sep}{b}"),
            }
        };
        let text = |a: &String, b: &String| match keep {
            Keep::Survivor => a.clone(),
            Keep::Other => b.clone(),
            Keep::Both => joined(a, b),
        };
        let take_other = keep == Keep::Other;
        match field {
            SiteField::Label => out.label = text(&survivor.label, &other.label),
            SiteField::Address => out.address = text(&survivor.address, &other.address),
            SiteField::AccessNotes => out.access_notes = text(&survivor.access_notes, &other.access_notes),
            SiteField::Dangers => out.dangers = text(&survivor.dangers, &other.dangers),
            SiteField::Kind if take_other => out.kind = other.kind,
            SiteField::Status if take_other => out.status = other.status,
            SiteField::Position if take_other => out.position = other.position,
            SiteField::UsualHeadcount if take_other => out.usual_headcount = other.usual_headcount,
            _ => {}
        }
    }
    // Not a choice: the merged place was last visited when either was.
    out.last_visit_at = survivor.last_visit_at.max(other.last_visit_at);
    out
}

/// What merging `other` into `survivor` writes: the survivor with the fields the coordinator
/// chose, every contact, report and stop of `other` moved to the survivor, and `other` marked
/// merged (and then deleted, so it stays restorable).
#[derive(Debug, Clone, PartialEq)]
pub struct MergePlan {
    /// The survivor as it is after the merge (equal to it when nothing was taken over).
    pub survivor: Site,
    pub contacts: Vec<Contact>,
    pub reports: Vec<Report>,
    /// Akcja ZIMA stops at the place (those that found nobody are visits by themselves).
    pub stops: Vec<MealRunStop>,
    pub retired: Site,
}

pub fn merge_plan(
    survivor: &Site,
    other: &Site,
    choices: &[(SiteField, Keep)],
    contacts: &[Contact],
    reports: &[Report],
    stops: &[MealRunStop],
) -> MergePlan {
    let moved = |site: Option<Uuid>| site == Some(other.id);
    MergePlan {
        survivor: merged_site(survivor, other, choices),
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

/// Where links to merged places lead: each retired place's id to the place it was merged
/// into, followed to the end. A record linked to a retired place — made offline before the
/// merge reached its phone, or arriving after it in any order — is read as linked to the
/// survivor, on every phone and on the server, without anybody rewriting it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Redirects(HashMap<Uuid, Uuid>);

impl Redirects {
    /// From any places, deleted ones included (a merged place is deleted).
    pub fn new<'a>(sites: impl IntoIterator<Item = &'a Site>) -> Self {
        Redirects(sites.into_iter().filter_map(|s| Some((s.id, s.merged_into?))).filter(|(a, b)| a != b).collect())
    }

    pub fn insert(&mut self, retired: Uuid, survivor: Uuid) {
        if retired != survivor {
            self.0.insert(retired, survivor);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The live place a link to `id` leads to (`id` itself when it was never merged). A chain
    /// (A into B, then B into C) is followed; a cycle (two merges made in opposite directions
    /// offline) ends at the smallest id on it, the same on every replica.
    pub fn follow(&self, id: Uuid) -> Uuid {
        let mut at = id;
        let mut seen = vec![id];
        while let Some(&next) = self.0.get(&at) {
            if seen.contains(&next) {
                let start = seen.iter().position(|s| *s == next).unwrap_or(0);
                return seen[start..].iter().copied().min().unwrap_or(next);
            }
            seen.push(next);
            at = next;
        }
        at
    }

    /// Points a record's place link at the live place.
    pub fn relink<T: crate::protocol::Record>(&self, record: &mut T) {
        if self.0.is_empty() {
            return;
        }
        if let Some(link) = record.site_link() {
            if let Some(id) = *link {
                *link = Some(self.follow(id));
            }
        }
    }

    pub fn relink_all<T: crate::protocol::Record>(&self, records: &mut [T]) {
        if !self.0.is_empty() {
            records.iter_mut().for_each(|r| self.relink(r));
        }
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
    crate::order::sort_by_key(&mut v, |v| std::cmp::Reverse(v.at));
    v
}

/// When a place was last visited: the latest of the visits at hand and the last visit kept on
/// the place (which outlives the contacts a phone lets go of at the end of its window).
pub fn last_visit(site: &Site, contacts: &[Contact], stops: &[MealRunStop]) -> Option<DateTime<Utc>> {
    visit_times(site, contacts, stops).max()
}

/// Every time a place is known to have been visited: the contacts and done stops at hand, and
/// the last visit kept on the place.
fn visit_times<'a>(
    site: &'a Site,
    contacts: &'a [Contact],
    stops: &'a [MealRunStop],
) -> impl Iterator<Item = DateTime<Utc>> + 'a {
    let by_contact = contacts.iter().filter(|c| c.site_id == Some(site.id)).map(|c| c.at);
    let by_stop =
        stops.iter().filter(|s| s.site_id == Some(site.id) && s.status == StopStatus::Done).filter_map(|s| s.done_at);
    by_contact.chain(by_stop).chain(site.last_visit_at)
}

/// How far after now a visit may lie and still count (a phone's clock a little ahead, a night
/// entered on the wrong side of midnight); anything later is a mistake, never a visit.
pub const CLOCK_SLACK: chrono::Duration = chrono::Duration::days(1);

impl Site {
    /// Whether the place matches a search text (in its label or address, case ignored).
    pub fn matches_search(&self, text: &str) -> bool {
        let text = text.trim().to_lowercase();
        text.is_empty() || self.label.to_lowercase().contains(&text) || self.address.to_lowercase().contains(&text)
    }
}

/// Whether a place was last visited more than `days` days before `now` (or never). A visit
/// dated more than [`CLOCK_SLACK`] after `now` does not count: a wrong time must not hide a
/// place from this list.
pub fn not_visited_for(
    site: &Site,
    contacts: &[Contact],
    stops: &[MealRunStop],
    days: i64,
    now: DateTime<Utc>,
) -> bool {
    let last = visit_times(site, contacts, stops).filter(|at| *at <= now + CLOCK_SLACK).max();
    last.is_none_or(|last| now - last > chrono::Duration::days(days))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PositionStatus, SiteKind};
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn search_looks_at_label_and_address_ignoring_case() {
        let at = Position { lat: 54.44, lon: 18.56, accuracy_m: 5.0 };
        let s = Site {
            address: "ROD Bursztyn".into(),
            ..Site::new(
                Uuid::nil(),
                "Altanka przy torach",
                SiteKind::AllotmentShed,
                at,
                Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            )
        };
        assert!(s.matches_search("  TORACH "));
        assert!(s.matches_search("bursztyn"));
        assert!(s.matches_search(""));
        assert!(!s.matches_search("dworzec"));
    }

    fn at(lat: f64, lon: f64) -> Position {
        Position { lat, lon, accuracy_m: 10.0 }
    }

    fn site(n: u128, lat: f64, lon: f64) -> Site {
        let created = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        Site::new(Uuid::from_u128(n), format!("miejsce {n}"), SiteKind::AllotmentShed, at(lat, lon), created)
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
        let received = Utc.with_ymd_and_hms(2026, 1, 1, 22, 0, 0).unwrap();
        let report =
            Report { site_id: Some(gone.id), ..Report::new(Uuid::from_u128(30), received, "Ktoś śpi w altanie") };
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
        let plan = merge_plan(&keep, &gone, &[], &contacts, std::slice::from_ref(&report), std::slice::from_ref(&stop));
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
    fn merging_shows_every_difference_and_keeps_what_both_workers_typed_by_default() {
        let mut most = site(1, 54.44, 18.56);
        most.label = "Most na Warcie".into();
        most.dangers = "pies na łańcuchu".into();
        let mut wiadukt = site(2, 54.4401, 18.56);
        wiadukt.label = "Wiadukt nad Wartą".into();
        wiadukt.dangers = "dach się zapada".into();
        wiadukt.access_notes = "od strony torów".into();
        wiadukt.usual_headcount = Some(3);
        assert_eq!(
            differing_fields(&most, &wiadukt),
            [
                SiteField::Label,
                SiteField::Position,
                SiteField::AccessNotes,
                SiteField::Dangers,
                SiteField::UsualHeadcount
            ]
        );
        // Nothing chosen: dangers typed on both are joined, what only the other has is taken.
        let m = merged_site(&most, &wiadukt, &[]);
        assert_eq!(m.dangers, "pies na łańcuchu\ndach się zapada");
        assert_eq!(m.access_notes, "od strony torów");
        assert_eq!(m.usual_headcount, Some(3));
        assert_eq!(m.label, "Most na Warcie", "the survivor's name unless both are chosen");
        assert_eq!(
            merged_site(&most, &wiadukt, &[(SiteField::Label, Keep::Both)]).label,
            "Most na Warcie / Wiadukt nad Wartą"
        );
        assert_eq!((m.id, m.position), (most.id, most.position));
        // The coordinator's choices, field by field.
        let chosen = [
            (SiteField::Label, Keep::Survivor),
            (SiteField::Dangers, Keep::Other),
            (SiteField::Position, Keep::Other),
            (SiteField::UsualHeadcount, Keep::Survivor),
        ];
        let m = merged_site(&most, &wiadukt, &chosen);
        assert_eq!((m.label.as_str(), m.dangers.as_str()), ("Most na Warcie", "dach się zapada"));
        assert_eq!((m.position, m.usual_headcount), (wiadukt.position, None));
        // Both on a field that is not text keeps the survivor's value.
        assert_eq!(merged_site(&most, &wiadukt, &[(SiteField::Position, Keep::Both)]).position, most.position);
        // The plan writes the survivor with the choices.
        assert_eq!(merge_plan(&most, &wiadukt, &chosen, &[], &[], &[]).survivor, m);
        // Equal places: nothing to decide, the survivor unchanged.
        assert!(differing_fields(&most, &most).is_empty());
        assert_eq!(merged_site(&most, &most.clone(), &[]), most);
        // The last visit is the later of the two, whatever was chosen.
        wiadukt.last_visit_at = Some(Utc.with_ymd_and_hms(2026, 1, 9, 22, 0, 0).unwrap());
        assert_eq!(merged_site(&most, &wiadukt, &chosen).last_visit_at, wiadukt.last_visit_at);
        assert_eq!(merged_site(&wiadukt, &most, &[]).last_visit_at, wiadukt.last_visit_at);
    }

    #[test]
    fn links_to_merged_places_lead_to_the_survivor_through_chains_and_cycles() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let mut sa = site(1, 54.0, 18.0);
        sa.merged_into = Some(b);
        let mut sb = site(2, 54.0, 18.0);
        sb.merged_into = Some(c);
        let r = Redirects::new([&sa, &sb, &site(3, 54.0, 18.0)]);
        assert_eq!((r.follow(a), r.follow(b), r.follow(c)), (c, c, c));
        assert_eq!(r.follow(Uuid::from_u128(9)), Uuid::from_u128(9));
        let mut contact = contact_at(1, Some(a), 3);
        r.relink(&mut contact);
        assert_eq!(contact.site_id, Some(c));
        // Two merges made offline in opposite directions: every replica picks the same place.
        let mut cyc = Redirects::default();
        cyc.insert(b, c);
        cyc.insert(c, b);
        assert_eq!((cyc.follow(b), cyc.follow(c)), (b, b));
    }

    #[test]
    fn visits_are_newest_first_and_age_is_counted_from_the_last() {
        let s = Uuid::from_u128(1);
        let contacts = [contact_at(1, Some(s), 3), contact_at(2, Some(s), 9), contact_at(3, None, 20)];
        let v = visits(s, &contacts, &[]);
        assert_eq!(v.iter().map(|v| v.contact.unwrap().as_u128()).collect::<Vec<_>>(), [1_002, 1_001]);
        let now = Utc.with_ymd_and_hms(2026, 1, 20, 12, 0, 0).unwrap();
        let place = site(1, 54.0, 18.0);
        assert!(not_visited_for(&place, &contacts, &[], 7, now));
        assert!(!not_visited_for(&place, &contacts, &[], 14, now));
        assert!(not_visited_for(&site(9, 54.0, 18.0), &contacts, &[], 365, now), "never visited");
    }

    #[test]
    fn the_last_visit_kept_on_the_place_outlives_the_contacts_a_phone_let_go_of() {
        let place = site(1, 54.0, 18.0);
        let now = Utc.with_ymd_and_hms(2026, 1, 20, 12, 0, 0).unwrap();
        let visit = contact_at(1, Some(place.id), 9);
        // The phone saves the contact (an hour later) and raises the place's last visit.
        let saved = visit.at + chrono::Duration::hours(1);
        let kept = place.visited(visit.at, saved).expect("a first visit changes the place");
        assert_eq!(kept.last_visit_at, Some(visit.at));
        assert_eq!(kept.visited(visit.at, saved), None, "the same visit again changes nothing");
        assert_eq!(kept.visited(visit.at - chrono::Duration::days(1), saved), None, "an older visit changes nothing");
        assert_eq!(kept.visited(saved + chrono::Duration::days(2), saved), None, "a visit two days ahead is a mistake");
        assert!(kept.visited(saved + chrono::Duration::hours(20), saved).is_some(), "a clock a little ahead counts");
        let ahead = Site { last_visit_at: Some(now + chrono::Duration::days(300)), ..kept.clone() };
        assert!(not_visited_for(&ahead, &[], &[], 7, now), "a wrong date far ahead hides nothing");
        // The window ends, the contact is gone from the phone: the place still knows.
        assert!(!not_visited_for(&kept, &[], &[], 14, now));
        assert!(not_visited_for(&kept, &[], &[], 7, now));
        assert!(not_visited_for(&place, &[], &[], 14, now), "without it the place looks never visited");
        // A visit at hand that is later than the kept one counts.
        let later = contact_at(2, Some(place.id), 18);
        assert_eq!(last_visit(&kept, std::slice::from_ref(&later), &[]), Some(later.at));
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

        /// A contact recorded offline at "Wiadukt nad Wartą" while the coordinator merges it
        /// into "Most na Warcie" (and, in some runs, the survivor later into a third place):
        /// whatever order a replica receives the changes in, the contact, the survivor's
        /// history and the indicators all see it at the one live place.
        #[test]
        fn a_link_to_a_merged_place_follows_it_in_any_order(
            order in Just((0..13usize).collect::<Vec<_>>()).prop_shuffle(),
            chained in any::<bool>(),
        ) {
            use crate::protocol::{fields_of, from_fields, Record};
            use crate::sync::RecordState;
            use crate::Op;
            let (most, wiadukt, third) = (site(1, 54.44, 18.56), site(2, 54.4401, 18.56), site(3, 54.4402, 18.56));
            let earlier = contact_at(1, Some(wiadukt.id), 3);
            let offline = contact_at(2, Some(wiadukt.id), 4);
            let plan = merge_plan(&most, &wiadukt, &[], std::slice::from_ref(&earlier), &[], &[]);
            let second = merge_plan(&third, &plan.survivor, &[], &plan.contacts, &[], &[]);
            type Change = (&'static str, Uuid, Op, serde_json::Map<String, serde_json::Value>);
            fn up<T: Record>(r: &T) -> Change {
                (T::COLLECTION, r.id(), Op::Upsert, fields_of(r))
            }
            let mut changes: Vec<Change> = vec![
                up(&most), up(&wiadukt), up(&third), up(&earlier), up(&offline),
                up(&plan.survivor), up(&plan.contacts[0]), up(&plan.retired),
                ("sites", wiadukt.id, Op::Delete, Default::default()),
            ];
            // HLCs in the order the changes were made, whatever order they arrive in.
            let mut hlcs: Vec<String> = (0..changes.len()).map(|i| format!("{i:04}")).collect();
            if chained {
                changes.extend([up(&second.survivor), up(&second.contacts[0]), up(&second.retired)]);
                changes.push(("sites", most.id, Op::Delete, Default::default()));
                hlcs.extend((9..13).map(|i| format!("{i:04}")));
            }
            let arrival: Vec<usize> = order.iter().copied().filter(|&i| i < changes.len()).collect();
            let mut replica: std::collections::BTreeMap<(&str, Uuid), RecordState> = Default::default();
            for &i in &arrival {
                let (coll, id, op, fields) = &changes[i];
                replica.entry((*coll, *id)).or_default().apply(*op, fields, &hlcs[i]);
            }
            let read = |coll: &str| -> Vec<(serde_json::Map<String, serde_json::Value>, Uuid, bool)> {
                replica.iter().filter(|((c, _), _)| *c == coll).map(|((_, id), r)| (r.fields.clone(), *id, r.deleted)).collect()
            };
            let with_id = |(mut f, id, deleted): (serde_json::Map<String, serde_json::Value>, Uuid, bool)| {
                f.insert("id".into(), serde_json::json!(id));
                (f, deleted)
            };
            let all_sites: Vec<(Site, bool)> =
                read("sites").into_iter().map(with_id).map(|(f, d)| (from_fields(f).unwrap(), d)).collect();
            let mut contacts: Vec<Contact> =
                read("contacts").into_iter().map(with_id).map(|(f, _)| from_fields(f).unwrap()).collect();
            let live: Vec<Site> = all_sites.iter().filter(|(_, d)| !d).map(|(s, _)| s.clone()).collect();
            let survivor = if chained { third.id } else { most.id };
            prop_assert_eq!(live.iter().map(|s| s.id).collect::<Vec<_>>(), if chained { vec![third.id] } else { vec![most.id, third.id] });
            let redirects = Redirects::new(all_sites.iter().map(|(s, _)| s));
            let as_stored = contacts.clone();
            redirects.relink_all(&mut contacts);
            prop_assert!(contacts.iter().all(|c| c.site_id == Some(survivor)), "{:?}", contacts);
            prop_assert_eq!(visits(survivor, &contacts, &[]).len(), 2);
            // The indicators count the one live place.
            let dataset = crate::indicators::Dataset {
                contacts: as_stored,
                sites: live,
                merged: redirects,
                ..Default::default()
            };
            let january = crate::indicators::Period::new(
                chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
                None,
            ).unwrap();
            prop_assert_eq!(crate::indicators::compute(&dataset, &january).places_active, 1);
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
