//! Dates and times as a person reads them on a screen, and as the browser's date inputs hold
//! them — written from their parts, so the app's wasm carries no format-string interpreter
//! (chrono's `format` and `parse_from_str` read a pattern at run time: about 2 KB as served,
//! docs/size.md). The numeric forms only: words (month names) would go through the browser.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// How much of a moment is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// `21:07` — within a night.
    Time,
    /// `04.12 21:07` — this year, day and month first, as Polish writes them.
    DayTime,
    /// `2026-12-04 21:07` — a list that runs over years.
    DateTime,
    /// `2026-12-04T21:07` — what `<input type="datetime-local">` holds.
    Input,
}

impl Shown {
    /// The same form as a chrono pattern (tests compare with chrono's own formatter).
    pub const fn pattern(self) -> &'static str {
        match self {
            Shown::Time => "%H:%M",
            Shown::DayTime => "%d.%m %H:%M",
            Shown::DateTime => "%Y-%m-%d %H:%M",
            Shown::Input => "%Y-%m-%dT%H:%M",
        }
    }
}

/// A moment of the phone's own time zone, as `how` shows it.
pub fn moment(at: NaiveDateTime, how: Shown) -> String {
    let (h, m) = (at.hour(), at.minute());
    match how {
        Shown::Time => format!("{h:02}:{m:02}"),
        Shown::DayTime => format!("{:02}.{:02} {h:02}:{m:02}", at.day(), at.month()),
        Shown::DateTime => format!("{} {h:02}:{m:02}", iso_date(at.date())),
        Shown::Input => format!("{}T{h:02}:{m:02}", iso_date(at.date())),
    }
}

/// `2026-12-04` (what `<input type="date">` holds); years outside 0..=9999 as chrono writes
/// them (a sign and at least four digits).
pub fn iso_date(d: NaiveDate) -> String {
    let y = d.year();
    let year = match y {
        0..=9999 => format!("{y:04}"),
        _ => format!("{y:+05}"),
    };
    format!("{year}-{:02}-{:02}", d.month(), d.day())
}

/// `04.12.2026` — a date in a sentence or a caption.
pub fn dotted_date(d: NaiveDate) -> String {
    format!("{:02}.{:02}.{:04}", d.day(), d.month(), d.year())
}

/// What a `datetime-local` input holds (`2026-12-04T21:07`, seconds allowed), as a moment
/// without a time zone; `None` when it is not one.
pub fn parse_input(text: &str) -> Option<NaiveDateTime> {
    let (date, time) = text.trim().split_once('T')?;
    Some(NaiveDateTime::new(date.parse::<NaiveDate>().ok()?, time.parse::<NaiveTime>().ok()?))
}

/// The parts that were filled in, joined by " · " as one line under a heading (a run's
/// vehicle, team and depot; a patrol's area and team): an empty part leaves no separator.
pub fn parts<S: AsRef<str>>(parts: impl IntoIterator<Item = S>) -> String {
    let kept: Vec<String> = parts.into_iter().map(|p| p.as_ref().trim().to_owned()).filter(|p| !p.is_empty()).collect();
    kept.join(" · ")
}

/// The beginning of a long text for a one-line label (a report's description as a stop or a
/// marker, a contact's notes in a list): the text itself when it has at most `max` characters,
/// otherwise cut after a whole word and ended with "…", `max` characters at most in all. A
/// word longer than half of it is cut inside.
pub fn excerpt(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let Some(keep) = max.checked_sub(1).filter(|k| *k > 0) else { return "…".chars().take(max).collect() };
    let head: String = text.chars().take(keep + 1).collect();
    // The last space that still lets a word end inside `keep` characters.
    let at_word = head.char_indices().rev().find(|&(_, c)| c.is_whitespace()).map(|(i, _)| i);
    let cut = match at_word {
        Some(i) if head[..i].chars().count() * 2 >= keep => &head[..i],
        _ => &head[..head.char_indices().nth(keep).map_or(head.len(), |(i, _)| i)],
    };
    let cut = cut.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '–' | '('));
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_as_people_write_them() {
        let at = NaiveDate::from_ymd_opt(2026, 1, 4).unwrap().and_hms_opt(7, 5, 59).unwrap();
        assert_eq!(moment(at, Shown::Time), "07:05");
        assert_eq!(moment(at, Shown::DayTime), "04.01 07:05");
        assert_eq!(moment(at, Shown::DateTime), "2026-01-04 07:05");
        assert_eq!(moment(at, Shown::Input), "2026-01-04T07:05");
        assert_eq!(dotted_date(at.date()), "04.01.2026");
    }

    #[test]
    fn an_input_is_read_back_or_refused() {
        let at = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap().and_hms_opt(20, 0, 0).unwrap();
        assert_eq!(parse_input("2026-12-04T20:00"), Some(at));
        assert_eq!(parse_input("2026-12-04T20:00:00"), Some(at));
        for bad in ["", "2026-12-04", "20:00", "2026-13-04T20:00", "2026-12-04T25:00", "2026-12-04 20:00", "x"] {
            assert_eq!(parse_input(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_the_parts_filled_in_are_joined() {
        assert_eq!(parts(["Bus MOPS", "", " Ola, Piotr ", "Ogrzewalnia"]), "Bus MOPS · Ola, Piotr · Ogrzewalnia");
        assert_eq!(parts(["", " "]), "");
        assert_eq!(parts([String::from("Dworzec")]), "Dworzec");
    }

    #[test]
    fn a_long_text_is_cut_after_a_whole_word() {
        let report = "Mężczyzna śpi na ławce przy peronie 2, bez kurtki, prosi o śpiwór";
        assert_eq!(excerpt(report, 60), "Mężczyzna śpi na ławce przy peronie 2, bez kurtki, prosi o…");
        assert_eq!(excerpt(report, 40), "Mężczyzna śpi na ławce przy peronie 2…");
        assert_eq!(excerpt("  krótko  ", 60), "krótko");
        assert_eq!(excerpt("Dworzec", 7), "Dworzec");
        assert_eq!(excerpt("Dworzec", 6), "Dworz…", "one word longer than the room is cut inside it");
        assert_eq!(excerpt("ab", 1), "…");
        assert_eq!(excerpt("ab", 0), "");
    }

    fn any_moment() -> impl Strategy<Value = NaiveDateTime> {
        // Every minute from year -9999 to 9999 (chrono's own range is wider; no phone goes there).
        (-9999i32..=9999, 1u32..=366, 0u32..24, 0u32..60, 0u32..60)
            .prop_filter_map("a day of that year", |(y, o, h, m, s)| NaiveDate::from_yo_opt(y, o)?.and_hms_opt(h, m, s))
    }

    proptest! {
        #[test]
        fn written_as_chrono_writes_them(at in any_moment()) {
            for how in [Shown::Time, Shown::DayTime, Shown::DateTime, Shown::Input] {
                prop_assert_eq!(moment(at, how), at.format(how.pattern()).to_string());
            }
            prop_assert_eq!(iso_date(at.date()), at.format("%Y-%m-%d").to_string());
            prop_assert_eq!(iso_date(at.date()), at.date().to_string());
            if at.year() >= 0 {
                prop_assert_eq!(dotted_date(at.date()), at.format("%d.%m.%Y").to_string());
            }
        }

        #[test]
        fn an_excerpt_fits_and_begins_as_the_text(text in "\\PC{0,120}", max in 0usize..100) {
            let e = excerpt(&text, max);
            prop_assert!(e.chars().count() <= max, "{:?} for {}", e, max);
            let t = text.trim();
            if t.chars().count() <= max {
                prop_assert_eq!(e.as_str(), t);
            } else if max > 1 {
                let head = e.strip_suffix('…').expect("ends with an ellipsis");
                prop_assert!(t.starts_with(head), "{:?} is not the start of {:?}", head, t);
            }
        }

        #[test]
        fn an_input_comes_back_as_it_was_written(at in any_moment()) {
            let minute = at.with_second(0).unwrap();
            if (0..=9999).contains(&at.year()) {
                prop_assert_eq!(parse_input(&moment(at, Shown::Input)), Some(minute));
            }
        }
    }
}
