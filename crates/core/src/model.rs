//! Domain types: patrols, contacts, places and reports (see `docs/glossary.md` for the Polish
//! names).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::string_enum;
pub use crate::values::*;

/// A night patrol, a streetworking round or an Akcja ZIMA run. One patrol may cross midnight:
/// it is one record with a start and an end, whatever the dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patrol {
    pub id: Uuid,
    pub kind: PatrolKind,
    /// First names or initials of the team members, as the team writes them.
    #[serde(default)]
    pub team: Vec<String>,
    #[serde(default)]
    pub partner: Option<PartnerAgency>,
    #[serde(default)]
    pub area: String,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    /// The team's notes on the whole patrol (max 2,000 characters).
    #[serde(default)]
    pub notes: String,
    /// The account that started the patrol. Absent on patrols started before the field existed
    /// (decision 48): those are offered to join rather than taken as anybody's own.
    #[serde(default)]
    pub started_by: Option<Uuid>,
}

impl Patrol {
    pub fn is_open(&self) -> bool {
        self.ended_at.is_none()
    }

    /// Whether this phone's user is on the patrol: they started it, or they joined it here.
    pub fn is_ours(&self, me: Option<Uuid>, joined: Option<Uuid>) -> bool {
        (me.is_some() && self.started_by == me) || joined == Some(self.id)
    }
}

/// How long a colleague's open patrol is offered to join: a night and its morning. An older one
/// was most likely left open by mistake; it still shows in the history, where its team ends it.
pub const JOINABLE_FOR_HOURS: i64 = 24;

/// The patrol the phone's user is on now: the newest open one they started or joined. Others'
/// open patrols — another team out the same night — are never taken as theirs.
pub fn current_patrol<'a>(
    patrols: impl IntoIterator<Item = &'a Patrol>,
    me: Option<Uuid>,
    joined: Option<Uuid>,
) -> Option<&'a Patrol> {
    patrols.into_iter().filter(|p| p.is_open() && p.is_ours(me, joined)).max_by_key(|p| (p.started_at, p.id))
}

/// Colleagues' open patrols the user may join (two phones on one team), newest first: started
/// in the last [`JOINABLE_FOR_HOURS`] and not already theirs.
pub fn joinable_patrols<'a>(
    patrols: impl IntoIterator<Item = &'a Patrol>,
    me: Option<Uuid>,
    joined: Option<Uuid>,
    now: DateTime<Utc>,
) -> Vec<&'a Patrol> {
    let since = now - chrono::Duration::hours(JOINABLE_FOR_HOURS);
    let mut open: Vec<&Patrol> =
        patrols.into_iter().filter(|p| p.is_open() && !p.is_ours(me, joined) && p.started_at >= since).collect();
    crate::order::sort_by_key(&mut open, |p| std::cmp::Reverse((p.started_at, p.id)));
    open
}

/// A position from the phone's GPS with its accuracy radius.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
    /// Accuracy radius in metres, as reported by the device.
    pub accuracy_m: f64,
}

/// A referral made during a contact and what came of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    pub kind: ReferralKind,
    pub outcome: ReferralOutcome,
}

/// One meeting with one person or a group. Holds only what the work needs: no names, at most
/// a pseudonym or code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Uuid,
    #[serde(default)]
    pub patrol_id: Option<Uuid>,
    /// The place on the map where the contact was made, if it was at one.
    #[serde(default)]
    pub site_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub headcount: u32,
    #[serde(default)]
    pub gender: Option<Gender>,
    #[serde(default)]
    pub age_band: Option<AgeBand>,
    /// A pseudonym or code, never a real name (data minimisation).
    #[serde(default)]
    pub pseudonym: String,
    #[serde(default)]
    pub sleeping_rough: Option<bool>,
    #[serde(default)]
    pub condition: Option<Condition>,
    /// Count of each service or item given.
    #[serde(default)]
    pub given: BTreeMap<Item, u32>,
    #[serde(default)]
    pub referrals: Vec<Referral>,
    #[serde(default)]
    pub help_refused: bool,
    #[serde(default)]
    pub follow_up: bool,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub position: Option<Position>,
    pub position_status: PositionStatus,
}

impl Contact {
    /// Whether this contact was recorded under a pseudonym holding `key`, the search as
    /// `retention::pseudonym_key` folds it (case and spaces ignored; folded once for a whole
    /// list): the history's search for the same person, "rud" finds "Rudy spod mostu".
    pub fn answers_to(&self, key: &str) -> bool {
        !key.is_empty() && crate::retention::pseudonym_key(&self.pseudonym).contains(key)
    }

    /// The person arrived where a referral of `kind` sent them (a facility's reception said so):
    /// that referral accepted, added when the form had none of that kind. The indicators count
    /// it so, and the worker's form shows it so.
    pub fn accept_referral(&mut self, kind: ReferralKind) {
        match self.referrals.iter_mut().find(|r| r.kind == kind) {
            Some(r) => r.outcome = ReferralOutcome::Accepted,
            None => self.referrals.push(Referral { kind, outcome: ReferralOutcome::Accepted }),
        }
    }

    /// The two-tap contact: one person, nothing special, time and position filled in.
    pub fn quick(
        id: Uuid,
        patrol_id: Option<Uuid>,
        at: DateTime<Utc>,
        position: Result<Position, PositionStatus>,
    ) -> Self {
        let (position, position_status) = match position {
            Ok(p) => (Some(p), PositionStatus::Fixed),
            Err(status) => (None, status),
        };
        Contact {
            id,
            patrol_id,
            site_id: None,
            at,
            headcount: 1,
            gender: None,
            age_band: None,
            pseudonym: String::new(),
            sleeping_rough: None,
            condition: None,
            given: BTreeMap::new(),
            referrals: Vec::new(),
            help_refused: false,
            follow_up: false,
            notes: String::new(),
            position,
            position_status,
        }
    }

    /// Counts as a contact with women (a woman, or a group that includes women).
    pub fn with_women(&self) -> bool {
        matches!(self.gender, Some(Gender::Female | Gender::Mixed))
    }

    pub fn with_children(&self) -> bool {
        self.age_band == Some(AgeBand::Child)
    }
}

/// A place on the map of non-residential places: where people sleep rough, kept current by the
/// team. Deleting one is soft (the record stays, restorable); merging a duplicate into another
/// deletes it with `merged_into` set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub id: Uuid,
    pub label: String,
    pub kind: SiteKind,
    pub position: Position,
    /// Street address or a description of where it is.
    #[serde(default)]
    pub address: String,
    /// How to get there.
    #[serde(default)]
    pub access_notes: String,
    /// Dogs, a collapsing roof, …
    #[serde(default)]
    pub dangers: String,
    pub status: SiteStatus,
    /// How many people usually stay there.
    #[serde(default)]
    pub usual_headcount: Option<u32>,
    #[serde(default)]
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub merged_into: Option<Uuid>,
    /// The latest visit (a contact at the place, a meal-run stop done there), kept on the place
    /// so that "not visited for N days" holds on a phone that keeps only its window of contacts.
    /// Hidden from partners (a place's visit history is not theirs).
    #[serde(default)]
    pub last_visit_at: Option<DateTime<Utc>>,
}

impl Site {
    /// A new, active place with nothing but its name, type and position.
    pub fn new(
        id: Uuid,
        label: impl Into<String>,
        kind: SiteKind,
        position: Position,
        created_at: DateTime<Utc>,
    ) -> Site {
        Site {
            id,
            label: label.into(),
            kind,
            position,
            address: String::new(),
            access_notes: String::new(),
            dangers: String::new(),
            status: SiteStatus::Active,
            usual_headcount: None,
            created_at,
            merged_into: None,
            last_visit_at: None,
        }
    }

    /// The place after a visit at `at`: `Some` when that is later than its last visit (the
    /// place is then written too), `None` when it changes nothing — or when `at` lies more than
    /// [`crate::sites::CLOCK_SLACK`] after `now` (a mistyped time or a wrong clock would
    /// otherwise make the place look visited until then).
    pub fn visited(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> Option<Site> {
        let plausible = at <= now + crate::sites::CLOCK_SLACK;
        (plausible && self.last_visit_at.is_none_or(|last| at > last))
            .then(|| Site { last_visit_at: Some(at), ..self.clone() })
    }
}

/// A report from the 24 h line, the city guard, the police or a resident: where to look next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub id: Uuid,
    pub received_at: DateTime<Utc>,
    pub source: ReportSource,
    /// The place it is about, when it is on the map; otherwise `position`.
    #[serde(default)]
    pub site_id: Option<Uuid>,
    #[serde(default)]
    pub position: Option<Position>,
    /// Where exactly, as the caller said it: an address, a landmark ("the bench behind the
    /// shop"). Optional; shown with the place or the position.
    #[serde(default)]
    pub place_note: String,
    /// Who filed it: the account's name, written by the phone that filed it.
    #[serde(default)]
    pub filed_by: String,
    /// Partners read it only in the reports they filed (least privilege).
    #[serde(default)]
    pub description: String,
    pub urgency: Urgency,
    pub status: ReportStatus,
    /// The patrol it is assigned to, or a worker's name.
    #[serde(default)]
    pub assigned_patrol: Option<Uuid>,
    #[serde(default)]
    pub assigned_to: String,
    /// The contact made when it was checked.
    #[serde(default)]
    pub contact_id: Option<Uuid>,
    #[serde(default)]
    pub checked_at: Option<DateTime<Utc>>,
    /// What came of it (required to close it).
    #[serde(default)]
    pub outcome: String,
}

impl ReportStatus {
    /// Still work to do: new or assigned (checked and closed are done).
    pub fn is_open(self) -> bool {
        matches!(self, ReportStatus::New | ReportStatus::Assigned)
    }
}

impl Report {
    /// A new report from the 24 h line, of normal urgency, about `description`: what the form
    /// starts from before anything is chosen.
    pub fn new(id: Uuid, received_at: DateTime<Utc>, description: impl Into<String>) -> Report {
        Report {
            id,
            received_at,
            source: ReportSource::Phone24h,
            site_id: None,
            position: None,
            place_note: String::new(),
            filed_by: String::new(),
            description: description.into(),
            urgency: Urgency::Normal,
            status: ReportStatus::New,
            assigned_patrol: None,
            assigned_to: String::new(),
            contact_id: None,
            checked_at: None,
            outcome: String::new(),
        }
    }

    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }
}

string_enum!(
    /// Where a meal-run stop stands.
    StopStatus {
        Planned => "planned",
        Done => "done",
        Skipped => "skipped",
    }
);

/// The organisation's Akcja ZIMA settings: one record per organisation (`ZimaSettings::ID`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZimaSettings {
    pub id: Uuid,
    /// At or below this forecast minimum (°C) a night is an Akcja ZIMA night.
    pub threshold_c: f64,
}

impl ZimaSettings {
    /// The one settings record of an organisation (records are per organisation).
    pub const ID: Uuid = Uuid::from_u128(0x5e77_1465);
    pub const DEFAULT_THRESHOLD_C: f64 = -10.0;

    pub fn default_for_org() -> Self {
        ZimaSettings { id: Self::ID, threshold_c: Self::DEFAULT_THRESHOLD_C }
    }
}

/// A night's forecast minimum temperature, entered by a coordinator. One record per date: its
/// id comes from the date, so two coordinators entering the same night edit one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    pub id: Uuid,
    /// The evening the night starts.
    pub date: NaiveDate,
    pub min_c: f64,
}

impl Forecast {
    pub fn id_for(date: NaiveDate) -> Uuid {
        use chrono::Datelike;
        Uuid::from_u128(0xf0ec_0000_0000 + (date.year() as u128) * 10_000 + date.ordinal() as u128)
    }

    pub fn new(date: NaiveDate, min_c: f64) -> Self {
        Forecast { id: Self::id_for(date), date, min_c }
    }

    /// Whether this night is an Akcja ZIMA night under `threshold_c`.
    pub fn is_zima(&self, threshold_c: f64) -> bool {
        self.min_c <= threshold_c
    }
}

/// One line of a run's load checklist: an item (`hot_meal`, `blanket`, … or a name of the
/// team's own) and how many are loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadLine {
    pub item: String,
    pub quantity: u32,
}

/// The load a run starts with, unless the coordinator changes it.
pub fn default_load() -> Vec<LoadLine> {
    [
        ("hot_meal", 30),
        ("hot_drink", 30),
        ("blanket", 10),
        ("sleeping_bag", 5),
        ("first_aid_kit", 1),
        ("charged_phone", 1),
    ]
    .into_iter()
    .map(|(item, quantity)| LoadLine { item: item.into(), quantity })
    .collect()
}

/// An Akcja ZIMA meal run: one vehicle's night, from the depot through its stops and back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MealRun {
    pub id: Uuid,
    pub date: NaiveDate,
    #[serde(default)]
    pub forecast_min_c: Option<f64>,
    #[serde(default)]
    pub team: Vec<String>,
    #[serde(default)]
    pub vehicle: String,
    /// Where it starts and ends (the warming centre).
    pub depot_label: String,
    pub depot: Position,
    #[serde(default)]
    pub load: Vec<LoadLine>,
    /// The planned round trip (metres, great-circle) and its estimated minutes.
    #[serde(default)]
    pub planned_distance_m: f64,
    #[serde(default)]
    pub planned_minutes: f64,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A stop of a meal run: a place (or an open report's position), in the planned order, and
/// what the team found and gave there — or why it was skipped. A done stop with people found
/// also writes a contact at the place (`contact_id`), so the place's history and the
/// indicators count it without a second entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MealRunStop {
    pub id: Uuid,
    pub run_id: Uuid,
    /// Position in the route, from 1.
    pub seq: u32,
    #[serde(default)]
    pub site_id: Option<Uuid>,
    #[serde(default)]
    pub report_id: Option<Uuid>,
    pub label: String,
    pub position: Position,
    pub status: StopStatus,
    #[serde(default)]
    pub skip_reason: String,
    #[serde(default)]
    pub people_found: u32,
    /// Meals, hot drinks, blankets, sleeping bags given here.
    #[serde(default)]
    pub given: BTreeMap<Item, u32>,
    #[serde(default)]
    pub condition: Option<Condition>,
    #[serde(default)]
    pub ambulance_called: bool,
    #[serde(default)]
    pub taken_to_shelter: bool,
    #[serde(default)]
    pub refused: bool,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub done_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub contact_id: Option<Uuid>,
}

impl MealRunStop {
    /// The contact this stop's result counts as (when people were found), at the place.
    pub fn as_contact(&self, contact_id: Uuid, at: DateTime<Utc>) -> Contact {
        let mut referrals = Vec::new();
        if self.ambulance_called {
            referrals.push(Referral { kind: ReferralKind::AmbulanceCalled, outcome: ReferralOutcome::Accepted });
        }
        if self.taken_to_shelter {
            referrals.push(Referral { kind: ReferralKind::NightShelter, outcome: ReferralOutcome::Accepted });
        }
        Contact {
            headcount: self.people_found.max(1),
            condition: self.condition,
            given: self.given.iter().filter(|(_, n)| **n > 0).map(|(k, n)| (*k, *n)).collect(),
            referrals,
            help_refused: self.refused,
            notes: self.notes.clone(),
            site_id: self.site_id,
            sleeping_rough: Some(true),
            ..Contact::quick(contact_id, None, at, Ok(self.position))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_answers_to_part_of_its_pseudonym_whatever_the_case_and_spaces() {
        let at = DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap();
        let mut c = Contact::quick(Uuid::nil(), None, at, Err(PositionStatus::Denied));
        c.pseudonym = "Rudy spod Mostu".into();
        for search in ["rud", "RUDY", "spodmostu", " Mostu ", "Rudy spod Mostu"] {
            assert!(c.answers_to(&crate::retention::pseudonym_key(search)), "{search}");
        }
        for search in ["", "  ", "rudy x", "Łysy"] {
            assert!(!c.answers_to(&crate::retention::pseudonym_key(search)), "{search:?}");
        }
        c.pseudonym = "Łysy".into();
        assert!(c.answers_to(&crate::retention::pseudonym_key("łys")), "Polish letters, any case");
        c.pseudonym.clear();
        assert!(!c.answers_to("a"), "no pseudonym answers to nothing");
    }

    #[test]
    fn an_arrival_accepts_the_referral_of_its_kind_or_adds_it() {
        let mut c = Contact::quick(
            Uuid::nil(),
            None,
            DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap(),
            Err(PositionStatus::Denied),
        );
        c.referrals.push(Referral { kind: ReferralKind::NightShelter, outcome: ReferralOutcome::Pending });
        c.accept_referral(ReferralKind::NightShelter);
        c.accept_referral(ReferralKind::Shelter);
        c.accept_referral(ReferralKind::Shelter);
        let got: Vec<_> = c.referrals.iter().map(|r| (r.kind, r.outcome)).collect();
        assert_eq!(
            got,
            [
                (ReferralKind::NightShelter, ReferralOutcome::Accepted),
                (ReferralKind::Shelter, ReferralOutcome::Accepted)
            ]
        );
    }

    #[test]
    fn enums_round_trip_through_their_strings() {
        for k in ReferralKind::ALL {
            assert_eq!(ReferralKind::parse(k.as_str()), Some(*k));
            let json = serde_json::to_string(k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
        for i in Item::ALL {
            assert_eq!(Item::parse(i.as_str()), Some(*i));
        }
        assert_eq!(Item::parse("vodka"), None);
        // Every value travels as its declared string (the protocol tables list these).
        fn wire<T: Serialize + Copy>(all: &[T], as_str: fn(T) -> &'static str) {
            for v in all {
                assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{}\"", as_str(*v)));
            }
        }
        wire(ReportSource::ALL, ReportSource::as_str);
        wire(SiteKind::ALL, SiteKind::as_str);
        wire(Urgency::ALL, Urgency::as_str);
        wire(StopStatus::ALL, StopStatus::as_str);
        wire(AgeBand::ALL, AgeBand::as_str);
        wire(Condition::ALL, Condition::as_str);
        wire(PositionStatus::ALL, PositionStatus::as_str);
        assert_eq!(serde_json::to_string(&ReportSource::Phone24h).unwrap(), "\"phone_24h\"");
    }

    #[test]
    fn quick_contact_without_fix_says_why() {
        let c = Contact::quick(Uuid::nil(), None, chrono::DateTime::UNIX_EPOCH, Err(PositionStatus::Denied));
        assert_eq!(c.headcount, 1);
        assert_eq!(c.position, None);
        assert_eq!(c.position_status, PositionStatus::Denied);
    }

    #[test]
    fn item_counts_serialize_as_an_object() {
        let mut c = Contact::quick(Uuid::nil(), None, chrono::DateTime::UNIX_EPOCH, Err(PositionStatus::Unavailable));
        c.given.insert(Item::HotDrink, 2);
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["given"]["hot_drink"], 2);
        let back: Contact = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
    }

    fn patrol(id: u128, by: Option<u128>, hours_ago: i64, open: bool) -> Patrol {
        let now = chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(400);
        Patrol {
            id: Uuid::from_u128(id),
            kind: PatrolKind::NightPatrol,
            team: vec![],
            partner: None,
            area: String::new(),
            started_at: now - chrono::Duration::hours(hours_ago),
            ended_at: (!open).then_some(now),
            notes: String::new(),
            started_by: by.map(Uuid::from_u128),
        }
    }

    #[test]
    fn the_current_patrol_is_the_users_own_never_another_teams() {
        let now = chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(400);
        let (ala, ola) = (Some(Uuid::from_u128(100)), Some(Uuid::from_u128(200)));
        let patrols = [
            patrol(1, Some(100), 5, true),  // Ala's, open
            patrol(2, Some(200), 1, true),  // Ola's, newer, open: another team out the same night
            patrol(3, Some(100), 2, false), // Ala's, ended
            patrol(4, None, 3, true),       // started before `started_by` existed
        ];
        assert_eq!(current_patrol(&patrols, ala, None).map(|p| p.id), Some(Uuid::from_u128(1)));
        assert_eq!(current_patrol(&patrols, ola, None).map(|p| p.id), Some(Uuid::from_u128(2)));
        // Nobody signed in, nothing joined: no patrol is anybody's.
        assert_eq!(current_patrol(&patrols, None, None), None);
        // Joined on this phone: Ala's colleague's patrol becomes hers, and the newest of her two.
        assert_eq!(current_patrol(&patrols, ala, Some(Uuid::from_u128(2))).map(|p| p.id), Some(Uuid::from_u128(2)));
        // An ended patrol is never current, joined or not.
        assert_eq!(current_patrol(&patrols[2..3], ala, Some(Uuid::from_u128(3))), None);

        // Offered to join: the others' open patrols of the last day, newest first.
        let join: Vec<_> = joinable_patrols(&patrols, ala, None, now).iter().map(|p| p.id.as_u128()).collect();
        assert_eq!(join, vec![2, 4]);
        let join: Vec<_> =
            joinable_patrols(&patrols, ala, Some(Uuid::from_u128(2)), now).iter().map(|p| p.id.as_u128()).collect();
        assert_eq!(join, vec![4]);
        // A colleague's patrol left open for two days is not offered.
        let stale = [patrol(5, Some(200), JOINABLE_FOR_HOURS + 1, true)];
        assert!(joinable_patrols(&stale, ala, None, now).is_empty());
    }

    #[test]
    fn a_patrol_without_started_by_still_reads() {
        let old = r#"{"id":"00000000-0000-0000-0000-000000000001","kind":"night_patrol","started_at":"2026-01-10T21:00:00Z"}"#;
        let p: Patrol = serde_json::from_str(old).unwrap();
        assert_eq!(p.started_by, None);
        assert!(!p.is_ours(None, None));
    }
}
