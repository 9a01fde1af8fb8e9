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

use crate::validate::{Errors, Invalid};
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
}

/// The longest window of one count (the 2026 count: the night of 3–4 March and the days of
/// 3–5 March).
pub const MAX_WINDOW_DAYS: i64 = 7;

/// Checks a count: a name, a window that ends after it starts and lasts at most a week, every
/// sector named with a polygon of three corners or more (ids unique), a valid questionnaire.
pub fn validate_count(c: &Count) -> Result<(), Invalid> {
    let mut e = Errors::default();
    e.check(!c.name.trim().is_empty(), "name", "count_name_empty");
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
    for (i, question) in q.questions.iter().enumerate() {
        let code = question.code.trim();
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
            (QuestionKind::Number, Answer::Number(n)) => *n <= 200,
            (QuestionKind::YesNo, Answer::YesNo(_)) => true,
            _ => false,
        };
        e.check(ok, "answers", "answer_invalid");
    }
    e.finish()
}

/// One answer's line in the table: how many people gave it and their share of those who
/// answered the question (shares of a question with several answers add up to more than 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub code: String,
    pub count: u32,
    pub share: f64,
}

/// One question summed up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
            let answers: Vec<&Answer> = counted.iter().filter_map(|p| p.answers.get(&question.code)).collect();
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
