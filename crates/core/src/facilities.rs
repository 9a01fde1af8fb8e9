//! The aid-facility directory and bed holds: where a person can sleep tonight. A facility says
//! whom it takes and on what conditions, when it is open (hours per weekday, past midnight too,
//! closed days) and how many beds were free when it last said; a streetworker holds a bed for a
//! person on the way, and the hold counts against the free beds until the facility marks the
//! person arrived or not, or it expires. The same rules on the phone (offline) and on the server
//! (which refuses a hold that meets a full facility).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::indicators::poland_time;
use crate::model::Position;
use crate::validate::{
    chars, check_position, year_ok, Errors, Invalid, ADDRESS_MAX_CHARS, LABEL_MAX_CHARS, NAME_MAX_CHARS, TEAM_MAX,
};
use crate::values::{string_enum, AgeBand, Gender, ReferralKind, StringEnum};

string_enum!(
    /// The types of the voivode's register of aid facilities, and the other places the work
    /// sends people to.
    FacilityKind {
        Shelter => "shelter",
        ShelterCare => "shelter_care",
        NightShelter => "night_shelter",
        WarmingCentre => "warming_centre",
        WinterPoint => "winter_point",
        SoupKitchen => "soup_kitchen",
        Bathhouse => "bathhouse",
        AidPoint => "aid_point",
        DayCentre => "day_centre",
        SupportedFlat => "supported_flat",
        Medical => "medical",
        Other => "other",
    }
);

string_enum!(
    /// What became of a bed hold.
    HoldStatus {
        Held => "held",
        Arrived => "arrived",
        NotArrived => "not_arrived",
        Cancelled => "cancelled",
    }
);

impl FacilityKind {
    /// Whether people sleep there (what a referral for the night looks for).
    pub fn has_beds(self) -> bool {
        matches!(
            self,
            FacilityKind::Shelter
                | FacilityKind::ShelterCare
                | FacilityKind::NightShelter
                | FacilityKind::WarmingCentre
                | FacilityKind::WinterPoint
        )
    }

    /// The contact form's referral a stay here is.
    pub fn referral(self) -> Option<ReferralKind> {
        match self {
            FacilityKind::Shelter | FacilityKind::ShelterCare => Some(ReferralKind::Shelter),
            FacilityKind::NightShelter => Some(ReferralKind::NightShelter),
            FacilityKind::WarmingCentre => Some(ReferralKind::WarmingCentre),
            FacilityKind::WinterPoint => Some(ReferralKind::WinterPoint),
            _ => None,
        }
    }

    /// The register's name of the type (as the voivode's register and the poster write it).
    pub fn polish(self) -> &'static str {
        match self {
            FacilityKind::Shelter => "schronisko",
            FacilityKind::ShelterCare => "schronisko z usługami opiekuńczymi",
            FacilityKind::NightShelter => "noclegownia",
            FacilityKind::WarmingCentre => "ogrzewalnia",
            FacilityKind::WinterPoint => "zimowy punkt interwencyjny",
            FacilityKind::SoupKitchen => "jadłodajnia",
            FacilityKind::Bathhouse => "łaźnia",
            FacilityKind::AidPoint => "punkt pomocy doraźnej",
            FacilityKind::DayCentre => "dzienny pobyt",
            FacilityKind::SupportedFlat => "mieszkanie treningowe/wspierane",
            FacilityKind::Medical => "punkt medyczny",
            FacilityKind::Other => "inne",
        }
    }

    /// A type as a register or a person writes it: the Polish name in any case, with or without
    /// Polish letters, "schronisko dla osób bezdomnych", the code, or the first word that decides.
    pub fn from_register(text: &str) -> Option<FacilityKind> {
        let t = fold(text);
        if t.is_empty() {
            return None;
        }
        if let Some(k) = FacilityKind::parse(t.as_str()) {
            return Some(k);
        }
        let has = |w: &str| t.contains(w);
        Some(if has("opiekun") {
            FacilityKind::ShelterCare
        } else if has("schronisk") {
            FacilityKind::Shelter
        } else if has("noclegowni") {
            FacilityKind::NightShelter
        } else if has("ogrzewalni") {
            FacilityKind::WarmingCentre
        } else if has("zimow") || has("interwencyj") {
            FacilityKind::WinterPoint
        } else if has("jadlodajni") || has("jadlodzieln") || has("posilk") {
            FacilityKind::SoupKitchen
        } else if has("lazni") {
            FacilityKind::Bathhouse
        } else if has("pomocy doraznej") || has("punkt pomocy") {
            FacilityKind::AidPoint
        } else if has("dzienn") {
            FacilityKind::DayCentre
        } else if has("mieszkani") {
            FacilityKind::SupportedFlat
        } else if has("medyczn") || has("ambulatori") {
            FacilityKind::Medical
        } else if has("inne") || has("inny") {
            FacilityKind::Other
        } else {
            return None;
        })
    }
}

/// Lower case without Polish diacritics, spaces squeezed (for matching what people type).
fn fold(s: &str) -> String {
    let mapped: String = s
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'ą' => 'a',
            'ć' => 'c',
            'ę' => 'e',
            'ł' => 'l',
            'ń' => 'n',
            'ó' => 'o',
            'ś' => 's',
            'ź' | 'ż' => 'z',
            c => c,
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whom a facility takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Takes {
    #[serde(default)]
    pub men: bool,
    #[serde(default)]
    pub women: bool,
    /// Families with children (the only way a child is taken).
    #[serde(default)]
    pub families: bool,
}

/// A facility's conditions of admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Conditions {
    /// Only sober people are admitted (a warming centre usually takes anyone).
    #[serde(default)]
    pub sobriety_required: bool,
    #[serde(default)]
    pub id_required: bool,
    /// A referral (skierowanie) from the social-welfare centre (MOPS/MOPR/OPS) is needed.
    #[serde(default)]
    pub referral_required: bool,
    #[serde(default)]
    pub dogs_allowed: bool,
    #[serde(default)]
    pub wheelchair_access: bool,
}

/// One opening on one weekday: from `from` to `to`, wall-clock time in Poland. A `to` at or
/// before `from` runs past midnight into the next day ("Mon 18:00–08:00" is open on Tuesday at
/// 07:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    /// 1 = Monday … 7 = Sunday.
    pub day: u8,
    /// "HH:MM".
    pub from: ClockTime,
    pub to: ClockTime,
}

/// A wall-clock time of day, written "HH:MM" on the wire ("24:00" is the day's end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockTime {
    minutes: u16,
}

impl ClockTime {
    pub fn hm(h: u16, m: u16) -> Self {
        ClockTime { minutes: (h * 60 + m).min(24 * 60) }
    }
    pub fn minutes(self) -> u32 {
        u32::from(self.minutes)
    }
    /// "18:00", "7:30", "24:00" (the day's end) read as a time.
    pub fn parse(s: &str) -> Option<Self> {
        let (h, m) = s.trim().split_once([':', '.'])?;
        let (h, m): (u16, u16) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
        (m < 60 && (h < 24 || (h == 24 && m == 0)) && !s.trim().is_empty()).then(|| ClockTime::hm(h, m))
    }
}

impl std::fmt::Display for ClockTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.minutes / 60, self.minutes % 60)
    }
}

impl Serialize for ClockTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ClockTime::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a time (HH:MM)")))
    }
}

/// How long a hold keeps a bed unless the facility says otherwise (minutes).
pub const DEFAULT_HOLD_MINUTES: u32 = 90;
/// The longest a facility may keep a held bed (minutes).
pub const MAX_HOLD_MINUTES: u32 = 24 * 60;
/// A free-bed count older than this looks stale (hours).
pub const STALE_AFTER_HOURS: i64 = 6;
/// The most beds one facility reports (Warsaw's largest shelters have a few hundred).
pub const MAX_BEDS: u32 = 2_000;
/// At most this many openings and closed days per facility.
pub const MAX_OPENINGS: usize = 28;
pub const MAX_CLOSED_DAYS: usize = 60;
/// The most staff accounts one facility names.
pub const MAX_LOGINS: usize = 10;
/// How far back the server looks for holds still counting against beds (a hold lasts at most
/// [`MAX_HOLD_MINUTES`]; an arrival counts until the facility's next count, which it makes at
/// least daily — older ones are in it).
pub const HOLDS_LOOKBACK_HOURS: i64 = 48;

/// An aid facility of the directory (`facilities`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facility {
    pub id: Uuid,
    pub name: String,
    pub kind: FacilityKind,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub position: Option<Position>,
    /// Who runs it (the register's "podmiot prowadzący").
    #[serde(default)]
    pub operator: String,
    #[serde(default)]
    pub phone: String,
    /// Openings per weekday; none: open day and night.
    #[serde(default)]
    pub hours: Vec<Opening>,
    /// Days it is closed whatever the hours (holidays).
    #[serde(default)]
    pub closed_days: Vec<NaiveDate>,
    #[serde(default)]
    pub takes: Takes,
    #[serde(default)]
    pub conditions: Conditions,
    /// Places in the register.
    #[serde(default)]
    pub capacity: Option<u32>,
    /// Free beds when last reported, and when.
    #[serde(default)]
    pub free_beds: Option<u32>,
    #[serde(default)]
    pub beds_at: Option<DateTime<Utc>>,
    /// How long a hold keeps a bed here (minutes; none: [`DEFAULT_HOLD_MINUTES`]).
    #[serde(default)]
    pub hold_minutes: Option<u32>,
    /// The facility staff's accounts (logins) that report its beds and see its holds.
    #[serde(default)]
    pub logins: Vec<String>,
}

impl Facility {
    /// A new facility with only a name and type, taking men and women, open day and night.
    pub fn new(id: Uuid, name: &str, kind: FacilityKind) -> Self {
        Facility {
            id,
            name: name.to_owned(),
            kind,
            address: String::new(),
            position: None,
            operator: String::new(),
            phone: String::new(),
            hours: Vec::new(),
            closed_days: Vec::new(),
            takes: Takes { men: true, women: true, families: false },
            conditions: Conditions::default(),
            capacity: None,
            free_beds: None,
            beds_at: None,
            hold_minutes: None,
            logins: Vec::new(),
        }
    }

    pub fn hold_minutes(&self) -> u32 {
        self.hold_minutes.unwrap_or(DEFAULT_HOLD_MINUTES)
    }

    /// Whether `login` is one of its staff's accounts.
    pub fn staffed_by(&self, login: &str) -> bool {
        self.logins.iter().any(|l| l == login)
    }

    /// Whether it is open at `at` (its hours, read in Poland's wall-clock time).
    pub fn open_at(&self, at: DateTime<Utc>) -> bool {
        let local = poland_time(at);
        let (date, minute) = (local.date(), local.hour() * 60 + local.minute());
        if self.closed_days.contains(&date) {
            return false;
        }
        if self.hours.is_empty() {
            return true;
        }
        let today = date.weekday().number_from_monday() as u8;
        let yesterday = if today == 1 { 7 } else { today - 1 };
        self.hours.iter().any(|o| {
            let (from, to) = (o.from.minutes(), o.to.minutes());
            let overnight = to <= from;
            (o.day == today && minute >= from && (overnight || minute < to))
                || (overnight
                    && o.day == yesterday
                    && minute < to
                    && !self.closed_days.contains(&(date - Duration::days(1))))
        })
    }

    /// Whether the last free-bed count is older than [`STALE_AFTER_HOURS`] (or there is none).
    pub fn beds_stale(&self, now: DateTime<Utc>) -> bool {
        self.beds_at.is_none_or(|t| now - t > Duration::hours(STALE_AFTER_HOURS))
    }

    /// Beds free now: the last count less the holds that still keep a bed and the people who
    /// arrived since the count (`None` when the facility never gave one).
    pub fn free_now(&self, holds: &[BedHold], now: DateTime<Utc>) -> Option<u32> {
        let free = self.free_beds?;
        let taken = holds.iter().filter(|h| h.facility_id == self.id && h.takes_bed(self.beds_at, now)).count();
        Some(free.saturating_sub(taken as u32))
    }
}

/// The person a bed is looked for: what the contact form knows and what the worker ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Needs {
    #[serde(default)]
    pub gender: Option<Gender>,
    #[serde(default)]
    pub age_band: Option<AgeBand>,
    #[serde(default)]
    pub dog: bool,
    #[serde(default)]
    pub wheelchair: bool,
    #[serde(default)]
    pub intoxicated: bool,
}

/// Whether `f` takes the person: by sex (a group needs both; unknown needs either), a child only
/// with families, and the conditions ticked (a dog, a wheelchair, not sober).
pub fn takes(f: &Facility, n: &Needs) -> bool {
    let t = f.takes;
    let by_sex = match n.gender {
        Some(Gender::Female) => t.women,
        Some(Gender::Male) => t.men,
        Some(Gender::Mixed) => t.men && t.women,
        None => t.men || t.women || t.families,
    };
    let by_age = n.age_band != Some(AgeBand::Child) || t.families;
    let c = f.conditions;
    by_sex
        && by_age
        && (!n.dog || c.dogs_allowed)
        && (!n.wheelchair || c.wheelchair_access)
        && (!n.intoxicated || !c.sobriety_required)
}

/// A bed held at a facility for a person on the way (`bed_holds`). The person is described as
/// little as the facility needs to know them at the door: no name, no pseudonym.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BedHold {
    pub id: Uuid,
    pub facility_id: Uuid,
    /// The contact the referral was made in, on the worker's phone.
    #[serde(default)]
    pub contact_id: Option<Uuid>,
    pub held_at: DateTime<Utc>,
    /// How long it keeps the bed (the facility's setting when held).
    pub minutes: u32,
    #[serde(default)]
    pub needs: Needs,
    /// Who brings the person (first names or initials, as the team writes them).
    #[serde(default)]
    pub team: Vec<String>,
    pub status: HoldStatus,
    /// When the facility marked the person arrived or not (or the worker cancelled).
    #[serde(default)]
    pub status_at: Option<DateTime<Utc>>,
}

impl BedHold {
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.held_at + Duration::minutes(i64::from(self.minutes))
    }

    /// Still waiting for the person, and not expired.
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        self.status == HoldStatus::Held && now < self.expires_at()
    }

    /// Whether it keeps one of the facility's counted beds: a hold still waiting, or a person
    /// who arrived after the count (`beds_at`; one who arrived before is in the count).
    pub fn takes_bed(&self, beds_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        match self.status {
            HoldStatus::Held => self.active(now),
            HoldStatus::Arrived => match (self.status_at, beds_at) {
                (Some(arrived), Some(counted)) => arrived > counted,
                _ => true,
            },
            HoldStatus::NotArrived | HoldStatus::Cancelled => false,
        }
    }
}

/// Why a hold cannot be made (also the server's refusal code).
pub const FULL: &str = "facility_full";

/// Checks a new hold against the facility as known: its beds must be reported and one still
/// free. `Err` carries the code [`FULL`].
pub fn may_hold(f: &Facility, holds: &[BedHold], now: DateTime<Utc>) -> Result<(), &'static str> {
    match f.free_now(holds, now) {
        Some(n) if n > 0 => Ok(()),
        _ => Err(FULL),
    }
}

/// One facility as the bed finder lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<'a> {
    pub facility: &'a Facility,
    /// Great-circle metres from here (none without a position on either side).
    pub distance_m: Option<f64>,
    pub free: Option<u32>,
    pub stale: bool,
}

/// The facilities with beds that take this person and are open now, those with a free bed
/// first, then nearest first (facilities without a position last), then by name.
pub fn find_beds<'a>(
    facilities: &'a [Facility],
    holds: &[BedHold],
    needs: &Needs,
    here: Option<Position>,
    now: DateTime<Utc>,
) -> Vec<Candidate<'a>> {
    let mut out: Vec<Candidate> = facilities
        .iter()
        .filter(|f| f.kind.has_beds() && takes(f, needs) && f.open_at(now))
        .map(|f| Candidate {
            facility: f,
            distance_m: here.as_ref().zip(f.position.as_ref()).map(|(a, b)| crate::sites::distance_m(a, b)),
            free: f.free_now(holds, now),
            stale: f.beds_stale(now),
        })
        .collect();
    crate::order::sort_by(&mut out, |a, b| {
        let none_free = |c: &Candidate| c.free == Some(0);
        none_free(a)
            .cmp(&none_free(b))
            .then(a.distance_m.is_none().cmp(&b.distance_m.is_none()))
            .then(a.distance_m.unwrap_or(0.0).total_cmp(&b.distance_m.unwrap_or(0.0)))
            .then(a.facility.name.cmp(&b.facility.name))
    });
    out
}

pub fn validate_facility(f: &Facility) -> Result<(), Invalid> {
    let mut e = Errors::default();
    e.check(!f.name.trim().is_empty(), "name", "label_empty");
    e.check(chars(&f.name) <= LABEL_MAX_CHARS, "name", "label_too_long");
    e.check(chars(&f.address) <= ADDRESS_MAX_CHARS, "address", "address_too_long");
    e.check(chars(&f.operator) <= ADDRESS_MAX_CHARS, "operator", "text_too_long");
    e.check(chars(&f.phone) <= NAME_MAX_CHARS, "phone", "text_too_long");
    if let Some(p) = &f.position {
        check_position(&mut e, p);
    }
    e.check(f.hours.len() <= MAX_OPENINGS, "hours", "count_too_large");
    e.check(f.hours.iter().all(|o| (1..=7).contains(&o.day) && o.from != o.to), "hours", "hours_invalid");
    e.check(f.closed_days.len() <= MAX_CLOSED_DAYS, "closed_days", "count_too_large");
    e.check(f.closed_days.iter().all(|d| year_ok(*d)), "closed_days", "date_range");
    e.check(f.capacity.is_none_or(|n| n <= MAX_BEDS), "capacity", "beds_range");
    e.check(f.free_beds.is_none_or(|n| n <= MAX_BEDS), "free_beds", "beds_range");
    e.check(f.beds_at.is_none_or(year_ok), "beds_at", "date_range");
    e.check(f.hold_minutes.is_none_or(|m| (1..=MAX_HOLD_MINUTES).contains(&m)), "hold_minutes", "hold_minutes_range");
    e.check(f.logins.len() <= MAX_LOGINS, "logins", "count_too_large");
    e.check(
        f.logins.iter().all(|l| !l.is_empty() && l.len() <= 64 && !l.chars().any(char::is_whitespace)),
        "logins",
        "login_invalid",
    );
    e.finish()
}

pub fn validate_hold(h: &BedHold) -> Result<(), Invalid> {
    let mut e = Errors::default();
    e.check(year_ok(h.held_at), "held_at", "date_range");
    e.check(h.status_at.is_none_or(year_ok), "status_at", "date_range");
    e.check((1..=MAX_HOLD_MINUTES).contains(&h.minutes), "minutes", "hold_minutes_range");
    e.check(h.team.len() <= TEAM_MAX, "team", "team_too_large");
    e.check(h.team.iter().all(|m| !m.trim().is_empty() && chars(m) <= NAME_MAX_CHARS), "team", "team_member_invalid");
    e.finish()
}

/// Openings typed one weekday per line or in ranges: "pn-pt 18:00-8:00", "sob 0:00-24:00",
/// "nd 10-14" is not a time (minutes needed). Weekdays: pn, wt, śr, czw, pt, sob, nd (or the
/// English mo, tu, we, th, fr, sa, su). Returns the line numbers (from 1) it could not read.
pub fn parse_hours(text: &str) -> Result<Vec<Opening>, Vec<usize>> {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = fold(line);
        if line.is_empty() {
            continue;
        }
        match parse_hours_line(&line) {
            Some(mut o) => out.append(&mut o),
            None => bad.push(i + 1),
        }
    }
    if bad.is_empty() {
        Ok(out)
    } else {
        Err(bad)
    }
}

fn weekday(s: &str) -> Option<u8> {
    let s = s.trim().trim_end_matches('.');
    Some(match s {
        "pn" | "pon" | "poniedzialek" | "mo" | "mon" => 1,
        "wt" | "wto" | "wtorek" | "tu" | "tue" => 2,
        "sr" | "sro" | "sroda" | "we" | "wed" => 3,
        "cz" | "czw" | "czwartek" | "th" | "thu" => 4,
        "pt" | "pia" | "piatek" | "fr" | "fri" => 5,
        "sb" | "sob" | "sobota" | "sa" | "sat" => 6,
        "nd" | "ndz" | "niedziela" | "su" | "sun" => 7,
        _ => return None,
    })
}

fn parse_hours_line(line: &str) -> Option<Vec<Opening>> {
    let (days, times) = line.split_once(' ')?;
    let days: Vec<u8> = match days.split_once(['-', '–']) {
        Some((a, b)) => {
            let (a, b) = (weekday(a)?, weekday(b)?);
            if a <= b {
                (a..=b).collect()
            } else {
                (a..=7).chain(1..=b).collect()
            }
        }
        None => days.split(',').map(weekday).collect::<Option<Vec<u8>>>()?,
    };
    let (from, to) = times.replace(' ', "").split_once(['-', '–']).map(|(a, b)| (a.to_owned(), b.to_owned()))?;
    let (from, to) = (ClockTime::parse(&from)?, ClockTime::parse(&to)?);
    (from != to).then(|| days.into_iter().map(|day| Opening { day, from, to }).collect())
}

/// The openings written back as a poster writes them and [`parse_hours`] reads them: the days
/// with the same hours joined into runs, one line per run ("pn–pt 18:00–08:00", "nd
/// 10:00–14:00").
pub fn hours_text(hours: &[Opening]) -> String {
    const DAYS: [&str; 7] = ["pn", "wt", "śr", "czw", "pt", "sob", "nd"];
    let day = |d: u8| DAYS[usize::from(d.clamp(1, 7) - 1)];
    let mut times: Vec<(ClockTime, ClockTime)> = Vec::new();
    for o in hours {
        if !times.contains(&(o.from, o.to)) {
            times.push((o.from, o.to));
        }
    }
    let mut lines = Vec::new();
    for (from, to) in times {
        let mut days: Vec<u8> = hours.iter().filter(|o| (o.from, o.to) == (from, to)).map(|o| o.day).collect();
        days.sort_unstable();
        days.dedup();
        let mut runs: Vec<(u8, u8)> = Vec::new();
        for d in days {
            match runs.last_mut() {
                Some((_, last)) if *last + 1 == d => *last = d,
                _ => runs.push((d, d)),
            }
        }
        for (a, b) in runs {
            let days = if a == b { day(a).to_owned() } else { format!("{}–{}", day(a), day(b)) };
            lines.push(format!("{days} {from}–{to}"));
        }
    }
    lines.join("\n")
}

/// One row of a register read for import: the facility it makes, or why it is refused.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// The row's line in the file (from 1, the header being line 1).
    pub line: usize,
    pub name: String,
    pub result: Result<Facility, &'static str>,
}

/// Reads the voivode's register (columns: name, address, type, number of places, operator —
/// found by their Polish or English headers in any order; without a header row, in that order).
/// Every row gives a facility or an error code: `import_name_missing`, `import_kind_unknown`,
/// `import_places_invalid`, or a field's own code. `ids` gives each new facility its id.
pub fn import_register(text: &str, mut ids: impl FnMut() -> Uuid) -> Result<Vec<ImportRow>, &'static str> {
    let rows = crate::csv::read(text);
    let Some(first) = rows.first() else {
        return Err("import_empty");
    };
    let column = |names: &[&str]| first.iter().position(|h| names.iter().any(|n| fold(h).contains(n)));
    let header = [
        column(&["nazwa", "name"]),
        column(&["adres", "address", "siedzib"]),
        column(&["typ", "rodzaj", "type", "kind"]),
        column(&["liczba miejsc", "miejsc", "places", "capacity"]),
        column(&["podmiot", "prowadz", "operator"]),
    ];
    let (cols, skip) =
        if header[0].is_some() { (header, 1) } else { ([Some(0), Some(1), Some(2), Some(3), Some(4)], 0) };
    if skip == 1 && cols[2].is_none() {
        return Err("import_no_kind_column");
    }
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate().skip(skip) {
        let cell = |c: Option<usize>| c.and_then(|c| row.get(c)).map_or("", |s| s.trim());
        let name = cell(cols[0]).to_owned();
        let result = (|| {
            if name.is_empty() {
                return Err("import_name_missing");
            }
            let kind = FacilityKind::from_register(cell(cols[2])).ok_or("import_kind_unknown")?;
            let places = cell(cols[3]);
            let capacity = if places.is_empty() {
                None
            } else {
                Some(places.replace([' ', '\u{a0}'], "").parse::<u32>().map_err(|_| "import_places_invalid")?)
            };
            let mut f = Facility::new(ids(), &name, kind);
            f.address = cell(cols[1]).to_owned();
            f.operator = cell(cols[4]).to_owned();
            f.capacity = capacity;
            validate_facility(&f).map_err(|e| e.0.first().map_or("invalid", |x| x.code))?;
            Ok(f)
        })();
        out.push(ImportRow { line: i + 1, name, result });
    }
    Ok(out)
}

/// The printable list (the Łódź poster): facilities by type in the register's order, each type's
/// by name. Facilities of no use to print (no name) are left out by validation already.
pub fn by_kind(facilities: &[Facility]) -> Vec<(FacilityKind, Vec<&Facility>)> {
    FacilityKind::ALL
        .iter()
        .filter_map(|k| {
            let mut of: Vec<&Facility> = facilities.iter().filter(|f| f.kind == *k).collect();
            crate::order::sort_by(&mut of, |a, b| a.name.cmp(&b.name));
            (!of.is_empty()).then_some((*k, of))
        })
        .collect()
}

/// A facility as the public list shows it (`GET /api/v1/public/facilities/{org}`, without
/// sign-in, when the organisation switches it on): what the city's website would print — no
/// beds, no holds, no accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicFacility {
    pub name: String,
    /// The type's code (`night_shelter`…, as in `facilities`).
    pub kind: String,
    pub address: String,
    pub phone: String,
    pub operator: String,
    /// One line per weekday opening ("pn 18:00–08:00"); empty: open day and night.
    pub hours: String,
    /// `men`, `women`, `families`.
    pub takes: Vec<String>,
    /// `sobriety_required`, `id_required`, `referral_required`, `dogs_allowed`, `wheelchair_access`.
    pub conditions: Vec<String>,
}

/// The public list's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicFacilities {
    /// By type in the register's order, each type's by name.
    pub facilities: Vec<PublicFacility>,
}

impl From<&Facility> for PublicFacility {
    fn from(f: &Facility) -> Self {
        let (t, c) = (f.takes, f.conditions);
        let named = |flags: &[(bool, &str)]| flags.iter().filter(|(on, _)| *on).map(|(_, n)| (*n).to_owned()).collect();
        PublicFacility {
            name: f.name.clone(),
            kind: f.kind.as_str().to_owned(),
            address: f.address.clone(),
            phone: f.phone.clone(),
            operator: f.operator.clone(),
            hours: hours_text(&f.hours),
            takes: named(&[(t.men, "men"), (t.women, "women"), (t.families, "families")]),
            conditions: named(&[
                (c.sobriety_required, "sobriety_required"),
                (c.id_required, "id_required"),
                (c.referral_required, "referral_required"),
                (c.dogs_allowed, "dogs_allowed"),
                (c.wheelchair_access, "wheelchair_access"),
            ]),
        }
    }
}

/// The public list of `facilities`, by type and name.
pub fn public_list(facilities: &[Facility]) -> PublicFacilities {
    PublicFacilities {
        facilities: by_kind(facilities).into_iter().flat_map(|(_, of)| of).map(PublicFacility::from).collect(),
    }
}

/// The referrals each contact's person was accepted for, by contact: a bed held for them at a
/// facility whose kind a referral names, marked arrived (the facility said so; the worker's
/// phone need not). The indicators count these, and the contact form shows them.
pub fn arrived_referrals(
    holds: &[BedHold],
    facilities: &[Facility],
) -> std::collections::HashMap<Uuid, Vec<ReferralKind>> {
    let kind_of: std::collections::HashMap<Uuid, FacilityKind> = facilities.iter().map(|f| (f.id, f.kind)).collect();
    let mut out: std::collections::HashMap<Uuid, Vec<ReferralKind>> = std::collections::HashMap::new();
    for h in holds.iter().filter(|h| h.status == HoldStatus::Arrived) {
        if let (Some(c), Some(kind)) = (h.contact_id, kind_of.get(&h.facility_id).and_then(|k| k.referral())) {
            out.entry(c).or_default().push(kind);
        }
    }
    out
}

/// Minutes since `at`, for "2 h temu" (never negative: a clock behind shows "now").
pub fn age_minutes(at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (now - at).num_minutes().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn only_an_arrival_at_a_facility_a_referral_names_accepts_one() {
        let shelter = Facility { kind: FacilityKind::NightShelter, ..crate::fixture::facility_example() };
        let other = Facility { id: Uuid::from_u128(0xfad), kind: FacilityKind::SoupKitchen, ..shelter.clone() };
        let arrived =
            BedHold { status: HoldStatus::Arrived, facility_id: shelter.id, ..crate::fixture::hold_example() };
        let c = arrived.contact_id.unwrap();
        let holds = vec![
            arrived.clone(),
            BedHold { status: HoldStatus::Held, ..arrived.clone() },
            BedHold { status: HoldStatus::NotArrived, ..arrived.clone() },
            BedHold { facility_id: other.id, ..arrived.clone() },
            BedHold { contact_id: None, ..arrived.clone() },
            BedHold { facility_id: Uuid::from_u128(0xdead), ..arrived.clone() },
        ];
        let got = arrived_referrals(&holds, &[shelter, other]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[&c], vec![ReferralKind::NightShelter]);
    }

    /// 2026-12-07 is a Monday; Poland is at UTC+1 in December.
    fn warsaw(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap() - Duration::hours(1)
    }

    fn night_shelter() -> Facility {
        let mut f = Facility::new(Uuid::from_u128(1), "Noclegownia", FacilityKind::NightShelter);
        // Monday to Friday 18:00–08:00, weekends all day.
        f.hours = parse_hours("pn-pt 18:00-08:00\nsob-nd 0:00-24:00").unwrap();
        f
    }

    #[test]
    fn open_now_follows_the_hours_past_midnight() {
        let f = night_shelter();
        assert!(f.open_at(warsaw(7, 19, 0)), "Monday evening");
        assert!(f.open_at(warsaw(8, 7, 59)), "Tuesday morning, Monday's night");
        assert!(!f.open_at(warsaw(8, 8, 0)), "closed at 08:00");
        assert!(!f.open_at(warsaw(8, 12, 0)), "Tuesday noon");
        assert!(f.open_at(warsaw(12, 12, 0)), "Saturday noon");
        assert!(f.open_at(warsaw(12, 7, 0)), "Saturday 07:00: Friday's night and Saturday's day");
        assert!(!f.open_at(warsaw(14, 3, 0)), "Monday 03:00: Sunday's 24 hours ended, Monday opens at 18");
        let always = Facility::new(Uuid::nil(), "Ogrzewalnia", FacilityKind::WarmingCentre);
        assert!(always.open_at(warsaw(8, 12, 0)), "no hours: open day and night");
    }

    #[test]
    fn a_closed_day_closes_it_and_its_night_that_began_then() {
        let mut f = night_shelter();
        f.closed_days = vec![NaiveDate::from_ymd_opt(2026, 12, 24).unwrap()];
        assert!(!f.open_at(warsaw(24, 20, 0)), "Christmas Eve (Thursday) 20:00");
        assert!(!f.open_at(warsaw(25, 2, 0)), "the night that began on the closed day");
        assert!(f.open_at(warsaw(25, 19, 0)), "Friday 25th evening opens again");
    }

    #[test]
    fn summer_time_moves_the_hours_with_the_wall_clock() {
        let f = night_shelter();
        // 2026-07-06 is a Monday; 17:30 UTC is 19:30 in Warsaw (CEST).
        assert!(f.open_at(Utc.with_ymd_and_hms(2026, 7, 6, 16, 30, 0).unwrap()));
        assert!(!f.open_at(Utc.with_ymd_and_hms(2026, 7, 6, 15, 30, 0).unwrap()), "17:30 in Warsaw");
    }

    #[test]
    fn hours_are_read_as_typed_and_written_back() {
        let h = parse_hours("Pn-Pt 18:00 - 8:00\nŚr 9.30-12:00\n\nnd–wt 20:00–06:00").unwrap();
        assert_eq!(h.len(), 5 + 1 + 3);
        assert_eq!(h[5], Opening { day: 3, from: ClockTime::hm(9, 30), to: ClockTime::hm(12, 0) });
        assert_eq!(h[6].day, 7);
        assert_eq!(h[8].day, 2);
        let sorted = |mut v: Vec<Opening>| {
            crate::order::sort_by_key(&mut v, |o| (o.day, o.from.minutes(), o.to.minutes()));
            v
        };
        assert_eq!(sorted(parse_hours(&hours_text(&h)).unwrap()), sorted(h.clone()));
        assert_eq!(hours_text(&h), "pn–pt 18:00–08:00\nśr 09:30–12:00\npn–wt 20:00–06:00\nnd 20:00–06:00");
        assert_eq!(parse_hours("pn 18-8\nwt 10:00-12:00\nxx 1:00-2:00\npn 10:00-10:00"), Err(vec![1, 3, 4]));
        assert_eq!(parse_hours("").unwrap(), vec![]);
    }

    #[test]
    fn who_takes_whom() {
        let mut f = night_shelter();
        f.takes = Takes { men: true, women: false, families: false };
        let woman = Needs { gender: Some(Gender::Female), ..Needs::default() };
        let man = Needs { gender: Some(Gender::Male), ..Needs::default() };
        assert!(takes(&f, &man) && !takes(&f, &woman));
        assert!(takes(&f, &Needs::default()), "unknown sex: any facility for adults");
        assert!(!takes(&f, &Needs { gender: Some(Gender::Mixed), ..Needs::default() }), "a couple needs both");
        f.takes.women = true;
        assert!(takes(&f, &Needs { gender: Some(Gender::Mixed), ..Needs::default() }));
        let child = Needs { age_band: Some(AgeBand::Child), gender: Some(Gender::Female), ..Needs::default() };
        assert!(!takes(&f, &child), "a child only where families are taken");
        f.takes.families = true;
        assert!(takes(&f, &child));
        let with_dog = Needs { dog: true, ..woman };
        assert!(!takes(&f, &with_dog));
        f.conditions.dogs_allowed = true;
        assert!(takes(&f, &with_dog));
        f.conditions.sobriety_required = true;
        assert!(!takes(&f, &Needs { intoxicated: true, ..woman }));
        assert!(!takes(&f, &Needs { wheelchair: true, ..woman }));
        f.conditions.wheelchair_access = true;
        assert!(takes(&f, &Needs { wheelchair: true, dog: true, ..woman }));
    }

    fn hold(f: &Facility, at: DateTime<Utc>, status: HoldStatus) -> BedHold {
        BedHold {
            id: Uuid::from_u128(at.timestamp_millis() as u128 ^ status as u128),
            facility_id: f.id,
            contact_id: None,
            held_at: at,
            minutes: f.hold_minutes(),
            needs: Needs::default(),
            team: vec!["Ola".into()],
            status,
            status_at: None,
        }
    }

    #[test]
    fn a_hold_counts_until_it_expires_or_the_facility_answers() {
        let mut f = night_shelter();
        let counted = warsaw(7, 20, 0);
        f.free_beds = Some(2);
        f.beds_at = Some(counted);
        let h = hold(&f, warsaw(7, 23, 0), HoldStatus::Held);
        assert_eq!(f.free_now(std::slice::from_ref(&h), warsaw(7, 23, 30)), Some(1));
        assert_eq!(h.expires_at(), warsaw(8, 0, 30));
        assert_eq!(f.free_now(std::slice::from_ref(&h), warsaw(8, 0, 30)), Some(2), "expired at 90 minutes");
        let arrived = BedHold { status: HoldStatus::Arrived, status_at: Some(warsaw(8, 0, 0)), ..h.clone() };
        assert_eq!(f.free_now(std::slice::from_ref(&arrived), warsaw(8, 3, 0)), Some(1), "arrived after the count");
        let mut recounted = f.clone();
        recounted.beds_at = Some(warsaw(8, 1, 0));
        assert_eq!(recounted.free_now(std::slice::from_ref(&arrived), warsaw(8, 3, 0)), Some(2), "in the new count");
        let gone = BedHold { status: HoldStatus::NotArrived, ..h.clone() };
        assert_eq!(f.free_now(&[gone], warsaw(7, 23, 30)), Some(2), "a person who did not come frees the bed");
        let elsewhere = BedHold { facility_id: Uuid::from_u128(99), ..h.clone() };
        assert_eq!(f.free_now(&[elsewhere], warsaw(7, 23, 30)), Some(2));
        let two = [h.clone(), hold(&f, warsaw(7, 23, 10), HoldStatus::Held)];
        assert_eq!(f.free_now(&two, warsaw(7, 23, 30)), Some(0));
        assert_eq!(may_hold(&f, &two, warsaw(7, 23, 30)), Err(FULL));
        assert_eq!(may_hold(&f, &two[..1], warsaw(7, 23, 30)), Ok(()));
        let mut unknown = f.clone();
        unknown.free_beds = None;
        assert_eq!(may_hold(&unknown, &[], warsaw(7, 23, 30)), Err(FULL), "no count, no hold");
    }

    #[test]
    fn a_stale_count_looks_stale() {
        let mut f = night_shelter();
        assert!(f.beds_stale(warsaw(7, 20, 0)));
        f.beds_at = Some(warsaw(7, 14, 0));
        assert!(!f.beds_stale(warsaw(7, 20, 0)));
        assert!(f.beds_stale(warsaw(7, 20, 1)));
    }

    #[test]
    fn the_finder_lists_open_facilities_that_take_the_person_free_and_near_first() {
        let now = warsaw(7, 23, 0);
        let here = Position { lat: 51.76, lon: 19.46, accuracy_m: 0.0 };
        let mut near_full = Facility::new(Uuid::from_u128(1), "A blisko, pełna", FacilityKind::NightShelter);
        near_full.position = Some(Position { lat: 51.761, lon: 19.46, accuracy_m: 0.0 });
        near_full.free_beds = Some(0);
        let mut far = Facility::new(Uuid::from_u128(2), "B daleko", FacilityKind::Shelter);
        far.position = Some(Position { lat: 51.80, lon: 19.46, accuracy_m: 0.0 });
        far.free_beds = Some(3);
        let mut nearer = Facility::new(Uuid::from_u128(3), "C bliżej", FacilityKind::WarmingCentre);
        nearer.position = Some(Position { lat: 51.77, lon: 19.46, accuracy_m: 0.0 });
        nearer.free_beds = Some(1);
        let nowhere = Facility::new(Uuid::from_u128(4), "D bez pozycji", FacilityKind::WinterPoint);
        let mut men_only = Facility::new(Uuid::from_u128(5), "E dla mężczyzn", FacilityKind::Shelter);
        men_only.takes.women = false;
        let mut closed = night_shelter();
        closed.hours = parse_hours("pn 8:00-9:00").unwrap();
        let kitchen = Facility::new(Uuid::from_u128(6), "F jadłodajnia", FacilityKind::SoupKitchen);
        let all = [near_full, far, nearer, nowhere, men_only, closed, kitchen];
        let woman = Needs { gender: Some(Gender::Female), ..Needs::default() };
        let names: Vec<&str> =
            find_beds(&all, &[], &woman, Some(here), now).iter().map(|c| c.facility.name.as_str()).collect();
        assert_eq!(names, ["C bliżej", "B daleko", "D bez pozycji", "A blisko, pełna"]);
    }

    #[test]
    fn a_register_imports_row_by_row_with_reasons() {
        let csv = "Nazwa placówki;Adres;Typ placówki;Liczba miejsc;Podmiot prowadzący\n\
            Schronisko św. Brata Alberta;ul. Szczytowa 11, Łódź;Schronisko dla osób bezdomnych;120;Towarzystwo Pomocy\n\
            Noclegownia Caritas;ul. Gdańska 111;NOCLEGOWNIA;40;Caritas\n\
            Dom Marzeń;ul. Łąkowa 2;hotel;10;X\n\
            ;ul. Bez Nazwy 1;ogrzewalnia;5;Y\n\
            Ogrzewalnia MOPS;ul. Zgierska 5;ogrzewalnia;dwadzieścia;MOPS\n\
            Zimowy punkt;Plac Wolności;zimowy punkt interwencyjny;;MOPS";
        let mut n = 0;
        let rows = import_register(csv, || {
            n += 1;
            Uuid::from_u128(n)
        })
        .unwrap();
        let results: Vec<(usize, Result<FacilityKind, &str>)> =
            rows.iter().map(|r| (r.line, r.result.as_ref().map(|f| f.kind).map_err(|e| *e))).collect();
        assert_eq!(
            results,
            [
                (2, Ok(FacilityKind::Shelter)),
                (3, Ok(FacilityKind::NightShelter)),
                (4, Err("import_kind_unknown")),
                (5, Err("import_name_missing")),
                (6, Err("import_places_invalid")),
                (7, Ok(FacilityKind::WinterPoint)),
            ]
        );
        let first = rows[0].result.as_ref().unwrap();
        assert_eq!((first.capacity, first.operator.as_str()), (Some(120), "Towarzystwo Pomocy"));
        assert_eq!(first.address, "ul. Szczytowa 11, Łódź");
        assert_eq!(rows[5].result.as_ref().unwrap().capacity, None);
        assert_eq!(import_register("", Uuid::nil), Err("import_empty"));
        assert_eq!(import_register("Nazwa;Adres\nA;B", Uuid::nil), Err("import_no_kind_column"));
        let headless = import_register("Łaźnia Miejska,ul. Wodna 1,łaźnia,,Gmina", Uuid::nil).unwrap();
        assert_eq!(headless[0].result.as_ref().unwrap().kind, FacilityKind::Bathhouse);
    }

    #[test]
    fn the_register_names_every_type_and_reads_its_own_names_back() {
        for k in FacilityKind::ALL {
            assert_eq!(FacilityKind::from_register(k.polish()), Some(*k), "{}", k.polish());
            assert_eq!(FacilityKind::from_register(k.as_str()), Some(*k));
        }
        assert_eq!(FacilityKind::from_register("Schronisko z usługami opiekuńczymi"), Some(FacilityKind::ShelterCare));
        assert_eq!(FacilityKind::from_register(""), None);
    }

    #[test]
    fn the_public_list_holds_no_beds_and_no_accounts() {
        let mut f = night_shelter();
        f.free_beds = Some(3);
        f.logins = vec!["recepcja".into()];
        f.conditions.dogs_allowed = true;
        let kitchen = Facility::new(Uuid::from_u128(2), "A jadłodajnia", FacilityKind::SoupKitchen);
        let list = public_list(&[kitchen, f]);
        let names: Vec<&str> = list.facilities.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Noclegownia", "A jadłodajnia"], "by type in the register's order");
        let text = serde_json::to_string(&list).unwrap();
        assert!(!text.contains("recepcja") && !text.contains("free") && !text.contains("beds"), "{text}");
        assert_eq!(list.facilities[0].conditions, ["dogs_allowed"]);
        assert_eq!(list.facilities[0].takes, ["men", "women"]);
        assert_eq!(list.facilities[0].hours, "pn–pt 18:00–08:00\nsob–nd 00:00–24:00");
    }

    #[test]
    fn validation_names_the_field() {
        let mut f = night_shelter();
        assert!(validate_facility(&f).is_ok());
        f.free_beds = Some(MAX_BEDS + 1);
        f.hold_minutes = Some(0);
        f.logins = vec!["ma spacje".into()];
        let e = validate_facility(&f).unwrap_err();
        assert_eq!(e.code_for("free_beds"), Some("beds_range"));
        assert_eq!(e.code_for("hold_minutes"), Some("hold_minutes_range"));
        assert_eq!(e.code_for("logins"), Some("login_invalid"));
        let mut h = hold(&night_shelter(), warsaw(7, 23, 0), HoldStatus::Held);
        assert!(validate_hold(&h).is_ok());
        h.minutes = 0;
        assert_eq!(validate_hold(&h).unwrap_err().code_for("minutes"), Some("hold_minutes_range"));
        let bad_time = serde_json::from_value::<Opening>(serde_json::json!({"day": 1, "from": "25:00", "to": "8:00"}));
        assert!(bad_time.unwrap_err().to_string().contains("not a time"));
    }

    proptest! {
        /// Holds never make more beds than were counted, and never fewer than none.
        #[test]
        fn free_beds_stay_between_none_and_the_count(
            free in 0u32..10,
            holds in proptest::collection::vec((0i64..600, 0usize..4, 0i64..600), 0..20),
            at in 0i64..900,
        ) {
            let mut f = night_shelter();
            let start = warsaw(7, 18, 0);
            f.free_beds = Some(free);
            f.beds_at = Some(start + Duration::minutes(120));
            let hs: Vec<BedHold> = holds.iter().map(|(m, s, answered)| BedHold {
                status: HoldStatus::ALL[*s],
                status_at: Some(start + Duration::minutes(m + answered)),
                ..hold(&f, start + Duration::minutes(*m), HoldStatus::Held)
            }).collect();
            let now = start + Duration::minutes(at);
            let n = f.free_now(&hs, now).unwrap();
            prop_assert!(n <= free);
            let waiting = hs.iter().filter(|h| h.active(now)).count() as u32;
            prop_assert!(n <= free.saturating_sub(waiting));
            prop_assert_eq!(may_hold(&f, &hs, now).is_ok(), n > 0);
        }

        /// Open-now is a property of the wall clock: an overnight opening covers exactly its
        /// minutes, whatever the day and time.
        #[test]
        fn an_overnight_opening_covers_its_minutes(from in 0u16..24, to in 0u16..24, day in 1u8..=7, minute in 0i64..(7 * 24 * 60)) {
            prop_assume!(from != to);
            let mut f = Facility::new(Uuid::nil(), "X", FacilityKind::NightShelter);
            f.hours = vec![Opening { day, from: ClockTime::hm(from, 0), to: ClockTime::hm(to, 0) }];
            // Monday 7 December 2026, 00:00 in Warsaw, plus `minute`.
            let at = warsaw(7, 0, 0) + Duration::minutes(minute);
            let (d, m) = ((minute / (24 * 60)) as u8 + 1, (minute % (24 * 60)) as u32);
            let (from, to) = (u32::from(from) * 60, u32::from(to) * 60);
            let expected = if to > from {
                d == day && m >= from && m < to
            } else {
                (d == day && m >= from) || (d == day % 7 + 1 && m < to)
            };
            prop_assert_eq!(f.open_at(at), expected);
        }
    }
}
