//! `POST /sync/push` and `GET /sync/pull` (docs/protocol.md).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use latarnia_core::sync::{
    parse_cursor, PullWindow, PushRequest, PushResponse, DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT, MAX_PUSH_MUTATIONS,
    SCHEMA_VERSION,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Authed;
use crate::error::{ApiJson, ApiQuery};
use crate::{AppError, AppState};
use latarnia_core::sync::{PullResponse, StoredChange};

pub fn router() -> Router<AppState> {
    Router::new().route("/sync/push", post(push)).route("/sync/pull", get(pull))
}

async fn push(
    State(state): State<AppState>,
    authed: Authed,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, AppError> {
    if req.schema_version != SCHEMA_VERSION {
        return Err(AppError::UpgradeRequired);
    }
    if req.mutations.len() > MAX_PUSH_MUTATIONS {
        return Err(AppError::TooLarge);
    }
    if let Some(why) = req.malformed() {
        return Err(AppError::BadRequest(why));
    }
    let now = chrono::Utc::now().timestamp_millis();
    Ok(Json(state.db.push(&authed.user, &req, now).await?))
}

#[derive(Deserialize)]
struct PullParams {
    client_id: Uuid,
    #[serde(default)]
    cursor: String,
    limit: Option<u32>,
    /// The phone keeps a field-sized window: send only what it holds (docs/protocol.md).
    #[serde(default)]
    window: bool,
}

async fn pull(
    State(state): State<AppState>,
    authed: Authed,
    ApiQuery(p): ApiQuery<PullParams>,
) -> Result<Json<PullResponse<StoredChange>>, AppError> {
    let epoch = state.db.epoch().await?;
    let after = parse_cursor(&p.cursor, &epoch).ok_or(AppError::CursorReset)?;
    let limit = p.limit.unwrap_or(DEFAULT_PULL_LIMIT).clamp(1, MAX_PULL_LIMIT);
    let now = chrono::Utc::now().timestamp_millis();
    let window = if p.window {
        let days = state.db.window_days(authed.user.org_id, authed.user.role).await?;
        Some(PullWindow { days, from_ms: latarnia_core::window::from_ms(days, now) })
    } else {
        None
    };
    let page = state.db.pull(&authed.user, p.client_id, after, limit, window.and_then(|w| w.from_ms)).await?;
    let mut counts = std::collections::BTreeMap::<&str, u64>::new();
    for c in &page.changes {
        *counts.entry(c.collection.as_str()).or_default() += 1;
    }
    let counts = serde_json::to_string(&counts).unwrap_or_default();
    state.access.note(crate::store::AccessRow {
        user: authed.user,
        client_id: p.client_id,
        token_hash: authed.token_hash,
        counts,
        at_ms: now,
    });
    Ok(Json(page.into_response(&epoch, window)))
}
