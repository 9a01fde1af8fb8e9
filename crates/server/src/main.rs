use std::sync::Arc;

use clap::Parser;
use latarnia_server::http::static_files::Shell;
use latarnia_server::{app, serve, AppState, Config, Database};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "latarnia_server=info".into()),
        )
        .init();
    let config = Config::parse();
    match run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("latarnia-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let db = Database::open(&config.data_dir, &config.database_url)?;
    let shell = Shell::load(&config.dist);
    if shell.index_html.is_none() {
        tracing::warn!(dist = %config.dist.display(), "the app is not built; serving the API only");
    }
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    println!("Latarnia is running at http://{addr}/  (database: {})", db.path().display());
    let state = AppState { db: Arc::new(db), shell: Arc::new(shell) };
    serve(listener, app(state)).await?;
    Ok(())
}
