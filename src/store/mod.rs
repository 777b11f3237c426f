//! The SQLite store: one pool (WAL), migrations at open, and a repository per table.
//!
//! Repositories live beside this file — `contacts` (the local directory), `calls` (the call
//! log), `cache` (directory lookup cache), `outbox` (journaling), `intake` (committed events and
//! live calls, for durable intake). Every query binds its
//! parameters; none is built with `format!` from data.

pub mod cache;
pub mod calls;
pub mod contacts;
pub mod intake;
pub mod outbox;
pub mod private_dir;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::Path;
use std::time::Duration;

/// A store failure (I/O, SQL, migration, or a row we cannot read back).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create or secure the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt row in {table}: {message}")]
    Corrupt {
        table: &'static str,
        message: String,
    },
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date; the
    /// data directory is made the owner's alone first ([`private_dir`]).
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        // The directory 0700 and its files 0600, before SQLite creates any of them.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let failed = |source| StoreError::DataDir {
                path: dir.display().to_string(),
                source,
            };
            private_dir::secure(dir).map_err(failed)?;
            private_dir::create_private(path).map_err(failed)?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// An in-memory database, for tests and benchmarks.
    pub async fn in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// The underlying pool, for repositories.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Reads a value from the `meta` table.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Writes a value to the `meta` table.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Now, as the store's timestamps (UTC unix milliseconds).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
