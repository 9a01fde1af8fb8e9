//! Every contact on this phone, newest first, with a date filter, a search by pseudonym (to go
//! back to the same person) and paging; past the phone's window, older ones from the server.

use chrono::{Local, NaiveDate, TimeZone};
use latarnia_core::Contact;
use leptos::prelude::*;

use crate::components::contact_item::ContactItem;
use crate::components::from_store::FromStore;
use crate::components::older_contacts::OlderContacts;
use crate::i18n::{k, use_i18n};
use crate::state::AppState;
use crate::storage::{Query, Store};

pub const PAGE: u32 = 50;

/// Start (`end == false`) or end of a local calendar day, in epoch milliseconds.
fn day_bound(text: &str, end: bool) -> Option<f64> {
    let date = text.parse::<NaiveDate>().ok()?;
    let time = if end { date.and_hms_milli_opt(23, 59, 59, 999)? } else { date.and_hms_opt(0, 0, 0)? };
    Some(Local.from_local_datetime(&time).earliest()?.timestamp_millis() as f64)
}

#[component]
pub fn HistoryPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let pages = RwSignal::new(1u32);
    // The pseudonym searched for (as typed, and as searched once typing pauses).
    let typed = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());

    let contacts = state.resource(move || {
        let searching = search.get();
        let limit = PAGE * pages.get();
        let query = Query {
            from_ms: day_bound(&from.get(), false),
            to_ms: day_bound(&to.get(), true),
            // A search reads the period whole and keeps the contacts with the pseudonym.
            limit: searching.trim().is_empty().then_some(limit),
            ..Default::default()
        };
        async move {
            let mut list = state.store().list::<Contact>(&query).await?;
            if !searching.trim().is_empty() {
                let key = latarnia_core::retention::pseudonym_key(&searching);
                list.retain(|r| r.data.answers_to(&key));
                list.truncate(limit as usize);
            }
            Ok(list)
        }
    });
    let searching = move || search.with(|s| !s.trim().is_empty());
    let shown = move || contacts.get().and_then(Result::ok).map(|v| v.len()).unwrap_or(0);
    let more = move || shown() as u32 == PAGE * pages.get();

    view! {
        <section class="page">
            <h1>{i.s(k::HISTORY_TITLE)}</h1>
            <div class="filters dates">
                <label>
                    <span>{i.s(k::FROM)}</span>
                    <input type="date" data-testid="history-from" prop:value=move || from.get()
                        on:change=move |ev| { from.set(event_target_value(&ev)); pages.set(1); }/>
                </label>
                <label>
                    <span>{i.s(k::TO)}</span>
                    <input type="date" data-testid="history-to" prop:value=move || to.get()
                        on:change=move |ev| { to.set(event_target_value(&ev)); pages.set(1); }/>
                </label>
            </div>
            <label class="field">
                <span>{i.s(k::HISTORY_PSEUDONYM)}</span>
                <input type="search" data-testid="history-pseudonym" autocomplete="off" enterkeyhint="search"
                    prop:value=move || typed.get()
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        typed.set(text.clone());
                        // Searched once typing pauses: a coordinator's phone reads its whole year.
                        set_timeout(move || if typed.get_untracked() == text {
                            search.set(text);
                            pages.set(1);
                        }, std::time::Duration::from_millis(300));
                    }/>
            </label>
            <FromStore resource=contacts let:list>
                {list.is_empty().then(|| view! {
                    <p class="empty" data-testid="history-empty">
                        {move || if searching() { i.t(k::HISTORY_NO_MATCH) } else { i.t(k::HISTORY_EMPTY) }}
                    </p>
                })}
            </FromStore>
            <ul class="contact-list" data-testid="contact-list">
                <For
                    each=move || contacts.get().and_then(Result::ok).unwrap_or_default()
                    key=|r| (r.id, r.hlc.clone())
                    children=|r| view! { <ContactItem contact=r.data with_date=true/> }
                />
            </ul>
            <Show when=more>
                <button class="big" data-testid="history-more" on:click=move |_| pages.update(|p| *p += 1)>
                    {i.s(k::SHOW_MORE)}
                </button>
            </Show>
            // Past what this phone keeps: from the server, when online.
            <Show when=move || !more() && !searching()>
                <OlderContacts/>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_bounds_cover_the_whole_local_day() {
        let start = day_bound("2026-01-10", false).unwrap();
        let end = day_bound("2026-01-10", true).unwrap();
        assert_eq!(end - start, 86_400_000.0 - 1.0);
        assert_eq!(day_bound("10.01.2026", false), None);
        assert_eq!(day_bound("", true), None);
    }
}
