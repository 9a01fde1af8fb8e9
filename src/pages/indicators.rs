//! The report page (`/indicators`, coordinators): pick a period and, optionally, one team member;
//! the indicator table, a chart by month, print and CSV. Computed on the phone from what it holds
//! (works offline) by the same function the server runs — or, for a period that begins before
//! what the phone keeps (its field-sized window), by the server.

use chrono::{Datelike, NaiveDate};
use latarnia_core::csv::{self, Flavour};
use latarnia_core::indicators::{compute, default_period, Indicators, Period};
use latarnia_core::FieldError;
use leptos::prelude::*;

use crate::components::field_error::FieldErrorText;
use crate::components::from_store::FromStore;
use crate::components::indicator_table::{csv_rows, rows, IndicatorTable, DEFINED};
use crate::components::month_chart::MonthChart;
use crate::i18n::{k, use_i18n};
use crate::platform;
use crate::state::AppState;
use crate::storage::{indicator_dataset, Store, StoreError};

/// The presets under the dates: this month (where the page opens), previous month, previous
/// quarter, this year, previous year.
pub fn preset(today: NaiveDate, which: &str) -> Period {
    let (y, q) = (today.year(), (today.month() - 1) / 3 + 1);
    match which {
        "this_month" => Period::month(y, today.month()),
        "quarter" if q == 1 => Period::quarter(y - 1, 4),
        "quarter" => Period::quarter(y, q - 1),
        "year" => Period::year(y),
        "last_year" => Period::year(y - 1),
        _ => None,
    }
    .unwrap_or_else(|| default_period(today))
}

/// The table's file name: `wskazniki_2021-06-01_2021-08-31.csv`, and for one team member
/// `wskazniki_ania-kowalska_2021-06-01_2021-08-31.csv` (letters and digits kept, Polish ones
/// too; anything else a dash), so two files never pass for each other.
pub fn csv_name(period: &Period, excel: bool) -> String {
    let who = period.member.as_deref().map(|m| {
        let slug: String = m.trim().to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { '-' }).collect();
        format!("{}_", slug.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-"))
    });
    format!(
        "wskazniki_{}{}_{}{}.csv",
        who.unwrap_or_default(),
        period.from,
        period.to,
        if excel { "_excel" } else { "" }
    )
}

/// The CSV's first line: what the file is, whose, and which period.
pub fn csv_heading(lang: crate::i18n::Lang, period: &Period) -> (String, String) {
    let who = period.member.clone().unwrap_or_else(|| crate::i18n::text(lang, k::IND_MEMBER_ALL).to_owned());
    (crate::i18n::text(lang, k::IND_INDICATOR).to_owned(), format!("{} – {} · {who}", period.from, period.to))
}

/// The page for coordinators and admins; anyone else is told whose it is (the server refuses
/// them the table too).
#[component]
pub fn IndicatorsPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    view! {
        <Show when=move || state.is_coordinator() fallback=move || view! {
            <section class="page"><p class="empty" data-testid="indicators-forbidden">{i.s(k::IND_COORDINATORS_ONLY)}</p></section>
        }>
            <Indicators/>
        </Show>
    }
}

#[component]
fn Indicators() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let today = platform::now().date_naive();
    let start = preset(today, "this_month");
    let from = RwSignal::new(start.from.to_string());
    let to = RwSignal::new(start.to.to_string());
    let member = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());

    let period = Memo::new(move |_| {
        let m = Some(member.get()).filter(|m| !m.is_empty());
        Period::parse(&from.get(), &to.get(), m)
    });
    Effect::new(move |_| errors.set(period.get().err().map(|e| e.0).unwrap_or_default()));

    // Why the server could not give a table (offline, refused), as a translation key.
    let server_error = RwSignal::new(None::<usize>);
    let on_server = RwSignal::new(false);
    // The table and the team members to choose from, read again after every local write or sync.
    let table = state.resource(move || {
        let period = period.get();
        async move {
            server_error.set(None);
            let Ok(period) = period else { return Ok(None) };
            platform::mark("indicators-start");
            let data = indicator_dataset(&state.store(), &period).await?;
            let members = latarnia_core::indicators::members(&data);
            let days = state.store().sync_state().await?.window_days.filter(|d| *d > 0);
            let outside = days.is_some_and(|d| before_window(&period, d, platform::now()));
            on_server.set(outside);
            let table = if outside {
                let token = state.session.get_untracked().map(|s| s.token).unwrap_or_default();
                match crate::api::indicators(&token, &period).await {
                    Ok(t) => t,
                    Err(key) => {
                        server_error.set(Some(key));
                        return Ok(None);
                    }
                }
            } else {
                compute(&data, &period)
            };
            platform::measure("indicators", "indicators-start");
            Ok::<_, StoreError>(Some((period, table, members)))
        }
    });
    let members = move || table.get().and_then(Result::ok).flatten().map(|t| t.2).unwrap_or_default();

    let set_preset = move |which: &'static str| {
        let p = preset(today, which);
        from.set(p.from.to_string());
        to.set(p.to.to_string());
    };
    let export = move |flavour: Flavour| {
        let Some((period, t, _)) = table.get_untracked().and_then(Result::ok).flatten() else { return };
        let lang = i.lang();
        let text = csv::write(&csv_rows(csv_heading(lang, &period), &rows(lang, &t)), flavour);
        if platform::download(&csv_name(&period, flavour == Flavour::PolishExcel), "text/csv;charset=utf-8", &text)
            .is_err()
        {
            state.notify_error(k::IND_EXPORT_FAILED);
        }
    };

    view! {
        <section class="page indicators-page">
            <h1>{i.s(k::IND_TITLE)}</h1>
            <fieldset class="period no-print">
                <legend>{i.s(k::IND_PERIOD)}</legend>
                <div class="presets">
                    <button type="button" data-testid="indicators-this-month" on:click=move |_| set_preset("this_month")>
                        {i.s(k::IND_THIS_MONTH)}
                    </button>
                    <button type="button" on:click=move |_| set_preset("month")>{i.s(k::IND_LAST_MONTH)}</button>
                    <button type="button" on:click=move |_| set_preset("quarter")>{i.s(k::IND_LAST_QUARTER)}</button>
                    <button type="button" on:click=move |_| set_preset("year")>{i.s(k::IND_THIS_YEAR)}</button>
                    <button type="button" on:click=move |_| set_preset("last_year")>{i.s(k::IND_LAST_YEAR)}</button>
                </div>
                <div class="filters dates">
                    <label>
                        <span>{i.s(k::FROM)}</span>
                        <input type="date" data-testid="indicators-from" aria-describedby="err-from"
                            prop:value=move || from.get() on:change=move |ev| from.set(event_target_value(&ev))/>
                    </label>
                    <label>
                        <span>{i.s(k::TO)}</span>
                        <input type="date" data-testid="indicators-to" aria-describedby="err-to"
                            prop:value=move || to.get() on:change=move |ev| to.set(event_target_value(&ev))/>
                    </label>
                </div>
                <FieldErrorText errors field="from"/>
                <FieldErrorText errors field="to"/>
                <label>
                    <span>{i.s(k::IND_MEMBER)}</span>
                    <select data-testid="indicators-member" prop:value=move || member.get()
                        on:change=move |ev| member.set(event_target_value(&ev))>
                        <option value="">{i.s(k::IND_MEMBER_ALL)}</option>
                        {move || members().into_iter().map(|m| view! { <option value=m.clone()>{m.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <p class="hint" data-testid="indicators-member-how">{i.s(k::IND_MEMBER_HOW)}</p>
            </fieldset>
            <Show when=move || on_server.get()>
                <p class="hint" data-testid="indicators-on-server">{i.s(k::IND_ON_SERVER)}</p>
            </Show>
            {move || server_error.get().map(|e| view! { <p class="error" role="alert" data-testid="indicators-server-error">{i.t(e)}</p> })}
            <FromStore resource=table children=|read| read.map(|(period, t, _)| report(period, t))/>
            <div class="actions no-print">
                <button type="button" data-testid="indicators-csv" on:click=move |_| export(Flavour::Standard)>{i.s(k::IND_CSV)}</button>
                <button type="button" data-testid="indicators-csv-excel" on:click=move |_| export(Flavour::PolishExcel)>{i.s(k::IND_CSV_EXCEL)}</button>
                <button type="button" data-testid="indicators-print" on:click=|_| platform::print()>{i.s(k::IND_PRINT)}</button>
            </div>
            <section class="definitions">
                <h2>{i.s(k::IND_DEFINITIONS)}</h2>
                <p>{i.s(k::IND_RULES)}</p>
                <dl>
                    {DEFINED.iter().map(|id| view! {
                        <dt>{i.value("ind", id)}</dt>
                        <dd>{move || i.value("ind", &format!("{id}_def"))}</dd>
                    }).collect_view()}
                </dl>
            </section>
        </section>
    }
}

/// Whether `period` begins before a window of `days` ending `now` (Polish time): the phone does
/// not hold all of it, and the server computes it.
pub fn before_window(period: &Period, days: u32, now: chrono::DateTime<chrono::Utc>) -> bool {
    let start = latarnia_core::indicators::poland_to_utc(period.from.and_hms_opt(0, 0, 0).unwrap_or_default());
    latarnia_core::window::from_ms(days, now.timestamp_millis()).is_some_and(|from| start.timestamp_millis() < from)
}

/// The table and the chart of one computed period.
fn report(period: Period, t: Indicators) -> impl IntoView {
    let i = use_i18n();
    let lang = i.lang();
    let who = period.member.clone().unwrap_or_else(|| i.t(k::IND_MEMBER_ALL).to_owned());
    let caption = format!(
        "{} – {} · {}",
        latarnia_core::shown::dotted_date(period.from),
        latarnia_core::shown::dotted_date(period.to),
        who
    );
    let empty = t.patrols == 0 && t.contacts == 0 && t.meal_runs == 0 && t.reports_received.unwrap_or(0) == 0;
    view! {
        <Show when=move || empty>
            <p class="empty" data-testid="indicators-empty">{i.s(k::IND_EMPTY)}</p>
        </Show>
        <IndicatorTable rows=rows(lang, &t) caption/>
        <p class="note">{i.s(k::IND_DEVICE_NOTE)}</p>
        <MonthChart months=t.by_month.clone()/>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_period_before_the_window_is_the_server_s_to_compute() {
        use chrono::TimeZone;
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap();
        assert!(!before_window(&Period::month(2026, 11).unwrap(), 400, now));
        assert!(!before_window(&Period::year(2026).unwrap(), 400, now), "a coordinator's year is on the phone");
        assert!(before_window(&Period::year(2025).unwrap(), 400, now), "last year began 700 days ago");
        assert!(before_window(&Period::month(2026, 10).unwrap(), 30, now), "a streetworker's window is a month");
        assert!(!before_window(&Period::month(2026, 11).unwrap(), 32, now));
    }

    #[test]
    fn presets_are_whole_calendar_periods_before_today() {
        let today = day(2026, 2, 10);
        assert_eq!(preset(today, "month"), Period::month(2026, 1).unwrap());
        assert_eq!(preset(today, "quarter"), Period::quarter(2025, 4).unwrap());
        assert_eq!(preset(day(2026, 8, 1), "quarter"), Period::quarter(2026, 2).unwrap());
        assert_eq!(preset(today, "year"), Period::year(2026).unwrap());
        assert_eq!(preset(today, "last_year"), Period::year(2025).unwrap());
        assert_eq!(preset(today, "this_month"), Period::month(2026, 2).unwrap());
        assert_eq!(csv_name(&Period::month(2021, 6).unwrap(), true), "wskazniki_2021-06-01_2021-06-30_excel.csv");
        let ania = Period::parse("2021-06-01", "2021-06-30", Some("  Ania Żak ".into())).unwrap();
        assert_eq!(csv_name(&ania, false), "wskazniki_ania-żak_2021-06-01_2021-06-30.csv");
        let (_, heading) = csv_heading(crate::i18n::Lang::Pl, &ania);
        assert!(heading.starts_with("2021-06-01 – 2021-06-30 · ") && heading.ends_with("Ania Żak"), "{heading}");
        let (_, whole) = csv_heading(crate::i18n::Lang::Pl, &Period::month(2021, 6).unwrap());
        assert!(!whole.contains("Ania"), "{whole}");
    }
}
