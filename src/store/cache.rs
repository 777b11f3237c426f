//! The lookup cache: each directory's answer (hit or miss) for a number key, with expiry.
//!
//! Entries past `expires_at` are still returned (marked stale) so the chain can serve them at
//! once and refresh in the background; [`LookupCache::purge_older_than`] bounds the table.

use super::{now_ms, Store, StoreError};
use crate::model::Customer;
use sqlx::Row;

/// A cached directory answer.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedAnswer {
    /// Empty = a cached miss.
    pub customers: Vec<Customer>,
    pub stale: bool,
}

/// Repository over `lookup_cache`.
#[derive(Clone, Debug)]
pub struct LookupCache {
    store: Store,
}

impl LookupCache {
    /// The repository over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// The cached answer of `directory` for `key`, if any (a corrupt entry counts as none).
    pub async fn get(
        &self,
        directory: &str,
        key: &str,
    ) -> Result<Option<CachedAnswer>, StoreError> {
        let row = sqlx::query(
            "SELECT result, expires_at FROM lookup_cache WHERE directory = ? AND key = ?",
        )
        .bind(directory)
        .bind(key)
        .fetch_optional(self.store.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let result: Option<String> = row.try_get("result")?;
        let expires_at: i64 = row.try_get("expires_at")?;
        let customers = match result {
            None => Vec::new(),
            Some(json) => match serde_json::from_str(&json) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(directory, error = %e, "ignoring corrupt cache entry");
                    return Ok(None);
                }
            },
        };
        Ok(Some(CachedAnswer {
            customers,
            stale: expires_at <= now_ms(),
        }))
    }

    /// Stores an answer (empty = miss) for `ttl_s` seconds.
    pub async fn put(
        &self,
        directory: &str,
        key: &str,
        customers: &[Customer],
        ttl_s: u64,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let result = if customers.is_empty() {
            None
        } else {
            Some(
                serde_json::to_string(customers).map_err(|e| StoreError::Corrupt {
                    table: "lookup_cache",
                    message: e.to_string(),
                })?,
            )
        };
        sqlx::query(
            "INSERT INTO lookup_cache(directory, key, result, fetched_at, expires_at) VALUES (?,?,?,?,?) \
             ON CONFLICT(directory, key) DO UPDATE SET result = excluded.result, fetched_at = excluded.fetched_at, \
             expires_at = excluded.expires_at",
        )
        .bind(directory)
        .bind(key)
        .bind(result)
        .bind(now)
        .bind(now.saturating_add((ttl_s as i64).saturating_mul(1000)))
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// Forgets everything cached for `key` (a contact was just created for that number).
    pub async fn forget(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM lookup_cache WHERE key = ?")
            .bind(key)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Drops entries that expired more than `age_s` seconds ago.
    pub async fn purge_older_than(&self, age_s: u64) -> Result<u64, StoreError> {
        let cutoff = now_ms() - (age_s as i64) * 1000;
        let done = sqlx::query("DELETE FROM lookup_cache WHERE expires_at < ?")
            .bind(cutoff)
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
