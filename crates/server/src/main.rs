use clap::Parser;
use latarnia_core::map::MapSettings;
use latarnia_server::config::Cli;
use latarnia_server::http::static_files::Shell;
use latarnia_server::{admin, app, serve, store, AppState};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // The log on standard error: standard output is an admin command's answer (a CSV to save).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "latarnia_server=info".into()),
        )
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("latarnia-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let config = cli.config;
    let db = store::open(&config.data_dir, &config.database_url).await?;
    if let Some(command) = cli.command {
        let out = admin::run_with(&db, command, &mut std::io::stdin().lock(), config.trash_days).await?;
        println!("{out}");
        return Ok(());
    }
    let tiles = MapSettings::new(&config.tile_url, &config.tile_attribution)?
        .with_duplicate_radius(config.duplicate_radius_m)?;
    let net = config.net()?;
    let first = admin::bootstrap(&db).await?;
    let shell = Shell::load(&config.dist, tiles);
    if shell.index_html.is_none() {
        tracing::warn!(dist = %config.dist.display(), "the app is not built; serving the API only");
    }
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    if let Some((login, password)) = first {
        admin::private_dir(&config.data_dir)?;
        let file = admin::write_first_password(&config.data_dir, &password)?;
        println!(
            "First start: sign in as {login:?}; the password is in {:?} (readable only by this user; delete it after signing in).",
            file.display().to_string()
        );
        // On a terminal, not in a service's journal.
        if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            println!("The password: {password}");
        }
    }
    println!("Latarnia is running at http://{addr}/  (database: {})", db.describe());
    // Retention and the trash's end, daily (first a minute after the start).
    let (jobs, trash_days) = (db.clone(), config.trash_days);
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        let mut every = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
        loop {
            every.tick().await;
            match admin::retention(&jobs, None, trash_days, chrono::Utc::now(), false).await {
                Ok(report) => tracing::info!(%report, "retention"),
                Err(e) => tracing::error!(error = %e, "retention failed"),
            }
        }
    });
    serve(listener, app(AppState::new(db, shell).with_net(net))).await?;
    Ok(())
}
