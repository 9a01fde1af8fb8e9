//! Latarnia's server: serves the built app (offline-first: the service worker takes it from
//! here once) and the `/api/v1` endpoints. `app()` builds the router apart from serving, so the
//! tests drive it directly or over a real socket.

pub mod config;
pub mod db;
pub mod error;
pub mod http;

use std::sync::Arc;

use axum::Router;

pub use config::Config;
pub use db::Database;
pub use error::AppError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Arc<Database>,
    pub shell: Arc<http::static_files::Shell>,
}

pub fn app(state: AppState) -> Router {
    http::router(state)
}

/// Serves `app` on `listener` until ctrl-c / SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
