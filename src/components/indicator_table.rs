//! The indicator table as the yearly reports lay it out (labels as in the Polish reports), and
//! the same rows for the CSV export, so what is pasted is what is shown.

use latarnia_core::csv::Cell;
use latarnia_core::indicators::Indicators;
use latarnia_core::{Item, PatrolKind, ReferralKind, ReferralOutcome};
use leptos::prelude::*;

use crate::i18n::{lookup, use_i18n, Lang};

/// One line of the table: a section heading (`value` is `None`) or an indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// What the end-to-end tests and the definitions refer to (`patrols`, `given_mask`, …).
    pub id: String,
    pub label: String,
    pub value: Option<Cell>,
    /// A "w tym" line under the one before.
    pub sub: bool,
}

/// The indicators whose definitions are written under the table (`ind_<id>` and
/// `ind_<id>_def` in the translation files), in table order.
pub const DEFINED: &[&str] = &[
    "patrols",
    "patrol_hours",
    "contacts",
    "people_met",
    "distinct_persons",
    "with_women",
    "with_children",
    "help_refused",
    "premedical_help",
    "given",
    "taken_to_shelter",
    "ambulances_called",
    "referrals",
    "places_active",
    "places_new",
    "places_closed",
    "reports_received",
    "reports_closed",
    "report_check_median",
    "meal_runs",
    "stops_visited",
    "meals_delivered",
    "hot_drinks_delivered",
];

/// The table's rows in `lang`.
pub fn rows(lang: Lang, t: &Indicators) -> Vec<Row> {
    let text = |key: &str| lookup(lang, key).to_owned();
    let mut out = Vec::new();
    let section = |out: &mut Vec<Row>, key: &str| {
        out.push(Row { id: format!("sec_{key}"), label: text(&format!("ind_sec_{key}")), value: None, sub: false })
    };
    let row = |out: &mut Vec<Row>, id: &str, value: Cell| {
        out.push(Row { id: id.to_owned(), label: text(&format!("ind_{id}")), value: Some(value), sub: false })
    };
    let sub = |out: &mut Vec<Row>, id: String, label: String, n: u32| {
        out.push(Row { id, label, value: Some(Cell::Int(n.into())), sub: true })
    };
    let int = |n: u32| Cell::Int(n.into());
    let maybe = |n: Option<u32>| n.map_or(Cell::Empty, |n| Cell::Int(n.into()));

    section(&mut out, "patrols");
    row(&mut out, "patrols", int(t.patrols));
    for kind in PatrolKind::ALL {
        let n = t.patrols_by_kind.get(kind).copied().unwrap_or(0);
        let label = format!("{} {}", text("ind_of_which"), text(&format!("patrol_kind_{}", kind.as_str())));
        sub(&mut out, format!("patrols_{}", kind.as_str()), label, n);
    }
    row(&mut out, "patrol_hours", Cell::Tenths(t.patrol_hours()));

    section(&mut out, "contacts");
    row(&mut out, "contacts", int(t.contacts));
    sub(&mut out, "with_women".into(), text("ind_with_women"), t.contacts_with_women);
    sub(&mut out, "with_children".into(), text("ind_with_children"), t.contacts_with_children);
    row(&mut out, "people_met", int(t.people_met));
    row(&mut out, "distinct_persons", int(t.distinct_persons));
    row(&mut out, "help_refused", int(t.help_refused));

    section(&mut out, "help");
    row(&mut out, "premedical_help", int(t.premedical_help));
    for item in Item::ALL.iter().filter(|i| **i != Item::PremedicalHelp) {
        let n = t.given.get(item).copied().unwrap_or(0);
        let label = format!("{}: {}", text("ind_given"), text(&format!("item_{}", item.as_str())));
        out.push(Row { id: format!("given_{}", item.as_str()), label, value: Some(int(n)), sub: false });
    }
    row(&mut out, "taken_to_shelter", int(t.taken_to_shelter));
    row(&mut out, "ambulances_called", int(t.ambulances_called));

    section(&mut out, "referrals");
    for kind in ReferralKind::ALL {
        let total = t.referral_count(*kind);
        if total == 0 {
            continue;
        }
        let name = text(&format!("referral_{}", kind.as_str()));
        out.push(Row { id: format!("referral_{}", kind.as_str()), label: name, value: Some(int(total)), sub: false });
        for outcome in ReferralOutcome::ALL {
            let n = t.referrals.get(kind).and_then(|m| m.get(outcome)).copied().unwrap_or(0);
            if n > 0 {
                let label = text(&format!("outcome_{}", outcome.as_str()));
                sub(&mut out, format!("referral_{}_{}", kind.as_str(), outcome.as_str()), label, n);
            }
        }
    }
    if t.referrals.is_empty() {
        out.push(Row { id: "referrals".into(), label: text("ind_referrals"), value: Some(int(0)), sub: false });
    }

    if !t.referrals_by_facility.is_empty() {
        section(&mut out, "facilities");
        for (n, f) in t.referrals_by_facility.iter().enumerate() {
            let label = text("ind_facility_held").replace("{name}", &f.facility);
            out.push(Row { id: format!("facility_{n}"), label, value: Some(int(f.held)), sub: false });
            sub(&mut out, format!("facility_{n}_arrived"), text("ind_facility_arrived"), f.arrived);
        }
    }

    section(&mut out, "places");
    row(&mut out, "places_active", int(t.places_active));
    row(&mut out, "places_new", maybe(t.places_new));
    row(&mut out, "places_closed", maybe(t.places_closed));

    section(&mut out, "reports");
    row(&mut out, "reports_received", maybe(t.reports_received));
    row(&mut out, "reports_closed", maybe(t.reports_closed));
    let median = t.report_check_median_minutes.map_or(Cell::Empty, |m| Cell::Tenths((m as f64 / 6.0).round() / 10.0));
    row(&mut out, "report_check_median", median);

    section(&mut out, "zima");
    row(&mut out, "meal_runs", int(t.meal_runs));
    row(&mut out, "stops_visited", int(t.stops_visited));
    row(&mut out, "meals_delivered", int(t.meals_delivered));
    row(&mut out, "hot_drinks_delivered", int(t.hot_drinks_delivered));
    out
}

/// A cell as the table shows it in `lang` (a decimal comma in Polish; "—" for none).
pub fn shown(lang: Lang, cell: &Cell) -> String {
    match cell {
        Cell::Int(n) => n.to_string(),
        Cell::Tenths(x) if lang == Lang::Pl => crate::platform::fixed(*x, 1).replace('.', ","),
        Cell::Tenths(x) => crate::platform::fixed(*x, 1),
        Cell::Text(s) => s.clone(),
        Cell::Empty => "—".into(),
    }
}

/// The CSV's rows: a heading line, then every row (section headings with no value).
pub fn csv_rows(heading: (String, String), rows: &[Row]) -> Vec<Vec<Cell>> {
    let mut out = vec![vec![Cell::Text(heading.0), Cell::Text(heading.1)]];
    for r in rows {
        let label = if r.sub { format!("  {}", r.label) } else { r.label.clone() };
        out.push(vec![Cell::Text(label), r.value.clone().unwrap_or(Cell::Empty)]);
    }
    out
}

#[component]
pub fn IndicatorTable(rows: Vec<Row>, caption: String) -> impl IntoView {
    let i = use_i18n();
    let lang = i.lang();
    view! {
        <table class="indicators" data-testid="indicators-table">
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <th scope="col">{i.value("ind", "indicator")}</th>
                    <th scope="col" class="num">{i.value("ind", "value")}</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|r| match r.value {
                    None => view! {
                        <tr class="section"><th scope="rowgroup" colspan="2">{r.label}</th></tr>
                    }.into_any(),
                    Some(v) => {
                        let raw = match &v { Cell::Int(n) => n.to_string(), Cell::Tenths(x) => crate::platform::fixed(*x, 1), _ => String::new() };
                        view! {
                            <tr class:sub=r.sub data-indicator=r.id>
                                <th scope="row">{r.label}</th>
                                <td class="num" data-value=raw>{shown(lang, &v)}</td>
                            </tr>
                        }.into_any()
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latarnia_core::fixture::sopot_summer_2021;
    use latarnia_core::indicators::{compute, Period};

    fn sopot() -> Indicators {
        compute(&sopot_summer_2021(), &Period::parse("2021-06-01", "2021-08-31", None).unwrap())
    }

    fn value(rows: &[Row], id: &str) -> Cell {
        rows.iter().find(|r| r.id == id).and_then(|r| r.value.clone()).unwrap_or_else(|| panic!("no row {id}"))
    }

    #[test]
    fn the_table_says_what_the_sopot_report_says_in_both_languages() {
        for lang in Lang::ALL {
            let rows = rows(lang, &sopot());
            assert_eq!(value(&rows, "patrols"), Cell::Int(150));
            assert_eq!(value(&rows, "patrol_hours"), Cell::Tenths(450.0));
            assert_eq!(value(&rows, "contacts"), Cell::Int(977));
            assert_eq!(value(&rows, "with_women"), Cell::Int(97));
            assert_eq!(value(&rows, "with_children"), Cell::Int(21));
            assert_eq!(value(&rows, "premedical_help"), Cell::Int(394));
            assert_eq!(value(&rows, "given_mask"), Cell::Int(111));
            assert_eq!(value(&rows, "report_check_median"), Cell::Tenths(1.5));
            // Every label is translated (a missing key would show as itself).
            for r in &rows {
                assert!(!r.label.starts_with("ind_") && !r.label.contains("_"), "{lang:?}: {}", r.label);
            }
        }
        let pl = rows(Lang::Pl, &sopot());
        assert_eq!(pl.iter().find(|r| r.id == "patrols").unwrap().label, "Liczba patroli");
        assert_eq!(shown(Lang::Pl, &Cell::Tenths(450.0)), "450,0");
        assert_eq!(shown(Lang::En, &Cell::Tenths(450.0)), "450.0");
    }

    #[test]
    fn every_defined_indicator_has_a_label_and_a_definition() {
        for lang in Lang::ALL {
            for id in DEFINED {
                for key in [format!("ind_{id}"), format!("ind_{id}_def")] {
                    assert_ne!(lookup(lang, &key), key, "{lang:?}: no text for {key}");
                }
            }
        }
    }

    #[test]
    fn the_csv_has_the_table_rows_under_a_heading() {
        let rows = rows(Lang::Pl, &sopot());
        let csv = latarnia_core::csv::write(
            &csv_rows(("Wskaźnik".into(), "2021-06-01 – 2021-08-31".into()), &rows),
            latarnia_core::csv::Flavour::PolishExcel,
        );
        assert!(csv.starts_with("\u{feff}Wskaźnik;2021-06-01 – 2021-08-31\r\n"));
        assert!(csv.contains("\r\nLiczba patroli;150\r\n"), "{csv}");
        assert!(csv.contains("\r\nLiczba godzin patroli;450,0\r\n"), "{csv}");
    }
}
