//! The built app: `index.html` and the service worker never cached (a new version must be
//! seen), content-hashed assets cached for good, and every app route answered with the shell.

use std::path::{Component, Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine as _;
use latarnia_core::assets::is_content_hashed;
use sha2::{Digest, Sha256};
use tower::ServiceExt as _;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeFile;

use super::security::content_security_policy;
use crate::AppState;
use latarnia_core::map::MapSettings;

const NO_CACHE: &str = "no-cache";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The app shell read once at start: `index.html`, the map's tile server and the CSP that
/// allows the inline scripts and styles and those tiles.
pub struct Shell {
    pub dist: PathBuf,
    pub index_html: Option<String>,
    /// `index_html` in Brotli, made once here: the page is the first thing a phone fetches on
    /// a slow line (9.5 KB against gzip's 11.1), and the build's own copies are only of the
    /// hashed assets.
    pub index_br: Option<axum::body::Bytes>,
    pub tiles: MapSettings,
    pub csp: String,
}

impl Shell {
    pub fn load(dist: &Path, tiles: MapSettings) -> Shell {
        let index_html = std::fs::read_to_string(dist.join("index.html")).ok();
        let scripts = index_html.as_deref().map(inline_script_hashes).unwrap_or_default();
        let styles = index_html.as_deref().map(inline_style_hashes).unwrap_or_default();
        // `MapSettings::new` checked the template; the default is OpenStreetMap's.
        let origin = tiles.origin().unwrap_or_default();
        let index_br = index_html.as_deref().and_then(brotli_of);
        Shell {
            dist: dist.to_owned(),
            csp: content_security_policy(&scripts, &styles, &origin),
            index_html,
            index_br,
            tiles,
        }
    }
}

/// `text` in Brotli at its best (once per start: the page is small).
fn brotli_of(text: &str) -> Option<axum::body::Bytes> {
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut text.as_bytes(), &mut out, &params).ok()?;
    Some(out.into())
}

/// Whether an `Accept-Encoding` value accepts Brotli (`br`, not `br;q=0`).
fn accepts_br(accept: &str) -> bool {
    accept.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        parts.next().is_some_and(|name| name.eq_ignore_ascii_case("br"))
            && parts.all(|p| p.strip_prefix("q=").is_none_or(|q| q.parse::<f32>().is_ok_and(|q| q > 0.0)))
    })
}

/// `sha256-…` of every inline `<script>` (the app's start, `boot.js`), for the CSP.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    inline_hashes(html, "script")
}

/// `sha256-…` of every inline `<style>` (the styles of the page's first frame), for the CSP.
pub fn inline_style_hashes(html: &str) -> Vec<String> {
    inline_hashes(html, "style")
}

/// `sha256-…` of the body of every `<tag>` element of `html` without a `src`.
fn inline_hashes(html: &str, tag: &str) -> Vec<String> {
    let (open, close_tag) = (format!("<{tag}"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let attributes = &after[..tag_end];
        let body_start = &after[tag_end + 1..];
        let Some(close) = body_start.find(&close_tag) else {
            break;
        };
        if !attributes.contains(" src=") {
            let digest = Sha256::digest(&body_start.as_bytes()[..close]);
            out.push(format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest)));
        }
        rest = &body_start[close..];
    }
    out
}

pub fn router() -> Router<AppState> {
    Router::new().fallback(serve).layer(CompressionLayer::new().gzip(true))
}

fn safe_relative(path: &str) -> Option<PathBuf> {
    let rel = Path::new(path.trim_start_matches('/'));
    rel.components().all(|c| matches!(c, Component::Normal(_))).then(|| rel.to_owned())
}

async fn serve(State(state): State<AppState>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = request.uri().path().to_owned();
    if path == "/" || path == "/index.html" {
        return index(&state, request.headers());
    }
    let Some(rel) = safe_relative(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let file = state.shell.dist.join(&rel);
    if file.is_file() {
        let hashed = is_content_hashed(&rel);
        let cache = if hashed { IMMUTABLE } else { NO_CACHE };
        // The build writes `.br` and `.gz` copies of the hashed assets (`xtask::bundle`): sent
        // as they are to a browser that accepts them. Anything else, and a file that changes
        // under its name (`sw.js`), is compressed per request: a copy could be older.
        let serve =
            if hashed { ServeFile::new(&file).precompressed_br().precompressed_gzip() } else { ServeFile::new(&file) };
        let mut response = match serve.oneshot(request).await {
            Ok(r) => r.map(Body::new),
            Err(never) => match never {},
        };
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        return response;
    }
    // App routes (no file extension) get the shell; the router in the app takes it from there.
    let last = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if last.contains('.') {
        StatusCode::NOT_FOUND.into_response()
    } else {
        index(&state, request.headers())
    }
}

/// The app's page; in Brotli to a browser whose `Accept-Encoding` takes it.
fn index(state: &AppState, request: &HeaderMap) -> Response {
    let Some(html) = &state.shell.index_html else {
        let page =
            "<!DOCTYPE html><title>Latarnia</title><p>The app is not built: run <code>cargo xtask run</code>.</p>";
        let headers = [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, NO_CACHE)];
        return (StatusCode::SERVICE_UNAVAILABLE, headers, page).into_response();
    };
    let accepts = request.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).is_some_and(accepts_br);
    let mut response = match state.shell.index_br.as_ref().filter(|_| accepts) {
        Some(br) => {
            let mut r = br.clone().into_response();
            r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
            r
        }
        None => html.clone().into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_not() {
        let html = r#"<script src="/boot.js"></script><script type="module">import x from '/a.js';</script>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"import x from '/a.js';"));
        assert_eq!(hashes[0], format!("sha256-{expected}"));
    }

    #[test]
    fn brotli_is_taken_when_accepted_and_not_refused() {
        for yes in ["br", "gzip, deflate, br, zstd", "gzip;q=1.0, BR;q=0.5", "br ; q=1"] {
            assert!(accepts_br(yes), "{yes}");
        }
        for no in ["", "gzip", "gzip, br;q=0", "brotli", "gzip;q=0.8, br;q=0.0", "br;q=x"] {
            assert!(!accepts_br(no), "{no}");
        }
    }

    #[test]
    fn inline_styles_are_hashed() {
        let html = r#"<link rel="stylesheet" href="/a.css"><style>body{margin:0}</style><script>x()</script>"#;
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"body{margin:0}"));
        assert_eq!(inline_style_hashes(html), vec![format!("sha256-{expected}")]);
        assert_eq!(inline_script_hashes(html).len(), 1);
    }

    #[test]
    fn paths_cannot_leave_the_dist_directory() {
        assert_eq!(safe_relative("/a/b.js"), Some(PathBuf::from("a/b.js")));
        assert_eq!(safe_relative("/../etc/passwd"), None);
        assert_eq!(safe_relative("/a/../../x"), None);
    }
}
