//! The durable intake and the live calls: events committed before a source acknowledges
//! them, and calls in progress as rows, so neither a crash nor a restart loses them.
//!
//! Both tables are written inside transactions the engine's writer owns (one per batch, see
//! `engine::writer`); this module only knows the SQL. Events and ringing events are stored as
//! serde JSON of [`CallEvent`], so fields added to the event model later pass through.
//! Nothing here decides what an event means — that is the engine's job.

use super::{now_ms, Store, StoreError};
use crate::event::CallEvent;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::{Row, SqliteConnection};

/// A committed event, with the row id that marks it done when deleted.
#[derive(Debug, Clone)]
pub struct Committed {
    pub id: i64,
    pub event: CallEvent,
}

/// A call that was live when screenpop last stopped (or died).
#[derive(Debug, Clone)]
pub struct LiveCall {
    /// The `Ringing` event that opened the call.
    pub ringing: CallEvent,
    pub answered_at: Option<DateTime<Utc>>,
}

/// Makes this connection's commits wait for the disk (`synchronous = FULL`), or go back to
/// the store's `NORMAL` (durable across a crash of the process, not across a power cut).
pub async fn synchronous_full(conn: &mut SqliteConnection, full: bool) -> Result<(), StoreError> {
    let pragma = if full {
        "PRAGMA synchronous = FULL"
    } else {
        "PRAGMA synchronous = NORMAL"
    };
    sqlx::query(pragma).execute(&mut *conn).await?;
    Ok(())
}

/// Commits one event; returns its intake id.
pub async fn insert(tx: &mut SqliteConnection, event: &CallEvent) -> Result<i64, StoreError> {
    let json = serde_json::to_string(event).map_err(|e| corrupt("intake", e))?;
    Ok(
        sqlx::query_scalar("INSERT INTO intake(event, received_at) VALUES (?, ?) RETURNING id")
            .bind(json)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?,
    )
}

/// Commits several events with one statement per 100; returns their intake ids in order.
pub async fn insert_many(
    tx: &mut SqliteConnection,
    events: &[&CallEvent],
) -> Result<Vec<i64>, StoreError> {
    let now = now_ms();
    let mut ids = Vec::with_capacity(events.len());
    for chunk in events.chunks(100) {
        let mut insert =
            sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT INTO intake(event, received_at) ");
        let mut json = Vec::with_capacity(chunk.len());
        for event in chunk {
            json.push(serde_json::to_string(event).map_err(|e| corrupt("intake", e))?);
        }
        insert.push_values(json, |mut row, event| {
            row.push_bind(event).push_bind(now);
        });
        insert.push(" RETURNING id");
        let mut chunk_ids: Vec<i64> = insert.build_query_scalar().fetch_all(&mut *tx).await?;
        // One statement's new rowids ascend in insertion order; RETURNING's order is not
        // promised, so sort.
        chunk_ids.sort_unstable();
        ids.extend(chunk_ids);
    }
    Ok(ids)
}

/// Marks a committed event done (its effects are written in the same transaction).
pub async fn done(tx: &mut SqliteConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM intake WHERE id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Opens (or re-opens) a live call from its ringing event.
pub async fn open_call(tx: &mut SqliteConnection, ringing: &CallEvent) -> Result<(), StoreError> {
    let json = serde_json::to_string(ringing).map_err(|e| corrupt("live_calls", e))?;
    sqlx::query(
        "INSERT INTO live_calls(source, call_id, ringing, started_at, updated_at) VALUES (?,?,?,?,?) \
         ON CONFLICT(source, call_id) DO NOTHING",
    )
    .bind(&ringing.source.0)
    .bind(&ringing.call.0)
    .bind(json)
    .bind(ringing.at.timestamp_millis())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Replaces a live call's ringing event (its remote party changed mid-call).
pub async fn set_party(tx: &mut SqliteConnection, ringing: &CallEvent) -> Result<(), StoreError> {
    let json = serde_json::to_string(ringing).map_err(|e| corrupt("live_calls", e))?;
    sqlx::query(
        "UPDATE live_calls SET ringing = ?, updated_at = ? WHERE source = ? AND call_id = ?",
    )
    .bind(json)
    .bind(now_ms())
    .bind(&ringing.source.0)
    .bind(&ringing.call.0)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Records that a live call was answered.
pub async fn answer_call(
    tx: &mut SqliteConnection,
    source: &str,
    call_id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE live_calls SET answered_at = coalesce(answered_at, ?), updated_at = ? \
         WHERE source = ? AND call_id = ?",
    )
    .bind(at.timestamp_millis())
    .bind(now_ms())
    .bind(source)
    .bind(call_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Removes a live call (it was logged in the same transaction).
pub async fn close_call(
    tx: &mut SqliteConnection,
    source: &str,
    call_id: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM live_calls WHERE source = ? AND call_id = ?")
        .bind(source)
        .bind(call_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Whether `source` already logged `call_id` for a call started within `window_ms` of
/// `started_at` (a source re-announcing a call after a reconnect is the same call).
pub async fn already_logged(
    tx: &mut SqliteConnection,
    source: &str,
    call_id: &str,
    started_at: DateTime<Utc>,
    window_ms: i64,
) -> Result<bool, StoreError> {
    let at = started_at.timestamp_millis();
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM calls WHERE source = ? AND call_id = ? AND started_at BETWEEN ? AND ? LIMIT 1",
    )
    .bind(source)
    .bind(call_id)
    .bind(at.saturating_sub(window_ms))
    .bind(at.saturating_add(window_ms))
    .fetch_optional(&mut *tx)
    .await?;
    Ok(found.is_some())
}

/// [`already_logged`] outside a transaction.
pub async fn logged(
    store: &Store,
    source: &str,
    call_id: &str,
    started_at: DateTime<Utc>,
    window_ms: i64,
) -> Result<bool, StoreError> {
    let mut conn = store.pool().acquire().await?;
    already_logged(&mut conn, source, call_id, started_at, window_ms).await
}

/// The `(source, call id)` of the last `limit` logged calls, oldest first (so a source
/// repeating an event it already sent before a restart does not open a finished call).
pub async fn recently_logged(
    store: &Store,
    limit: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut keys: Vec<(String, String)> =
        sqlx::query_as("SELECT source, call_id FROM calls ORDER BY id DESC LIMIT ?")
            .bind(limit)
            .fetch_all(store.pool())
            .await?;
    keys.reverse();
    Ok(keys)
}

/// Everything a restart resumes: the live calls, then the committed events not yet done
/// (in commit order).
pub async fn pending(store: &Store) -> Result<(Vec<LiveCall>, Vec<Committed>), StoreError> {
    let rows = sqlx::query("SELECT ringing, answered_at FROM live_calls ORDER BY started_at")
        .fetch_all(store.pool())
        .await?;
    let mut calls = Vec::with_capacity(rows.len());
    for row in rows {
        let ringing: String = row.try_get("ringing")?;
        let answered_at: Option<i64> = row.try_get("answered_at")?;
        match serde_json::from_str::<CallEvent>(&ringing) {
            Ok(ringing) => calls.push(LiveCall {
                ringing,
                answered_at: answered_at.and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
            }),
            Err(e) => tracing::error!(error = %e, "unreadable live call skipped"),
        }
    }
    let rows = sqlx::query("SELECT id, event FROM intake ORDER BY id")
        .fetch_all(store.pool())
        .await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let json: String = row.try_get("event")?;
        match serde_json::from_str::<CallEvent>(&json) {
            Ok(event) => events.push(Committed { id, event }),
            Err(e) => {
                tracing::error!(intake_id = id, error = %e, "unreadable committed event kept for inspection")
            }
        }
    }
    Ok((calls, events))
}

fn corrupt(table: &'static str, e: serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        table,
        message: e.to_string(),
    }
}
