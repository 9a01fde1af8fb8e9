//! The request trace, alone in its own test binary: tracing caches which call sites a
//! subscriber wants process-wide, so another test's requests on another thread would race it.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use latarnia_core::map::MapSettings;
use latarnia_server::http::static_files::Shell;
use latarnia_server::{app, store, AppState};
use tower::ServiceExt;

/// Every request is traced with its method, path and status, and never with its query (a
/// cursor, a place, a person's pseudonym in a search) or its headers (the token).
#[tokio::test(flavor = "current_thread")]
async fn requests_are_traced_without_their_query_or_token() {
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let db = store::open(&tmp.path().join("data"), "").await.unwrap();
    let state = AppState::new(db, Shell::load(tmp.path(), MapSettings::default()));
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let r = app(state.clone())
        .oneshot(
            Request::get("/api/v1/history?collection=contacts&before=1&site=secret-place")
                .header(header::AUTHORIZATION, "Bearer secret-token")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("path=/api/v1/history"), "{log}");
    assert!(log.contains("status=401"), "{log}");
    assert!(!log.contains("secret"), "{log}");
}
