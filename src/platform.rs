//! The thin layer over browser APIs: clock, ids, preferences, online state, GPS, persistent
//! storage and the service worker. Everything else in the app is plain Rust over signals.

use chrono::{DateTime, Utc};
use latarnia_core::{Position, PositionStatus};
use uuid::Uuid;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(now_ms() as i64).unwrap_or_default()
}

/// A random (version 4) UUID from the browser's CSPRNG.
pub fn new_uuid() -> Uuid {
    let mut bytes = [0u8; 16];
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    } else {
        // No crypto object at all (never seen in a supported browser): time and Math.random.
        let seed = (js_sys::Date::now() as u128) << 64 | (js_sys::Math::random() * u64::MAX as f64) as u128;
        bytes = seed.to_le_bytes();
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// A UI preference (language, theme) kept in `localStorage`, so the first frame is right.
pub fn pref(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok().flatten()
}

pub fn forget_pref(key: &str) {
    if let Some(s) = local_storage() {
        let _ = s.remove_item(key);
    }
}

/// Loads the app again from the start (the shell comes from the service worker's cache).
pub fn reload() {
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

/// Which of its own screens the page drew first (`boot.js`: `sign-in`, `lock` or `splash`),
/// from the flag the app keeps (`keep_start_flag`); empty where there is no such page (the
/// browser tests').
pub fn start_screen() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("data-start"))
        .unwrap_or_default()
}

/// Puts `path` in the address bar as a new entry (no router runs on the first screens).
pub fn go_to(path: &str) {
    if let Some(w) = web_sys::window().filter(|_| pathname() != path) {
        if let Ok(history) = w.history() {
            let _ = history.push_state_with_url(&JsValue::NULL, "", Some(path));
        }
    }
}

/// The page's path (`/`, `/public/facilities/…`); empty outside a browser.
pub fn pathname() -> String {
    web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default()
}

/// `x` with `digits` decimals, written by the browser (`Number.prototype.toFixed`), for every
/// number a screen shows (decision 137). Natively, in the app's unit tests, Rust writes it.
pub fn fixed(x: f64, digits: u8) -> String {
    #[cfg(target_arch = "wasm32")]
    return js_sys::Number::from(x).to_fixed(digits).map(String::from).unwrap_or_default();
    #[cfg(not(target_arch = "wasm32"))]
    return format!("{x:.*}", usize::from(digits));
}

/// `x` as the browser writes a number (`String(x)`: as few digits as tell it apart).
pub fn number(x: f64) -> String {
    #[cfg(target_arch = "wasm32")]
    return js_sys::Number::from(x).to_string_with_radix(10).map(String::from).unwrap_or_default();
    #[cfg(not(target_arch = "wasm32"))]
    return x.to_string();
}

pub fn set_pref(key: &str, value: &str) {
    if let Some(s) = local_storage() {
        let _ = s.set_item(key, value);
    }
}

pub fn set_document_attr(name: &str, value: &str) {
    if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = el.set_attribute(name, value);
    }
}

/// Takes the user to the field of the error named `field` (its input points at `err-<field>`
/// with `aria-describedby`): focused, and scrolled clear of the bottom bar. Runs after the error
/// texts are drawn.
pub fn focus_field_error(field: &'static str) {
    use wasm_bindgen::JsCast;
    leptos::prelude::request_animation_frame(move || {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
        let selector = format!("[aria-describedby~=\"err-{field}\"]");
        if let Some(el) =
            doc.query_selector(&selector).ok().flatten().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            // The whole field at the top (the page's scroll padding keeps it clear), then the
            // caret in it: focus alone scrolls only as far as the caret.
            el.scroll_into_view_with_bool(true);
            let _ = el.focus();
        }
    });
}

pub fn is_online() -> bool {
    web_sys::window().map(|w| w.navigator().on_line()).unwrap_or(true)
}

/// Asks the browser to keep our data under storage pressure; `None` if it cannot tell.
pub async fn request_persistence() -> Option<bool> {
    let storage = web_sys::window()?.navigator().storage();
    let already = wasm_bindgen_futures::JsFuture::from(storage.persisted().ok()?).await.ok()?;
    if already.as_bool() == Some(true) {
        return Some(true);
    }
    let answer = wasm_bindgen_futures::JsFuture::from(storage.persist().ok()?).await.ok()?;
    answer.as_bool()
}

/// The service worker's cache of map tiles (`public/sw.js`).
pub const TILE_CACHE: &str = "latarnia-tiles";

/// Deletes the cache of map tiles seen (where the team works shows in them).
pub async fn forget_tiles() {
    let Some(caches) = web_sys::window().and_then(|w| w.caches().ok()) else { return };
    if let Err(e) = wasm_bindgen_futures::JsFuture::from(caches.delete(TILE_CACHE)).await {
        leptos::logging::error!("tile cache: {e:?}");
    }
}

/// What the GPS knows right now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gps {
    Waiting,
    Fix { position: Position, at_ms: u64 },
    Failed(PositionStatus),
}

impl Gps {
    /// The position for a contact saved now: a fix at most two minutes old, or why there is none.
    pub fn for_contact(self, now_ms: u64) -> Result<Position, PositionStatus> {
        match self {
            Gps::Fix { position, at_ms } if now_ms.saturating_sub(at_ms) <= 120_000 => Ok(position),
            Gps::Failed(status) => Err(status),
            _ => Err(PositionStatus::Unavailable),
        }
    }
}

/// Follows the device position, calling `on_change` with each update. Returns the watch id
/// to stop it with `stop_watching`.
pub fn watch_position(on_change: impl Fn(Gps) + 'static) -> Option<i32> {
    let geo = web_sys::window()?.navigator().geolocation().ok()?;
    let on_change = std::rc::Rc::new(on_change);
    let ok = {
        let on_change = on_change.clone();
        Closure::<dyn Fn(web_sys::Position)>::new(move |p: web_sys::Position| {
            let c = p.coords();
            on_change(Gps::Fix {
                position: Position { lat: c.latitude(), lon: c.longitude(), accuracy_m: c.accuracy() },
                at_ms: now_ms(),
            });
        })
    };
    let err = Closure::<dyn Fn(web_sys::PositionError)>::new(move |e: web_sys::PositionError| {
        on_change(Gps::Failed(if e.code() == web_sys::PositionError::PERMISSION_DENIED {
            PositionStatus::Denied
        } else {
            PositionStatus::Unavailable
        }));
    });
    let options = web_sys::PositionOptions::new();
    options.set_enable_high_accuracy(true);
    options.set_maximum_age(30_000);
    options.set_timeout(20_000);
    let id = geo
        .watch_position_with_error_callback_and_options(
            ok.as_ref().unchecked_ref(),
            Some(err.as_ref().unchecked_ref()),
            &options,
        )
        .ok();
    // The watch lives as long as the page; the closures must too.
    ok.forget();
    err.forget();
    id
}

pub fn stop_watching(id: i32) {
    if let Some(geo) = web_sys::window().and_then(|w| w.navigator().geolocation().ok()) {
        geo.clear_watch(id);
    }
}

/// Tells the waiting service worker to take over; `public/sw-register.js` reloads the page
/// when it has.
pub fn apply_update() {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(f) = js_sys::Reflect::get(&window, &"latarniaApplyUpdate".into()) {
        if let Some(f) = f.dyn_ref::<js_sys::Function>() {
            let _ = f.call0(&JsValue::NULL);
        }
    }
}

/// Marks a moment for the User Timing API (the benchmarks read these).
pub fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

pub fn measure(name: &str, start_mark: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.measure_with_start_mark(name, start_mark);
    }
}

/// A short name for this device, shown to the admin with its session.
pub fn device_name() -> String {
    let ua = web_sys::window().and_then(|w| w.navigator().user_agent().ok()).unwrap_or_default();
    let platform = ["Android", "iPhone", "iPad", "Windows", "Macintosh", "Linux"]
        .into_iter()
        .find(|p| ua.contains(p))
        .unwrap_or("browser");
    format!("Latarnia on {platform}")
}

/// Calls `f` whenever the page comes back to the foreground (for the app's lifetime).
pub fn on_visible(f: impl Fn() + 'static) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let d = doc.clone();
    let cb = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
        if d.visibility_state() == web_sys::VisibilityState::Visible {
            f();
        }
    });
    let _ = doc.add_event_listener_with_callback("visibilitychange", cb.as_ref().unchecked_ref());
    cb.forget();
}

/// Calls `f(visible)` whenever the page is hidden (another app, the screen off) or shown again.
pub fn on_visibility(f: impl Fn(bool) + 'static) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let d = doc.clone();
    let cb = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
        f(d.visibility_state() == web_sys::VisibilityState::Visible);
    });
    let _ = doc.add_event_listener_with_callback("visibilitychange", cb.as_ref().unchecked_ref());
    cb.forget();
}

/// Runs `work` holding the Web Lock `name` unless another tab holds it (then `busy`). Without
/// Web Locks (old browsers) the work simply runs.
pub fn with_lock(name: &str, work: impl std::future::Future<Output = ()> + 'static, busy: impl FnOnce() + 'static) {
    let locks = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w.navigator(), &"locks".into()).ok())
        .filter(|l| !l.is_undefined());
    let Some(locks) = locks else {
        leptos::task::spawn_local(work);
        return;
    };
    let callback =
        wasm_bindgen::closure::Closure::once_into_js(move |lock: wasm_bindgen::JsValue| -> js_sys::Promise {
            if lock.is_null() {
                busy();
                return js_sys::Promise::resolve(&wasm_bindgen::JsValue::UNDEFINED);
            }
            wasm_bindgen_futures::future_to_promise(async move {
                work.await;
                Ok(wasm_bindgen::JsValue::UNDEFINED)
            })
        });
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"ifAvailable".into(), &true.into());
    let request =
        js_sys::Reflect::get(&locks, &"request".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(request) = request {
        let _ = request.call3(&locks, &name.into(), &options, &callback);
    }
}

/// Saves `text` as a file the user downloads (the CSV export): a Blob behind a link that is
/// clicked once and let go. Works offline; nothing leaves the phone.
pub fn download(file_name: &str, mime: &str, text: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(file_name);
    a.click();
    // The download has its own copy once started.
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    web_sys::window()
        .ok_or("no window")?
        .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000)?;
    Ok(())
}

/// The browser's print dialog (the report page has a print layout).
pub fn print() {
    if let Some(w) = web_sys::window() {
        let _ = w.print();
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = latarniaStarted, catch)]
    fn page_started() -> Result<(), JsValue>;
}

/// Tells the page (`boot.js`) that the app's first screen is usable and the code it needs next
/// has come: the page then links its manifest and registers the service worker, which would
/// have shared a slow line with the app's own code before. (Not there in the browser tests'
/// page: nothing to do.)
pub fn started() {
    let _ = page_started();
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = latarniaMap, js_name = warm, catch)]
    fn map_warm() -> Result<(), JsValue>;
}

/// Has `map.js` fetch and parse Leaflet now (once per page), so the map opens without waiting.
pub fn warm_map() {
    let _ = map_warm();
}

/// The text of the file chosen in the file input `input` (`None` when none was chosen), as
/// `csv::decode` reads it (UTF-8, UTF-16 or Polish Excel's Windows-1250); an error code when it
/// is larger than `csv::READ_MAX_BYTES` or the browser could not read it.
pub async fn chosen_text(input: web_sys::EventTarget) -> Option<Result<String, &'static str>> {
    use latarnia_core::csv::{decode, READ_MAX_BYTES};
    use wasm_bindgen::JsCast;
    let files = js_sys::Reflect::get(&input, &"files".into()).ok()?;
    let file = js_sys::Reflect::get(&files, &0.into()).ok().filter(|f| !f.is_undefined())?;
    let blob: web_sys::Blob = file.unchecked_into();
    if blob.size() > READ_MAX_BYTES as f64 {
        return Some(Err("file_too_large"));
    }
    Some(match wasm_bindgen_futures::JsFuture::from(blob.array_buffer()).await {
        Ok(bytes) => Ok(decode(&js_sys::Uint8Array::new(&bytes).to_vec())),
        Err(_) => Err("file_unreadable"),
    })
}

/// What was typed into one of the page's own forms (`web/index.html`) before the app started.
pub struct ShellForm {
    /// The values of the fields asked for, in their order.
    pub values: Vec<String>,
    /// Its submit button was tapped: the app goes on with it at once.
    pub sent: bool,
    /// Which of the fields had the caret.
    pub focused: Option<usize>,
}

/// Takes the page's form `shell` over: what its `fields` hold, and the form itself removed (the
/// app's own is drawn in its place). `None` once it is gone.
pub fn take_shell(shell: &str, fields: &[&str]) -> Option<ShellForm> {
    let window = web_sys::window()?;
    let doc = window.document()?;
    let el = doc.get_element_by_id(shell)?;
    let value = |id: &&str| {
        doc.get_element_by_id(id)
            .and_then(|e| js_sys::Reflect::get(&e, &"value".into()).ok())
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let active = doc.active_element().map(|e| e.id());
    let sent_form = js_sys::Reflect::get(&window, &"latarniaShellSent".into()).ok().and_then(|v| v.as_string());
    let form = el.query_selector("form").ok().flatten().map(|f| f.id());
    let taken = ShellForm {
        values: fields.iter().map(value).collect(),
        sent: form.is_some() && sent_form == form,
        focused: fields.iter().position(|f| active.as_deref() == Some(*f)),
    };
    el.remove();
    Some(taken)
}

/// How the page draws its next first frame (`boot.js`): `"locked"` its lock screen, another
/// value the splash, none its sign-in form. The flag says nothing of who is signed in.
pub fn keep_start_flag(flag: Option<&str>) {
    match flag {
        Some(f) => set_pref("session", f),
        None => forget_pref("session"),
    }
}

/// Puts the caret in the element `id` once it is drawn.
pub fn focus_when_drawn(id: &'static str) {
    leptos::prelude::request_animation_frame(move || {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}
