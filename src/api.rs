//! Every HTTP call the app makes, in one place: the sync transport, signing in and out, the
//! map's settings and an erasure request. Answers become the app's own errors (the engine's
//! `TransportError`, or translation keys for the screens); nothing else touches the network.

use gloo_net::http::{Request, RequestBuilder, Response};
use latarnia_core::engine::{decode, Transport, TransportError};
use latarnia_core::sync::{LoginRequest, LoginResponse, PullResponse, PushRequest, PushResponse, RawChange};
use uuid::Uuid;

use crate::i18n::k;
use crate::platform;

pub struct HttpTransport {
    pub token: String,
}

thread_local! {
    /// Where every answer reports whether the server was reached (`AppState::reachable`).
    static REACHED: std::cell::Cell<Option<leptos::prelude::RwSignal<bool>>> = const { std::cell::Cell::new(None) };
}

/// Every answer from now on sets `reached`: whether it came from the server.
pub fn report_reach_to(reached: leptos::prelude::RwSignal<bool>) {
    REACHED.with(|r| r.set(Some(reached)));
}

/// How long a small request may wait for its answer to begin (signing in, the map's settings,
/// an erasure, older history, a report computed on the server, the public list).
const SHORT_MS: u32 = 30_000;
/// How long a pull may wait for its page to begin (the server reads up to 2,000 changes).
const PULL_MS: u32 = 60_000;
/// How long a push may wait for its answer to begin: this, and one more millisecond per 4
/// bytes sent (the upload is not seen as it goes: a push of 1 MiB, the most, gets 292 s,
/// 4 KB/s up, a weak 2G line's).
const PUSH_MS: u32 = 30_000;
/// How long an answer may stop coming once it has begun: a slow answer that keeps coming is
/// read whole, however long (a page of long notes on 2G), one that stops is not waited for.
const STALL_MS: u32 = 30_000;

/// A request's deadline: it aborts the request, the reading of its answer too, unless it is
/// renewed or dropped first. A weak signal can leave a request hanging for many minutes with
/// no error; until it ends, no other sync starts. Aborted, it is `Offline`, and the sync tries
/// again. A renewal or the drop makes the timers already set stale rather than clearing them
/// (each checks that it is still the latest before it aborts).
struct Deadline {
    controller: web_sys::AbortController,
    /// The latest timer's number; the others do nothing when they fire.
    latest: std::rc::Rc<std::cell::Cell<u32>>,
}

impl Deadline {
    /// `None` where the browser has no `AbortController` (then the request has no deadline).
    fn after(ms: u32) -> Option<Deadline> {
        let mut deadline = Deadline { controller: web_sys::AbortController::new().ok()?, latest: Default::default() };
        deadline.renew(ms);
        Some(deadline)
    }

    /// The request is aborted `ms` from now (and not before).
    fn renew(&mut self, ms: u32) {
        let this = self.latest.get().wrapping_add(1);
        self.latest.set(this);
        let (aborts, latest) = (self.controller.clone(), self.latest.clone());
        leptos::prelude::set_timeout(
            move || {
                if latest.get() == this {
                    aborts.abort();
                }
            },
            std::time::Duration::from_millis(u64::from(ms)),
        );
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        self.latest.set(self.latest.get().wrapping_add(1));
    }
}

/// A request builder with `deadline`'s signal (given to [`answer`] with the response).
fn within(request: RequestBuilder, deadline: &Option<Deadline>) -> RequestBuilder {
    request.abort_signal(deadline.as_ref().map(|d| d.controller.signal()).as_ref())
}

/// An answer read as the protocol says (`latarnia_core::engine::decode`): no network is
/// `Offline`, an answer that is not the protocol's is `BadAnswer`, never "offline". Whether it
/// reached the server is reported (`report_reach_to`). `deadline`, the request's, gives the
/// answer [`STALL_MS`] more with every piece of it that comes.
async fn answer<T: serde::de::DeserializeOwned>(
    r: Result<Response, gloo_net::Error>,
    mut deadline: Option<Deadline>,
) -> Result<T, TransportError> {
    let read = read_answer(r, &mut deadline).await;
    drop(deadline);
    let reached = !matches!(&read, Err(e) if e.unreached());
    if let Some(signal) = REACHED.with(std::cell::Cell::get) {
        use leptos::prelude::{GetUntracked, Set};
        if signal.get_untracked() != reached {
            signal.set(reached);
        }
    }
    read
}

async fn read_answer<T: serde::de::DeserializeOwned>(
    r: Result<Response, gloo_net::Error>,
    deadline: &mut Option<Deadline>,
) -> Result<T, TransportError> {
    let r = r.map_err(|_| TransportError::Offline)?;
    let status = r.status();
    // A body cut off by a dropped connection (or by the deadline) is the network's failure.
    let body = body_of(&r, deadline).await.map_err(|()| TransportError::Offline)?;
    decode(status, &body)
}

/// The answer's body, read as it comes, each piece renewing `deadline`; as text (a byte that is
/// not UTF-8 read as U+FFFD, as `Response.text()` does).
async fn body_of(r: &Response, deadline: &mut Option<Deadline>) -> Result<String, ()> {
    use wasm_bindgen::JsCast;
    let Some(stream) = r.body() else { return Ok(String::new()) };
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let (done, value) = (wasm_bindgen::JsValue::from_str("done"), wasm_bindgen::JsValue::from_str("value"));
    let mut bytes = Vec::new();
    loop {
        let piece = wasm_bindgen_futures::JsFuture::from(reader.read()).await.map_err(|_| ())?;
        if js_sys::Reflect::get(&piece, &done).map_err(|_| ())?.is_truthy() {
            break;
        }
        let chunk: js_sys::Uint8Array = js_sys::Reflect::get(&piece, &value).map_err(|_| ())?.unchecked_into();
        let at = bytes.len();
        bytes.resize(at + chunk.length() as usize, 0);
        chunk.copy_to(&mut bytes[at..]);
        if let Some(d) = deadline.as_mut() {
            d.renew(STALL_MS);
        }
    }
    Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

impl Transport for HttpTransport {
    type Fields = Box<serde_json::value::RawValue>;

    async fn push(&self, req: &PushRequest) -> Result<PushResponse, TransportError> {
        platform::mark("sync-push-start");
        let body = serde_json::to_string(req).map_err(|_| TransportError::Offline)?;
        let deadline = Deadline::after(PUSH_MS.saturating_add(u32::try_from(body.len() / 4).unwrap_or(u32::MAX)));
        let r = within(Request::post("/api/v1/sync/push"), &deadline)
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Content-Type", "application/json")
            .body(body)
            .map_err(|_| TransportError::Offline)?
            .send()
            .await;
        let r = answer(r, deadline).await;
        platform::measure("sync-push", "sync-push-start");
        r
    }

    async fn pull(&self, client_id: Uuid, cursor: &str, limit: u32) -> Result<PullResponse<RawChange>, TransportError> {
        let url = format!(
            // The phone keeps a field-sized window (docs/protocol.md, "The window"), and takes
            // the field HLCs in their shared form (a page a third of the size), kept as they
            // come: the store writes that form (`shared_hlcs`), and reads either.
            "/api/v1/sync/pull?client_id={client_id}&cursor={}&limit={limit}&window=true&compact=true",
            js_sys::encode_uri_component(cursor)
        );
        platform::mark("sync-pull-start");
        // The fields stay the text that came: a record is read from it straight into its type.
        let deadline = Deadline::after(PULL_MS);
        let r = within(Request::get(&url), &deadline)
            .header("Authorization", &format!("Bearer {}", self.token))
            .send()
            .await;
        let r = answer::<PullResponse<RawChange>>(r, deadline).await;
        platform::measure("sync-pull", "sync-pull-start");
        r
    }
}

/// Why signing in failed, as a translation key.
/// `client_id`: this phone's, for its recovery key in the answer.
pub async fn login(login: &str, password: &str, client_id: Option<Uuid>) -> Result<LoginResponse, usize> {
    let body = LoginRequest {
        login: login.trim().into(),
        password: password.into(),
        device_name: platform::device_name(),
        client_id,
    };
    let deadline = Deadline::after(SHORT_MS);
    let r =
        within(Request::post("/api/v1/auth/login"), &deadline).json(&body).map_err(|_| k::LOGIN_FAILED)?.send().await;
    match answer(r, deadline).await {
        Ok(answer) => Ok(answer),
        Err(TransportError::Offline | TransportError::Unavailable(_)) => Err(k::LOGIN_OFFLINE),
        Err(TransportError::Unauthorized) => Err(k::LOGIN_BAD),
        Err(TransportError::Refused(429, _)) => Err(k::LOGIN_TOO_MANY),
        Err(_) => Err(k::LOGIN_FAILED),
    }
}

/// The server's settings for the map (tile server, attribution, duplicate radius), kept for
/// offline use.
/// Without an answer the ones kept last time (or OpenStreetMap's) stay.
pub async fn fetch_map_config() {
    let deadline = Deadline::after(SHORT_MS);
    let r = within(Request::get("/api/v1/config"), &deadline).send().await;
    if let Ok(c) = answer::<latarnia_core::map::MapSettings>(r, deadline).await {
        crate::platform::set_pref("tile_url", &c.tile_url);
        crate::platform::set_pref("tile_attribution", &c.tile_attribution);
        crate::platform::set_pref("duplicate_radius_m", &crate::platform::number(c.duplicate_radius_m));
    }
}

/// Asks the server to erase a person (`POST /api/v1/erasure`): the number of contacts erased, or
/// why not, as a translation key.
pub async fn erase_pseudonym(token: &str, pseudonym: &str) -> Result<u64, usize> {
    let deadline = Deadline::after(SHORT_MS);
    let r = within(Request::post("/api/v1/erasure"), &deadline)
        .header("Authorization", &format!("Bearer {token}"))
        .json(&latarnia_core::sync::ErasureRequest { pseudonym: pseudonym.into() })
        .map_err(|_| k::ERASURE_FAILED)?
        .send()
        .await;
    match answer::<latarnia_core::sync::ErasureAnswer>(r, deadline).await {
        Ok(e) => Ok(e.erased),
        Err(TransportError::Offline | TransportError::Unavailable(_)) => Err(k::ERASURE_OFFLINE),
        Err(_) => Err(k::ERASURE_FAILED),
    }
}

/// Records of `T` from before `before_ms` (past the phone's field-sized window), newest first,
/// at one place or all; whether older ones follow. Why not, as a translation key.
pub async fn older<T: latarnia_core::protocol::Record>(
    token: &str,
    before_ms: i64,
    site: Option<Uuid>,
    limit: u32,
) -> Result<(Vec<T>, bool), usize> {
    let mut url = format!("/api/v1/history?collection={}&before={before_ms}&limit={limit}", T::COLLECTION);
    if let Some(site) = site {
        url.push_str(&format!("&site={site}"));
    }
    let deadline = Deadline::after(SHORT_MS);
    let r = within(Request::get(&url), &deadline).header("Authorization", &format!("Bearer {token}")).send().await;
    match answer::<latarnia_core::sync::HistoryResponse>(r, deadline).await {
        Ok(page) => {
            let records =
                page.changes.into_iter().filter_map(|c| latarnia_core::protocol::record_of(c.fields, c.id)).collect();
            Ok((records, page.has_more))
        }
        Err(TransportError::Offline | TransportError::Unavailable(_)) => Err(k::OLDER_OFFLINE),
        Err(_) => Err(k::OLDER_FAILED),
    }
}

/// The indicator table of a period, computed on the server (for a period that begins before
/// what the phone keeps). Why not, as a translation key.
pub async fn indicators(
    token: &str,
    period: &latarnia_core::indicators::Period,
) -> Result<latarnia_core::indicators::Indicators, usize> {
    let mut url = format!("/api/v1/indicators?from={}&to={}", period.from, period.to);
    if let Some(m) = &period.member {
        url.push_str(&format!("&member={}", js_sys::encode_uri_component(m)));
    }
    let deadline = Deadline::after(SHORT_MS);
    let r = within(Request::get(&url), &deadline).header("Authorization", &format!("Bearer {token}")).send().await;
    match answer::<latarnia_core::sync::IndicatorsAnswer>(r, deadline).await {
        Ok(a) => Ok(a.indicators),
        Err(TransportError::Offline | TransportError::Unavailable(_)) => Err(k::IND_SERVER_OFFLINE),
        Err(_) => Err(k::IND_SERVER_FAILED),
    }
}

/// Ends the session on the server (best effort: offline, it simply expires there).
pub async fn logout(token: &str) {
    let deadline = Deadline::after(SHORT_MS);
    let _ = within(Request::post("/api/v1/auth/logout"), &deadline)
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await;
}

/// The public list of an organisation's aid facilities (no sign-in), or why not as a
/// translation key (not public, offline, another answer).
pub async fn public_facilities(org: &str) -> Result<latarnia_core::facilities::PublicFacilities, usize> {
    let deadline = Deadline::after(SHORT_MS);
    let r = within(Request::get(&format!("/api/v1/public/facilities/{org}")), &deadline).send().await;
    match answer::<latarnia_core::facilities::PublicFacilities>(r, deadline).await {
        Ok(list) => Ok(list),
        Err(TransportError::Offline | TransportError::Unavailable(_)) => Err(k::PUBLIC_OFFLINE),
        Err(_) => Err(k::PUBLIC_NOT_FOUND),
    }
}
