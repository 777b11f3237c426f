//! The journaling worker: delivers outbox rows to their directories (seed: `OnCallAdded`).
//!
//! Rows are written with their call in one transaction ([`crate::store::calls::CallLog`]), so
//! they survive a crash or `kill -9`; this worker only reads what is due, calls the
//! directory's `journal`, and records the outcome. A row is marked "sending" before its
//! request goes out; one whose outcome is unknown (the process died between the request
//! and the mark, or an earlier attempt failed after the request may have landed) is first
//! checked with the directory's `journaled` — HubSpot, Salesforce, Dynamics and the seed API
//! can say whether they already have the call — and only sent if it is not there. Where a
//! directory cannot tell, delivery is at-least-once: the repeat carries the same idempotency
//! key (the call id) so a CRM that honours it drops it (docs/connectors.md lists which).
//! Failures are retried with exponential backoff (jittered, capped); a CRM's `Retry-After`
//! wins; refusals (4xx) wait at least ten minutes. `screenpop outbox` shows what is waiting
//! and why; `screenpop outbox retry` makes everything due now.

use crate::config::JournalSettings;
use crate::directory::{Directory, JournalError};
use crate::engine::EngineEvent;
use crate::store::calls::CallLog;
use crate::store::outbox::{Outbox, OutboxEntry};
use crate::store::Store;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// How long the worker sleeps when nothing is due (it also wakes when a call is logged).
const IDLE_POLL: Duration = Duration::from_secs(1);
/// No single delivery may take longer than this, whatever the connector's own timeout.
const DELIVERY_LIMIT: Duration = Duration::from_secs(60);
/// A refused entry (4xx) is not retried sooner than this.
const REJECTED_MIN: Duration = Duration::from_secs(600);

/// Delivers outbox rows until stopped.
pub struct JournalWorker {
    outbox: Outbox,
    calls: CallLog,
    directories: HashMap<String, Arc<dyn Directory>>,
    settings: JournalSettings,
}

impl JournalWorker {
    /// A worker over `store` for the journaling `directories`.
    pub fn new(
        store: Store,
        directories: &[Arc<dyn Directory>],
        settings: JournalSettings,
    ) -> Self {
        Self {
            outbox: Outbox::new(store.clone()),
            calls: CallLog::new(store),
            directories: directories
                .iter()
                .map(|d| (d.name().to_string(), Arc::clone(d)))
                .collect(),
            settings,
        }
    }

    /// Runs until `stop` fires; wakes early when the engine logs a call.
    pub async fn run(
        self,
        mut events: broadcast::Receiver<EngineEvent>,
        mut stop: broadcast::Receiver<()>,
    ) {
        tracing::info!(
            directories = self.directories.len(),
            "journal worker started"
        );
        loop {
            let delivered = match self.deliver_due().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox unreadable; trying again shortly");
                    0
                }
            };
            if delivered > 0 {
                continue;
            }
            tokio::select! {
                _ = stop.recv() => break,
                _ = tokio::time::sleep(IDLE_POLL) => {}
                e = events.recv() => {
                    if matches!(e, Err(broadcast::error::RecvError::Closed)) {
                        tokio::time::sleep(IDLE_POLL).await;
                    }
                }
            }
        }
        tracing::info!("journal worker stopped");
    }

    /// Delivers every row due now; returns how many were attempted.
    pub async fn deliver_due(&self) -> Result<usize, crate::store::StoreError> {
        let due = self.outbox.due(self.settings.batch.max(1) as i64).await?;
        let n = due.len();
        futures::stream::iter(due)
            .for_each_concurrent(self.settings.concurrency.max(1), |entry| {
                self.deliver(entry)
            })
            .await;
        Ok(n)
    }

    async fn deliver(&self, entry: OutboxEntry) {
        let outcome = self.attempt(&entry).await;
        let store_result = match &outcome {
            Ok(()) => {
                tracing::info!(call_id = %entry.call_id, directory = %entry.directory, "call journaled");
                self.outbox.delivered(entry.id).await
            }
            Err(e) => {
                let wait = self.wait_after(entry.attempts, e);
                tracing::warn!(call_id = %entry.call_id, directory = %entry.directory, attempts = entry.attempts + 1,
                    retry_in_s = wait.as_secs(), error = %e, "journal delivery failed");
                self.outbox
                    .failed(entry.id, &e.to_string(), wait.as_millis() as i64)
                    .await
            }
        };
        if let Err(e) = store_result {
            tracing::error!(call_id = %entry.call_id, error = %e, "outbox outcome not recorded; the row will be tried again");
        }
    }

    async fn attempt(&self, entry: &OutboxEntry) -> Result<(), JournalError> {
        let Some(dir) = self.directories.get(&entry.directory) else {
            return Err(JournalError::Rejected(format!(
                "no directory named {:?} is configured any more",
                entry.directory
            )));
        };
        let call = self
            .calls
            .get(entry.call_row)
            .await
            .map_err(|e| JournalError::Failed(format!("call log: {e}")))?
            .ok_or_else(|| {
                JournalError::Rejected("the call is no longer in the call log".into())
            })?;
        if entry.in_doubt || entry.attempts > 0 {
            match limited(dir.journaled(&call)).await? {
                Some(true) => {
                    tracing::info!(call_id = %entry.call_id, directory = %entry.directory, "already journaled (the CRM has it); not sent again");
                    return Ok(());
                }
                Some(false) => {}
                None if entry.in_doubt => {
                    tracing::warn!(call_id = %entry.call_id, directory = %entry.directory, "outcome of the last delivery unknown and this CRM cannot be asked; sending again (at-least-once)");
                }
                None => {}
            }
        }
        self.outbox
            .sending(entry.id)
            .await
            .map_err(|e| JournalError::Failed(format!("outbox: {e}")))?;
        limited(dir.journal(&call)).await
    }

    /// When to try again after the `attempts`-th failure with `error`.
    pub fn wait_after(&self, attempts: i64, error: &JournalError) -> Duration {
        let base = Duration::from_millis(self.settings.retry_base_ms.max(1));
        let max = Duration::from_secs(self.settings.retry_max_s.max(1));
        let exp = base.saturating_mul(1u32 << attempts.clamp(0, 20));
        let jitter = 0.8 + rand::random::<f64>() * 0.4;
        let backoff = exp.min(max).mul_f64(jitter);
        match error {
            JournalError::Throttled { retry_after_s } => {
                Duration::from_secs(*retry_after_s).max(base)
            }
            JournalError::Rejected(_) => backoff.max(REJECTED_MIN.min(max)),
            JournalError::Unsupported => max,
            JournalError::Failed(_) => backoff,
        }
    }
}

/// `f`, or a retryable failure when it takes longer than [`DELIVERY_LIMIT`].
async fn limited<T>(
    f: impl std::future::Future<Output = Result<T, JournalError>>,
) -> Result<T, JournalError> {
    tokio::time::timeout(DELIVERY_LIMIT, f)
        .await
        .unwrap_or_else(|_| {
            Err(JournalError::Failed(
                "delivery took longer than 60 s".into(),
            ))
        })
}

#[cfg(test)]
mod tests;
