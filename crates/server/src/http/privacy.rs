//! `GET /access-log` (admins: who pulled what, from which device, when) and `POST /erasure`
//! (coordinators and admins: a person's erasure request, GDPR art. 17).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use latarnia_core::sync::Role;
use serde::Deserialize;

use crate::auth::Authed;
use crate::error::{ApiJson, ApiQuery};
use crate::store::{run_job, AccessEntry, Job};
use crate::{AppError, AppState};
use latarnia_core::sync::{ErasureAnswer, ErasureRequest};

pub fn router() -> Router<AppState> {
    Router::new().route("/access-log", get(access_log)).route("/erasure", post(erasure))
}

/// The longest page of `GET /access-log`.
pub const MAX_ACCESS_LOG_LIMIT: u32 = 5_000;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    /// Entries (200 when absent).
    #[param(minimum = 1, maximum = 5000)]
    limit: Option<u32>,
}

/// The organisation's pulls, newest first: who, which device, when, how many records of each
/// collection. Admins.
#[utoipa::path(get, path = "/access-log", params(LogParams),
    responses(
        (status = 200, description = "Entries", body = Vec<AccessEntry>),
        (status = 400, description = "A parameter not understood (the message names it)"),
        (status = 401, description = "No valid session"),
        (status = 403, description = "Not an admin"),
    ))]
pub async fn access_log(
    State(state): State<AppState>,
    authed: Authed,
    ApiQuery(p): ApiQuery<LogParams>,
) -> Result<Json<Vec<AccessEntry>>, AppError> {
    if authed.user.role != Role::Admin {
        return Err(AppError::Forbidden("access-log"));
    }
    let limit = super::page_limit(p.limit, 200, MAX_ACCESS_LOG_LIMIT)?;
    state.access.flush(&state.db).await?;
    Ok(Json(state.db.access_log(authed.user.org_id, limit).await?))
}

/// Erase a person on request (GDPR art. 17): every contact with the pseudonym (case and spaces
/// ignored) loses its pseudonym and notes. Coordinators and admins.
#[utoipa::path(post, path = "/erasure", request_body = ErasureRequest,
    responses(
        (status = 200, description = "Erased", body = ErasureAnswer),
        (status = 400, description = "No pseudonym given, or a body not understood"),
        (status = 401, description = "No valid session"),
        (status = 403, description = "Not a coordinator or admin"),
    ))]
pub async fn erasure(
    State(state): State<AppState>,
    authed: Authed,
    ApiJson(req): ApiJson<ErasureRequest>,
) -> Result<Json<ErasureAnswer>, AppError> {
    if !matches!(authed.user.role, Role::Admin | Role::Coordinator) {
        return Err(AppError::Forbidden("erasure"));
    }
    if latarnia_core::retention::pseudonym_key(&req.pseudonym).is_empty() {
        return Err(AppError::BadRequest("Give the pseudonym to erase.".into()));
    }
    let now = chrono::Utc::now().timestamp_millis();
    let erased = run_job(&state.db, authed.user.org_id, &Job::Erase(req.pseudonym), now, false).await?;
    // The log keeps that an erasure happened and how many records; never the pseudonym.
    tracing::info!(org = %authed.user.org_id, by = %authed.user.login, erased, "erasure on request");
    Ok(Json(ErasureAnswer { erased }))
}
