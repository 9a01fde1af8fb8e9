//! The map's settings, the operator's (`--tile-url`, `--tile-attribution`,
//! `--duplicate-radius-m`), given to the app at `GET /api/v1/config`; the CSP allows the tile
//! server's origin and no other.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use latarnia_core::map::MapSettings;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/config", get(config))
}

/// The map's settings: tile server, attribution, duplicate radius (no sign-in: nothing private).
#[utoipa::path(get, path = "/config", security(()),
    responses((status = 200, description = "Map settings", body = MapSettings)))]
pub async fn config(State(state): State<AppState>) -> Json<MapSettings> {
    Json(state.shell.tiles.clone())
}
