//! `GET /audit/{collection}/{id}`: the log of one record's mutations, for admins.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use latarnia_core::sync::Role;
use uuid::Uuid;

use crate::auth::Authed;
use crate::error::ApiPath;
use crate::store::AuditEntry;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/audit/{collection}/{id}", get(audit))
}

/// The log of one record's mutations (field names, never values). Admins.
#[utoipa::path(get, path = "/audit/{collection}/{id}",
    params(("collection" = String, Path, description = "The record's collection"), ("id" = Uuid, Path, description = "The record's id")),
    responses(
        (status = 200, description = "The record's mutations, oldest first", body = Vec<AuditEntry>),
        (status = 400, description = "An id that is not a UUID"),
        (status = 401, description = "No valid session"),
        (status = 403, description = "Not an admin"),
    ))]
pub async fn audit(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath((collection, id)): ApiPath<(String, Uuid)>,
) -> Result<Json<Vec<AuditEntry>>, AppError> {
    if authed.user.role != Role::Admin {
        return Err(AppError::Forbidden("audit"));
    }
    Ok(Json(state.db.audit(authed.user.org_id, &collection, id).await?))
}
