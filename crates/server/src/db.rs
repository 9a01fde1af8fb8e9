//! The embedded SQLite database. Created with its directory on first start; WAL mode. The
//! sync issue puts storage behind a trait with a PostgreSQL twin.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("unsupported DATABASE_URL {0:?}: use an empty value or sqlite:///path (PostgreSQL arrives with sync)")]
    UnsupportedUrl(String),
}

pub struct Database {
    conn: Mutex<Connection>,
    path: PathBuf,
}

const MIGRATIONS: &[&str] = &[
    // 1: server metadata; `epoch` names this database for sync cursors (SYNC.md, Pull).
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;",
];

impl Database {
    /// Opens the database named by `database_url`, or `latarnia.sqlite3` in `data_dir`.
    pub fn open(data_dir: &Path, database_url: &str) -> Result<Self, DbError> {
        let path = if database_url.is_empty() {
            std::fs::create_dir_all(data_dir).map_err(|e| DbError::DataDir(data_dir.to_owned(), e))?;
            data_dir.join("latarnia.sqlite3")
        } else if let Some(p) = database_url.strip_prefix("sqlite://") {
            let p = PathBuf::from(p);
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| DbError::DataDir(dir.to_owned(), e))?;
            }
            p
        } else {
            return Err(DbError::UnsupportedUrl(database_url.to_owned()));
        };
        let mut conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Database { conn: Mutex::new(conn), path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This database's sync epoch (random, made at creation).
    pub fn epoch(&self) -> Result<String, rusqlite::Error> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |r| r.get(0))
    }

    /// Answers a trivial query: the health check's database probe.
    pub fn ping(&self) -> Result<(), rusqlite::Error> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)).map(|_| ())
    }
}

fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    let tx = conn.transaction()?;
    let done: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    let epoch: Option<String> =
        tx.query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |r| r.get(0)).optional()?;
    if epoch.is_none() {
        tx.execute("INSERT INTO meta (key, value) VALUES ('epoch', ?1)", params![uuid::Uuid::new_v4().to_string()])?;
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_creates_the_directory_and_file_and_keeps_the_epoch() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("nested/data");
        let db = Database::open(&dir, "").unwrap();
        assert!(dir.join("latarnia.sqlite3").is_file());
        let epoch = db.epoch().unwrap();
        drop(db);
        let again = Database::open(&dir, "").unwrap();
        assert_eq!(again.epoch().unwrap(), epoch, "a restart keeps the epoch");
        again.ping().unwrap();
    }

    #[test]
    fn an_unsupported_url_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let err = Database::open(tmp.path(), "mysql://x").err().unwrap();
        assert!(err.to_string().contains("unsupported DATABASE_URL"));
        let file = tmp.path().join("other/x.sqlite3");
        Database::open(tmp.path(), &format!("sqlite://{}", file.display())).unwrap();
        assert!(file.is_file());
    }
}
