//! The journaling outbox: one row per (call, journaling directory) until delivered.
//!
//! Rows are created with their call in [`super::calls::CallLog::record`]; this repository
//! reads what is due, notes a request going out (`sending_at`), and records delivery or
//! failure with the next attempt time.

use super::{now_ms, Store, StoreError};
use serde::Serialize;
use sqlx::Row;

/// An outbox entry as `screenpop outbox` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub call_row: i64,
    pub call_id: String,
    pub directory: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    pub delivered: bool,
    /// A request went out and its outcome was never recorded (the process died meanwhile).
    pub in_doubt: bool,
}

/// Repository over `outbox`.
#[derive(Clone, Debug)]
pub struct Outbox {
    store: Store,
}

impl Outbox {
    /// The repository over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Undelivered entries, oldest first.
    pub async fn pending(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.select("WHERE delivered_at IS NULL ORDER BY id", None)
            .await
    }

    /// Undelivered entries whose next attempt is due now.
    pub async fn due(&self, limit: i64) -> Result<Vec<OutboxEntry>, StoreError> {
        self.select(
            "WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 100",
            Some(now_ms()),
        )
        .await
        .map(|mut v| {
            v.truncate(limit.max(0) as usize);
            v
        })
    }

    /// Notes that a request for the entry is about to go out (cleared with its outcome).
    pub async fn sending(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET sending_at = ? WHERE id = ?")
            .bind(now_ms())
            .bind(id)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Marks an entry delivered.
    pub async fn delivered(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL, sending_at = NULL WHERE id = ?")
            .bind(now_ms())
            .bind(id)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Records a failed attempt and when to try again.
    pub async fn failed(&self, id: i64, error: &str, retry_in_ms: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, sending_at = NULL WHERE id = ?")
            .bind(error)
            .bind(now_ms() + retry_in_ms)
            .bind(id)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Makes every undelivered entry due now; returns how many.
    pub async fn retry_all(&self) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE outbox SET next_attempt_at = ? WHERE delivered_at IS NULL")
            .bind(now_ms())
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected())
    }

    async fn select(&self, tail: &str, bound: Option<i64>) -> Result<Vec<OutboxEntry>, StoreError> {
        let sql = format!(
            "SELECT id, call_row, call_id, directory, attempts, last_error, next_attempt_at, delivered_at, sending_at FROM outbox {tail}"
        );
        let mut q = sqlx::query(&sql);
        if let Some(v) = bound {
            q = q.bind(v);
        }
        let rows = q.fetch_all(self.store.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxEntry {
                    id: r.try_get("id")?,
                    call_row: r.try_get("call_row")?,
                    call_id: r.try_get("call_id")?,
                    directory: r.try_get("directory")?,
                    attempts: r.try_get("attempts")?,
                    last_error: r.try_get("last_error")?,
                    next_attempt_at: r.try_get("next_attempt_at")?,
                    delivered: r.try_get::<Option<i64>, _>("delivered_at")?.is_some(),
                    in_doubt: r.try_get::<Option<i64>, _>("sending_at")?.is_some(),
                })
            })
            .collect()
    }
}
