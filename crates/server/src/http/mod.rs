//! The routes: one module per resource, merged here, with the security headers on everything.

pub mod audit;
pub mod auth;
pub mod counts;
pub mod health;
pub mod history;
pub mod indicators;
pub mod map_config;
pub mod openapi;
pub mod privacy;
pub mod public;
pub mod security;
pub mod static_files;
pub mod sync;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use axum::Router;
use latarnia_core::sync::MAX_PUSH_BYTES;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;

use crate::{AppError, AppState};

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(health::router())
        .merge(map_config::router())
        .merge(auth::router())
        .merge(sync::router())
        .merge(audit::router())
        .merge(indicators::router())
        .merge(counts::router())
        .merge(history::router())
        .merge(privacy::router())
        .merge(public::router())
        .merge(openapi::router())
        .fallback(|| async { AppError::NotFound })
        .layer(DefaultBodyLimit::max(MAX_PUSH_BYTES));
    let routes = Router::new()
        .nest("/api/v1", api)
        .merge(static_files::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::headers))
        .layer(trace());
    guarded(routes).with_state(state)
}

/// A span per request with its method and path — never its query, headers or body (tokens,
/// cursors and a person's data stay out of the logs) — and its status and time at the end.
/// Shown with `RUST_LOG=latarnia_server=debug,tower_http=debug`.
type Trace = TraceLayer<SharedClassifier<ServerErrorsAsFailures>, fn(&Request<Body>) -> tracing::Span>;

fn trace() -> Trace {
    fn span(r: &Request<Body>) -> tracing::Span {
        tracing::debug_span!("request", method = %r.method(), path = %r.uri().path())
    }
    TraceLayer::new_for_http().make_span_with(span as fn(&_) -> _)
}

/// A page size from the query: `default` when absent, else from 1 to `max` (anything else is a
/// `400` naming the range, as the API document says).
pub fn page_limit(given: Option<u32>, default: u32, max: u32) -> Result<u32, AppError> {
    match given {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(AppError::BadRequest(format!("`limit` is from 1 to {max}."))),
    }
}

/// A panic in a handler answers `500 internal` and the server keeps serving (the server's
/// build unwinds; see Cargo.toml).
pub fn guarded<S: Clone + Send + Sync + 'static>(routes: Router<S>) -> Router<S> {
    routes.layer(tower_http::catch_panic::CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
        axum::response::IntoResponse::into_response(AppError::Internal("a handler panicked".into()))
    }))
}
