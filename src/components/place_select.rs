//! A choice of place from the map: the nearest first (with their distance), then the others by
//! name; "none" for somewhere not on the map.

use leptos::prelude::*;
use uuid::Uuid;

use crate::i18n::{k, use_i18n};

#[component]
pub fn PlaceSelect(
    id: &'static str,
    testid: &'static str,
    options: Vec<(Uuid, String)>,
    value: RwSignal<Option<Uuid>>,
) -> impl IntoView {
    let i = use_i18n();
    view! {
        <select id=id data-testid=testid on:change=move |ev| value.set(Uuid::parse_str(&event_target_value(&ev)).ok())>
            <option value="" selected=move || value.get().is_none()>{i.s(k::CONTACT_SITE_NONE)}</option>
            {options.into_iter().map(|(id, label)| view! {
                <option value=id.to_string() selected=move || value.get() == Some(id)>{label}</option>
            }).collect_view()}
        </select>
    }
}
