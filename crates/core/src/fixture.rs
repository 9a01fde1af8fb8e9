//! A fixture of raw records built to match Sopot's summer streetworking of 2021, as its yearly
//! report gives it (`../shared/seeds/`): 150 patrols (450 h), 977 contacts of which 97 with
//! women and 21 with children, pre-medical help given 394 times, 111 masks. A few places, reports
//! from the 24 h line and one meal run are added so that every row of the table has a number.
//!
//! The native tests compute over it; the server's tests push it through the sync API; the
//! end-to-end test takes it from `cargo run -p latarnia-core --example sopot_fixture`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use uuid::Uuid;

use crate::hlc::Hlc;
use crate::indicators::{poland_to_utc, Dataset};
use crate::model::*;
use crate::protocol::{fields_of, Mutation, Op, Record};

pub const SOPOT_PATROLS: usize = 150;
pub const SOPOT_PATROL_MINUTES: i64 = 180;
pub const SOPOT_CONTACTS: usize = 977;
pub const SOPOT_WITH_WOMEN: usize = 97;
pub const SOPOT_WITH_CHILDREN: usize = 21;
pub const SOPOT_PREMEDICAL: usize = 394;
pub const SOPOT_MASKS: usize = 111;
pub const SOPOT_PLACES: usize = 6;

/// The streetworkers of the fixture (6, as in the report), in the patrols' team lists.
pub const SOPOT_TEAM: [&str; 6] = ["Ania", "Bartek", "Celina", "Darek", "Ewa", "Filip"];

fn id(kind: u128, n: usize) -> Uuid {
    Uuid::from_u128((0x50_0000_0000 << 32) | (kind << 32) | n as u128)
}

fn local(date: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    poland_to_utc(date.and_time(NaiveTime::from_hms_opt(h, m, 0).expect("a time")))
}

/// Sopot's summer of 2021 (1 June – 31 August).
pub fn sopot_summer_2021() -> Dataset {
    let first = NaiveDate::from_ymd_opt(2021, 6, 1).expect("a date");
    let days = 92; // June, July, August
    let mut f = Dataset::default();

    for i in 0..SOPOT_PATROLS {
        // Evenings from 18:00, spread over the summer; every tenth starts at 22:30 and ends
        // after midnight.
        let date = first + Duration::days((i * days / SOPOT_PATROLS) as i64);
        let start = if i % 10 == 9 { local(date, 22, 30) } else { local(date, 18, 0) };
        f.patrols.push(Patrol {
            id: id(1, i),
            kind: PatrolKind::Streetworking,
            team: vec![SOPOT_TEAM[i % 6].into(), SOPOT_TEAM[(i + 1) % 6].into()],
            partner: None,
            area: "Sopot".into(),
            started_at: start,
            ended_at: Some(start + Duration::minutes(SOPOT_PATROL_MINUTES)),
            notes: String::new(),
            started_by: None,
        });
    }

    for i in 0..SOPOT_PLACES {
        let created = local(first + Duration::days(i as i64 * 3), 19, 0);
        let site = Site {
            id: id(3, i),
            label: format!("Miejsce {}", i + 1),
            kind: if i % 2 == 0 { SiteKind::ParkForest } else { SiteKind::Station },
            // Thousandths, written as the nearest float (what JSON reads back).
            position: Position {
                lat: (54_440 + 2 * i) as f64 / 1000.0,
                lon: (18_560 + 2 * i) as f64 / 1000.0,
                accuracy_m: 10.0,
            },
            address: String::new(),
            access_notes: String::new(),
            dangers: String::new(),
            // The last one was closed (fenced off) in August.
            status: if i == SOPOT_PLACES - 1 { SiteStatus::Closed } else { SiteStatus::Active },
            usual_headcount: Some(2),
            created_at: created,
            merged_into: None,
            last_visit_at: None,
        };
        let status_at = if site.status == SiteStatus::Closed {
            local(NaiveDate::from_ymd_opt(2021, 8, 20).expect("a date"), 12, 0)
        } else {
            created
        };
        f.status_set_at.insert(site.id, status_at);
        f.sites.push(site);
    }

    let pseudonyms = ["Ryba", "Kaszub", "ryba", "Profesor", "Zosia", "Marynarz", " kaszub "];
    for j in 0..SOPOT_CONTACTS {
        let patrol = &f.patrols[j % SOPOT_PATROLS];
        let at = patrol.started_at + Duration::minutes(10 + (j / SOPOT_PATROLS) as i64 * 20);
        let mut c =
            Contact::quick(id(2, j), Some(patrol.id), at, Ok(Position { lat: 54.44, lon: 18.56, accuracy_m: 15.0 }));
        c.headcount = if j % 7 == 0 { 2 } else { 1 };
        c.sleeping_rough = Some(true);
        c.gender = Some(match j {
            _ if j < SOPOT_WITH_WOMEN - 10 => Gender::Female,
            _ if j < SOPOT_WITH_WOMEN => Gender::Mixed,
            _ => Gender::Male,
        });
        if (200..200 + SOPOT_WITH_CHILDREN).contains(&j) {
            c.age_band = Some(AgeBand::Child);
        }
        if j >= SOPOT_CONTACTS - SOPOT_PREMEDICAL {
            c.given.insert(Item::PremedicalHelp, 1);
        }
        if (300..300 + SOPOT_MASKS).contains(&j) {
            c.given.insert(Item::Mask, 1);
        }
        if j % 3 == 0 {
            c.given.insert(Item::HotDrink, 1);
        }
        if j < pseudonyms.len() {
            c.pseudonym = pseudonyms[j].into();
        }
        if (500..500 + SOPOT_PLACES).contains(&j) {
            c.site_id = Some(f.sites[j - 500].id);
        }
        match j {
            600..=602 => {
                c.referrals.push(Referral { kind: ReferralKind::NightShelter, outcome: ReferralOutcome::Accepted })
            }
            603 => c.referrals.push(Referral { kind: ReferralKind::Shelter, outcome: ReferralOutcome::Refused }),
            604 | 605 => {
                c.referrals.push(Referral { kind: ReferralKind::AmbulanceCalled, outcome: ReferralOutcome::Accepted })
            }
            606 => c.help_refused = true,
            _ => {}
        }
        f.contacts.push(c);
    }

    // Four reports from the 24 h line: three checked after 30, 90 and 150 minutes, two closed
    // (July and August), one still new.
    for (n, (month, checked_after, closed_on)) in
        [(6, Some(30), Some((7, 2))), (7, Some(90), Some((8, 5))), (7, Some(150), None), (8, None, None)]
            .into_iter()
            .enumerate()
    {
        let received = local(NaiveDate::from_ymd_opt(2021, month, 10).expect("a date"), 21, 0);
        let status = match (checked_after, closed_on) {
            (_, Some(_)) => ReportStatus::Closed,
            (Some(_), None) => ReportStatus::Checked,
            _ => ReportStatus::New,
        };
        let report = Report {
            id: id(4, n),
            received_at: received,
            source: ReportSource::Phone24h,
            site_id: Some(f.sites[n].id),
            position: None,
            place_note: String::new(),
            filed_by: String::new(),
            description: format!("Zgłoszenie {}: osoba śpi na ławce", n + 1),
            urgency: Urgency::Normal,
            status,
            assigned_patrol: None,
            assigned_to: String::new(),
            contact_id: None,
            checked_at: checked_after.map(|m| received + Duration::minutes(m)),
            outcome: if closed_on.is_some() { "Osoba przyjęła pomoc".into() } else { String::new() },
        };
        let status_at =
            closed_on.map_or(received, |(m, d)| local(NaiveDate::from_ymd_opt(2021, m, d).expect("a date"), 10, 0));
        f.status_set_at.insert(report.id, status_at);
        f.reports.push(report);
    }

    // One meal run in July: two stops done (7 meals, 9 hot drinks), one skipped.
    let run_date = NaiveDate::from_ymd_opt(2021, 7, 15).expect("a date");
    let run = MealRun {
        id: id(5, 0),
        date: run_date,
        forecast_min_c: None,
        team: vec!["Ania".into(), "Darek".into()],
        vehicle: "Bus".into(),
        depot_label: "MOPS".into(),
        depot: Position { lat: 54.44, lon: 18.56, accuracy_m: 0.0 },
        load: default_load(),
        planned_distance_m: 4_000.0,
        planned_minutes: 40.0,
        started_at: Some(local(run_date, 21, 0)),
        ended_at: Some(local(run_date, 23, 0)),
        created_at: local(run_date, 12, 0),
    };
    for (n, (status, meals, drinks)) in
        [(StopStatus::Done, 3, 4), (StopStatus::Done, 4, 5), (StopStatus::Skipped, 0, 0)].into_iter().enumerate()
    {
        let mut given = BTreeMap::new();
        if meals > 0 {
            given.insert(Item::HotMeal, meals);
            given.insert(Item::HotDrink, drinks);
        }
        f.stops.push(MealRunStop {
            id: id(6, n),
            run_id: run.id,
            seq: n as u32 + 1,
            site_id: Some(f.sites[n].id),
            report_id: None,
            label: f.sites[n].label.clone(),
            position: f.sites[n].position,
            status,
            skip_reason: if status == StopStatus::Skipped { "Brak dojazdu".into() } else { String::new() },
            people_found: meals,
            given,
            condition: None,
            ambulance_called: false,
            taken_to_shelter: false,
            refused: false,
            notes: String::new(),
            done_at: (status == StopStatus::Done).then(|| local(run_date, 21, 30 + n as u32 * 10)),
            contact_id: None,
        });
    }
    f.runs.push(run);
    f
}

impl Dataset {
    /// Every record as an upsert from `client`, `mid`s from `first_mid` on. Each mutation's HLC
    /// is the record's own time (for places and reports, when their status was set), so the
    /// server dates "closed" as the records say.
    pub fn mutations(&self, client: Uuid, first_mid: u64) -> Vec<Mutation> {
        let mut out = Vec::new();
        let mut push = |collection: &str, id: Uuid, fields, at: DateTime<Utc>| {
            let hlc = Hlc { physical_ms: at.timestamp_millis().max(0) as u64, counter: 0, client };
            out.push(Mutation {
                mid: first_mid + out.len() as u64,
                collection: collection.to_owned(),
                id,
                op: Op::Upsert,
                hlc: hlc.to_string(),
                fields,
            });
        };
        let at = |id: Uuid, default: DateTime<Utc>| self.status_set_at.get(&id).copied().unwrap_or(default);
        for p in &self.patrols {
            push(Patrol::COLLECTION, p.id, fields_of(p), p.started_at);
        }
        for s in &self.sites {
            push(Site::COLLECTION, s.id, fields_of(s), at(s.id, s.created_at));
        }
        for c in &self.contacts {
            push(Contact::COLLECTION, c.id, fields_of(c), c.at);
        }
        for r in &self.reports {
            push(Report::COLLECTION, r.id, fields_of(r), at(r.id, r.received_at));
        }
        let run_at = self.runs.first().map_or(DateTime::UNIX_EPOCH, |r| r.created_at);
        for r in &self.runs {
            push(MealRun::COLLECTION, r.id, fields_of(r), run_at);
        }
        for s in &self.stops {
            push(MealRunStop::COLLECTION, s.id, fields_of(s), run_at);
        }
        out
    }
}

/// One record of each count-night collection: a count of two sectors (Częstochowa's centre
/// split at 19.12° E), a place visited and one person interviewed there.
pub struct CountExample {
    pub count: crate::count::Count,
    pub visit: crate::count::CountVisit,
    pub person: crate::count::CountPerson,
}

pub fn count_example() -> CountExample {
    use crate::count::*;
    let sector = |n: u128, name: &str, west: f64| Sector {
        id: Uuid::from_u128(n),
        name: name.into(),
        corners: [(50.80, west), (50.80, west + 0.02), (50.83, west + 0.02), (50.83, west)]
            .into_iter()
            .map(|(lat, lon)| Corner { lat, lon })
            .collect(),
        team: Team { members: vec!["Ania".into(), "Bartek".into()], ..Team::default() },
    };
    let at: DateTime<Utc> = "2026-03-03T22:00:00Z".parse().expect("a fixed time");
    let count = Count {
        id: Uuid::from_u128(0xC0),
        name: "Badanie 2026".into(),
        starts_at: "2026-03-03T18:00:00Z".parse().expect("a fixed time"),
        ends_at: "2026-03-05T23:00:00Z".parse().expect("a fixed time"),
        sectors: vec![sector(0xC1, "Śródmieście zachód", 19.10), sector(0xC2, "Śródmieście wschód", 19.12)],
        questionnaire: default_questionnaire(),
        entered_total: None,
    };
    let site = Uuid::from_u128(0xC3);
    let visit = CountVisit {
        id: Uuid::from_u128(0xC4),
        count_id: count.id,
        site_id: site,
        sector_id: Some(Uuid::from_u128(0xC1)),
        outcome: VisitOutcome::PeopleFound,
        at,
    };
    let person = CountPerson {
        id: Uuid::from_u128(0xC5),
        count_id: count.id,
        sector_id: Some(Uuid::from_u128(0xC1)),
        site_id: Some(site),
        at,
        observed: false,
        answers: [(SEX, Answer::One("female".into())), (AGE_GROUP, Answer::One("41-60".into()))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    };
    CountExample { count, visit, person }
}

/// A night shelter taking men and women with dogs, two free beds counted at 20:00 on
/// 7 December 2026, staffed by the login `noclegownia`.
pub fn facility_example() -> crate::facilities::Facility {
    use crate::facilities::*;
    let mut f = Facility::new(Uuid::from_u128(0xfac), "Noclegownia św. Brata Alberta", FacilityKind::NightShelter);
    f.address = "ul. Szczytowa 11, Łódź".into();
    f.position = Some(Position { lat: 51.7935, lon: 19.4386, accuracy_m: 0.0 });
    f.operator = "Towarzystwo Pomocy im. św. Brata Alberta".into();
    f.phone = "42 000 00 00".into();
    f.hours = parse_hours("pn-nd 18:00-08:00").unwrap_or_default();
    f.conditions.dogs_allowed = true;
    f.capacity = Some(40);
    f.free_beds = Some(2);
    f.beds_at = Some(local(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(), 20, 0));
    f.hold_minutes = Some(90);
    f.logins = vec!["noclegownia".into()];
    f
}

/// A bed held at [`facility_example`] for a woman with a dog.
pub fn hold_example() -> crate::facilities::BedHold {
    use crate::facilities::*;
    BedHold {
        id: Uuid::from_u128(0x401d),
        facility_id: Uuid::from_u128(0xfac),
        contact_id: Some(Uuid::from_u128(0xc0)),
        held_at: local(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(), 23, 0),
        minutes: 90,
        needs: Needs { gender: Some(Gender::Female), dog: true, ..Needs::default() },
        team: vec!["Ola".into(), "Piotr".into()],
        status: HoldStatus::Held,
        status_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_record_is_valid_and_every_mutation_follows_the_last() {
        let f = sopot_summer_2021();
        assert!(f.patrols.iter().all(|p| p.validate().is_ok()));
        assert!(f.contacts.iter().all(|c| c.validate().is_ok()));
        assert!(f.sites.iter().all(|s| s.validate().is_ok()));
        assert!(
            f.reports.iter().all(|r| r.validate().is_ok()),
            "{:?}",
            f.reports.iter().map(|r| r.validate()).collect::<Vec<_>>()
        );
        assert!(f.runs.iter().all(|r| r.validate().is_ok()));
        assert!(f.stops.iter().all(|s| s.validate().is_ok()));
        let m = f.mutations(Uuid::from_u128(7), 1);
        assert_eq!(m.len(), 150 + 977 + SOPOT_PLACES + 4 + 1 + 3);
        assert!(m.windows(2).all(|w| w[1].mid == w[0].mid + 1));
        let closed = f.sites.last().unwrap();
        let hlc: Hlc = m.iter().find(|m| m.id == closed.id).unwrap().hlc.parse().unwrap();
        assert_eq!(hlc.physical_ms as i64, f.status_set_at[&closed.id].timestamp_millis());
    }

    #[test]
    fn records_read_back_from_their_stored_fields_give_the_same_dataset() {
        let f = sopot_summer_2021();
        let mut back = Dataset::default();
        for m in f.mutations(Uuid::from_u128(7), 1) {
            let fields = serde_json::to_string(&m.fields).unwrap();
            let status = m.fields.contains_key("status").then_some(m.hlc.as_str());
            back.add_stored(&m.collection, m.id, &fields, status).unwrap();
        }
        let closed = f.sites.last().unwrap().id;
        assert_eq!(back.status_set_at[&closed], f.status_set_at[&closed]);
        assert_eq!((back.patrols, back.contacts, back.sites), (f.patrols, f.contacts, f.sites));
        assert_eq!((back.reports, back.runs, back.stops), (f.reports, f.runs, f.stops));
        assert!(Dataset::default().add_stored("contacts", Uuid::nil(), "{\"headcount\":\"many\"}", None).is_err());
        assert!(Dataset::default().add_stored("forecasts", Uuid::nil(), "{}", None).is_ok());
    }
}
