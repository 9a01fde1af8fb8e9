//! One facility's state in a line, the same in the directory, the bed finder and the
//! reception's screen: open now or not, and the free beds with how old the count is
//! ("3 wolne · 2 h temu"); a count older than six hours looks stale, and no count says so.

use chrono::{DateTime, Utc};
use latarnia_core::facilities::{age_minutes, BedHold, Facility};
use leptos::prelude::*;

use crate::i18n::{k, use_i18n, I18n};

/// "5 min", "2 h", "3 dni" / "3 days": how long ago, roughly.
pub fn ago(i: I18n, at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let m = age_minutes(at, now);
    if m < 1 {
        return i.t(k::FAC_JUST_NOW).to_owned();
    }
    let amount = if m < 60 {
        format!("{m} min")
    } else if m < 48 * 60 {
        format!("{} h", m / 60)
    } else {
        i.t(k::FAC_DAYS).replace("{n}", &(m / (24 * 60)).to_string())
    };
    i.t(k::FAC_AGO).replace("{t}", &amount)
}

/// "3 wolne" / "5 wolnych" (Polish plural), "3 free".
pub fn free_text(i: I18n, n: u32) -> String {
    let few = n == 1 || ((2..=4).contains(&(n % 10)) && !(12..=14).contains(&(n % 100)));
    i.t(if few { k::FAC_FREE_FEW } else { k::FAC_FREE_MANY }).replace("{n}", &n.to_string())
}

/// The free beds of `f` now, as a line: the number and its age, "no free bed" at none, "no
/// count" without one; stale counts are marked (`data-stale`) and say so in words.
#[component]
pub fn FreeBeds(facility: Facility, holds: Vec<BedHold>, now: DateTime<Utc>) -> impl IntoView {
    let i = use_i18n();
    let free = facility.free_now(&holds, now);
    let stale = facility.beds_stale(now);
    let at = facility.beds_at;
    let text = move || match (free, at) {
        (None, _) => i.t(k::FAC_NO_COUNT).to_owned(),
        (Some(0), Some(at)) => format!("{} · {}", i.t(k::FAC_NONE_FREE), ago(i, at, now)),
        (Some(n), Some(at)) => format!("{} · {}", free_text(i, n), ago(i, at, now)),
        (Some(n), None) => free_text(i, n),
    };
    let class = match free {
        Some(0) => "beds none",
        Some(_) if stale => "beds stale",
        Some(_) => "beds free",
        None => "beds unknown",
    };
    view! {
        <span class=class data-testid="facility-free" data-free=free.map(|n| n.to_string()) data-stale=stale.to_string()>
            {text}
            {(stale && free.is_some()).then(|| view! { " "<em>{i.s(k::FAC_STALE)}</em> })}
        </span>
    }
}

/// "otwarte" / "zamknięte teraz" for `f` at `now`.
#[component]
pub fn OpenNow(facility: Facility, now: DateTime<Utc>) -> impl IntoView {
    let i = use_i18n();
    let open = facility.open_at(now);
    view! {
        <span class=if open { "open" } else { "closed" } data-testid="facility-open" data-open=open.to_string()>
            {i.s(if open { k::FAC_OPEN } else { k::FAC_CLOSED })}
        </span>
    }
}

/// Whom a facility takes and on what conditions, in words.
pub fn takes_text(i: I18n, f: &Facility) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for (on, key) in [
        (f.takes.men, k::FAC_TAKES_MEN),
        (f.takes.women, k::FAC_TAKES_WOMEN),
        (f.takes.families, k::FAC_TAKES_FAMILIES),
    ] {
        if on {
            parts.push(i.t(key));
        }
    }
    let c = f.conditions;
    for (on, key) in [
        (c.sobriety_required, k::FAC_COND_SOBRIETY_REQUIRED),
        (c.id_required, k::FAC_COND_ID_REQUIRED),
        (c.referral_required, k::FAC_COND_REFERRAL_REQUIRED),
        (c.dogs_allowed, k::FAC_COND_DOGS_ALLOWED),
        (c.wheelchair_access, k::FAC_COND_WHEELCHAIR_ACCESS),
    ] {
        if on {
            parts.push(i.t(key));
        }
    }
    parts.join(" · ")
}
