use latarnia_core::shown::{self, Shown};
use latarnia_core::Contact;
use leptos::prelude::*;

use crate::i18n::{k, use_i18n};
use crate::routes::AppRoute;

/// A moment in the phone's time zone, as `how` shows it.
pub fn local_time(at: chrono::DateTime<chrono::Utc>, how: Shown) -> String {
    shown::moment(at.with_timezone(&chrono::Local).naive_local(), how)
}

/// A time as a `datetime-local` input shows it (the phone's time zone).
pub fn local_input(at: chrono::DateTime<chrono::Utc>) -> String {
    local_time(at, Shown::Input)
}

/// What a `datetime-local` input holds, as a moment; `None` when it is not a time.
pub fn parse_local_input(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    let naive = shown::parse_input(text)?;
    chrono::Local.from_local_datetime(&naive).earliest().map(|d| d.with_timezone(&chrono::Utc))
}

/// One contact in a list: time, people, the pseudonym, what was given, and the start of the
/// notes (as text).
/// `linked: false` for a contact this phone does not hold (read from the server): nothing to
/// open.
#[component]
pub fn ContactItem(
    contact: Contact,
    #[prop(default = false)] with_date: bool,
    #[prop(default = true)] linked: bool,
) -> impl IntoView {
    let i = use_i18n();
    let href = linked.then(|| AppRoute::Contact(contact.id).href());
    let time = local_time(contact.at, if with_date { Shown::DateTime } else { Shown::Time });
    let headcount = contact.headcount;
    let given = contact.given.clone();
    let notes = latarnia_core::shown::excerpt(&contact.notes, 80);
    let pseudonym = (!contact.pseudonym.is_empty()).then(|| contact.pseudonym.clone());
    let no_position = contact.position.is_none().then_some(contact.position_status);
    let inner = view! {
        <span class="ci-time">{time}</span>
        <span class="ci-people" data-testid="contact-item-headcount">
            {move || format!("{headcount} {}", if headcount == 1 { i.t(k::PERSON) } else { i.t(k::PEOPLE) })}
        </span>
        {pseudonym.map(|p| view! { <span class="ci-pseudonym" data-testid="contact-item-pseudonym">{p}</span> })}
        <span class="ci-given">
            {move || given.iter().map(|(item, n)| format!("{} ×{n}", i.value("item", item.as_str()))).collect::<Vec<_>>().join(", ")}
        </span>
        {no_position.map(|s| view! { <span class="ci-nopos">{i.sv("position", s.as_str())}</span> })}
        <span class="ci-notes" data-testid="contact-item-notes">{notes}</span>
    };
    view! {
        <li data-testid="contact-item">
            {match href {
                Some(href) => view! { <a href=href class="contact-item">{inner}</a> }.into_any(),
                None => view! { <div class="contact-item">{inner}</div> }.into_any(),
            }}
        </li>
    }
}
