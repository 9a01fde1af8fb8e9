//! `GET /history?collection=…&before=…[&site=…][&limit=…]`: a collection's records from before a
//! moment, newest first — what a phone shows past its field-sized window when it is online
//! (the history screen's "show older", a place's older visits). Records as a pull sends them,
//! cut to what the role may read.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use latarnia_core::sync::{readable, HistoryResponse, MAX_HISTORY_LIMIT};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Authed;
use crate::error::ApiQuery;
use crate::store::HistoryQuery;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/history", get(history))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Params {
    /// A collection with a history.
    #[param(value_type = String, pattern = "^(patrols|contacts|reports|forecasts|meal_runs)$")]
    collection: String,
    /// Records whose window moment (milliseconds since the epoch) is before this.
    before: i64,
    /// Only the records at this place.
    #[serde(default)]
    site: Option<Uuid>,
    /// Records per page (50 when absent).
    #[serde(default)]
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// The collections with a history (the others have no window moment).
const DATED: [&str; 5] = [
    latarnia_core::protocol::PATROLS,
    latarnia_core::protocol::CONTACTS,
    latarnia_core::protocol::REPORTS,
    latarnia_core::protocol::FORECASTS,
    latarnia_core::protocol::MEAL_RUNS,
];

/// Records from before the phone's window, newest first.
///
/// What a phone shows past its field-sized window when online: the history screen's older
/// contacts, a place's older visits. Records as a pull sends them, cut to what the role may read.
#[utoipa::path(get, path = "/history", params(Params),
    responses(
        (status = 200, description = "A page of older records", body = HistoryResponse),
        (status = 400, description = "A parameter missing or not understood (the message names it)"),
        (status = 401, description = "No valid session"),
        (status = 403, description = "The role does not read this collection"),
    ))]
pub async fn history(
    State(state): State<AppState>,
    authed: Authed,
    ApiQuery(p): ApiQuery<Params>,
) -> Result<Json<HistoryResponse>, AppError> {
    let Some(collection) = DATED.into_iter().find(|c| *c == p.collection) else {
        return Err(AppError::BadRequest(format!("`collection` is one of: {}.", DATED.join(", "))));
    };
    let role = authed.user.role;
    if !readable(role).contains(&collection) || latarnia_core::rules::row_scoped(role, collection) {
        return Err(AppError::Forbidden("history"));
    }
    let limit = super::page_limit(p.limit, 50, MAX_HISTORY_LIMIT)?;
    let query = HistoryQuery { collection: collection.into(), before_ms: p.before, site: p.site, limit: limit + 1 };
    let mut found: Vec<_> = state.db.history(&authed.user, &query).await?.iter().map(|c| c.parse()).collect();
    let has_more = found.len() > limit as usize;
    found.truncate(limit as usize);
    Ok(Json(HistoryResponse { changes: found, has_more }))
}
