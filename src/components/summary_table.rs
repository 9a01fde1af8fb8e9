use latarnia_core::PatrolSummary;
use leptos::prelude::*;

use crate::i18n::{k, use_i18n};

pub fn duration_text(minutes: i64) -> String {
    format!("{} h {:02} min", minutes / 60, minutes % 60)
}

/// A patrol's numbers: duration, contacts, people met, what was given, referrals.
#[component]
pub fn SummaryTable(summary: PatrolSummary) -> impl IntoView {
    let i = use_i18n();
    let row = move |label: usize, testid: &'static str, value: String| {
        view! { <tr><th scope="row">{i.s(label)}</th><td data-testid=testid>{value}</td></tr> }
    };
    let given = summary.given.clone();
    let referrals = summary.referrals.clone();
    view! {
        <table class="summary" data-testid="patrol-summary">
            <tbody>
                {row(k::SUMMARY_DURATION, "summary-duration", duration_text(summary.duration_minutes))}
                {row(k::SUMMARY_CONTACTS, "summary-contacts", summary.contacts.to_string())}
                {row(k::SUMMARY_PEOPLE, "summary-people", summary.people_met.to_string())}
                {row(k::SUMMARY_WOMEN, "summary-women", summary.with_women.to_string())}
                {row(k::SUMMARY_CHILDREN, "summary-children", summary.with_children.to_string())}
                {row(k::SUMMARY_REFUSED, "summary-refused", summary.help_refused.to_string())}
                {row(k::SUMMARY_FOLLOW_UP, "summary-follow-up", summary.follow_up.to_string())}
                {given.into_iter().map(|(item, n)| view! {
                    <tr><th scope="row">{i.sv("item", item.as_str())}</th>
                        <td data-testid=format!("summary-item-{}", item.as_str())>{n}</td></tr>
                }).collect_view()}
                {referrals.into_iter().flat_map(|(kind, outcomes)| outcomes.into_iter().map(move |(outcome, n)| view! {
                    <tr><th scope="row">{move || format!("{} — {}", i.value("referral", kind.as_str()), i.value("outcome", outcome.as_str()))}</th>
                        <td data-testid=format!("summary-referral-{}-{}", kind.as_str(), outcome.as_str())>{n}</td></tr>
                })).collect_view()}
            </tbody>
        </table>
    }
}
