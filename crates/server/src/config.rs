//! Configuration: command-line flags, each with an environment fallback, and the admin
//! subcommands.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Clone, Parser)]
#[command(name = "latarnia-server", version, about = "Latarnia: the team's sync server and the app")]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    /// With no command the server starts.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "LATARNIA_ADDR", default_value = "127.0.0.1:8080", global = true)]
    pub addr: SocketAddr,
    /// Directory for the embedded SQLite database (created on first start).
    #[arg(long, env = "LATARNIA_DATA_DIR", default_value = "./latarnia-data", global = true)]
    pub data_dir: PathBuf,
    /// Database URL; empty means SQLite in the data directory. `sqlite:///path/file.sqlite3`
    /// names another SQLite file, `postgres://user:pass@host/db` a PostgreSQL database.
    #[arg(long, env = "DATABASE_URL", default_value = "", global = true)]
    pub database_url: String,
    /// Directory of the built app (`trunk build` output).
    #[arg(long, env = "LATARNIA_DIST", default_value = "./dist", global = true)]
    pub dist: PathBuf,
    /// Map tiles: the address template (`{z}`, `{x}`, `{y}`, optional `{s}`); the CSP allows
    /// this server and no other. Respect its usage policy (OpenStreetMap's forbids bulk download).
    #[arg(long, env = "LATARNIA_TILE_URL", default_value = latarnia_core::map::OSM_TILES, global = true)]
    pub tile_url: String,
    /// The credit the tiles' licence asks for (HTML, shown on the map).
    #[arg(long, env = "LATARNIA_TILE_ATTRIBUTION", default_value = latarnia_core::map::OSM_ATTRIBUTION, global = true)]
    pub tile_attribution: String,
    /// Places closer than this (metres) are taken for one: a new place warns, and two mapped
    /// offline are offered to the coordinator for merging.
    #[arg(long, env = "LATARNIA_DUPLICATE_RADIUS_M", default_value_t = latarnia_core::sites::DUPLICATE_RADIUS_M, global = true)]
    pub duplicate_radius_m: f64,
    /// Send `Strict-Transport-Security` (set it when the server is reached over HTTPS only).
    #[arg(long, env = "LATARNIA_HSTS", global = true)]
    pub hsts: bool,
    /// Behind a reverse proxy: the header in which it names the client's address (its last
    /// entry is taken), e.g. `X-Forwarded-For`. Unset, the connection's address counts.
    #[arg(long, env = "LATARNIA_CLIENT_IP_HEADER", default_value = "", global = true)]
    pub client_ip_header: String,
    /// Deleted records can be restored for this many days; then their fields are erased.
    #[arg(long, env = "LATARNIA_TRASH_DAYS", default_value_t = 30, global = true)]
    pub trash_days: u32,
}

impl Config {
    pub fn net(&self) -> Result<crate::NetSettings, String> {
        let client_ip_header = match self.client_ip_header.trim() {
            "" => None,
            h => Some(
                axum::http::HeaderName::from_bytes(h.as_bytes())
                    .map_err(|_| format!("LATARNIA_CLIENT_IP_HEADER {h:?} is not a header name"))?,
            ),
        };
        Ok(crate::NetSettings { hsts: self.hsts, client_ip_header })
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// User accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Sessions.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Run once after restoring the database from a backup: phones then pull everything again.
    Restored,
    /// Retention: anonymise contacts older than each organisation's setting, and end the trash
    /// of records deleted longer ago than `--trash-days` (the server does this daily too).
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Erases a person on request: the pseudonym and notes of every contact with it.
    Erase {
        #[arg(long)]
        org: String,
        /// Case and spaces are ignored.
        #[arg(long)]
        pseudonym: String,
    },
    /// A person's copy of their data on request (GDPR art. 15): every contact with the
    /// pseudonym, in words, as CSV on standard output.
    SubjectAccess {
        #[arg(long)]
        org: String,
        /// Case and spaces are ignored.
        #[arg(long)]
        pseudonym: String,
        /// For Polish Excel: semicolons, decimal commas, a byte-order mark.
        #[arg(long)]
        excel: bool,
    },
    /// Who pulled what, from which device, when (newest first).
    AccessLog {
        #[arg(long)]
        org: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum RetentionCommand {
    /// Runs retention and the trash's end now.
    Run {
        /// Only this organisation.
        #[arg(long)]
        org: Option<String>,
        /// Print what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Sets an organisation's retention of contacts, in months (0 = off).
    Set {
        #[arg(long)]
        org: String,
        #[arg(long)]
        months: u32,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum OrgCommand {
    /// Adds an organisation.
    Add { name: String },
    /// Sets after how many minutes in the background the organisation's apps lock themselves
    /// (1 to 60; 5 by default). Phones take it at their next sign-in.
    Lock {
        #[arg(long)]
        org: String,
        #[arg(long)]
        minutes: u32,
    },
    /// Sets how many days of contacts, patrols, reports and meal runs a role's phones keep (30
    /// for streetworkers and partners, 400 for coordinators and admins by default; 0 = the whole
    /// history). Open work is kept whatever its age. Phones take it at their next sync.
    Window {
        #[arg(long)]
        org: String,
        /// admin, coordinator, streetworker, partner or facility.
        #[arg(long)]
        role: String,
        #[arg(long)]
        days: u32,
    },
    /// Shows the organisation's aid facilities without sign-in at /public/facilities/<its id>
    /// (names, types, addresses, hours, phones, whom they take; never beds or holds), for the
    /// city's website to link to; `--off` hides them again.
    PublicFacilities {
        #[arg(long)]
        org: String,
        #[arg(long)]
        off: bool,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum UserCommand {
    /// Adds a user; the password is read from standard input, or generated and printed.
    Add {
        #[arg(long)]
        org: String,
        #[arg(long)]
        login: String,
        /// admin, coordinator, streetworker, partner or facility.
        #[arg(long)]
        role: String,
        /// The name shown in the app (the login when not given).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input (one line) instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Lists users (of one organisation with --org).
    List {
        #[arg(long)]
        org: Option<String>,
    },
    /// Disables a user: their sessions end at their next request.
    Disable { login: String },
    /// Enables a disabled user again.
    Enable { login: String },
    /// Changes a user's role (someone moves from the street to coordinating, or a partner's
    /// access is narrowed); the server applies it at once, the phone at its next sign-in.
    Role {
        login: String,
        /// admin, coordinator, streetworker, partner or facility.
        role: String,
    },
    /// Sets a new password (generated and printed, or read from standard input) and ends the
    /// user's sessions.
    Password {
        login: String,
        /// Read the password from standard input (one line) instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum TokenCommand {
    /// Ends every session of a user (a lost phone).
    Revoke { login: String },
}
