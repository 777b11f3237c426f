//! Finished-call records for tests that journal calls without running the engine.

use chrono::{Duration, Utc};
use screenpop::store::calls::CallRecord;

/// An answered inbound call of 95 s from `e164`, matched to `(directory, customer_id)` if given.
pub fn record(call_id: &str, e164: &str, customer: Option<(&str, &str)>) -> CallRecord {
    let ended_at = Utc::now();
    let answered_at = ended_at - Duration::seconds(95);
    CallRecord {
        id: 0,
        call_id: call_id.into(),
        source: "test".into(),
        direction: "inbound".into(),
        number: e164.into(),
        number_e164: Some(e164.into()),
        number_display: e164.into(),
        remote_name: None,
        name: customer.map(|_| "Lisa Simpson".to_string()),
        customer_id: customer.map(|c| c.1.to_string()),
        directory: customer.map(|c| c.0.to_string()),
        matches: i64::from(customer.is_some()),
        vip: false,
        note: None,
        profile_url: None,
        started_at: answered_at - Duration::seconds(5),
        answered_at: Some(answered_at),
        ended_at,
        duration_s: 95,
        ring_s: 5,
        missed: false,
        end_reason: "hangup".into(),
        tags: String::new(),
        decisions: String::new(),
    }
}
