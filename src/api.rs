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

/// How long a small request may take, its answer read whole (signing in, the map's settings,
/// an erasure, older history, a report computed on the server, the public list).
const SHORT_MS: u32 = 30_000;
/// A pull's page (2,000 changes at most, compressed: well under a minute on a weak 2G line).
const PULL_MS: u32 = 90_000;
/// A push: its base time and one more millisecond per 4 bytes sent (a 400 KB batch of 500
/// mutations gets 130 s: 4 KB/s up, a weak 2G line's).
const PUSH_MS: u32 = 30_000;

/// A request's deadline: it aborts the request, the reading of its answer too, unless it is
/// dropped first. A weak signal can leave a request hanging for many minutes with no error;
/// until it ends, no other sync starts. Aborted, it is `Offline`, and the sync tries again.
struct Deadline {
    controller: web_sys::AbortController,
    timer: Option<leptos::prelude::TimeoutHandle>,
}

impl Deadline {
    /// `None` where the browser has no `AbortController` (then the request has no deadline).
    fn after(ms: u32) -> Option<Deadline> {
        let controller = web_sys::AbortController::new().ok()?;
        let aborts = controller.clone();
        let timer = leptos::prelude::set_timeout_with_handle(
            move || aborts.abort(),
            std::time::Duration::from_millis(u64::from(ms)),
        )
        .ok();
        Some(Deadline { controller, timer })
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.clear();
        }
    }
}

/// A request builder with `deadline`'s signal (kept by the caller until the answer is read).
fn within(request: RequestBuilder, deadline: &Option<Deadline>) -> RequestBuilder {
    request.abort_signal(deadline.as_ref().map(|d| d.controller.signal()).as_ref())
}

/// An answer read as the protocol says (`latarnia_core::engine::decode`): no network is
/// `Offline`, an answer that is not the protocol's is `BadAnswer`, never "offline". Whether it
/// reached the server is reported (`report_reach_to`).
async fn answer<T: serde::de::DeserializeOwned>(r: Result<Response, gloo_net::Error>) -> Result<T, TransportError> {
    let read = read_answer(r).await;
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
) -> Result<T, TransportError> {
    let r = r.map_err(|_| TransportError::Offline)?;
    let status = r.status();
    // A body cut off by a dropped connection is the network's failure.
    let body = r.text().await.map_err(|_| TransportError::Offline)?;
    decode(status, &body)
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
        let r = answer(r).await;
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
        let r = answer::<PullResponse<RawChange>>(
            within(Request::get(&url), &deadline)
                .header("Authorization", &format!("Bearer {}", self.token))
                .send()
                .await,
        )
        .await;
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
    match answer(r).await {
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
    if let Ok(c) = answer::<latarnia_core::map::MapSettings>(r).await {
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
    match answer::<latarnia_core::sync::ErasureAnswer>(r).await {
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
    match answer::<latarnia_core::sync::HistoryResponse>(r).await {
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
    match answer::<latarnia_core::sync::IndicatorsAnswer>(r).await {
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
    match answer::<latarnia_core::facilities::PublicFacilities>(r).await {
        Ok(list) => Ok(list),
        Err(TransportError::Offline | TransportError::Unavailable(_)) => Err(k::PUBLIC_OFFLINE),
        Err(_) => Err(k::PUBLIC_NOT_FOUND),
    }
}
