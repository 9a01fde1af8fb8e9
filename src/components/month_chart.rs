//! Contacts and patrols by month as an SVG bar chart: two bars a month, each with its number
//! written on it, so it reads in black and white on paper (contacts solid, patrols outlined).

use latarnia_core::indicators::MonthRow;
use leptos::prelude::*;

use crate::i18n::{k, use_i18n};

const HEIGHT: f64 = 180.0;
const TOP: f64 = 18.0;
const BOTTOM: f64 = 30.0;
const SLOT: f64 = 56.0;
const BAR: f64 = 20.0;

/// Bar height for `n` of a largest `max` (a bar with a number is at least 1 px).
pub fn bar_height(n: u32, max: u32) -> f64 {
    if n == 0 || max == 0 {
        return 0.0;
    }
    ((HEIGHT - TOP - BOTTOM) * f64::from(n) / f64::from(max)).max(1.0)
}

#[component]
pub fn MonthChart(months: Vec<MonthRow>) -> impl IntoView {
    let i = use_i18n();
    let max = months.iter().map(|m| m.contacts.max(m.patrols)).max().unwrap_or(0);
    let width = (months.len() as f64 * SLOT).max(SLOT) + 8.0;
    let base = HEIGHT - BOTTOM;
    let bars = months
        .into_iter()
        .enumerate()
        .map(|(n, m)| {
            let x = 8.0 + n as f64 * SLOT;
            let (hc, hp) = (bar_height(m.contacts, max), bar_height(m.patrols, max));
            let month = m.month.clone();
            view! {
                <g data-month=month>
                    <rect class="bar-contacts" x=x y=base - hc width=BAR height=hc/>
                    <text class="bar-value" x=x + BAR / 2.0 y=base - hc - 3.0>{m.contacts}</text>
                    <rect class="bar-patrols" x=x + BAR + 2.0 y=base - hp width=BAR height=hp/>
                    <text class="bar-value" x=x + BAR * 1.5 + 2.0 y=base - hp - 3.0>{m.patrols}</text>
                    <text class="bar-month" x=x + BAR + 1.0 y=HEIGHT - 10.0>{m.month}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="month-chart">
            <figcaption>{i.s(k::IND_CHART_TITLE)}</figcaption>
            <svg data-testid="indicators-chart" role="img" aria-label=i.s(k::IND_CHART_TITLE)
                viewBox=format!("0 0 {width} {HEIGHT}") width=width height=HEIGHT>
                <line class="axis" x1="4" x2=width y1=base y2=base/>
                {bars}
            </svg>
            <p class="legend">
                <span class="key key-contacts" aria-hidden="true"></span>{i.s(k::IND_CHART_CONTACTS)}" "
                <span class="key key-patrols" aria-hidden="true"></span>{i.s(k::IND_CHART_PATROLS)}
            </p>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_a_small_number_still_shows() {
        let full = HEIGHT - TOP - BOTTOM;
        assert_eq!(bar_height(300, 300), full);
        assert_eq!(bar_height(150, 300), full / 2.0);
        assert_eq!(bar_height(1, 100_000), 1.0);
        assert_eq!(bar_height(0, 300), 0.0);
        assert_eq!(bar_height(0, 0), 0.0);
    }
}
