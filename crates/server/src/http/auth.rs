//! `POST /auth/login`, `POST /auth/logout`, `GET /me` (SYNC.md, Auth).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Extension;
use axum::{Json, Router};
use latarnia_core::sync::{LoginRequest, LoginResponse, User};

use crate::auth::{decoy_hash, new_token, verify_password, Authed, TOKEN_LIFETIME};
use crate::error::ApiJson;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/auth/login", post(login)).route("/auth/logout", post(logout)).route("/me", get(me))
}

async fn login(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, AppError> {
    if !state.limiter.allow(&req.login, peer.map(|p| p.0 .0.ip())) {
        return Err(AppError::TooManyAttempts);
    }
    let account = state.db.account(req.login.trim()).await?;
    let hash = account.as_ref().map_or_else(|| decoy_hash().to_owned(), |a| a.password_hash.clone());
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let account = match account {
        Some(a) if ok && !a.disabled => a,
        _ => return Err(AppError::BadLogin),
    };
    state.limiter.reset(&req.login);
    let (token, token_hash) = new_token();
    let expires_at = chrono::Utc::now() + TOKEN_LIFETIME;
    let device: String = req.device_name.chars().take(100).collect();
    state.db.token_add(&token_hash, account.user.id, &device, expires_at.timestamp_millis()).await?;
    tracing::info!(login = %account.user.login, device = %device, "signed in");
    Ok(Json(LoginResponse { token, expires_at, user: account.user }))
}

async fn logout(State(state): State<AppState>, authed: Authed) -> Result<StatusCode, AppError> {
    state.db.token_revoke(&authed.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(authed: Authed) -> Json<User> {
    Json(authed.user)
}
