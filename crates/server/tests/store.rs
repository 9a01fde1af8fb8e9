//! The storage contract on SQLite (and on PostgreSQL when `LATARNIA_TEST_POSTGRES` names one).

mod common;

use latarnia_server::store::{self, sqlite::SqliteStore, Db, Storage};

/// The contract on SQLite: one test per check, each on a fresh file.
mod sqlite_contract {
    async fn open() -> Option<(tempfile::TempDir, super::Db)> {
        let tmp = tempfile::tempdir().unwrap();
        let db = super::store::open(tmp.path(), "").await.unwrap();
        Some((tmp, db))
    }
    latarnia_server::storage_contract!(open);
}

/// The contract on PostgreSQL, each check on a fresh database.
mod postgres_contract {
    async fn open() -> Option<((), super::Db)> {
        let url = super::common::pg_fresh_db().await?;
        Some(((), super::store::open(std::path::Path::new("/nonexistent"), &url).await.unwrap()))
    }
    latarnia_server::storage_contract!(open);
}

/// The contract on PostgreSQL over TLS (`sslmode=require`; Debian's PostgreSQL offers TLS with
/// its snake-oil certificate).
mod postgres_tls_contract {
    use latarnia_server::store::pg::PgStore;

    async fn open() -> Option<((), super::Db)> {
        let url = super::common::pg_fresh_db().await?;
        let tls = PgStore::open(&format!("{url}?sslmode=require")).await.expect("PostgreSQL offers TLS");
        assert!(tls.encrypted().await.unwrap(), "sslmode=require connects over TLS");
        Some(((), std::sync::Arc::new(tls)))
    }
    latarnia_server::storage_contract!(open);
}

#[tokio::test(flavor = "multi_thread")]
async fn first_start_creates_the_directory_and_file_and_keeps_the_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested/data");
    let db = store::open(&dir, "").await.unwrap();
    assert!(dir.join("latarnia.sqlite3").is_file());
    assert!(db.describe().contains("latarnia.sqlite3"));
    let epoch = db.epoch().await.unwrap();
    drop(db);
    let again = store::open(&dir, "").await.unwrap();
    assert_eq!(again.epoch().await.unwrap(), epoch, "a restart keeps the epoch");
}

#[tokio::test(flavor = "multi_thread")]
async fn database_urls() {
    let tmp = tempfile::tempdir().unwrap();
    let err = store::open(tmp.path(), "mysql://x").await.err().unwrap();
    assert!(err.to_string().contains("unsupported DATABASE_URL"), "{err}");
    let file = tmp.path().join("other/x.sqlite3");
    let s = SqliteStore::open(tmp.path(), &format!("sqlite://{}", file.display())).unwrap();
    assert_eq!(s.path(), file);
    assert!(file.is_file());
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_describes_itself_and_restarts_cleanly() {
    let Some(url) = common::pg_fresh_db().await else { return };
    let db: Db = store::open(std::path::Path::new("/nonexistent"), &url).await.unwrap();
    assert!(db.describe().starts_with("PostgreSQL latarnia_t_"), "{}", db.describe());
    drop(db);
    // A second start on the same database applies no migration twice and keeps the epoch.
    let epoch = store::open(std::path::Path::new("/nonexistent"), &url).await.unwrap().epoch().await.unwrap();
    let again = store::open(std::path::Path::new("/nonexistent"), &url).await.unwrap();
    assert_eq!(again.epoch().await.unwrap(), epoch);
}

/// `sslmode=require` says so, and `sslmode=disable` is really plain.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_tls_modes() {
    use latarnia_server::store::pg::PgStore;
    let Some(url) = common::pg_fresh_db().await else { return };
    let tls = PgStore::open(&format!("{url}?sslmode=require")).await.expect("PostgreSQL offers TLS");
    assert!(tls.encrypted().await.unwrap(), "sslmode=require connects over TLS");
    assert!(tls.describe().contains("sslmode=require"), "{}", tls.describe());
    let plain = PgStore::open(&format!("{url}?sslmode=disable")).await.unwrap();
    assert!(!plain.encrypted().await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_postgres_is_a_clear_error() {
    let err =
        store::open(std::path::Path::new("/nonexistent"), "postgres://nobody:x@127.0.0.1:1/none").await.err().unwrap();
    assert!(err.to_string().contains("cannot reach PostgreSQL"), "{err}");
}
