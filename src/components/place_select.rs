//! A choice of place from the map: the nearest first (with their distance), then the others by
//! name; "none" for somewhere not on the map.

use latarnia_core::sites::nearest;
use latarnia_core::{Position, Site};
use leptos::prelude::*;
use uuid::Uuid;

use crate::i18n::{k, use_i18n};

/// The places to offer for a contact: the nearest to its position first (with their distance),
/// then the others by name; a place it is already linked to is always among them.
pub fn place_options(sites: &[Site], at: Option<&Position>, nearest_count: usize) -> Vec<(Uuid, String)> {
    let mut rest: Vec<&Site> = sites.iter().filter(|s| s.merged_into.is_none()).collect();
    let mut out = Vec::new();
    if let Some(at) = at {
        for (s, d) in nearest(rest.iter().copied(), at, nearest_count) {
            out.push((s.id, format!("{} ({} m)", s.label, crate::platform::fixed(d, 0))));
        }
        rest.retain(|s| !out.iter().any(|(id, _)| *id == s.id));
    }
    latarnia_core::order::sort_by(&mut rest, |a, b| a.label.cmp(&b.label));
    out.extend(rest.into_iter().map(|s| (s.id, s.label.clone())));
    out
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use latarnia_core::SiteKind;

    fn place(n: u128, label: &str, lat: f64) -> Site {
        Site::new(
            Uuid::from_u128(n),
            label,
            SiteKind::Station,
            Position { lat, lon: 18.56, accuracy_m: 5.0 },
            Utc::now(),
        )
    }

    #[test]
    fn the_nearest_places_are_offered_first_then_the_rest_by_name() {
        let sites = [place(1, "Zajezdnia", 54.50), place(2, "Altanka", 54.60), place(3, "Dworzec", 54.4401)];
        let here = Position { lat: 54.44, lon: 18.56, accuracy_m: 10.0 };
        let got = place_options(&sites, Some(&here), 2);
        assert_eq!(got.iter().map(|(id, _)| id.as_u128()).collect::<Vec<_>>(), [3, 1, 2]);
        assert_eq!(got[0].1, "Dworzec (11 m)");
        let no_fix = place_options(&sites, None, 2);
        assert_eq!(no_fix.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>(), ["Altanka", "Dworzec", "Zajezdnia"]);
    }
}
