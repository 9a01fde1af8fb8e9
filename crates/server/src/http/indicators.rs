//! `GET /indicators?from=YYYY-MM-DD&to=YYYY-MM-DD[&member=…]`: the report's indicator table
//! over the organisation's records, computed by the same function the app runs offline. For
//! coordinators and admins.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use latarnia_core::indicators::{compute, Indicators, Period};
use latarnia_core::sync::Role;
use serde::{Deserialize, Serialize};

use crate::auth::Authed;
use crate::error::ApiQuery;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/indicators", get(indicators))
}

#[derive(Deserialize)]
struct Params {
    from: String,
    to: String,
    #[serde(default)]
    member: Option<String>,
}

/// The answer: the period as understood, and the table.
#[derive(Serialize)]
pub struct IndicatorsAnswer {
    pub period: Period,
    pub indicators: Indicators,
}

async fn indicators(
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
