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

/// Push the outbox: each mutation is answered applied, duplicate or rejected, in order.
///
/// A mutation that can never succeed (invalid field, forbidden, unknown collection, gone) is
/// answered `rejected` with a code and the rest still apply (docs/protocol.md, "Push").
#[utoipa::path(post, path = "/sync/push", request_body = PushRequest,
    responses(
        (status = 200, description = "Every mutation's result, in order", body = PushResponse),
        (status = 400, description = "A body not understood, or a `mid` of 0 (the message names it); nothing applied"),
        (status = 401, description = "No valid session, or this device's access was withdrawn (`revoked`)"),
        (status = 403, description = "The role may not push"),
        (status = 413, description = "More than 500 mutations or 1 MiB; nothing applied"),
        (status = 426, description = "`schema_version` is not the server's: update the app"),
        (status = 503, description = "Busy; nothing applied, retry"),
    ))]
pub async fn push(
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullParams {
    /// The phone's id (its own mutations are not sent back to it).
    client_id: Uuid,
    /// Where the last page ended; empty for the first pull.
    #[serde(default)]
    cursor: String,
    /// Changes per page (500 when absent).
    #[param(minimum = 1, maximum = 2000)]
    limit: Option<u32>,
    /// The phone keeps a field-sized window: only the records inside its role's window and
    /// open work are sent (docs/protocol.md, "The window"). An app that does not ask gets everything.
    #[serde(default)]
    window: bool,
    /// Each change's `field_hlcs` in the shared form: the HLC most fields share once, under
    /// the key `""`, and `""` for each field that has it (docs/protocol.md, "Compatible
    /// extensions"). An app that does not ask gets every field's HLC in full.
    #[serde(default)]
    compact: bool,
}

/// Pull the changes after a cursor, a page at a time.
#[utoipa::path(get, path = "/sync/pull", params(PullParams),
    responses(
        (status = 200, description = "A page of changes", body = PullResponse),
        (status = 400, description = "A parameter missing or not understood (the message names it)"),
        (status = 401, description = "No valid session, or this device's access was withdrawn (`revoked`)"),
        (status = 409, description = "`cursor_reset`: pull again from an empty cursor"),
        (status = 503, description = "Busy; retry"),
    ))]
pub async fn pull(
    State(state): State<AppState>,
    authed: Authed,
    ApiQuery(p): ApiQuery<PullParams>,
) -> Result<Json<PullResponse<StoredChange>>, AppError> {
    let epoch = state.db.epoch().await?;
    let after = parse_cursor(&p.cursor, &epoch).ok_or(AppError::CursorReset)?;
    let limit = super::page_limit(p.limit, DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT)?;
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
        user: authed.user.clone(),
        client_id: p.client_id,
        token_hash: authed.token_hash,
        counts,
        at_ms: now,
    });
    let mut page = page.into_response(&epoch, window);
    if !page.has_more {
        // Who the user is now (a new role, a new name) and the organisation's phone settings
        // reach the phone at every sync, not only at its next sign-in.
        let phone = state.db.phone_settings(authed.user.org_id).await?;
        page.account = Some(latarnia_core::sync::Account { user: authed.user, phone });
    }
    if p.compact {
        page.changes.iter_mut().for_each(crate::store::compact_hlcs);
    }
    Ok(Json(page))
}
