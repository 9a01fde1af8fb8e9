//! `GET /audit/{collection}/{id}`: the log of one record's mutations, for admins.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use latarnia_core::sync::Role;
use uuid::Uuid;

use crate::auth::Authed;
use crate::store::AuditEntry;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/audit/{collection}/{id}", get(audit))
}

async fn audit(
    State(state): State<AppState>,
    authed: Authed,
    Path((collection, id)): Path<(String, Uuid)>,
) -> Result<Json<Vec<AuditEntry>>, AppError> {
    if authed.user.role != Role::Admin {
        return Err(AppError::Forbidden("audit"));
    }
    Ok(Json(state.db.audit(authed.user.org_id, &collection, id).await?))
}
