//! `GET /counts/{id}/table`: the gmina's table of one count (count night), summed on the
//! server from what every team's phone has sent, by the same function the coordinator's phone
//! runs offline. For coordinators and admins.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use latarnia_core::count::{table, Count, CountPerson, CountTableAnswer};
use latarnia_core::protocol::{stored_record, COUNTS, COUNT_PEOPLE};
use latarnia_core::sync::Role;
use uuid::Uuid;

use crate::auth::Authed;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/counts/{id}/table", get(count_table))
}

/// A stored record read as its type; `None` (logged) when it does not read — a newer app's
/// record or a damaged one is left out rather than failing the table.
fn read<T: serde::de::DeserializeOwned>(collection: &str, id: &str, fields: &str) -> Option<T> {
    let read = stored_record(fields, id);
    if read.is_none() {
        tracing::warn!(collection, id, "a stored record does not read as its type; left out of the count's table");
    }
    read
}

/// The gmina's table of one count: people counted (interviewed, observed), double counts left
/// out, age group by sex, every question's answers with counts and shares.
#[utoipa::path(get, path = "/counts/{id}/table", params(("id" = Uuid, Path, description = "The count")),
    responses(
        (status = 200, description = "The count's table", body = CountTableAnswer),
        (status = 400, description = "The id is not a UUID"),
        (status = 401, description = "No valid session"),
        (status = 403, description = "Not a coordinator or admin"),
        (status = 404, description = "No such count in the organisation"),
    ))]
pub async fn count_table(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<CountTableAnswer>, AppError> {
    if !matches!(authed.user.role, Role::Admin | Role::Coordinator) {
        return Err(AppError::Forbidden("counts"));
    }
    let id = Uuid::parse_str(&id).map_err(|_| AppError::BadRequest("The count's id is not a UUID.".into()))?;
    let org = authed.user.org_id;
    let wanted = id.to_string();
    let count: Count = state
        .db
        .live_records(org, COUNTS)
        .await?
        .into_iter()
        .find(|(i, _)| *i == wanted)
        .and_then(|(i, f)| read(COUNTS, &i, &f))
        .ok_or(AppError::NotFound)?;
    let rows = state.db.live_records(org, COUNT_PEOPLE).await?;
    let answer = tokio::task::spawn_blocking(move || {
        let people: Vec<CountPerson> = rows
            .iter()
            .filter_map(|(i, f)| read::<CountPerson>(COUNT_PEOPLE, i, f))
            .filter(|p| p.count_id == count.id)
            .collect();
        CountTableAnswer { count_id: count.id, name: count.name.clone(), table: table(&count.questionnaire, &people) }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Json(answer))
}
