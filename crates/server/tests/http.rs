//! The server through HTTP: via the router (`oneshot`) and over a real socket.

use std::path::Path;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use latarnia_core::map::MapSettings;
use latarnia_server::http::static_files::{inline_script_hashes, inline_style_hashes, Shell};
use latarnia_server::{app, store, AppState};
use tower::ServiceExt;

const INDEX: &str = r#"<!DOCTYPE html><html><head><style>body{margin:0}</style><script src="/boot.js"></script>
<script type="module">import init from '/latarnia-0123456789abcdef.js'; init();</script></head><body></body></html>"#;

async fn fixture() -> (tempfile::TempDir, AppState) {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    std::fs::create_dir_all(dist.join("icons")).unwrap();
    std::fs::write(dist.join("index.html"), INDEX).unwrap();
    std::fs::write(dist.join("latarnia-0123456789abcdef.js"), "export default function init() {}").unwrap();
    std::fs::write(dist.join("latarnia-0123456789abcdef_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dist.join("sw.js"), "self.addEventListener('fetch', () => {});").unwrap();
    std::fs::write(dist.join("icons/icon-192.png"), b"\x89PNG").unwrap();
    let db = store::open(&tmp.path().join("data"), "").await.unwrap();
    let state = AppState::new(db, Shell::load(&dist, MapSettings::default()));
    (tmp, state)
}

async fn get(state: &AppState, uri: &str) -> axum::response::Response {
    app(state.clone()).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap()
}

fn header_of(r: &axum::response::Response, name: header::HeaderName) -> &str {
    r.headers().get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
}

async fn body_text(r: axum::response::Response) -> String {
    String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

#[tokio::test]
async fn health_answers_with_the_database_checked() {
    let (_tmp, state) = fixture().await;
    let r = get(&state, "/api/v1/health").await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: latarnia_core::sync::Health = serde_json::from_str(&body_text(r).await).unwrap();
    assert_eq!(v.status, "ok");
    assert_eq!(v.protocol, latarnia_core::sync::SCHEMA_VERSION);
    assert_eq!(v.version, env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn unknown_api_paths_are_json_errors_not_the_app() {
    let (_tmp, state) = fixture().await;
    let r = get(&state, "/api/v1/nothing-here").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(header_of(&r, header::CONTENT_TYPE).starts_with("application/json"));
    let v: serde_json::Value = serde_json::from_str(&body_text(r).await).unwrap();
    assert_eq!(v["error"], "not_found");
    assert!(v["message"].is_string());
}

#[tokio::test]
async fn the_shell_and_service_worker_are_never_cached_hashed_assets_forever() {
    let (_tmp, state) = fixture().await;
    for uri in ["/", "/index.html", "/sw.js", "/icons/icon-192.png"] {
        let r = get(&state, uri).await;
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
        assert_eq!(header_of(&r, header::CACHE_CONTROL), "no-cache", "{uri}");
    }
    for uri in ["/latarnia-0123456789abcdef.js", "/latarnia-0123456789abcdef_bg.wasm"] {
        let r = get(&state, uri).await;
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
        assert_eq!(header_of(&r, header::CACHE_CONTROL), "public, max-age=31536000, immutable", "{uri}");
    }
    let wasm = get(&state, "/latarnia-0123456789abcdef_bg.wasm").await;
    assert_eq!(header_of(&wasm, header::CONTENT_TYPE), "application/wasm");
}

#[tokio::test]
async fn the_build_s_compressed_copies_are_sent_to_browsers_that_accept_them() {
    let (tmp, state) = fixture().await;
    let wasm = "latarnia-0123456789abcdef_bg.wasm";
    let dist = tmp.path().join("dist");
    let plain = std::fs::read(dist.join(wasm)).unwrap();
    std::fs::write(dist.join(format!("{wasm}.br")), b"brotli bytes").unwrap();
    std::fs::write(dist.join(format!("{wasm}.gz")), b"gzip bytes").unwrap();
    let fetch = |accept: &'static str| {
        let state = state.clone();
        async move {
            let req =
                Request::get(format!("/{wasm}")).header(header::ACCEPT_ENCODING, accept).body(Body::empty()).unwrap();
            app(state).oneshot(req).await.unwrap()
        }
    };
    for (accept, encoding, body) in [
        ("gzip, deflate, br, zstd", "br", &b"brotli bytes"[..]),
        ("gzip, deflate", "gzip", b"gzip bytes"),
        ("identity", "", &plain),
    ] {
        let r = fetch(accept).await;
        assert_eq!(r.status(), StatusCode::OK, "{accept}");
        assert_eq!(header_of(&r, header::CONTENT_ENCODING), encoding, "{accept}");
        assert_eq!(header_of(&r, header::CONTENT_TYPE), "application/wasm", "{accept}");
        assert_eq!(header_of(&r, header::CACHE_CONTROL), "public, max-age=31536000, immutable", "{accept}");
        assert!(header_of(&r, header::VARY).to_ascii_lowercase().contains("accept-encoding"), "{accept}");
        assert_eq!(&r.into_body().collect().await.unwrap().to_bytes()[..], body, "{accept}");
    }
    // The service worker changes under its name: a stale copy beside it is never sent.
    std::fs::write(dist.join("sw.js.br"), b"an older service worker").unwrap();
    let req = Request::get("/sw.js").header(header::ACCEPT_ENCODING, "br").body(Body::empty()).unwrap();
    let r = app(state.clone()).oneshot(req).await.unwrap();
    assert_ne!(header_of(&r, header::CONTENT_ENCODING), "br");
    assert_eq!(body_text(r).await, std::fs::read_to_string(dist.join("sw.js")).unwrap());
}

#[tokio::test]
async fn the_page_goes_in_brotli_to_a_browser_that_takes_it_and_reads_the_same() {
    let (_tmp, state) = fixture().await;
    for uri in ["/", "/index.html", "/contacts/new"] {
        for (accept, encoding) in [("gzip, deflate, br, zstd", "br"), ("gzip, br;q=0", "gzip"), ("identity", "")] {
            let req = Request::get(uri).header(header::ACCEPT_ENCODING, accept).body(Body::empty()).unwrap();
            let r = app(state.clone()).oneshot(req).await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{uri} {accept}");
            assert_eq!(header_of(&r, header::CONTENT_ENCODING), encoding, "{uri} {accept}");
            assert_eq!(header_of(&r, header::CACHE_CONTROL), "no-cache", "{uri} {accept}");
            assert!(header_of(&r, header::VARY).to_ascii_lowercase().contains("accept-encoding"), "{uri} {accept}");
            let bytes = r.into_body().collect().await.unwrap().to_bytes();
            let text = match encoding {
                "br" => {
                    let mut out = Vec::new();
                    brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
                    String::from_utf8(out).unwrap()
                }
                "gzip" => {
                    assert_ne!(&bytes[..], INDEX.as_bytes(), "{uri}: compressed");
                    continue;
                }
                _ => String::from_utf8(bytes.to_vec()).unwrap(),
            };
            assert_eq!(text, INDEX, "{uri} {accept}");
        }
    }
}

#[tokio::test]
async fn app_routes_fall_back_to_the_shell_missing_files_do_not() {
    let (_tmp, state) = fixture().await;
    for uri in ["/contacts", "/contacts/new", "/patrols/7d3c7a8e-2f0b-4a4e-9d0e-1b2c3d4e5f60", "/settings"] {
        let r = get(&state, uri).await;
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
        assert!(body_text(r).await.contains("type=\"module\""), "{uri} serves index.html");
    }
    assert_eq!(get(&state, "/missing.js").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&state, "/../Cargo.toml").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let (_tmp, state) = fixture().await;
    let hash = &inline_script_hashes(INDEX)[0];
    let style = &inline_style_hashes(INDEX)[0];
    for uri in ["/", "/api/v1/health", "/api/v1/nope", "/sw.js"] {
        let r = get(&state, uri).await;
        let csp = header_of(&r, header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("default-src 'self'"), "{uri}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}");
        assert!(csp.contains(&format!("'{hash}'")), "{uri}: the inline bootstrap is allowed by hash");
        assert!(csp.contains(&format!("style-src 'self' '{style}'")), "{uri}: the inline styles by theirs");
        assert!(csp.contains("'wasm-unsafe-eval'"), "{uri}");
        assert!(!csp.contains("unsafe-inline"), "{uri}");
        assert_eq!(header_of(&r, header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{uri}");
        assert_eq!(header_of(&r, header::REFERRER_POLICY), "no-referrer", "{uri}");
    }
}

#[tokio::test]
async fn the_csp_allows_the_configured_tile_server_and_no_other() {
    let tmp = tempfile::tempdir().unwrap();
    let db = store::open(tmp.path(), "").await.unwrap();
    let tiles = MapSettings::new("https://{s}.tiles.example.org/{z}/{x}/{y}.png", "&copy; Example").unwrap();
    let state = AppState::new(db, Shell::load(Path::new("/nonexistent"), tiles));
    let r = get(&state, "/api/v1/config").await;
    assert_eq!(r.status(), StatusCode::OK, "no sign-in needed: nothing private");
    let csp = header_of(&r, header::CONTENT_SECURITY_POLICY);
    assert!(csp.contains("img-src 'self' data: https://*.tiles.example.org;"), "{csp}");
    assert!(csp.contains("connect-src 'self' https://*.tiles.example.org;"), "{csp}");
    assert!(!csp.contains("openstreetmap"), "only the configured server: {csp}");
    let body: serde_json::Value = serde_json::from_str(&body_text(r).await).unwrap();
    assert_eq!(body["tile_url"], "https://{s}.tiles.example.org/{z}/{x}/{y}.png");
    assert_eq!(body["tile_attribution"], "&copy; Example");
    assert_eq!(body["duplicate_radius_m"], 30.0, "the default radius");

    let (_tmp, state) = fixture().await;
    let r = get(&state, "/").await;
    let csp = header_of(&r, header::CONTENT_SECURITY_POLICY);
    assert!(csp.contains("img-src 'self' data: https://tile.openstreetmap.org;"), "OpenStreetMap by default: {csp}");
}

#[tokio::test]
async fn without_a_build_the_api_still_works_and_the_page_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let db = store::open(tmp.path(), "").await.unwrap();
    let state = AppState::new(db, Shell::load(Path::new("/nonexistent"), MapSettings::default()));
    assert_eq!(get(&state, "/api/v1/health").await.status(), StatusCode::OK);
    let r = get(&state, "/").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(body_text(r).await.contains("cargo xtask run"));
}

#[tokio::test]
async fn serves_over_a_real_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_tmp, state) = fixture().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(latarnia_server::serve(listener, app(state)));
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("\"status\":\"ok\""), "{out}");
    server.abort();
}
