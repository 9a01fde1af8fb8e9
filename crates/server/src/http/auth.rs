//! `POST /auth/login`, `POST /auth/logout`, `GET /me` (docs/protocol.md, Auth).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Extension;
use axum::{Json, Router};
use latarnia_core::sync::{LoginRequest, LoginResponse, User};

use crate::auth::{
    decoy_hash, new_token, verify_password, Authed, MAX_LOGIN_CHARS, MAX_PASSWORD_BYTES, TOKEN_LIFETIME,
};
use crate::error::ApiJson;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/auth/login", post(login)).route("/auth/logout", post(logout)).route("/me", get(me))
}

/// The client's address: the connection's, or behind a trusted reverse proxy the last entry of
/// the header it writes (`NetSettings::client_ip_header`).
fn client_ip(state: &AppState, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<IpAddr> {
    if let Some(name) = &state.net.client_ip_header {
        let named = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .next_back();
        if named.is_some() {
            return named;
        }
    }
    peer.map(|p| p.ip())
}

/// Sign in: a session token for this device.
#[utoipa::path(post, path = "/auth/login", security(()), request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, description = "A body missing or not understood (the message names it)"),
        (status = 401, description = "Wrong login or password (the same answer for both)"),
        (status = 429, description = "Too many attempts; wait a few minutes"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, AppError> {
    let login = req.login.trim();
    // No login is longer (`user add` refuses them): refused before it is counted or looked up.
    if login.chars().count() > MAX_LOGIN_CHARS || req.password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::BadLogin);
    }
    if !state.limiter.allow(login, client_ip(&state, &headers, peer.map(|p| p.0 .0))) {
        return Err(AppError::TooManyAttempts);
    }
    let account = state.db.account(login).await?;
    let hash = account.as_ref().map_or_else(|| decoy_hash().to_owned(), |a| a.password_hash.clone());
    let password = req.password;
    let _permit = state.hashing.acquire().await.map_err(|e| AppError::Internal(e.to_string()))?;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let account = match account {
        Some(a) if ok && !a.disabled => a,
        _ => return Err(AppError::BadLogin),
    };
    state.limiter.reset(login);
    let (token, token_hash) = new_token();
    let expires_at = chrono::Utc::now() + TOKEN_LIFETIME;
    let device: String = req.device_name.chars().take(100).collect();
    state.db.token_add(&token_hash, account.user.id, &device, expires_at.timestamp_millis()).await?;
    let device_key = match req.client_id {
        Some(client) => {
            let fresh = hex::encode(crate::auth::random_bytes::<32>());
            Some(state.db.device_key(account.user.id, client, &fresh).await?)
        }
        None => None,
    };
    tracing::info!(login = %account.user.login, device = %device, "signed in");
    let phone = state.db.phone_settings(account.user.org_id).await?;
    Ok(Json(LoginResponse { token, expires_at, user: account.user, device_key, phone }))
}

/// Sign out: this session's token stops working.
#[utoipa::path(post, path = "/auth/logout",
    responses((status = 204, description = "Signed out"), (status = 401, description = "No valid session")))]
pub async fn logout(State(state): State<AppState>, authed: Authed) -> Result<StatusCode, AppError> {
    state.db.token_revoke(&authed.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/me",
    responses((status = 200, description = "The user", body = User), (status = 401, description = "No valid session")))]
pub async fn me(authed: Authed) -> Json<User> {
    Json(authed.user)
}
