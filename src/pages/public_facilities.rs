//! The public list of an organisation's aid facilities (`/public/facilities/<org>`), without
//! sign-in, when the organisation switched it on: by type, each with its address, hours, phone
//! and whom it takes — for the city's website to link to, printable on one or two A4 pages.

use latarnia_core::facilities::{FacilityKind, PublicFacilities, PublicFacility};
use leptos::prelude::*;

use crate::i18n::{k, use_i18n};
use crate::platform;

#[component]
pub fn PublicFacilitiesPage() -> impl IntoView {
    let i = use_i18n();
    // The organisation is the address's last part (`/public/facilities/<org>`, checked by `App`).
    let org = platform::pathname().rsplit('/').next().unwrap_or_default().to_owned();
    let list = crate::loaded::Loaded::new(move || {
        let org = org.clone();
        async move { crate::api::public_facilities(&org).await }
    });
    let shown = move |l: PublicFacilities| {
        FacilityKind::ALL
            .iter()
            .filter_map(|kind| {
                let of: Vec<PublicFacility> = l.facilities.iter().filter(|f| f.kind == kind.as_str()).cloned().collect();
                (!of.is_empty()).then(|| {
                    view! {
                        <section>
                            <h2>{i.sv("facility_kind", kind.as_str())}</h2>
                            <ul class="plain-list public-list">
                                {of.into_iter().map(|f| {
                                    let takes = f.takes.iter().map(|t| i.value("fac_takes", t)).collect::<Vec<_>>().join(", ");
                                    let takes = if takes.is_empty() { takes } else { i.t(k::PUBLIC_TAKES).replace("{list}", &takes) };
                                    let conditions = f.conditions.iter().map(|c| i.value("fac_cond", c)).collect::<Vec<_>>().join(" · ");
                                    let hours = if f.hours.is_empty() { i.t(k::FAC_ALWAYS_OPEN).to_owned() } else { f.hours.replace('\n', "; ") };
                                    view! {
                                        <li data-testid="public-facility">
                                            <strong>{f.name.clone()}</strong>
                                            {(!f.address.is_empty()).then(|| view! { <span class="meta">{f.address.clone()}</span> })}
                                            <span class="meta">{hours}</span>
                                            {(!f.phone.is_empty()).then(|| view! {
                                                <a href=format!("tel:{}", f.phone.replace(' ', ""))>{format!("☎ {}", f.phone)}</a>
                                            })}
                                            {(!takes.is_empty()).then(|| view! { <span class="meta">{takes}</span> })}
                                            {(!conditions.is_empty()).then(|| view! { <span class="meta">{conditions}</span> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </section>
                    }
                })
            })
            .collect_view()
    };
    view! {
        <section class="page public-facilities" data-testid="public-facilities">
            <h1>{i.s(k::PUBLIC_TITLE)}</h1>
            <p class="hint no-print">{i.s(k::PUBLIC_HINT)}</p>
            <button type="button" class="no-print" data-testid="public-print" on:click=move |_| platform::print()>{i.s(k::FAC_PRINT)}</button>
            {move || list.get().map(|r| match r {
                Ok(l) if l.facilities.is_empty() => view! { <p class="empty">{i.s(k::FAC_EMPTY)}</p> }.into_any(),
                Ok(l) => shown(l).into_any(),
                Err(key) => view! { <p class="notice" role="alert" data-testid="public-error">{i.s(key)}</p> }.into_any(),
            })}
        </section>
    }
}
