//! The worker's own logic against the real SQLite store and a directory that fails on
//! command (the CRM side is exercised against loopback servers in tests/outbox.rs).

use super::*;
use crate::directory::{Customer, LookupError};
use crate::phone::Normalised;
use crate::store::calls::CallRecord;
use async_trait::async_trait;
use chrono::Utc;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Flaky {
    failures_left: AtomicUsize,
    delivered: std::sync::Mutex<Vec<String>>,
    error: JournalError,
}

#[async_trait]
impl Directory for Flaky {
    fn name(&self) -> &str {
        "crm"
    }
    async fn lookup(&self, _: &Normalised) -> Result<Vec<Customer>, LookupError> {
        Ok(Vec::new())
    }
    fn journals(&self) -> bool {
        true
    }
    async fn journal(&self, call: &CallRecord) -> Result<(), JournalError> {
        if self
            .failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(self.error.clone());
        }
        self.delivered.lock().unwrap().push(call.call_id.clone());
        Ok(())
    }
}

fn call(id: &str) -> CallRecord {
    let now = Utc::now();
    CallRecord {
        id: 0,
        call_id: id.into(),
        source: "test".into(),
        direction: "inbound".into(),
        number: "5551234".into(),
        number_e164: None,
        number_display: "555-1234".into(),
        remote_name: None,
        name: None,
        customer_id: None,
        directory: None,
        matches: 0,
        vip: false,
        note: None,
        profile_url: None,
        started_at: now,
        answered_at: Some(now),
        ended_at: now,
        duration_s: 0,
        ring_s: 0,
        missed: false,
        end_reason: "hangup".into(),
        tags: String::new(),
        decisions: String::new(),
    }
}

async fn setup(failures: usize, error: JournalError) -> (Store, Arc<Flaky>, JournalWorker) {
    let store = Store::in_memory().await.unwrap();
    let flaky = Arc::new(Flaky {
        failures_left: AtomicUsize::new(failures),
        delivered: Default::default(),
        error,
    });
    let dirs: Vec<Arc<dyn Directory>> = vec![flaky.clone()];
    let settings = JournalSettings {
        retry_base_ms: 1,
        retry_max_s: 1,
        ..Default::default()
    };
    let worker = JournalWorker::new(store.clone(), &dirs, settings);
    (store, flaky, worker)
}

#[tokio::test]
async fn failed_deliveries_stay_visible_then_are_delivered_exactly_once() {
    let (store, flaky, worker) = setup(2, JournalError::Failed("connection refused".into())).await;
    let log = CallLog::new(store.clone());
    for id in ["a", "b"] {
        log.record(&call(id), &["crm".to_string()]).await.unwrap();
    }
    worker.deliver_due().await.unwrap();
    let pending = Outbox::new(store.clone()).pending().await.unwrap();
    assert_eq!(pending.len(), 2);
    assert!(pending
        .iter()
        .all(|e| e.attempts == 1 && e.last_error.as_deref() == Some("connection refused")));
    for _ in 0..50 {
        if Outbox::new(store.clone())
            .pending()
            .await
            .unwrap()
            .is_empty()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        worker.deliver_due().await.unwrap();
    }
    assert!(Outbox::new(store.clone())
        .pending()
        .await
        .unwrap()
        .is_empty());
    let mut got = flaky.delivered.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, vec!["a", "b"]);
}

#[tokio::test]
async fn backoff_doubles_is_capped_and_honours_retry_after_and_refusals() {
    let (_, _, mut worker) = setup(0, JournalError::Unsupported).await;
    worker.settings.retry_base_ms = 1000;
    worker.settings.retry_max_s = 60;
    let failed = JournalError::Failed("x".into());
    let w0 = worker.wait_after(0, &failed);
    let w3 = worker.wait_after(3, &failed);
    assert!(
        w0 >= Duration::from_millis(800) && w0 <= Duration::from_millis(1200),
        "{w0:?}"
    );
    assert!(
        w3 >= Duration::from_millis(6400) && w3 <= Duration::from_millis(9600),
        "{w3:?}"
    );
    assert!(worker.wait_after(30, &failed) <= Duration::from_secs(72));
    let throttled = JournalError::Throttled { retry_after_s: 17 };
    assert_eq!(worker.wait_after(0, &throttled), Duration::from_secs(17));
    let refused = JournalError::Rejected("HTTP 400".into());
    assert!(worker.wait_after(0, &refused) >= Duration::from_secs(60));
}
