use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

/// `GET /api/v1/health`: the server is up and its database answers.
async fn health(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    state.db.ping().await?;
    Ok(Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION"), "protocol": 1 })))
}
