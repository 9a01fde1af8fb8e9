//! The gmina's counts over the years (`core::count::history`): a bar per count with its total
//! written on it (readable in black and white on paper), this year's beside the earlier ones
//! entered by hand.

use latarnia_core::count::HistoryRow;
use leptos::prelude::*;

use crate::components::month_chart::bar_height;
use crate::i18n::{k, use_i18n};

const HEIGHT: f64 = 180.0;
const BOTTOM: f64 = 30.0;
const SLOT: f64 = 52.0;
const BAR: f64 = 34.0;

#[component]
pub fn CountHistory(rows: Vec<HistoryRow>) -> impl IntoView {
    let i = use_i18n();
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
        </section>
    }
}
