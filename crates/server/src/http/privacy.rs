//! `GET /access-log` (admins: who pulled what, from which device, when) and `POST /erasure`
//! (coordinators and admins: a person's erasure request, GDPR art. 17).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use latarnia_core::sync::Role;
use serde::{Deserialize, Serialize};

use crate::auth::Authed;
use crate::error::{ApiJson, ApiQuery};
use crate::store::{run_job, AccessEntry, Job};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/access-log", get(access_log)).route("/erasure", post(erasure))
}

#[derive(Deserialize)]
struct LogParams {
    limit: Option<u32>,
}

async fn access_log(
    State(state): State<AppState>,
    authed: Authed,
    ApiQuery(p): ApiQuery<LogParams>,
) -> Result<Json<Vec<AccessEntry>>, AppError> {
    if authed.user.role != Role::Admin {
        return Err(AppError::Forbidden("access-log"));
    }
    state.access.flush(&state.db).await?;
    Ok(Json(state.db.access_log(authed.user.org_id, p.limit.unwrap_or(200).clamp(1, 5_000)).await?))
}

#[derive(Deserialize)]
pub struct ErasureRequest {
    pub pseudonym: String,
}

#[derive(Serialize)]
pub struct ErasureAnswer {
    /// Contacts whose pseudonym and notes were erased.
    pub erased: u64,
}

async fn erasure(
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
