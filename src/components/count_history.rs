//! The gmina's counts over the years (`core::count::history`): a bar per count with its total
//! written on it (readable in black and white on paper), this year's beside the earlier ones
//! entered by hand; coordinators add an earlier count's total.

use chrono::TimeZone;
use latarnia_core::count::{default_questionnaire, Count, HistoryRow};
use latarnia_core::FieldError;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::month_chart::bar_height;
use crate::components::text_field::{Input, TextField};
use crate::i18n::{k, use_i18n};
use crate::platform;
use crate::state::AppState;
use crate::storage::{Edit, StoreError};

const HEIGHT: f64 = 180.0;
const BOTTOM: f64 = 30.0;
const SLOT: f64 = 52.0;
const BAR: f64 = 34.0;

/// An earlier count entered by hand: its year and total, or what is wrong with them.
pub fn earlier_count(id: uuid::Uuid, year: &str, total: &str, name: &str) -> Result<Count, Vec<FieldError>> {
    let year: i32 = year.trim().parse().map_err(|_| vec![FieldError { field: "year", code: "date_invalid" }])?;
    let total: u32 =
        total.trim().parse().map_err(|_| vec![FieldError { field: "entered_total", code: "headcount_range" }])?;
    let starts_at = chrono::Utc
        .with_ymd_and_hms(year.clamp(-9999, 9999), 2, 1, 18, 0, 0)
        .single()
        .ok_or_else(|| vec![FieldError { field: "year", code: "date_range" }])?;
    let c = Count {
        id,
        name: format!("{name} {year}"),
        starts_at,
        ends_at: starts_at + chrono::Duration::hours(12),
        sectors: Vec::new(),
        questionnaire: default_questionnaire(),
        entered_total: Some(total),
    };
    latarnia_core::count::validate_count(&c).map_err(|e| {
        e.0.into_iter()
            .map(|e| if e.field == "starts_at" { FieldError { field: "year", ..e } } else { e })
            .collect::<Vec<_>>()
    })?;
    Ok(c)
}

#[component]
pub fn CountHistory(rows: Vec<HistoryRow>, coordinator: bool) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let max = rows.iter().map(|r| r.total).max().unwrap_or(0);
    let width = (rows.len() as f64 * SLOT).max(SLOT) + 8.0;
    let base = HEIGHT - BOTTOM;
    let bars = rows
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let x = 8.0 + n as f64 * SLOT;
            let h = bar_height(r.total, max);
            let class = if r.entered { "bar-patrols" } else { "bar-contacts" };
            view! {
                <g data-year=r.year>
                    <rect class=class x=x y=base - h width=BAR height=h/>
                    <text class="bar-value" x=x + BAR / 2.0 y=base - h - 3.0>{r.total}</text>
                    <text class="bar-label" x=x + BAR / 2.0 y=HEIGHT - 10.0>{r.year}</text>
                </g>
            }
        })
        .collect_view();
    let year = RwSignal::new(String::new());
    let total = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let add = move |_| match earlier_count(
        platform::new_uuid(),
        &year.get_untracked(),
        &total.get_untracked(),
        i.t(k::COUNT_HISTORY_NAME),
    ) {
        Err(e) => errors.set(e),
        Ok(c) => spawn_local(async move {
            match state.write(Edit::Save(c)).await {
                Ok(_) => {
                    errors.set(Vec::new());
                    year.set(String::new());
                    total.set(String::new());
                    state.notify(k::COUNT_SAVED, None);
                }
                Err(StoreError::Invalid(e)) => errors.set(e.0),
                Err(_) => {}
            }
        }),
    };
    view! {
        <section class="count-history" data-testid="count-history">
            <h2>{i.s(k::COUNT_HISTORY)}</h2>
            <svg class="month-chart" role="img" width=width height=HEIGHT viewBox=format!("0 0 {width} {HEIGHT}")
                aria-label=i.s(k::COUNT_HISTORY)>
                {bars}
            </svg>
            <table class="indicators">
                <thead><tr>
                    <th scope="col">{i.s(k::COUNT_HISTORY_YEAR)}</th>
                    <th scope="col">{i.s(k::COUNT_HISTORY_NAME)}</th>
                    <th scope="col">{i.s(k::COUNT_HISTORY_TOTAL)}</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr data-testid="count-history-row" data-year=r.year>
                            <td>{r.year}</td>
                            <td>{r.name.clone()}{r.entered.then(|| view! { " (" {i.s(k::COUNT_ENTERED)} ")" })}</td>
                            <td class="count">{r.total}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {coordinator.then(|| view! {
                <fieldset class="no-print">
                    <legend>{i.s(k::COUNT_HISTORY_ADD)}</legend>
                    <TextField id="count-history-year" field="year" label=k::COUNT_HISTORY_YEAR value=year errors input=Input::Count/>
                    <TextField id="count-history-total" field="entered_total" label=k::COUNT_HISTORY_TOTAL value=total errors input=Input::Count/>
                    <button type="button" data-testid="count-history-add" on:click=add>{i.s(k::COUNT_HISTORY_ADD)}</button>
                </fieldset>
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_count_needs_a_year_of_the_work_and_a_whole_total() {
        let c = earlier_count(uuid::Uuid::nil(), "2019", "351", "Badanie").unwrap();
        assert_eq!((c.name.as_str(), c.entered_total), ("Badanie 2019", Some(351)));
        let code = |y: &str, t: &str| earlier_count(uuid::Uuid::nil(), y, t, "B").unwrap_err()[0].code;
        assert_eq!(code("dwa tysiące", "351"), "date_invalid");
        assert_eq!(code("1800", "351"), "date_range");
        assert_eq!(code("2019", "-3"), "headcount_range");
        assert_eq!(code("2019", "2000000"), "headcount_range");
    }
}
