//! The one error type of the HTTP layer: `{ "error", "message" }` (docs/protocol.md), internals logged
//! and never shown.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use latarnia_core::sync::ApiError;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("unauthorized")]
    Unauthorized,
    /// The organisation withdrew this device (`token revoke`, `user disable`): the phone
    /// erases what it holds.
    #[error("revoked")]
    Revoked,
    #[error("wrong login or password")]
    BadLogin,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("too many attempts")]
    TooManyAttempts,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("too large")]
    TooLarge,
    #[error("unsupported schema version")]
    UpgradeRequired,
    #[error("cursor reset")]
    CursorReset,
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        let (status, code, message) = match self {
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found", "No such resource."),
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "Sign in first (no valid session)."),
            AppError::Revoked => {
                (StatusCode::UNAUTHORIZED, "revoked", "This device's access was withdrawn; erase its data.")
            }
            AppError::BadLogin => (StatusCode::UNAUTHORIZED, "bad_login", "Wrong login or password."),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Your account may not do this."),
            AppError::TooManyAttempts => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", "Too many attempts; wait a few minutes.")
            }
            AppError::BadRequest(m) => return (StatusCode::BAD_REQUEST, "bad_request", m.clone()),
            AppError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", "The request is too large."),
            AppError::UpgradeRequired => {
                (StatusCode::UPGRADE_REQUIRED, "upgrade_required", "This app version is too old or too new; update it.")
            }
            AppError::CursorReset => (
                StatusCode::CONFLICT,
                "cursor_reset",
                "The server's data changed (restored); pull again from the start.",
            ),
            AppError::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "The server is busy; nothing was applied, try again.")
            }
            AppError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong on the server.")
            }
        };
        (status, code, message.to_owned())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy(m) => AppError::Unavailable(m),
            StoreError::Forbidden(what) => AppError::Forbidden(what),
            StoreError::NotFound => AppError::NotFound,
            StoreError::CursorReset => AppError::CursorReset,
            StoreError::Conflict | StoreError::Failed(_) => AppError::Internal(e.to_string()),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(e: JsonRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge
        } else {
            // serde's message names the field and the problem, never anything internal.
            AppError::BadRequest(e.body_text())
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(e: QueryRejection) -> Self {
        AppError::BadRequest(e.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(e: PathRejection) -> Self {
        AppError::BadRequest(e.body_text())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        (status, Json(ApiError::new(code, message))).into_response()
    }
}

/// `Json` whose rejections are `AppError`s (the JSON error shape, 413 past the body limit).
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

/// `Path` whose rejections are `AppError`s.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

/// `Query` whose rejections are `AppError`s.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);
