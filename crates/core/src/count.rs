//! Count night: the national count of homeless people (Ogólnopolskie badanie liczby osób
//! bezdomnych) organised from the app. The town is split into sectors drawn on the map, each
//! sector's places fall to its team, every person met is one anonymous questionnaire (or one
//! person counted by observation), and the gmina's table is summed from them — the same rules
//! on the coordinator's phone and on the server.
//!
//! The questionnaire is data: its questions and answers (in Polish and English) travel with the
//! count, so the next edition's changes need no new release. The table knows three questions by
//! their codes (sex, age group, "already counted"); every other one is summed as it is.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use geo::{Coord, Intersects, LineString, Point, Polygon};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validate::{chars, year_ok, Errors, Invalid, ADDRESS_MAX_CHARS, LABEL_MAX_CHARS, NAME_MAX_CHARS, TEAM_MAX};
use crate::values::{PartnerAgency, SiteKind};

/// The question of a person's sex (estimated for a person counted by observation).
pub const SEX: &str = "sex";
/// The question of a person's age group (estimated for a person counted by observation).
pub const AGE_GROUP: &str = "age_group";
/// "Already counted in this count?": a yes never counts twice.
pub const ALREADY_COUNTED: &str = "already_counted";
/// Where the person stays on the count night (the map's place types).
pub const PLACE: &str = "place";

/// A corner of a sector, as drawn on the map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Corner {
    pub lat: f64,
    pub lon: f64,
}

/// The team sent to a sector: its members, a partner agency going along, where and when they meet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Team {
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default)]
    pub partner: Option<PartnerAgency>,
    #[serde(default)]
    pub meeting_point: String,
    #[serde(default)]
    pub meeting_at: Option<DateTime<Utc>>,
}

/// A part of the town drawn on the map, and its team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sector {
    pub id: Uuid,
    pub name: String,
    /// The polygon's corners in order (the last joins the first).
    pub corners: Vec<Corner>,
    #[serde(default)]
    pub team: Team,
}

impl Sector {
    fn polygon(&self) -> Option<Polygon<f64>> {
        // Fewer than three distinct corners enclose nothing.
        let mut distinct: Vec<Corner> = Vec::new();
        for c in &self.corners {
            if !distinct.contains(c) {
                distinct.push(*c);
            }
        }
        (distinct.len() >= 3 && self.corners.iter().all(|c| c.lat.is_finite() && c.lon.is_finite())).then(|| {
            Polygon::new(
                LineString::from(self.corners.iter().map(|c| Coord { x: c.lon, y: c.lat }).collect::<Vec<_>>()),
                vec![],
            )
        })
    }
}

/// A sector's corners as typed: one corner a line, latitude then longitude, with a decimal
/// point or a Polish decimal comma (`50.8112, 19.1203` or `50,8112 19,1203`). `None` when a
/// line does not hold exactly two numbers.
pub fn parse_corners(text: &str) -> Option<Vec<Corner>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let line = line.replace(", ", " ").replace(';', " ");
            let numbers: Vec<f64> = line
                .split_whitespace()
                .map(|t| t.replace(',', ".").parse::<f64>().ok().filter(|x| x.is_finite()))
                .collect::<Option<_>>()?;
            match numbers[..] {
                [lat, lon] => Some(Corner { lat, lon }),
                _ => None,
            }
        })
        .collect()
}

/// Corners as [`parse_corners`] reads them (decimal point, six decimals: about 10 cm).
pub fn corners_text(corners: &[Corner]) -> String {
    corners.iter().map(|c| format!("{:.6}, {:.6}", c.lat, c.lon)).collect::<Vec<_>>().join("\n")
}

/// The sector a position falls in: inside a sector or on its border. A place on the border of
/// two sectors goes to the first of them in the count's order, so that it is visited once; a
/// place outside every sector has none (the coordinator sees it, to draw again).
pub fn sector_of(lat: f64, lon: f64, sectors: &[Sector]) -> Option<Uuid> {
    let point = Point::new(lon, lat);
    sectors.iter().find(|s| s.polygon().is_some_and(|p| p.intersects(&point))).map(|s| s.id)
}

/// Places split between the sectors: each sector's places (in the order given), and those
/// outside every sector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Assignment {
    pub by_sector: BTreeMap<Uuid, Vec<Uuid>>,
    pub outside: Vec<Uuid>,
}

/// Splits places (`(id, lat, lon)`) between the sectors.
pub fn assign(places: impl IntoIterator<Item = (Uuid, f64, f64)>, sectors: &[Sector]) -> Assignment {
    let polygons: Vec<(Uuid, Polygon<f64>)> = sectors.iter().filter_map(|s| Some((s.id, s.polygon()?))).collect();
    let mut out = Assignment::default();
    for (id, lat, lon) in places {
        let point = Point::new(lon, lat);
        match polygons.iter().find(|(_, p)| p.intersects(&point)) {
            Some((sector, _)) => out.by_sector.entry(*sector).or_default().push(id),
            None => out.outside.push(id),
        }
    }
    out
}

/// A count: its name, its window (one night, or several days and nights), the sectors and their
/// teams, and the questionnaire every team asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub id: Uuid,
    pub name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub sectors: Vec<Sector>,
    pub questionnaire: Questionnaire,
    /// An earlier count entered by hand for the history (e.g. Częstochowa's 2013–2019 series):
    /// its total as the gmina reported it. Such a count has no sectors and no people.
    #[serde(default)]
    pub entered_total: Option<u32>,
}

/// The most sectors one count is split into.
pub const MAX_SECTORS: usize = 100;
/// The most corners one sector is drawn with.
pub const MAX_CORNERS: usize = 200;
/// The most questions of a questionnaire (and so the most answers of one person).
pub const MAX_QUESTIONS: usize = 40;
/// The most answers one question offers.
pub const MAX_CHOICES: usize = 40;
/// The longest question or answer text, and code.
pub const QUESTION_MAX_CHARS: usize = 200;
/// The largest number a number question takes, and the largest total entered by hand.
pub const NUMBER_MAX: u32 = 200;
pub const TOTAL_MAX: u32 = 1_000_000;

/// The longest window of one count (the 2026 count: the night of 3–4 March and the days of
/// 3–5 March).
pub const MAX_WINDOW_DAYS: i64 = 7;

/// Checks a count: a name, a window that ends after it starts and lasts at most a week, every
/// sector named with a polygon of three corners or more (ids unique), a valid questionnaire.
pub fn validate_count(c: &Count) -> Result<(), Invalid> {
    let mut e = Errors::default();
    e.check(!c.name.trim().is_empty(), "name", "count_name_empty");
    e.check(chars(&c.name) <= LABEL_MAX_CHARS, "name", "label_too_long");
    e.check(year_ok(c.starts_at), "starts_at", "date_range");
    e.check(c.entered_total.is_none_or(|t| t <= TOTAL_MAX), "entered_total", "headcount_range");
    e.check(c.sectors.len() <= MAX_SECTORS, "sectors", "count_too_large");
    let window = c.ends_at - c.starts_at;
    e.check(
        window > chrono::Duration::zero() && window <= chrono::Duration::days(MAX_WINDOW_DAYS),
        "ends_at",
        "count_window",
    );
    for (i, s) in c.sectors.iter().enumerate() {
        e.check(!s.name.trim().is_empty(), "sectors", "sector_name_empty");
        e.check(s.polygon().is_some(), "sectors", "sector_polygon");
        e.check(!c.sectors[..i].iter().any(|o| o.id == s.id), "sectors", "sector_repeated");
        e.check(chars(&s.name) <= LABEL_MAX_CHARS, "sectors", "label_too_long");
        e.check(s.corners.len() <= MAX_CORNERS, "sectors", "count_too_large");
        let t = &s.team;
        e.check(t.members.len() <= TEAM_MAX, "sectors", "team_too_large");
        e.check(
            t.members.iter().all(|m| !m.trim().is_empty() && chars(m) <= NAME_MAX_CHARS),
            "sectors",
            "team_member_invalid",
        );
        e.check(chars(&t.meeting_point) <= ADDRESS_MAX_CHARS, "sectors", "address_too_long");
    }
    check_questionnaire(&mut e, &c.questionnaire);
    e.finish()
}

/// What a team found at a place of its sector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitOutcome {
    PeopleFound,
    Empty,
    NotAccessible,
}

impl VisitOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            VisitOutcome::PeopleFound => "people_found",
            VisitOutcome::Empty => "empty",
            VisitOutcome::NotAccessible => "not_accessible",
        }
    }
}

/// A place of the count visited (the latest visit of a place is the one that counts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountVisit {
    pub id: Uuid,
    pub count_id: Uuid,
    pub site_id: Uuid,
    #[serde(default)]
    pub sector_id: Option<Uuid>,
    pub outcome: VisitOutcome,
    pub at: DateTime<Utc>,
}

/// A sector's progress, as the coordinator watches it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SectorProgress {
    pub sector_id: Uuid,
    pub places: u32,
    pub visited: u32,
    /// People counted in the sector, double counts left out.
    pub people: u32,
}

/// Each sector's places visited and people counted, from what the phones have sent so far.
pub fn progress(assignment: &Assignment, visits: &[CountVisit], people: &[CountPerson]) -> Vec<SectorProgress> {
    assignment
        .by_sector
        .iter()
        .map(|(sector, places)| SectorProgress {
            sector_id: *sector,
            places: places.len() as u32,
            visited: places.iter().filter(|p| visits.iter().any(|v| v.site_id == **p)).count() as u32,
            people: people.iter().filter(|p| p.sector_id == Some(*sector) && !p.is_double()).count() as u32,
        })
        .collect()
}

/// A sector's places in a walking order: the short round (the route planner of Akcja ZIMA)
/// from where the team stands, or from the sector's first place when the phone has no position.
/// `places`: `(id, lat, lon)`.
pub fn walking_order(from: Option<(f64, f64)>, places: &[(Uuid, f64, f64)]) -> Vec<Uuid> {
    let at = |lat: f64, lon: f64| crate::Position { lat, lon, accuracy_m: 0.0 };
    let Some(&(_, lat0, lon0)) = places.first() else { return Vec::new() };
    let (lat, lon) = from.filter(|(a, b)| a.is_finite() && b.is_finite()).unwrap_or((lat0, lon0));
    let stops: Vec<crate::Position> = places.iter().map(|(_, la, lo)| at(*la, *lo)).collect();
    let mut order = crate::route::plan(&at(lat, lon), &stops).order;
    // A round is as long either way: walked from its end nearer to the team.
    let from_start = |i: &usize| crate::sites::distance_m(&at(lat, lon), &stops[*i]);
    if let (Some(first), Some(last)) = (order.first(), order.last()) {
        if from_start(last) < from_start(first) {
            order.reverse();
        }
    }
    order.into_iter().map(|i| places[i].0).collect()
}

/// One count in the gmina's history: its name, when it began and its total (entered by hand
/// for an earlier count, else the people counted so far, double counts left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub count_id: Uuid,
    pub name: String,
    pub year: i32,
    pub total: u32,
    pub entered: bool,
}

/// The gmina's counts oldest first, each with its total.
pub fn history(counts: &[Count], people: &[CountPerson]) -> Vec<HistoryRow> {
    use chrono::Datelike;
    let mut rows: Vec<HistoryRow> = counts
        .iter()
        .map(|c| HistoryRow {
            count_id: c.id,
            name: c.name.clone(),
            year: c.starts_at.year(),
            total: c
                .entered_total
                .unwrap_or_else(|| people.iter().filter(|p| p.count_id == c.id && !p.is_double()).count() as u32),
            entered: c.entered_total.is_some(),
        })
        .collect();
    crate::order::sort_by(&mut rows, |a, b| (a.year, &a.name).cmp(&(b.year, &b.name)));
    rows
}

/// How a question is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// One of the choices.
    Single,
    /// Any of the choices (reasons, sources of income).
    Multiple,
    /// A whole number.
    Number,
    /// Yes or no.
    YesNo,
}

/// One answer a question offers, in both languages of the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub code: String,
    pub pl: String,
    pub en: String,
}

/// A question of the count's questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub code: String,
    pub kind: QuestionKind,
    pub pl: String,
    pub en: String,
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Asked (estimated) for a person counted by observation too.
    #[serde(default)]
    pub observed: bool,
}

/// The questions of one count, in the order asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Questionnaire {
    pub questions: Vec<Question>,
}

/// A person's answer to one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    YesNo(bool),
    Number(u32),
    One(String),
    Many(Vec<String>),
}

/// One person counted: a questionnaire, or a person who declined or slept, counted by
/// observation (sex and age group estimated). Anonymous by design: no name, no pseudonym, no
/// notes, no position — only the place's id and the sector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountPerson {
    pub id: Uuid,
    pub count_id: Uuid,
    #[serde(default)]
    pub sector_id: Option<Uuid>,
    #[serde(default)]
    pub site_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    /// Counted by observation, not interviewed.
    #[serde(default)]
    pub observed: bool,
    #[serde(default)]
    pub answers: BTreeMap<String, Answer>,
}

impl CountPerson {
    /// Counted already in this count (their own answer): left out of every total.
    pub fn is_double(&self) -> bool {
        matches!(self.answers.get(ALREADY_COUNTED), Some(Answer::YesNo(true)))
    }
}

/// Answers as (code, Polish, English).
fn choices(list: &[(&str, &str, &str)]) -> Vec<Choice> {
    list.iter().map(|(code, pl, en)| Choice { code: (*code).into(), pl: (*pl).into(), en: (*en).into() }).collect()
}

fn question(code: &str, kind: QuestionKind, pl: &str, en: &str, choices: Vec<Choice>, observed: bool) -> Question {
    Question { code: code.into(), kind, pl: pl.into(), en: en.into(), choices, observed }
}

/// The map's place types as the answers to "where does the person stay tonight".
fn place_choices() -> Vec<Choice> {
    SiteKind::ALL
        .iter()
        .map(|k| {
            let (pl, en) = match k {
                SiteKind::AbandonedBuilding => ("Pustostan", "Abandoned building"),
                SiteKind::AllotmentShed => ("Altana działkowa", "Allotment shed"),
                SiteKind::Stairwell => ("Klatka schodowa", "Stairwell"),
                SiteKind::Basement => ("Piwnica", "Basement"),
                SiteKind::Station => ("Dworzec", "Station"),
                SiteKind::HeatingChamber => ("Węzeł ciepłowniczy", "Heating chamber"),
                SiteKind::TentCamp => ("Namiot, szałas", "Tent, shack"),
                SiteKind::BridgeViaduct => ("Most, wiadukt", "Bridge, viaduct"),
                SiteKind::ParkForest => ("Park, las", "Park, forest"),
                SiteKind::Other => ("Inne miejsce niemieszkalne", "Other non-residential place"),
            };
            Choice { code: k.as_str().into(), pl: pl.into(), en: en.into() }
        })
        .collect()
}

/// The default questionnaire, following the categories the ministry publishes for the count.
pub fn default_questionnaire() -> Questionnaire {
    use QuestionKind::*;
    Questionnaire {
        questions: vec![
            question(
                SEX,
                Single,
                "Płeć",
                "Sex",
                choices(&[("female", "Kobieta", "Woman"), ("male", "Mężczyzna", "Man")]),
                true,
            ),
            question(
                AGE_GROUP,
                Single,
                "Grupa wieku",
                "Age group",
                choices(&[
                    ("0-17", "0–17 lat", "0–17"),
                    ("18-25", "18–25 lat", "18–25"),
                    ("26-40", "26–40 lat", "26–40"),
                    ("41-60", "41–60 lat", "41–60"),
                    ("61-65", "61–65 lat", "61–65"),
                    ("66+", "66 lat i więcej", "66 and over"),
                ]),
                true,
            ),
            question(
                PLACE,
                Single,
                "Gdzie ta osoba dziś nocuje",
                "Where the person stays tonight",
                place_choices(),
                true,
            ),
            question(
                "homeless_for",
                Single,
                "Jak długo jest w bezdomności",
                "How long homeless",
                choices(&[
                    ("under_1", "Poniżej roku", "Under a year"),
                    ("1_2", "1–2 lata", "1–2 years"),
                    ("2_5", "2–5 lat", "2–5 years"),
                    ("5_10", "5–10 lat", "5–10 years"),
                    ("over_10", "Ponad 10 lat", "Over 10 years"),
                ]),
                false,
            ),
            question(
                "reasons",
                Multiple,
                "Przyczyny bezdomności",
                "Reasons for homelessness",
                choices(&[
                    ("eviction", "Eksmisja, wymeldowanie", "Eviction"),
                    ("family_conflict", "Konflikt rodzinny", "Family conflict"),
                    ("breakup", "Rozpad związku", "Break-up, divorce"),
                    ("addiction", "Uzależnienie", "Addiction"),
                    ("debt", "Zadłużenie", "Debt"),
                    ("unemployment", "Brak pracy", "Unemployment"),
                    ("illness", "Choroba, niepełnosprawność", "Illness, disability"),
                    ("violence", "Przemoc domowa", "Domestic violence"),
                    ("prison", "Opuszczenie zakładu karnego", "Leaving prison"),
                    ("care_leaving", "Opuszczenie placówki opiekuńczej", "Leaving care"),
                    ("migration", "Migracja", "Migration"),
                    ("other", "Inne", "Other"),
                ]),
                false,
            ),
            question(
                "income",
                Multiple,
                "Źródła dochodu",
                "Sources of income",
                choices(&[
                    ("none", "Brak dochodu", "No income"),
                    ("casual_work", "Prace dorywcze", "Casual work"),
                    ("employment", "Praca", "Employment"),
                    ("social_assistance", "Zasiłek z pomocy społecznej", "Social assistance"),
                    ("pension", "Emerytura", "Old-age pension"),
                    ("disability_pension", "Renta", "Disability pension"),
                    ("collecting", "Zbieractwo", "Collecting scrap"),
                    ("begging", "Żebractwo", "Begging"),
                    ("family", "Pomoc rodziny", "Family support"),
                    ("other", "Inne", "Other"),
                ]),
                false,
            ),
            question(
                "citizenship",
                Single,
                "Obywatelstwo",
                "Citizenship",
                choices(&[
                    ("polish", "Polskie", "Polish"),
                    ("eu", "Innego kraju UE", "Another EU country"),
                    ("other", "Innego kraju", "Another country"),
                ]),
                false,
            ),
            question(
                ALREADY_COUNTED,
                YesNo,
                "Czy ta osoba była już dziś liczona (ankietowana)?",
                "Already counted in this count?",
                vec![],
                false,
            ),
        ],
    }
}

/// Checks a questionnaire: at least one question, codes unique and non-empty, every choice
/// question with choices (codes unique), the three questions the table knows of the kind it
/// sums them as.
pub fn validate_questionnaire(q: &Questionnaire) -> Result<(), Invalid> {
    let mut e = Errors::default();
    check_questionnaire(&mut e, q);
    e.finish()
}

fn check_questionnaire(e: &mut Errors, q: &Questionnaire) {
    e.check(!q.questions.is_empty(), "questions", "question_incomplete");
    e.check(q.questions.len() <= MAX_QUESTIONS, "questions", "count_too_large");
    for (i, question) in q.questions.iter().enumerate() {
        let code = question.code.trim();
        let texts = [&question.code, &question.pl, &question.en]
            .into_iter()
            .chain(question.choices.iter().flat_map(|c| [&c.code, &c.pl, &c.en]));
        e.check(texts.into_iter().all(|t| chars(t) <= QUESTION_MAX_CHARS), "questions", "text_too_long");
        e.check(question.choices.len() <= MAX_CHOICES, "questions", "count_too_large");
        let complete = !code.is_empty() && !question.pl.trim().is_empty() && !question.en.trim().is_empty();
        e.check(complete, "questions", "question_incomplete");
        e.check(!q.questions[..i].iter().any(|o| o.code.trim() == code), "questions", "question_repeated");
        let needs_choices = matches!(question.kind, QuestionKind::Single | QuestionKind::Multiple);
        let mut codes: Vec<&str> = question.choices.iter().map(|c| c.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        let choices_ok = !needs_choices || (!question.choices.is_empty() && codes.len() == question.choices.len());
        e.check(choices_ok, "questions", "question_choices");
        let expected = match code {
            SEX | AGE_GROUP | PLACE => Some(QuestionKind::Single),
            ALREADY_COUNTED => Some(QuestionKind::YesNo),
            _ => None,
        };
        e.check(expected.is_none_or(|k| k == question.kind), "questions", "question_kind");
    }
}

/// Checks a person's answers against the count's questionnaire: every answer to a question it
/// has, of that question's kind and among its choices; a person counted by observation answers
/// only what can be seen (the questions marked `observed`).
pub fn validate_person(q: &Questionnaire, p: &CountPerson) -> Result<(), Invalid> {
    let mut e = Errors::default();
    check_person_shape(&mut e, p);
    if e.has_any() {
        // Too large to check further in reasonable time.
        return e.finish();
    }
    for (code, answer) in &p.answers {
        let Some(question) = q.questions.iter().find(|x| &x.code == code) else {
            e.check(false, "answers", "answer_unknown_question");
            continue;
        };
        e.check(!p.observed || question.observed, "answers", "answer_not_observable");
        let known = |c: &String| question.choices.iter().any(|x| &x.code == c);
        let ok = match (question.kind, answer) {
            (QuestionKind::Single, Answer::One(c)) => known(c),
            (QuestionKind::Multiple, Answer::Many(cs)) => {
                !cs.is_empty() && cs.iter().all(known) && cs.iter().enumerate().all(|(i, c)| !cs[..i].contains(c))
            }
            (QuestionKind::Number, Answer::Number(n)) => *n <= NUMBER_MAX,
            (QuestionKind::YesNo, Answer::YesNo(_)) => true,
            _ => false,
        };
        e.check(ok, "answers", "answer_invalid");
    }
    e.finish()
}

/// Checks what a person's record holds alone, without its count's questionnaire (the server's
/// and the sync's check, `Record::validate`): at most as many answers as a questionnaire has
/// questions, codes of a question's length, no more choices than a question offers, numbers in
/// range. The questionnaire's own check runs in the form ([`validate_person`]); an answer to no
/// question of the count is left out of the table.
pub fn validate_person_alone(p: &CountPerson) -> Result<(), Invalid> {
    let mut e = Errors::default();
    check_person_shape(&mut e, p);
    e.finish()
}

fn check_person_shape(e: &mut Errors, p: &CountPerson) {
    e.check(year_ok(p.at), "at", "date_range");
    e.check(p.answers.len() <= MAX_QUESTIONS, "answers", "count_too_large");
    let short = |c: &String| !c.is_empty() && chars(c) <= QUESTION_MAX_CHARS;
    let fits = p.answers.iter().all(|(code, a)| {
        short(code)
            && match a {
                Answer::One(c) => short(c),
                Answer::Many(cs) => cs.len() <= MAX_CHOICES && cs.iter().all(short),
                Answer::Number(n) => *n <= NUMBER_MAX,
                Answer::YesNo(_) => true,
            }
    });
    e.check(fits, "answers", "answer_invalid");
}

/// Checks a visit: its time within the years of the work.
pub fn validate_visit(v: &CountVisit) -> Result<(), Invalid> {
    let mut e = Errors::default();
    e.check(year_ok(v.at), "at", "date_range");
    e.finish()
}

/// One answer's line in the table: how many people gave it and their share of those who
/// answered the question (shares of a question with several answers add up to more than 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Line {
    pub code: String,
    pub count: u32,
    pub share: f64,
}

/// One question summed up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuestionTotals {
    pub code: String,
    /// People counted who answered it.
    pub answered: u32,
    /// Per choice, in the questionnaire's order (for yes/no: `yes`, `no`). Empty for a number.
    pub lines: Vec<Line>,
    /// For a number: the sum of the answers (their mean is `sum / answered`).
    pub sum: u64,
}

/// The gmina's table of one count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountTable {
    /// People counted, double counts left out.
    pub people: u32,
    pub interviewed: u32,
    pub observed: u32,
    /// Questionnaires of people already counted, left out of every figure above and below.
    pub double_counts: u32,
    /// The sex question's choice codes, then `unknown`: the columns of `by_age`.
    pub sexes: Vec<String>,
    /// Per age group (the questionnaire's order, then `unknown`): people per sex column.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<Value>>))]
    pub by_age: Vec<(String, Vec<u32>)>,
    /// Every question, in the questionnaire's order.
    pub questions: Vec<QuestionTotals>,
}

/// The choice codes of question `code`, or none.
fn codes_of(q: &Questionnaire, code: &str) -> Vec<String> {
    q.questions
        .iter()
        .find(|x| x.code == code)
        .map(|x| x.choices.iter().map(|c| c.code.clone()).collect())
        .unwrap_or_default()
}

fn one<'a>(p: &'a CountPerson, code: &str) -> Option<&'a str> {
    match p.answers.get(code) {
        Some(Answer::One(c)) => Some(c),
        _ => None,
    }
}

/// `GET /api/v1/counts/{id}/table`: the gmina's table of one count as the server sums it from
/// what every phone has sent (the same function as the coordinator's phone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountTableAnswer {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub count_id: Uuid,
    pub name: String,
    pub table: CountTable,
}

/// Sums the people counted in one count into the gmina's table.
pub fn table(q: &Questionnaire, people: &[CountPerson]) -> CountTable {
    let counted: Vec<&CountPerson> = people.iter().filter(|p| !p.is_double()).collect();
    let unknown = "unknown".to_string();
    let mut sexes = codes_of(q, SEX);
    sexes.push(unknown.clone());
    let mut ages = codes_of(q, AGE_GROUP);
    ages.push(unknown.clone());
    let column = |p: &CountPerson, code: &str, of: &[String]| {
        one(p, code).and_then(|c| of.iter().position(|x| x == c)).unwrap_or(of.len() - 1)
    };
    let mut by_age: Vec<(String, Vec<u32>)> = ages.iter().map(|a| (a.clone(), vec![0; sexes.len()])).collect();
    for p in &counted {
        by_age[column(p, AGE_GROUP, &ages)].1[column(p, SEX, &sexes)] += 1;
    }
    let questions = q
        .questions
        .iter()
        .map(|question| {
            // An answer of another kind than the question's (a phone's bug, a questionnaire
            // changed during the count) is not an answer to it.
            let fits = |a: &&Answer| {
                matches!(
                    (question.kind, a),
                    (QuestionKind::Single, Answer::One(_))
                        | (QuestionKind::Multiple, Answer::Many(_))
                        | (QuestionKind::Number, Answer::Number(_))
                        | (QuestionKind::YesNo, Answer::YesNo(_))
                )
            };
            let answers: Vec<&Answer> =
                counted.iter().filter_map(|p| p.answers.get(&question.code)).filter(fits).collect();
            let answered = answers.len() as u32;
            let share = |count: u32| if answered == 0 { 0.0 } else { f64::from(count) / f64::from(answered) };
            let line = |code: &str, count: u32| Line { code: code.into(), count, share: share(count) };
            let (lines, sum) = match question.kind {
                QuestionKind::Single | QuestionKind::Multiple => {
                    let lines = question
                        .choices
                        .iter()
                        .map(|c| {
                            let n = answers
                                .iter()
                                .filter(|a| match a {
                                    Answer::One(x) => *x == c.code,
                                    Answer::Many(xs) => xs.contains(&c.code),
                                    _ => false,
                                })
                                .count();
                            line(&c.code, n as u32)
                        })
                        .collect();
                    (lines, 0)
                }
                QuestionKind::YesNo => {
                    let yes = answers.iter().filter(|a| matches!(a, Answer::YesNo(true))).count() as u32;
                    (vec![line("yes", yes), line("no", answered - yes)], 0)
                }
                QuestionKind::Number => {
                    let sum = answers.iter().map(|a| if let Answer::Number(n) = a { u64::from(*n) } else { 0 }).sum();
                    (Vec::new(), sum)
                }
            };
            QuestionTotals { code: question.code.clone(), answered, lines, sum }
        })
        .collect();
    CountTable {
        people: counted.len() as u32,
        interviewed: counted.iter().filter(|p| !p.observed).count() as u32,
        observed: counted.iter().filter(|p| p.observed).count() as u32,
        double_counts: (people.len() - counted.len()) as u32,
        sexes,
        by_age,
        questions,
    }
}

/// The table's own words in the user's language (from the app's translations; the questions
/// and answers come in both languages with the questionnaire).
#[derive(Debug, Clone, Copy)]
pub struct TableWords<'a> {
    pub people: &'a str,
    pub interviewed: &'a str,
    pub observed: &'a str,
    pub double_counts: &'a str,
    pub age: &'a str,
    pub total: &'a str,
    pub unknown: &'a str,
    pub answered: &'a str,
    pub yes: &'a str,
    pub no: &'a str,
    pub sum: &'a str,
}

/// The gmina's table as rows for CSV (`csv::write`): the totals, the age × sex table, then each
/// question with the people who answered it and, per answer, the count and the share in per
/// cent (one decimal).
pub fn table_rows(q: &Questionnaire, t: &CountTable, english: bool, w: &TableWords) -> Vec<Vec<crate::csv::Cell>> {
    use crate::csv::Cell::{self, Empty, Int, Tenths, Text};
    let text = |s: &str| Text(s.to_owned());
    let label_of = |question: &str, code: &str| -> String {
        q.questions
            .iter()
            .find(|x| x.code == question)
            .and_then(|x| x.choices.iter().find(|c| c.code == code))
            .map(|c| if english { c.en.clone() } else { c.pl.clone() })
            .unwrap_or_else(|| if code == "unknown" { w.unknown.to_owned() } else { code.to_owned() })
    };
    let mut rows: Vec<Vec<Cell>> = vec![
        vec![text(w.people), Int(t.people.into())],
        vec![text(w.interviewed), Int(t.interviewed.into())],
        vec![text(w.observed), Int(t.observed.into())],
        vec![text(w.double_counts), Int(t.double_counts.into())],
        vec![Empty],
    ];
    let mut head = vec![text(w.age)];
    head.extend(t.sexes.iter().map(|s| Text(label_of(SEX, s))));
    head.push(text(w.total));
    rows.push(head);
    for (age, by_sex) in &t.by_age {
        let mut row = vec![Text(label_of(AGE_GROUP, age))];
        row.extend(by_sex.iter().map(|n| Int((*n).into())));
        row.push(Int(by_sex.iter().map(|n| i64::from(*n)).sum()));
        rows.push(row);
    }
    for (totals, question) in t.questions.iter().zip(&q.questions) {
        rows.push(vec![Empty]);
        let name = if english { &question.en } else { &question.pl };
        rows.push(vec![text(name), text(w.answered), Int(totals.answered.into())]);
        for line in &totals.lines {
            let label = match (question.kind, line.code.as_str()) {
                (QuestionKind::YesNo, "yes") => w.yes.to_owned(),
                (QuestionKind::YesNo, _) => w.no.to_owned(),
                _ => label_of(&question.code, &line.code),
            };
            rows.push(vec![Text(label), Int(line.count.into()), Tenths(line.share * 100.0)]);
        }
        if question.kind == QuestionKind::Number {
            rows.push(vec![text(w.sum), Int(totals.sum as i64)]);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn square(n: u128, lat: f64, lon: f64, size: f64) -> Sector {
        let c = |lat, lon| Corner { lat, lon };
        Sector {
            id: Uuid::from_u128(n),
            name: format!("Sektor {n}"),
            corners: vec![c(lat, lon), c(lat, lon + size), c(lat + size, lon + size), c(lat + size, lon)],
            team: Team::default(),
        }
    }

    #[test]
    fn a_place_falls_in_the_sector_around_it_and_a_border_goes_to_the_first_sector() {
        // Two sectors side by side: west 50.80–50.81 × 19.10–19.11, east from 19.11.
        let sectors = [square(1, 50.80, 19.10, 0.01), square(2, 50.80, 19.11, 0.01)];
        let (west, east) = (Some(Uuid::from_u128(1)), Some(Uuid::from_u128(2)));
        assert_eq!(sector_of(50.805, 19.105, &sectors), west);
        assert_eq!(sector_of(50.805, 19.115, &sectors), east);
        // On the shared border, and on a shared corner: the first sector, once.
        assert_eq!(sector_of(50.805, 19.11, &sectors), west);
        assert_eq!(sector_of(50.80, 19.11, &sectors), west);
        // On the east sector's outer border: still the east sector.
        assert_eq!(sector_of(50.805, 19.12, &sectors), east);
        // Outside every sector.
        assert_eq!(sector_of(50.79, 19.105, &sectors), None);
        assert_eq!(sector_of(50.805, 19.13, &sectors), None);
        // The same order decides the other way round.
        let swapped = [sectors[1].clone(), sectors[0].clone()];
        assert_eq!(sector_of(50.805, 19.11, &swapped), east);
    }

    #[test]
    fn a_sector_drawn_with_fewer_than_three_corners_holds_nothing() {
        let mut line = square(1, 50.80, 19.10, 0.01);
        line.corners.truncate(2);
        let mut repeated = square(2, 50.80, 19.10, 0.01);
        repeated.corners = vec![repeated.corners[0], repeated.corners[1], repeated.corners[0]];
        let mut broken = square(3, 50.80, 19.10, 0.01);
        broken.corners[2].lat = f64::NAN;
        assert_eq!(sector_of(50.80, 19.105, &[line, repeated, broken]), None);
    }

    #[test]
    fn places_are_split_between_sectors_and_the_rest_shown_outside() {
        let sectors = [square(1, 50.80, 19.10, 0.01), square(2, 50.80, 19.11, 0.01)];
        let id = Uuid::from_u128;
        let places =
            [(id(10), 50.805, 19.105), (id(11), 50.805, 19.11), (id(12), 50.805, 19.115), (id(13), 51.0, 19.0)];
        let a = assign(places, &sectors);
        assert_eq!(a.by_sector[&id(1)], vec![id(10), id(11)]);
        assert_eq!(a.by_sector[&id(2)], vec![id(12)]);
        assert_eq!(a.outside, vec![id(13)]);
    }

    #[test]
    fn a_count_needs_a_name_a_window_of_at_most_a_week_and_drawn_sectors() {
        let night = |from: &str, to: &str| Count {
            id: Uuid::from_u128(1),
            name: "Badanie 2026".into(),
            starts_at: from.parse().unwrap(),
            ends_at: to.parse().unwrap(),
            sectors: vec![square(1, 50.80, 19.10, 0.01), square(2, 50.80, 19.11, 0.01)],
            questionnaire: default_questionnaire(),
            entered_total: None,
        };
        assert_eq!(validate_count(&night("2026-03-03T18:00:00Z", "2026-03-05T23:00:00Z")), Ok(()));
        let codes = |c: &Count| validate_count(c).unwrap_err().0.iter().map(|e| e.code).collect::<Vec<_>>();
        assert_eq!(codes(&night("2026-03-04T06:00:00Z", "2026-03-03T18:00:00Z")), ["count_window"]);
        assert_eq!(codes(&night("2026-03-01T18:00:00Z", "2026-03-09T06:00:00Z")), ["count_window"]);
        let mut c = night("2026-03-03T18:00:00Z", "2026-03-04T06:00:00Z");
        c.name = " ".into();
        c.sectors[1].id = c.sectors[0].id;
        c.sectors[0].corners.truncate(2);
        assert_eq!(codes(&c), ["count_name_empty", "sector_polygon", "sector_repeated"]);
    }

    #[test]
    fn progress_counts_each_sector_s_places_visited_and_people_once() {
        let sectors = [square(1, 50.80, 19.10, 0.01), square(2, 50.80, 19.11, 0.01)];
        let id = Uuid::from_u128;
        let a = assign([(id(10), 50.805, 19.105), (id(11), 50.806, 19.106), (id(12), 50.805, 19.115)], &sectors);
        let visit = |n, site, outcome| CountVisit {
            id: id(n),
            count_id: id(1),
            site_id: id(site),
            sector_id: None,
            outcome,
            at: "2026-03-03T22:00:00Z".parse().unwrap(),
        };
        // Place 10 visited twice (the second time empty): still one place visited.
        let visits = [
            visit(20, 10, VisitOutcome::PeopleFound),
            visit(21, 10, VisitOutcome::Empty),
            visit(22, 12, VisitOutcome::NotAccessible),
        ];
        let mut people = fixture();
        for p in &mut people {
            p.sector_id = Some(id(1));
        }
        people[4].sector_id = Some(id(2));
        let p = progress(&a, &visits, &people);
        assert_eq!(p[0], SectorProgress { sector_id: id(1), places: 2, visited: 1, people: 4 });
        assert_eq!(p[1], SectorProgress { sector_id: id(2), places: 1, visited: 1, people: 1 });
    }

    fn person(n: u128, observed: bool, answers: &[(&str, Answer)]) -> CountPerson {
        CountPerson {
            id: Uuid::from_u128(n),
            count_id: Uuid::from_u128(1),
            sector_id: None,
            site_id: None,
            at: "2026-03-03T22:00:00Z".parse().unwrap(),
            observed,
            answers: answers.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        }
    }

    #[test]
    fn a_sector_is_walked_in_a_short_round_and_the_history_sums_each_count() {
        let p = |n: u128, lat: f64, lon: f64| (Uuid::from_u128(n), lat, lon);
        // Three places on a line, listed out of order: walked from the west end, in line.
        let places = [p(1, 50.80, 19.10), p(3, 50.80, 19.12), p(2, 50.80, 19.11)];
        let ids = |v: Vec<Uuid>| v.iter().map(|u| u.as_u128()).collect::<Vec<_>>();
        let order = ids(walking_order(Some((50.80, 19.095)), &places));
        assert!(order == [1, 2, 3], "{order:?}");
        let from_east = ids(walking_order(Some((50.80, 19.125)), &places));
        assert_eq!(from_east, [3, 2, 1]);
        assert_eq!(ids(walking_order(None, &places))[0], 1, "no position: from the first place");
        assert!(walking_order(None, &[]).is_empty());

        let ex = crate::fixture::count_example();
        let mut earlier = ex.count.clone();
        earlier.id = Uuid::from_u128(0xE1);
        earlier.name = "Badanie 2019".into();
        earlier.starts_at = "2019-02-13T18:00:00Z".parse().unwrap();
        earlier.sectors.clear();
        earlier.entered_total = Some(351);
        let mut twice = ex.person.clone();
        twice.id = Uuid::from_u128(0xE2);
        twice.answers.insert(ALREADY_COUNTED.into(), Answer::YesNo(true));
        let rows = history(&[ex.count.clone(), earlier], &[ex.person.clone(), twice]);
        let got: Vec<(i32, u32, bool)> = rows.iter().map(|r| (r.year, r.total, r.entered)).collect();
        assert_eq!(got, [(2019, 351, true), (2026, 1, false)]);
    }

    #[test]
    fn corners_are_typed_with_a_point_or_a_polish_comma() {
        let c = |lat, lon| Corner { lat, lon };
        assert_eq!(
            parse_corners("50.80, 19.10\n50,80 19,12\n\n 50.82;19.12 \n"),
            Some(vec![c(50.80, 19.10), c(50.80, 19.12), c(50.82, 19.12)])
        );
        assert_eq!(parse_corners(""), Some(vec![]));
        for bad in ["50.80", "50.80 19.10 3", "north 19.10", "50,80,19,10", "NaN 1", "inf 2"] {
            assert_eq!(parse_corners(bad), None, "{bad}");
        }
        let square = [c(50.8, 19.1), c(50.8, 19.12), c(50.83, 19.12)];
        assert_eq!(parse_corners(&corners_text(&square)), Some(square.to_vec()));
    }

    #[test]
    fn oversized_records_are_refused_before_any_slow_check() {
        let mut p = person(1, false, &[]);
        let many: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
        p.answers.insert("reasons".into(), Answer::Many(many));
        let started = std::time::Instant::now();
        assert_eq!(validate_person(&default_questionnaire(), &p).unwrap_err().0[0].code, "answer_invalid");
        assert_eq!(validate_person_alone(&p).unwrap_err().0[0].code, "answer_invalid");
        // The pairwise check of repeated choices over 100,000 answers would take minutes.
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let mut p = person(2, false, &[]);
        for i in 0..=MAX_QUESTIONS {
            p.answers.insert(format!("q{i}"), Answer::YesNo(true));
        }
        assert_eq!(validate_person_alone(&p).unwrap_err().0[0].code, "count_too_large");
        let ok = crate::fixture::count_example();
        assert_eq!(validate_person_alone(&ok.person), Ok(()));
        assert_eq!(validate_person(&ok.count.questionnaire, &ok.person), Ok(()));
        let mut c = ok.count.clone();
        c.sectors[0].corners = (0..=MAX_CORNERS).map(|i| Corner { lat: 50.0 + i as f64 * 1e-4, lon: 19.0 }).collect();
        assert_eq!(validate_count(&c).unwrap_err().0[0].code, "count_too_large");
        let mut c = ok.count.clone();
        c.sectors[1].team.members = vec![" ".into()];
        c.questionnaire.questions[0].pl = "x".repeat(QUESTION_MAX_CHARS + 1);
        let codes: Vec<_> = validate_count(&c).unwrap_err().0.iter().map(|e| e.code).collect();
        assert_eq!(codes, ["team_member_invalid", "text_too_long"]);
        let mut c = ok.count;
        c.starts_at = "+200000-01-01T00:00:00Z".parse().unwrap();
        c.ends_at = c.starts_at + chrono::Duration::hours(8);
        assert_eq!(validate_count(&c).unwrap_err().0[0].code, "date_range");
    }

    fn one(c: &str) -> Answer {
        Answer::One(c.into())
    }

    fn many(cs: &[&str]) -> Answer {
        Answer::Many(cs.iter().map(|c| c.to_string()).collect())
    }

    /// Six questionnaires: three interviewed, one declining (observed), one asleep (observed,
    /// age unknown), one already counted.
    fn fixture() -> Vec<CountPerson> {
        vec![
            person(
                1,
                false,
                &[
                    (SEX, one("male")),
                    (AGE_GROUP, one("41-60")),
                    (PLACE, one("bridge_viaduct")),
                    ("reasons", many(&["addiction", "family_conflict"])),
                    ("income", many(&["collecting"])),
                    (ALREADY_COUNTED, Answer::YesNo(false)),
                ],
            ),
            person(
                2,
                false,
                &[
                    (SEX, one("male")),
                    (AGE_GROUP, one("61-65")),
                    (PLACE, one("allotment_shed")),
                    ("reasons", many(&["addiction", "eviction", "debt"])),
                    ("income", many(&["pension"])),
                ],
            ),
            person(
                3,
                false,
                &[
                    (SEX, one("female")),
                    (AGE_GROUP, one("26-40")),
                    (PLACE, one("station")),
                    ("reasons", many(&["violence"])),
                    (ALREADY_COUNTED, Answer::YesNo(false)),
                ],
            ),
            person(4, true, &[(SEX, one("male")), (AGE_GROUP, one("41-60")), (PLACE, one("bridge_viaduct"))]),
            person(5, true, &[(SEX, one("female")), (PLACE, one("station"))]),
            person(
                6,
                false,
                &[
                    (SEX, one("male")),
                    (AGE_GROUP, one("41-60")),
                    ("reasons", many(&["addiction"])),
                    (ALREADY_COUNTED, Answer::YesNo(true)),
                ],
            ),
        ]
    }

    fn totals<'a>(t: &'a CountTable, code: &str) -> &'a QuestionTotals {
        t.questions.iter().find(|q| q.code == code).unwrap()
    }

    fn count_of(t: &QuestionTotals, code: &str) -> (u32, f64) {
        let l = t.lines.iter().find(|l| l.code == code).unwrap();
        (l.count, l.share)
    }

    #[test]
    fn the_table_sums_people_once_with_shares_of_those_who_answered() {
        let q = default_questionnaire();
        let people = fixture();
        for p in &people {
            validate_person(&q, p).unwrap();
        }
        let t = table(&q, &people);
        assert_eq!((t.people, t.interviewed, t.observed, t.double_counts), (5, 3, 2, 1));
        assert_eq!(t.sexes, ["female", "male", "unknown"]);
        let age = |a: &str| t.by_age.iter().find(|(x, _)| x == a).unwrap().1.clone();
        assert_eq!(age("41-60"), [0, 2, 0], "the double count (a man of 41–60) left out");
        assert_eq!(age("61-65"), [0, 1, 0]);
        assert_eq!(age("26-40"), [1, 0, 0]);
        assert_eq!(age("unknown"), [1, 0, 0], "asleep, age not estimated");
        assert_eq!(t.by_age.iter().map(|(_, s)| s.iter().sum::<u32>()).sum::<u32>(), 5);
        // Reasons: three people answered (the observed do not), several answers each.
        let reasons = totals(&t, "reasons");
        assert_eq!(reasons.answered, 3);
        assert_eq!(count_of(reasons, "addiction"), (2, 2.0 / 3.0));
        assert_eq!(count_of(reasons, "violence"), (1, 1.0 / 3.0));
        assert_eq!(count_of(reasons, "prison"), (0, 0.0));
        assert!(reasons.lines.iter().map(|l| l.share).sum::<f64>() > 1.0, "several reasons each");
        // Where people stay: everyone counted, observed included.
        let place = totals(&t, PLACE);
        assert_eq!(place.answered, 5);
        assert_eq!(count_of(place, "bridge_viaduct"), (2, 0.4));
        assert_eq!(count_of(place, "station"), (2, 0.4));
        let income = totals(&t, "income");
        assert_eq!((income.answered, count_of(income, "pension").0), (2, 1));
        let again = totals(&t, ALREADY_COUNTED);
        assert_eq!((again.answered, count_of(again, "yes").0, count_of(again, "no").0), (2, 0, 2));
        // An answer of the wrong kind (stored by a faulty phone) answers nothing.
        let odd = person(99, false, &[(ALREADY_COUNTED, Answer::Number(3)), ("reasons", Answer::YesNo(true))]);
        let t = table(&q, &[odd]);
        assert_eq!((t.people, totals(&t, ALREADY_COUNTED).answered, totals(&t, "reasons").answered), (1, 0, 0));
    }

    #[test]
    fn a_person_s_answers_must_fit_the_questionnaire() {
        let q = default_questionnaire();
        let code = |answers: &[(&str, Answer)], observed: bool| {
            validate_person(&q, &person(9, observed, answers)).err().map(|e| e.0[0].code)
        };
        assert_eq!(code(&[("reasons", many(&["addiction"]))], false), None);
        assert_eq!(code(&[("shoe_size", Answer::Number(44))], false), Some("answer_unknown_question"));
        assert_eq!(code(&[(SEX, one("unknown"))], false), Some("answer_invalid"));
        assert_eq!(code(&[(SEX, many(&["male"]))], false), Some("answer_invalid"));
        assert_eq!(code(&[("reasons", many(&[]))], false), Some("answer_invalid"));
        assert_eq!(code(&[("reasons", many(&["debt", "debt"]))], false), Some("answer_invalid"));
        assert_eq!(code(&[(ALREADY_COUNTED, one("yes"))], false), Some("answer_invalid"));
        // Observed: sex and age group estimated, never a reason.
        assert_eq!(code(&[(SEX, one("female")), (AGE_GROUP, one("66+"))], true), None);
        assert_eq!(code(&[("reasons", many(&["debt"]))], true), Some("answer_not_observable"));
    }

    #[test]
    fn the_default_questionnaire_is_valid_and_a_broken_one_is_refused() {
        assert_eq!(validate_questionnaire(&default_questionnaire()), Ok(()));
        let mut q = default_questionnaire();
        q.questions.push(q.questions[0].clone());
        q.questions[1].choices.clear();
        q.questions.iter_mut().find(|x| x.code == ALREADY_COUNTED).unwrap().kind = QuestionKind::Single;
        let codes: Vec<&str> = validate_questionnaire(&q).unwrap_err().0.iter().map(|e| e.code).collect();
        assert!(
            codes.contains(&"question_repeated")
                && codes.contains(&"question_choices")
                && codes.contains(&"question_kind"),
            "{codes:?}"
        );
        assert!(validate_questionnaire(&Questionnaire { questions: vec![] }).is_err());
        // The questionnaire travels as data: the same after a round trip through JSON.
        let json = serde_json::to_string(&default_questionnaire()).unwrap();
        assert_eq!(serde_json::from_str::<Questionnaire>(&json).unwrap(), default_questionnaire());
    }

    #[test]
    fn the_table_as_csv_for_polish_excel() {
        let q = default_questionnaire();
        let t = table(&q, &fixture());
        let w = TableWords {
            people: "Osoby policzone",
            interviewed: "w tym ankietowane",
            observed: "w tym z obserwacji",
            double_counts: "Policzone podwójnie (pominięte)",
            age: "Wiek",
            total: "Razem",
            unknown: "Nieznane",
            answered: "Odpowiedzi",
            yes: "Tak",
            no: "Nie",
            sum: "Suma",
        };
        let text = crate::csv::write(&table_rows(&q, &t, false, &w), crate::csv::Flavour::PolishExcel);
        for line in [
            "Osoby policzone;5",
            "Policzone podwójnie (pominięte);1",
            "Wiek;Kobieta;Mężczyzna;Nieznane;Razem",
            "41–60 lat;0;2;0;2",
            "Nieznane;1;0;0;1",
            "Przyczyny bezdomności;Odpowiedzi;3",
            "Uzależnienie;2;66,7",
            "Przemoc domowa;1;33,3",
            "Most, wiadukt;2;40,0",
            "Tak;0;0,0",
            "Nie;2;100,0",
        ] {
            assert!(text.contains(&format!("{line}\r\n")), "{line} in\n{text}");
        }
        let english = crate::csv::write(&table_rows(&q, &t, true, &w), crate::csv::Flavour::Standard);
        assert!(english.contains("Reasons for homelessness,Odpowiedzi,3\r\nEviction,1,33.3\r\n"), "{english}");
    }

    fn any_person() -> impl Strategy<Value = CountPerson> {
        let q = default_questionnaire();
        let pick = |code: &str| {
            let choices: Vec<String> = codes_of(&default_questionnaire(), code);
            proptest::option::of(proptest::sample::select(choices))
        };
        let reasons = codes_of(&q, "reasons");
        (
            any::<bool>(),
            pick(SEX),
            pick(AGE_GROUP),
            proptest::option::of(proptest::sample::subsequence(reasons.clone(), 1..4)),
            proptest::option::of(any::<bool>()),
            any::<u128>(),
        )
            .prop_map(|(observed, sex, age, reasons, again, n)| {
                let mut answers: Vec<(&str, Answer)> = Vec::new();
                answers.extend(sex.map(|s| (SEX, Answer::One(s))));
                answers.extend(age.map(|a| (AGE_GROUP, Answer::One(a))));
                if !observed {
                    answers.extend(reasons.map(|r| ("reasons", Answer::Many(r))));
                    answers.extend(again.map(|a| (ALREADY_COUNTED, Answer::YesNo(a))));
                }
                person(n, observed, &answers)
            })
    }

    proptest! {
        /// Whatever was recorded: every person is counted once or left out as a double count,
        /// the sex × age table holds each counted person once, no single answer is given by
        /// more people than answered, and shares stay within [0, 1].
        #[test]
        fn the_table_holds_every_person_once(people in proptest::collection::vec(any_person(), 0..40)) {
            let t = table(&default_questionnaire(), &people);
            prop_assert_eq!(t.people + t.double_counts, people.len() as u32);
            prop_assert_eq!(t.interviewed + t.observed, t.people);
            prop_assert_eq!(t.by_age.iter().flat_map(|(_, s)| s).sum::<u32>(), t.people);
            for q in &t.questions {
                prop_assert!(q.answered <= t.people);
                for l in &q.lines {
                    prop_assert!(l.count <= q.answered);
                    prop_assert!((0.0..=1.0).contains(&l.share));
                }
            }
            let sex = t.questions.iter().find(|q| q.code == SEX).unwrap();
            prop_assert_eq!(sex.lines.iter().map(|l| l.count).sum::<u32>(), sex.answered);
        }
    }
}
