//! `GET /openapi.json`: the machine-readable twin of `docs/protocol.md`.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::auth::Authed;
use crate::AppState;

pub const OPENAPI: &str = include_str!("../../openapi.json");

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi))
}

async fn openapi(_authed: Authed) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
