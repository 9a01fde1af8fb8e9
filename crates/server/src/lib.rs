//! Latarnia's server: serves the built app (offline-first: the service worker takes it from
//! here once) and the `/api/v1` endpoints. `app()` builds the router apart from serving, so the
//! tests drive it directly or over a real socket.

pub mod admin;
pub mod auth;
pub mod config;
pub mod error;
pub mod http;
pub mod store;

use std::sync::Arc;

use axum::Router;

pub use config::Config;
pub use error::AppError;
pub use store::{Db, Storage};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub shell: Arc<http::static_files::Shell>,
    pub limiter: Arc<auth::LoginLimiter>,
    /// Password checks running at once (argon2 takes memory and a core each).
    pub hashing: Arc<tokio::sync::Semaphore>,
    pub net: Arc<NetSettings>,
    pub access: Arc<AccessLog>,
}

/// Pulls noted for the access log, written together every [`AccessLog::EVERY`] (a write of
/// its own per pull would cost every pull a disk flush). A crash loses at most that last moment
/// of the log, never data; reading the log writes what is waiting first.
#[derive(Default)]
pub struct AccessLog {
    waiting: std::sync::Mutex<Vec<store::AccessRow>>,
    /// One writer at a time, so the log keeps its order.
    writing: tokio::sync::Mutex<()>,
}

impl AccessLog {
    pub const EVERY: std::time::Duration = std::time::Duration::from_millis(500);

    pub fn note(&self, row: store::AccessRow) {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner()).push(row);
    }

    /// Writes what is waiting.
    pub async fn flush(&self, db: &Db) -> Result<(), store::StoreError> {
        let _turn = self.writing.lock().await;
        let rows = std::mem::take(&mut *self.waiting.lock().unwrap_or_else(|p| p.into_inner()));
        if rows.is_empty() {
            return Ok(());
        }
        db.access_log_add(rows).await
    }
}

/// How the server sits on the network (from `Config`).
#[derive(Debug, Clone, Default)]
pub struct NetSettings {
    /// Send `Strict-Transport-Security` (only behind TLS).
    pub hsts: bool,
    /// The header in which a trusted reverse proxy names the client's address
    /// (`X-Forwarded-For`: its last entry, the one the proxy added).
    pub client_ip_header: Option<axum::http::HeaderName>,
}

/// At most this many password checks at once.
pub const CONCURRENT_HASHES: usize = 4;

impl AppState {
    pub fn new(db: Db, shell: http::static_files::Shell) -> Self {
        AppState {
            db,
            shell: Arc::new(shell),
            limiter: Arc::new(auth::LoginLimiter::default()),
            hashing: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_HASHES)),
            net: Arc::new(NetSettings::default()),
            access: Arc::new(AccessLog::default()),
        }
        .writing_the_access_log()
    }

    /// Starts the task that writes the access log (it ends with the last handle to the log).
    fn writing_the_access_log(self) -> Self {
        let (log, db) = (Arc::downgrade(&self.access), self.db.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                loop {
                    tokio::time::sleep(AccessLog::EVERY).await;
                    let Some(log) = log.upgrade() else { return };
                    if let Err(e) = log.flush(&db).await {
                        tracing::error!(error = %e, "the access log could not be written");
                    }
                }
            });
        }
        self
    }

    pub fn with_net(mut self, net: NetSettings) -> Self {
        self.net = Arc::new(net);
        self
    }
}

pub fn app(state: AppState) -> Router {
    http::router(state)
}

/// Serves `app` on `listener` until ctrl-c / SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
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
