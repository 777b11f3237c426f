//! The call log: one row per finished call, searchable by name, number and note.
//!
//! A row and its journaling outbox entries are written in one transaction
//! ([`CallLog::record`]), so a crash never leaves a logged call that the CRM will not hear
//! about, nor an outbox entry without its call. Search uses the FTS5 trigram index for
//! three or more characters (newest logged first) and a bounded `LIKE` for shorter terms.

use super::{now_ms, Store, StoreError};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// A finished call as the log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    /// Row id in the log (0 before it is written).
    #[serde(default)]
    pub id: i64,
    pub call_id: String,
    pub source: String,
    pub direction: String,
    /// The number as the source reported it.
    pub number: String,
    pub number_e164: Option<String>,
    pub number_display: String,
    /// The name the caller's phone sent, if any.
    pub remote_name: Option<String>,
    /// The matched customer's name (or the remote name when nobody matched).
    pub name: Option<String>,
    pub customer_id: Option<String>,
    pub directory: Option<String>,
    /// How many directory entries matched the number.
    pub matches: i64,
    pub vip: bool,
    pub note: Option<String>,
    pub profile_url: Option<String>,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    /// Seconds from answer to end (0 if never answered).
    pub duration_s: i64,
    /// Seconds from start to answer or end.
    pub ring_s: i64,
    pub missed: bool,
    pub end_reason: String,
    /// Free-form tags (rules write here), comma-separated.
    pub tags: String,
    /// What routing rules did, `; `-separated ("transferred to 200 by rule VIP").
    #[serde(default)]
    pub decisions: String,
}

/// Which rows `screenpop log` wants.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub missed_only: bool,
    pub search: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Repository over `calls` (and `outbox` inserts that belong with a call).
#[derive(Clone, Debug)]
pub struct CallLog {
    store: Store,
}

impl CallLog {
    /// The repository over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Writes a finished call and one outbox row per journaling directory, atomically.
    /// Returns the row id; a repeated record of the same call returns the existing row.
    pub async fn record(
        &self,
        call: &CallRecord,
        journal_to: &[String],
    ) -> Result<i64, StoreError> {
        // IMMEDIATE: take the write lock up front. A deferred transaction that reads first can
        // fail with SQLITE_BUSY (no busy wait) when the journal worker writes in between.
        let mut tx = self.store.pool().begin_with("BEGIN IMMEDIATE").await?;
        let id = Self::record_in(&mut tx, call, journal_to).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// [`CallLog::record`] inside a transaction the caller owns (the engine writes a call's
    /// row with the rest of its effects).
    pub async fn record_in(
        tx: &mut sqlx::SqliteConnection,
        call: &CallRecord,
        journal_to: &[String],
    ) -> Result<i64, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO calls(call_id, source, direction, number, number_e164, number_display, remote_name, \
             name, customer_id, directory, matches, vip, note, profile_url, started_at, answered_at, ended_at, \
             missed, end_reason, tags, decisions) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) \
             ON CONFLICT(source, call_id, started_at) DO NOTHING RETURNING id",
        )
        .bind(&call.call_id)
        .bind(&call.source)
        .bind(&call.direction)
        .bind(&call.number)
        .bind(&call.number_e164)
        .bind(&call.number_display)
        .bind(&call.remote_name)
        .bind(&call.name)
        .bind(&call.customer_id)
        .bind(&call.directory)
        .bind(call.matches)
        .bind(call.vip)
        .bind(&call.note)
        .bind(&call.profile_url)
        .bind(call.started_at.timestamp_millis())
        .bind(call.answered_at.map(|t| t.timestamp_millis()))
        .bind(call.ended_at.timestamp_millis())
        .bind(call.missed)
        .bind(&call.end_reason)
        .bind(&call.tags)
        .bind(&call.decisions)
        .fetch_optional(&mut *tx)
        .await?;
        let id: i64 = match inserted {
            Some(row) => row.try_get("id")?,
            None => {
                return Ok(sqlx::query_scalar(
                    "SELECT id FROM calls WHERE source = ? AND call_id = ? AND started_at = ?",
                )
                .bind(&call.source)
                .bind(&call.call_id)
                .bind(call.started_at.timestamp_millis())
                .fetch_one(&mut *tx)
                .await?);
            }
        };
        let now = now_ms();
        for directory in journal_to {
            sqlx::query(
                "INSERT INTO outbox(call_row, call_id, directory, next_attempt_at, created_at) VALUES (?,?,?,?,?) \
                 ON CONFLICT(call_row, directory) DO NOTHING",
            )
            .bind(id)
            .bind(&call.call_id)
            .bind(directory)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        Ok(id)
    }

    /// One logged call by row id.
    pub async fn get(&self, id: i64) -> Result<Option<CallRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM calls WHERE id = ?")
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// Newest first, filtered as asked.
    pub async fn list(&self, q: &LogQuery) -> Result<Vec<CallRecord>, StoreError> {
        let limit = if q.limit <= 0 { 100 } else { q.limit };
        let term = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let rows = match term {
            Some(t) if t.chars().count() >= 3 => {
                // Walk the index newest row first and stop at the page: a common term matches
                // a large share of a million rows, and collecting them all to sort by start
                // time cost ~200 ms. Row order is logging order (≈ start order).
                sqlx::query(
                    "SELECT calls.* FROM calls_fts JOIN calls ON calls.id = calls_fts.rowid \
                     WHERE calls_fts MATCH ? AND (? = 0 OR calls.missed = 1) \
                     ORDER BY calls_fts.rowid DESC LIMIT ? OFFSET ?",
                )
                .bind(fts_phrase(t))
                .bind(q.missed_only)
                .bind(limit)
                .bind(q.offset)
                .fetch_all(self.store.pool())
                .await?
            }
            Some(t) => {
                let like = format!("%{}%", t.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
                sqlx::query(
                    "SELECT * FROM calls WHERE (name LIKE ?1 ESCAPE '\\' OR remote_name LIKE ?1 ESCAPE '\\' \
                     OR number LIKE ?1 ESCAPE '\\' OR number_display LIKE ?1 ESCAPE '\\' OR note LIKE ?1 ESCAPE '\\') \
                     AND (?2 = 0 OR missed = 1) ORDER BY started_at DESC, id DESC LIMIT ?3 OFFSET ?4",
                )
                .bind(like)
                .bind(q.missed_only)
                .bind(limit)
                .bind(q.offset)
                .fetch_all(self.store.pool())
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT * FROM calls WHERE (? = 0 OR missed = 1) ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?",
                )
                .bind(q.missed_only)
                .bind(limit)
                .bind(q.offset)
                .fetch_all(self.store.pool())
                .await?
            }
        };
        rows.iter().map(record_from_row).collect()
    }

    /// Re-points a logged call at another customer (the agent picked among several matches).
    pub async fn assign(
        &self,
        row: i64,
        customer: &crate::model::Customer,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE calls SET name = ?, customer_id = ?, directory = ?, vip = ?, note = ?, profile_url = ? WHERE id = ?",
        )
        .bind(&customer.name)
        .bind(&customer.id)
        .bind(&customer.directory)
        .bind(customer.vip)
        .bind(&customer.note)
        .bind(&customer.url)
        .bind(row)
        .execute(self.store.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

/// Quotes a user's term as one FTS5 phrase so operators in it are literal.
pub(super) fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

fn millis(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or(StoreError::Corrupt {
            table: "calls",
            message: format!("timestamp {ms} out of range"),
        })
}

fn record_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<CallRecord, StoreError> {
    let started_at = millis(row.try_get("started_at")?)?;
    let answered_at = row
        .try_get::<Option<i64>, _>("answered_at")?
        .map(millis)
        .transpose()?;
    let ended_at = millis(row.try_get("ended_at")?)?;
    let duration_s = answered_at.map_or(0, |a| (ended_at - a).num_seconds().max(0));
    let ring_s = (answered_at.unwrap_or(ended_at) - started_at)
        .num_seconds()
        .max(0);
    Ok(CallRecord {
        id: row.try_get("id")?,
        call_id: row.try_get("call_id")?,
        source: row.try_get("source")?,
        direction: row.try_get("direction")?,
        number: row.try_get("number")?,
        number_e164: row.try_get("number_e164")?,
        number_display: row.try_get("number_display")?,
        remote_name: row.try_get("remote_name")?,
        name: row.try_get("name")?,
        customer_id: row.try_get("customer_id")?,
        directory: row.try_get("directory")?,
        matches: row.try_get("matches")?,
        vip: row.try_get("vip")?,
        note: row.try_get("note")?,
        profile_url: row.try_get("profile_url")?,
        started_at,
        answered_at,
        ended_at,
        duration_s,
        ring_s,
        missed: row.try_get("missed")?,
        end_reason: row.try_get("end_reason")?,
        tags: row.try_get("tags")?,
        decisions: row.try_get("decisions")?,
    })
}
