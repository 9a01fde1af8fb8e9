//! Configuration: command-line flags, each with an environment fallback.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Parser)]
#[command(name = "latarnia-server", version, about = "Latarnia: the team's sync server and the app")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "LATARNIA_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Directory for the embedded SQLite database (created on first start).
    #[arg(long, env = "LATARNIA_DATA_DIR", default_value = "./latarnia-data")]
    pub data_dir: PathBuf,
    /// Database URL; empty means SQLite in the data directory. `sqlite:///path/file.sqlite3`
    /// names another SQLite file.
    #[arg(long, env = "DATABASE_URL", default_value = "")]
    pub database_url: String,
    /// Directory of the built app (`trunk build` output).
    #[arg(long, env = "LATARNIA_DIST", default_value = "./dist")]
    pub dist: PathBuf,
}
