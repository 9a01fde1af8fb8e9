//! The aid-facility directory (`/facilities`): every facility with whom it takes, its hours and
//! whether it is open now, and its free beds with how old the number is. Coordinators add and
//! edit facilities and import the voivode's register; anyone prints the list by type (the
//! poster: addresses, hours, phones, in Polish).

use latarnia_core::facilities::{by_kind, hours_text, BedHold, Facility};
use leptos::prelude::*;

use crate::components::facility_import::FacilityImport;
use crate::components::facility_summary::{takes_text, FreeBeds, OpenNow};
use crate::components::from_store::FromStore;
use crate::i18n::{k, use_i18n};
use crate::platform;
use crate::state::AppState;
use crate::storage::StoreError;

#[component]
pub fn FacilitiesPage() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let coordinator = move || state.is_coordinator();
    let data = state.resource(move || async move {
        let mut facilities = state.live::<Facility>().await?;
        latarnia_core::order::sort_by(&mut facilities, |a, b| a.name.cmp(&b.name));
        let holds = state.recent_holds().await?;
        Ok::<_, StoreError>((facilities, holds))
    });
    let list = move |(facilities, holds): (Vec<Facility>, Vec<BedHold>)| {
        let now = platform::now();
        if facilities.is_empty() {
            return view! { <p class="empty no-print" data-testid="facility-empty">{i.s(k::FAC_EMPTY)}</p> }.into_any();
        }
        let poster: Vec<(String, Vec<Facility>)> = by_kind(&facilities)
            .into_iter()
            .map(|(kind, of)| (kind.polish().to_owned(), of.into_iter().cloned().collect()))
            .collect();
        view! {
            <ul class="site-list no-print" data-testid="facility-list">
                {facilities.into_iter().map(|f| {
                    let href = format!("/facilities/{}", f.id);
                    let takes = takes_text(i, &f);
                    let kind = f.kind.as_str();
                    let (address, phone) = (f.address.clone(), f.phone.clone());
                    view! {
                        <li data-testid="facility-item" data-facility=f.name.clone()>
                            <a href=href>
                                <strong>{f.name.clone()}</strong>
                                <span class="meta">{i.sv("facility_kind", kind)}" · "<OpenNow facility=f.clone() now/></span>
                                {f.kind.has_beds().then(|| view! { <FreeBeds facility=f.clone() holds=holds.clone() now/> })}
                                {(!address.is_empty()).then(|| view! { <span class="meta">{address}</span> })}
                                {(!takes.is_empty()).then(|| view! { <span class="meta">{takes}</span> })}
                                {(!phone.is_empty()).then(|| view! { <span class="meta">"☎ "{phone}</span> })}
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ul>
            // The printed list: by type, each facility's address, hours and phone (Polish, as
            // the Łódź partnership's poster).
            <div class="print-only poster" data-testid="facilities-poster">
                <h1>"Placówki pomocy dla osób w kryzysie bezdomności"</h1>
                {poster.into_iter().map(|(kind, of)| view! {
                    <section>
                        <h2>{kind}</h2>
                        <ul>
                            {of.into_iter().map(|f| {
                                let hours = if f.hours.is_empty() { "całą dobę".to_owned() } else { hours_text(&f.hours).replace('\n', "; ") };
                                view! {
                                    <li>
                                        <strong>{f.name.clone()}</strong>
                                        {(!f.address.is_empty()).then(|| format!(", {}", f.address))}
                                        {(!f.phone.is_empty()).then(|| format!(", tel. {}", f.phone))}
                                        <br/>{hours}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                }).collect_view()}
            </div>
        }
        .into_any()
    };
    view! {
        <section class="page facilities">
            <h1 class="no-print">{i.s(k::FAC_TITLE)}</h1>
            <div class="actions no-print">
                <Show when=coordinator>
                    <a class="button primary big" href="/facilities/new" data-testid="facility-new">{i.s(k::FAC_NEW)}</a>
                </Show>
                <button type="button" data-testid="facilities-print" on:click=move |_| platform::print()>{i.s(k::FAC_PRINT)}</button>
            </div>
            <Show when=coordinator>
                <FacilityImport/>
            </Show>
            <FromStore resource=data children=list/>
        </section>
    }
}
