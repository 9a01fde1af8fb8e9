//! The gmina's table of one count (`core::count::table`): people counted, interviewed and
//! observed, double counts left out; age group by sex; every question's answers with counts and
//! shares of those who answered. Printable, and exported as CSV (standard and Polish Excel).

use latarnia_core::count::{table_rows, CountTable, Questionnaire, TableWords};
use latarnia_core::csv::{self, Flavour};
use leptos::prelude::*;

use crate::i18n::{k, use_i18n, I18n, Lang};
use crate::platform;
use crate::state::AppState;

/// The table's words in the UI language (the CSV's too).
fn words(i: I18n) -> TableWords<'static> {
    TableWords {
        people: i.t(k::COUNT_W_PEOPLE),
        interviewed: i.t(k::COUNT_W_INTERVIEWED),
        observed: i.t(k::COUNT_W_OBSERVED),
        double_counts: i.t(k::COUNT_W_DOUBLE),
        age: i.t(k::COUNT_W_AGE),
        total: i.t(k::COUNT_W_TOTAL),
        unknown: i.t(k::COUNT_W_UNKNOWN),
        answered: i.t(k::COUNT_W_ANSWERED),
        yes: i.t(k::COUNT_YES),
        no: i.t(k::COUNT_NO),
        sum: i.t(k::COUNT_W_SUM),
    }
}

/// `badanie_<name>.csv`: letters and digits of the count's name kept, the rest dashes.
pub fn csv_name(count_name: &str, excel: bool) -> String {
    let mut slug = String::new();
    for c in count_name.trim().to_lowercase().chars() {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    format!("badanie_{}{}.csv", slug.trim_matches('-'), if excel { "_excel" } else { "" })
}

fn percent(share: f64, lang: Lang) -> String {
    let text = format!("{} %", crate::platform::fixed(share * 100.0, 1));
    if lang == Lang::Pl {
        text.replace('.', ",")
    } else {
        text
    }
}

#[component]
pub fn CountTableView(name: String, questionnaire: Questionnaire, table: CountTable) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let (q, t) = (StoredValue::new(questionnaire), StoredValue::new(table));
    let name = StoredValue::new(name);
    let english = move || i.lang() == Lang::En;
    let text_of = move |pl: &str, en: &str| if english() { en.to_owned() } else { pl.to_owned() };
    let label = move |question: &str, code: &str| -> String {
        q.with_value(|q| {
            q.questions
                .iter()
                .find(|x| x.code == question)
                .and_then(|x| x.choices.iter().find(|c| c.code == code))
                .map(|c| text_of(&c.pl, &c.en))
        })
        .unwrap_or_else(|| match code {
            "unknown" => i.t(k::COUNT_W_UNKNOWN).to_owned(),
            "yes" => i.t(k::COUNT_YES).to_owned(),
            "no" => i.t(k::COUNT_NO).to_owned(),
            other => other.to_owned(),
        })
    };
    let export = move |flavour: Flavour| {
        let rows = q.with_value(|q| t.with_value(|t| table_rows(q, t, english(), &words(i))));
        let text = csv::write(&rows, flavour);
        let file = name.with_value(|n| csv_name(n, flavour == Flavour::PolishExcel));
        if platform::download(&file, "text/csv;charset=utf-8", &text).is_err() {
            state.notify_error(k::IND_EXPORT_FAILED);
        }
    };
    let row = move |label: usize, testid: &'static str, n: u32| {
        view! { <tr><th scope="row">{i.s(label)}</th><td data-testid=testid>{n}</td></tr> }
    };
    let (people, interviewed, observed, double) =
        t.with_value(|t| (t.people, t.interviewed, t.observed, t.double_counts));
    let sexes = t.with_value(|t| t.sexes.clone());
    let by_age = t.with_value(|t| t.by_age.clone());
    let questions = t.with_value(|t| t.questions.clone());
    view! {
        <section class="count-table" data-testid="count-table">
            <h2>{i.s(k::COUNT_TABLE)}</h2>
            <table class="summary">
                <tbody>
                    {row(k::COUNT_W_PEOPLE, "count-table-people", people)}
                    {row(k::COUNT_W_INTERVIEWED, "count-table-interviewed", interviewed)}
                    {row(k::COUNT_W_OBSERVED, "count-table-observed", observed)}
                    {row(k::COUNT_W_DOUBLE, "count-table-double", double)}
                </tbody>
            </table>
            // Wider than a narrow phone: it scrolls sideways, by keyboard too (focusable, named).
            <div class="table-scroll" tabindex="0" role="region" aria-label=i.s(k::COUNT_W_AGE)>
            <table class="indicators" data-testid="count-table-age">
                <thead>
                    <tr>
                        <th scope="col">{i.s(k::COUNT_W_AGE)}</th>
                        {sexes.iter().map(|s| {
                            let s = s.clone();
                            view! { <th scope="col">{move || label(latarnia_core::count::SEX, &s)}</th> }
                        }).collect_view()}
                        <th scope="col">{i.s(k::COUNT_W_TOTAL)}</th>
                    </tr>
                </thead>
                <tbody>
                    {by_age.into_iter().map(|(age, cells)| {
                        let total: u32 = cells.iter().sum();
                        let a = age.clone();
                        view! {
                            <tr data-age=age>
                                <th scope="row">{move || label(latarnia_core::count::AGE_GROUP, &a)}</th>
                                {cells.into_iter().map(|n| view! { <td>{n}</td> }).collect_view()}
                                <td>{total}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            </div>
            {questions.into_iter().map(|totals| {
                let code = totals.code.clone();
                let title = q.with_value(|q| q.questions.iter().find(|x| x.code == code).map(|x| (x.pl.clone(), x.en.clone())))
                    .unwrap_or_default();
                let number = totals.lines.is_empty();
                let c2 = code.clone();
                view! {
                    <table class="indicators count-question" data-question=code.clone()>
                        <caption>{move || text_of(&title.0, &title.1)}" · "{i.s(k::COUNT_W_ANSWERED)}": "{totals.answered}</caption>
                        <tbody>
                            {totals.lines.into_iter().map(|l| {
                                let c = c2.clone();
                                let answer = l.code.clone();
                                view! {
                                    <tr data-answer=l.code.clone()>
                                        <th scope="row">{move || label(&c, &answer)}</th>
                                        <td class="count">{l.count}</td>
                                        <td class="share">{move || percent(l.share, i.lang())}</td>
                                    </tr>
                                }
                            }).collect_view()}
                            {number.then(|| view! {
                                <tr><th scope="row">{i.s(k::COUNT_W_SUM)}</th><td class="count">{totals.sum}</td><td></td></tr>
                            })}
                        </tbody>
                    </table>
                }
            }).collect_view()}
            <div class="actions no-print">
                <button type="button" data-testid="count-csv" on:click=move |_| export(Flavour::Standard)>{i.s(k::IND_CSV)}</button>
                <button type="button" data-testid="count-csv-excel" on:click=move |_| export(Flavour::PolishExcel)>{i.s(k::IND_CSV_EXCEL)}</button>
                <button type="button" data-testid="count-print" on:click=|_| platform::print()>{i.s(k::IND_PRINT)}</button>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_named_after_the_count() {
        assert_eq!(csv_name("Badanie 2026 – Częstochowa", false), "badanie_badanie-2026-częstochowa.csv");
        assert_eq!(csv_name("  ", true), "badanie__excel.csv");
    }
}
