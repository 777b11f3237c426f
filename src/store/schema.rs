//! Which screenpop wrote this database: a database migrated by a newer screenpop is refused
//! with a plain "upgrade screenpop" instead of sqlx's "migration N was previously applied
//! but is missing", and each open records the version that knows the whole schema.
//!
//! Downgrading a package over a newer database is the case this exists for; upgrading
//! simply applies the new migrations (append-only), keeping every row.

use super::StoreError;
use sqlx::SqlitePool;

/// `meta` key holding the version of the newest screenpop that opened the database.
const WRITTEN_BY: &str = "written_by";

/// The newest migration this build knows.
fn newest_known() -> i64 {
    sqlx::migrate!("./migrations")
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// Fails with [`StoreError::Newer`] when the database has migrations this build lacks.
pub async fn refuse_newer(pool: &SqlitePool) -> Result<(), StoreError> {
    let has_table: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
    .await?;
    if has_table.is_none() {
        return Ok(()); // a new database
    }
    let newest: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(pool)
            .await?;
    if newest.unwrap_or(0) <= newest_known() {
        return Ok(());
    }
    let by: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
        .bind(WRITTEN_BY)
        .fetch_optional(pool)
        .await
        .ok()
        .flatten();
    Err(StoreError::Newer {
        by: by.unwrap_or_else(|| "a newer version".into()),
        ours: crate::version::VERSION,
    })
}

/// Records this version as the one that wrote the (now current) schema.
pub async fn record_writer(pool: &SqlitePool) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO meta(key, value) VALUES (?, ?) \
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )
    .bind(WRITTEN_BY)
    .bind(crate::version::VERSION)
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[tokio::test]
    async fn a_database_from_a_newer_screenpop_says_so_plainly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("screenpop.db");
        let store = Store::open(&path).await.unwrap();
        // What a future screenpop 9.0.0 would leave behind: one more migration, its version.
        sqlx::query(
            "INSERT INTO _sqlx_migrations(version, description, success, checksum, execution_time) \
             VALUES (99991231000000, 'from the future', 1, x'00', 0)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        store.set_meta("written_by", "9.0.0").await.unwrap();
        store.pool().close().await;
        let err = Store::open(&path).await.unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "this data was written by screenpop 9.0.0, which is newer; upgrade screenpop \
                 (this is {})",
                crate::version::VERSION
            )
        );
    }

    #[tokio::test]
    async fn reopening_keeps_the_data_and_records_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("screenpop.db");
        let store = Store::open(&path).await.unwrap();
        store.set_meta("kept", "yes").await.unwrap();
        store.pool().close().await;
        let store = Store::open(&path).await.unwrap();
        assert_eq!(store.meta("kept").await.unwrap().as_deref(), Some("yes"));
        assert_eq!(
            store.meta("written_by").await.unwrap().as_deref(),
            Some(crate::version::VERSION)
        );
    }
}
