//! `GET /indicators?from=YYYY-MM-DD&to=YYYY-MM-DD[&member=…]`: the report's indicator table
//! over the organisation's records, computed by the same function the app runs offline. For
//! coordinators and admins.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use latarnia_core::indicators::{compute, Period};
use latarnia_core::sync::IndicatorsAnswer;
use latarnia_core::sync::Role;
use serde::Deserialize;

use crate::auth::Authed;
use crate::error::ApiQuery;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/indicators", get(indicators))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Params {
    /// The first day, YYYY-MM-DD.
    #[param(value_type = chrono::NaiveDate)]
    from: String,
    /// The last day, YYYY-MM-DD: not before `from`, at most ten years after it.
    #[param(value_type = chrono::NaiveDate)]
    to: String,
    /// Only this team member's work (their login).
    #[serde(default)]
    member: Option<String>,
}

/// The report's indicator table over the organisation's records, computed by the same
/// function the app runs offline. Coordinators and admins.
#[utoipa::path(get, path = "/indicators", params(Params),
    responses(
        (status = 200, description = "The period as understood, and the table", body = IndicatorsAnswer),
        (status = 400, description = "A date missing or not understood, `to` before `from`, or longer than ten years"),
        (status = 401, description = "No valid session"),
        (status = 403, description = "Not a coordinator or admin"),
    ))]
pub async fn indicators(
    State(state): State<AppState>,
    authed: Authed,
    ApiQuery(p): ApiQuery<Params>,
) -> Result<Json<IndicatorsAnswer>, AppError> {
    if !matches!(authed.user.role, Role::Admin | Role::Coordinator) {
        return Err(AppError::Forbidden("indicators"));
    }
    let period = Period::parse(&p.from, &p.to, p.member).map_err(|e| {
        AppError::BadRequest(match e.code_for("from").or(e.code_for("to")) {
            Some("period_order") => "The period ends before it starts (`to` is before `from`).".into(),
            Some("period_too_long") => "The period is longer than ten years.".into(),
            _ => "Give `from` and `to` as dates, YYYY-MM-DD.".into(),
        })
    })?;
    let dataset = state.db.indicator_records(authed.user.org_id).await?;
    let answer = tokio::task::spawn_blocking(move || {
        let indicators = compute(&dataset, &period);
        IndicatorsAnswer { period, indicators }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Json(answer))
}
