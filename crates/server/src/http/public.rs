//! `GET /public/facilities/{org}`: the organisation's aid facilities without sign-in, when it
//! has switched the list on (`latarnia-server org public-facilities`) — the poster of the Łódź
//! partnership, linkable from the city's website: names, types, addresses, hours, phones and
//! whom each takes. Never beds, holds, accounts or anything of a person.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use latarnia_core::facilities::{public_list, Facility, PublicFacilities};
use latarnia_core::protocol::{stored_record, FACILITIES};
use uuid::Uuid;

use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/public/facilities/{org}", get(public_facilities))
}

/// The organisation's aid facilities, by type and name, when it shows them publicly.
#[utoipa::path(get, path = "/public/facilities/{org}", security(()),
    params(("org" = Uuid, Path, description = "The organisation (its id, as `org public-facilities` prints it)")),
    responses(
        (status = 200, description = "The public list", body = PublicFacilities),
        (status = 400, description = "The id is not a UUID"),
        (status = 404, description = "No such organisation, or its list is not public"),
    ))]
pub async fn public_facilities(
    State(state): State<AppState>,
    Path(org): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let org = Uuid::parse_str(&org).map_err(|_| AppError::BadRequest("The organisation's id is not a UUID.".into()))?;
    if !state.db.org_public_facilities(org).await? {
        return Err(AppError::NotFound);
    }
    let facilities: Vec<Facility> = state
        .db
        .live_records(org, FACILITIES)
        .await?
        .into_iter()
        .filter_map(|(id, fields)| stored_record(&fields, &id))
        .collect();
    // Public and the same for everyone: a city's website may send many readers at once.
    Ok(([(header::CACHE_CONTROL, "public, max-age=300")], Json(public_list(&facilities))))
}
