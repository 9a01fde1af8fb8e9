//! The routes: one module per resource, merged here, with the security headers on everything.

pub mod health;
pub mod security;
pub mod static_files;

use axum::Router;

use crate::{AppError, AppState};

pub fn router(state: AppState) -> Router {
    let api = Router::new().merge(health::router()).fallback(|| async { AppError::NotFound });
    Router::new()
        .nest("/api/v1", api)
        .merge(static_files::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::headers))
        .with_state(state)
}
