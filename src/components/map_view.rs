//! The map (Leaflet through `public/map.js`): places and open reports as markers by type and
//! status, clustered; the phone's position; optionally a pin to drag or to move by a tap.
//! The tile server and its attribution come from the server's settings (`/api/v1/config`).

use latarnia_core::{Position, Report, Site};
use leptos::html::Div;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::i18n::{k, use_i18n};
use crate::platform;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = latarniaMap, js_name = ready, catch)]
    fn leaflet_ready() -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_namespace = latarniaMap, js_name = create)]
    fn create_map(el: &web_sys::HtmlElement, options: &JsValue) -> LeafletMap;

    type LeafletMap;
    #[wasm_bindgen(method, js_name = setPoints)]
    fn set_points(this: &LeafletMap, json: &str);
    #[wasm_bindgen(method, js_name = setHere)]
    fn set_here(this: &LeafletMap, lat: f64, lon: f64, accuracy: f64);
    #[wasm_bindgen(method, js_name = setShapes)]
    fn set_shapes(this: &LeafletMap, json: &str);
    #[wasm_bindgen(method, js_name = setPin)]
    fn set_pin(this: &LeafletMap, lat: f64, lon: f64);
    #[wasm_bindgen(method)]
    fn destroy(this: &LeafletMap);
}

/// One marker on the map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapPoint {
    pub id: String,
    pub lat: f64,
    pub lon: f64,
    /// `site` or `report`.
    pub kind: &'static str,
    /// CSS classes: `kind-<type> status-<status>` (the colour and the symbol follow them).
    pub classes: String,
    pub symbol: &'static str,
    pub label: String,
}

/// An area drawn on the map (a count's sector): its corners in order, `(lat, lon)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapShape {
    pub label: String,
    pub corners: Vec<(f64, f64)>,
    /// CSS classes (`drawing` for the area being drawn).
    pub classes: &'static str,
}

/// Where the map opens with nothing to show yet: the last place it was opened, else Poland.
pub const DEFAULT_CENTRE: (f64, f64, f64) = (52.07, 19.48, 6.0);

/// The tile server's address template and attribution, as the server last told them.
pub fn tile_settings() -> (String, String) {
    (
        platform::pref("tile_url").unwrap_or_else(|| latarnia_core::map::OSM_TILES.into()),
        platform::pref("tile_attribution").unwrap_or_else(|| latarnia_core::map::OSM_ATTRIBUTION.into()),
    )
}

/// How close (metres) two places must be to be taken for one: the server's setting.
pub fn duplicate_radius() -> f64 {
    platform::pref("duplicate_radius_m")
        .and_then(|r| r.parse().ok())
        .filter(|r: &f64| r.is_finite() && *r > 0.0)
        .unwrap_or(latarnia_core::sites::DUPLICATE_RADIUS_M)
}

#[component]
pub fn MapView(
    /// The markers; replaced whenever this changes.
    #[prop(into)]
    points: Signal<Vec<MapPoint>>,
    /// The phone's position, when known.
    #[prop(into)]
    here: Signal<Option<Position>>,
    /// A pin for a position being chosen: dragged or moved by a tap, reported by `on_pin`.
    #[prop(optional, into)]
    pin: Option<Signal<Option<(f64, f64)>>>,
    /// Areas drawn over the map (a count's sectors).
    #[prop(optional, into)]
    shapes: Option<Signal<Vec<MapShape>>>,
    #[prop(optional)] on_pin: Option<Callback<(f64, f64)>>,
    #[prop(optional)] on_tap: Option<Callback<(f64, f64)>>,
    #[prop(optional)] on_select: Option<Callback<(String, String)>>,
    /// Zoom to the markers the first time there are some.
    #[prop(optional)]
    fit: bool,
    testid: &'static str,
) -> impl IntoView {
    let i = use_i18n();
    let node = NodeRef::<Div>::new();
    let map: StoredValue<Option<LeafletMap>, LocalStorage> = StoredValue::new_local(None);
    let failed = RwSignal::new(false);
    let created = RwSignal::new(false);
    // The closures the map calls back; dropped with the component.
    let callbacks: StoredValue<Vec<JsValue>, LocalStorage> = StoredValue::new_local(Vec::new());

    Effect::new(move |_| {
        let Some(el) = node.get() else { return };
        if map.with_value(Option::is_some) {
            return;
        }
        platform::mark("map-start");
        spawn_local(async move {
            let ready = match leaflet_ready() {
                Ok(p) => wasm_bindgen_futures::JsFuture::from(p).await.is_ok(),
                Err(_) => false,
            };
            // The screen may have been left while Leaflet loaded: then there is nothing to draw.
            if failed.try_set(!ready).is_some() || !ready {
                return;
            }
            let (tile_url, attribution) = tile_settings();
            let start = pin
                .and_then(|p| p.try_get_untracked().flatten())
                .or_else(|| here.try_get_untracked().flatten().map(|h| (h.lat, h.lon)));
            let (lat, lon, zoom) = match start {
                Some((lat, lon)) => (lat, lon, 17.0),
                None => DEFAULT_CENTRE,
            };
            let options = js_sys::Object::new();
            let set = |k: &str, v: &JsValue| {
                let _ = js_sys::Reflect::set(&options, &k.into(), v);
            };
            set("tileUrl", &tile_url.into());
            set("attribution", &attribution.into());
            set("lat", &lat.into());
            set("lon", &lon.into());
            set("zoom", &zoom.into());
            set("fit", &fit.into());
            set("pinMovable", &pin.is_some().into());
            let mut held = Vec::new();
            if let Some(cb) = on_pin {
                let f = Closure::<dyn Fn(f64, f64)>::new(move |la, lo| cb.run((la, lo))).into_js_value();
                set("onPin", &f);
                held.push(f);
            }
            if let Some(cb) = on_tap {
                let f = Closure::<dyn Fn(f64, f64)>::new(move |la, lo| cb.run((la, lo))).into_js_value();
                set("onTap", &f);
                held.push(f);
            }
            if let Some(cb) = on_select {
                let f = Closure::<dyn Fn(String, String)>::new(move |kind, id| cb.run((kind, id))).into_js_value();
                set("onSelect", &f);
                held.push(f);
            }
            callbacks.set_value(held);
            let m = create_map(&el, &options);
            map.set_value(Some(m));
            created.set(true);
        });
    });

    // Markers, position and pin follow their signals once the map is there.
    Effect::new(move |_| {
        if !created.get() {
            return;
        }
        let json = points.with(|p| serde_json::to_string(p).unwrap_or_else(|_| "[]".into()));
        map.with_value(|m| {
            if let Some(m) = m {
                m.set_points(&json);
            }
        });
    });
    Effect::new(move |_| {
        if !created.get() {
            return;
        }
        let h = here.get();
        map.with_value(|m| {
            if let Some(m) = m {
                match h {
                    Some(p) => m.set_here(p.lat, p.lon, p.accuracy_m),
                    None => m.set_here(f64::NAN, f64::NAN, 0.0),
                }
            }
        });
    });
    Effect::new(move |_| {
        let Some(shapes) = shapes.filter(|_| created.get()) else { return };
        let json = shapes.with(|s| serde_json::to_string(s).unwrap_or_else(|_| "[]".into()));
        map.with_value(|m| {
            if let Some(m) = m {
                m.set_shapes(&json);
            }
        });
    });
    Effect::new(move |_| {
        let Some(pin) = pin.filter(|_| created.get()) else { return };
        let at = pin.get();
        map.with_value(|m| {
            if let Some(m) = m {
                match at {
                    Some((lat, lon)) => m.set_pin(lat, lon),
                    None => m.set_pin(f64::NAN, f64::NAN),
                }
            }
        });
    });
    on_cleanup(move || {
        map.with_value(|m| {
            if let Some(m) = m {
                m.destroy();
            }
        });
    });

    view! {
        <div class="map" node_ref=node data-testid=testid role="application">
            <Show when=move || failed.get()>
                <p class="map-failed" role="alert">{i.s(k::MAP_UNAVAILABLE)}</p>
            </Show>
        </div>
    }
}

/// The letter a place type shows on its marker.
pub fn kind_symbol(kind: latarnia_core::SiteKind) -> &'static str {
    use latarnia_core::SiteKind::*;
    match kind {
        AllotmentShed => "A",
        Stairwell => "K",
        AbandonedBuilding => "P",
        Basement => "Pw",
        Station => "D",
        HeatingChamber => "W",
        TentCamp => "N",
        BridgeViaduct => "M",
        ParkForest => "L",
        Other => "•",
    }
}

/// The markers for places and open reports (a report on a place sits at the place).
pub fn map_points(sites: &[Site], reports: &[Report], all_sites: &[Site]) -> Vec<MapPoint> {
    let mut out: Vec<MapPoint> = sites
        .iter()
        .map(|s| MapPoint {
            id: s.id.to_string(),
            lat: s.position.lat,
            lon: s.position.lon,
            kind: "site",
            classes: format!("kind-{} status-{}", s.kind.as_str(), s.status.as_str()),
            symbol: kind_symbol(s.kind),
            label: s.label.clone(),
        })
        .collect();
    for r in reports.iter().filter(|r| r.is_open()) {
        let at = r.site_id.and_then(|id| all_sites.iter().find(|s| s.id == id)).map(|s| s.position).or(r.position);
        if let Some(p) = at {
            out.push(MapPoint {
                id: r.id.to_string(),
                lat: p.lat,
                lon: p.lon,
                kind: "report",
                classes: format!("report urgency-{}", r.urgency.as_str()),
                symbol: "!",
                label: latarnia_core::shown::excerpt(&r.description, 80),
            });
        }
    }
    out
}
