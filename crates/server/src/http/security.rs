//! Security headers on every response. The CSP allows only the app's own origin, plus the
//! inline scripts and styles of index.html (the app's start, the first frame's), by their
//! hashes, and the configured map
//! tile server for images (and for the service worker's fetch of them).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

pub fn content_security_policy(script_hashes: &[String], style_hashes: &[String], tile_origin: &str) -> String {
    let quoted = |hashes: &[String]| hashes.iter().map(|h| format!(" '{h}'")).collect::<String>();
    let (scripts, styles) = (quoted(script_hashes), quoted(style_hashes));
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{scripts}; style-src 'self'{styles}; \
         img-src 'self' data: {tile_origin}; connect-src 'self' {tile_origin}; font-src 'self'; manifest-src 'self'; worker-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if api && !h.contains_key(header::CACHE_CONTROL) {
        // A pull's JSON must never land in the browser's HTTP cache, where a sign-out does not
        // reach it. (Only the public list of facilities says otherwise: nothing private.)
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.net.hsts {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    if let Ok(csp) = HeaderValue::from_str(&state.shell.csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("geolocation=(self), camera=(), microphone=(), payment=()"),
    );
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    response
}
