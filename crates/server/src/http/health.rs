use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use latarnia_core::sync::{Health, SCHEMA_VERSION};

use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

/// The server is up and its database answers.
#[utoipa::path(get, path = "/health", security(()),
    responses(
        (status = 200, description = "Up", body = Health),
        (status = 503, description = "The database does not answer"),
    ))]
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    state.db.ping().await?;
    Ok(Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into(), protocol: SCHEMA_VERSION }))
}
