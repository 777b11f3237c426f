//! A finished PBX call: what the floor hands on once its last extension is done, and that as
//! the relay's call-log (and journal) record — one row per PBX call, whoever answered it,
//! every extension it rang, missed or answered elsewhere. Pure.

use super::{Call, Finished, Lookup};
use crate::event::EndReason;
use crate::phone::{PhoneRules, Remote};
use crate::store::calls::CallRecord;

impl Finished {
    /// The call-log (and journal) record of this finished PBX call.
    pub fn record(&self, rules: &PhoneRules) -> CallRecord {
        let done = self;
        let customer = done.matches.first();
        let (e164, display) = match rules.normalise(&done.number) {
            Remote::Number(n) => (n.e164.clone(), n.display.clone()),
            other => (None, other.display()),
        };
        let missed = done.direction == crate::event::Direction::Inbound
            && done.answered_at.is_none()
            && !done.reason.elsewhere()
            && !matches!(done.reason, EndReason::SourceLost | EndReason::Stopped);
        let mut tags = vec![format!("rang {}", done.extensions.join(", "))];
        if let Some(who) = &done.answered_by {
            tags.insert(0, format!("answered by {who}"));
        }
        CallRecord {
            id: 0,
            call_id: done.call.clone(),
            source: done.source.clone(),
            direction: done.direction.as_str().to_string(),
            number: done.number.clone(),
            number_e164: e164,
            number_display: display,
            remote_name: done.remote_name.clone(),
            name: customer
                .map(|c| c.name.clone())
                .or_else(|| done.remote_name.clone()),
            customer_id: customer.map(|c| c.id.clone()),
            directory: customer.map(|c| c.directory.clone()),
            matches: done.matches.len() as i64,
            vip: customer.is_some_and(|c| c.vip),
            note: customer.and_then(|c| c.note.clone()),
            profile_url: customer.and_then(|c| c.url.clone()),
            started_at: done.started_at,
            answered_at: done.answered_at,
            ended_at: done.ended_at,
            duration_s: done
                .answered_at
                .map_or(0, |a| (done.ended_at - a).num_seconds().max(0)),
            ring_s: (done.answered_at.unwrap_or(done.ended_at) - done.started_at)
                .num_seconds()
                .max(0),
            missed,
            end_reason: done.reason.label(),
            tags: tags.join("; "),
            decisions: String::new(),
        }
    }
}

/// What is left of a live call once its last extension is done.
pub(super) fn finished(call: String, c: Call) -> Finished {
    Finished {
        call,
        source: c.source,
        direction: c.direction,
        number: c.number,
        remote_name: c.remote_name,
        matches: match c.lookup {
            Lookup::Done(m) => m,
            _ => Vec::new(),
        },
        started_at: c.started_at,
        answered_at: c.answered_at,
        ended_at: c.idle_since.unwrap_or(c.started_at),
        answered_by: c.answered_by,
        extensions: c.order,
        reason: c.last_reason,
    }
}
