//! Latitude and longitude as typed, with their field errors: the place, report and meal-run
//! forms share it. A comma is a decimal point too, and a whole position pasted into either
//! field fills both (`latarnia_core::position::pasted`).

use latarnia_core::FieldError;
use leptos::prelude::*;

use crate::components::field_error::FieldErrorText;
use crate::i18n::{k, use_i18n};

/// A coordinate as typed (`position::decimal`: a comma is a decimal point too); NaN when it is
/// not a number.
pub fn coordinate(text: &str) -> f64 {
    latarnia_core::position::decimal(text).unwrap_or(f64::NAN)
}

/// A coordinate for an input: six decimals (about 10 cm), empty when unknown.
pub fn shown(x: f64) -> String {
    if x.is_finite() {
        crate::platform::fixed(x, 6)
    } else {
        String::new()
    }
}

/// A position as a screen shows it (`54.44160, 18.56010` with five `digits`).
pub fn pair(lat: f64, lon: f64, digits: u8) -> String {
    format!("{}, {}", crate::platform::fixed(lat, digits), crate::platform::fixed(lon, digits))
}

/// A position as a link's query to a new place there (`lat=…&lon=…`, six decimals).
pub fn query(lat: f64, lon: f64) -> String {
    format!("lat={}&lon={}", crate::platform::fixed(lat, 6), crate::platform::fixed(lon, 6))
}

/// The two inputs (`<prefix>-lat`, `<prefix>-lon`) and the errors of `lat` and `lon`;
/// `on_edit` runs when either is typed in.
#[component]
pub fn Coordinates(
    lat: RwSignal<String>,
    lon: RwSignal<String>,
    prefix: &'static str,
    errors: RwSignal<Vec<FieldError>>,
    #[prop(optional)] on_edit: Option<Callback<()>>,
) -> impl IntoView {
    let i = use_i18n();
    let input = move |value: RwSignal<String>, field: &'static str, label: usize| {
        view! {
            <label>
                <span>{i.s(label)}</span>
                <input inputmode="decimal" data-testid=format!("{prefix}-{field}") aria-describedby=format!("err-{field}")
                    prop:value=move || value.get()
                    on:input=move |ev| {
                        value.set(event_target_value(&ev));
                        if let Some(f) = on_edit {
                            f.run(());
                        }
                    }
                    on:paste=move |ev: leptos::ev::ClipboardEvent| {
                        // A whole position pasted ("54.44160, 18.56010" from a web map) fills both.
                        let text = ev.clipboard_data().and_then(|d| d.get_data("text").ok()).unwrap_or_default();
                        if let Some((a, b)) = latarnia_core::position::pasted(&text) {
                            ev.prevent_default();
                            lat.set(shown(a));
                            lon.set(shown(b));
                            if let Some(f) = on_edit {
                                f.run(());
                            }
                        }
                    }/>
            </label>
        }
    };
    view! {
        <div class="coordinates">
            {input(lat, "lat", k::SITE_LAT)}
            {input(lon, "lon", k::SITE_LON)}
        </div>
        <p class="hint">{i.s(k::COORDS_PASTE_HINT)}</p>
        <FieldErrorText errors field="lat"/>
        <FieldErrorText errors field="lon"/>
    }
}
