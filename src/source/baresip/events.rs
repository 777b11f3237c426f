//! What baresip's events mean for screenpop: `CALL_INCOMING`/`CALL_RINGING`/
//! `CALL_ESTABLISHED`/`CALL_CLOSED` → [`CallEvent`]s, the remote number taken from the peer
//! URI's user part (or `tel:`), and which calls are live on the softphone right now.
//!
//! Shared by the ctrl_tcp source and the MQTT source's `format = "baresip"`. Pure: no I/O.

use super::wire::Event;
use crate::event::{
    CallEvent, CallEventKind, CallId, Direction, EndReason, RawNumber, SourceId, Timestamp,
};
use std::collections::HashMap;

/// A call the softphone told us about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveCall {
    pub direction: Direction,
    pub established: bool,
}

/// The calls live on one softphone connection, in the order they started.
#[derive(Debug, Default)]
pub struct CallTracker {
    calls: HashMap<String, LiveCall>,
    order: Vec<String>,
}

impl CallTracker {
    /// Turns one baresip event into the engine events it implies (often none).
    pub fn on_event(&mut self, event: &Event, source: &SourceId, at: Timestamp) -> Vec<CallEvent> {
        let Some(id) = event.call_id.clone().filter(|id| !id.is_empty()) else {
            return Vec::new();
        };
        let direction = match event.direction.as_deref() {
            Some("outgoing") => Direction::Outbound,
            _ => Direction::Inbound,
        };
        let make = |kind| CallEvent {
            source: source.clone(),
            call: CallId(id.clone()),
            at,
            kind,
        };
        let mut out = Vec::new();
        match event.kind.as_str() {
            "CALL_INCOMING" | "CALL_OUTGOING" | "CALL_RINGING" | "CALL_PROGRESS"
                if !self.calls.contains_key(&id) =>
            {
                self.track(&id, direction);
                out.push(make(ringing(event, direction)));
            }
            "CALL_ESTABLISHED" | "CALL_ANSWERED" => {
                if !self.calls.contains_key(&id) {
                    // Auto-answer skips CALL_INCOMING: the call still rang, for no time.
                    self.track(&id, direction);
                    out.push(make(ringing(event, direction)));
                }
                if let Some(call) = self.calls.get_mut(&id) {
                    if !call.established {
                        call.established = true;
                        out.push(make(CallEventKind::Answered));
                    }
                }
            }
            "CALL_CLOSED" => {
                let known = self.forget(&id);
                let established = known.as_ref().is_some_and(|c| c.established);
                if known.is_none() {
                    if direction == Direction::Inbound {
                        // A call that rang before we connected: we cannot log it truthfully.
                        return out;
                    }
                    // A failed dial-out (404, timeout) rang nowhere but is worth a row.
                    out.push(make(ringing(event, direction)));
                }
                out.push(make(CallEventKind::Ended {
                    reason: end_reason(event.param.as_deref(), established),
                }));
            }
            _ => {}
        }
        out
    }

    /// Live calls, oldest first.
    pub fn calls(&self) -> impl Iterator<Item = (&str, &LiveCall)> {
        self.order
            .iter()
            .filter_map(|id| self.calls.get(id).map(|c| (id.as_str(), c)))
    }

    /// The call a bare `answer` means: the newest inbound call still ringing.
    pub fn ringing_inbound(&self) -> Option<&str> {
        self.calls()
            .filter(|(_, c)| c.direction == Direction::Inbound && !c.established)
            .last()
            .map(|(id, _)| id)
    }

    /// The newest live call.
    pub fn newest(&self) -> Option<&str> {
        self.calls().last().map(|(id, _)| id)
    }

    /// The newest connected call.
    pub fn newest_established(&self) -> Option<&str> {
        self.calls()
            .filter(|(_, c)| c.established)
            .last()
            .map(|(id, _)| id)
    }

    /// `call_id` if it is live, else (when none is given) the call `choose` picks.
    pub fn resolve(
        &self,
        call_id: Option<&str>,
        choose: fn(&CallTracker) -> Option<&str>,
    ) -> Option<String> {
        match call_id {
            Some(id) => self.contains(id).then(|| id.to_string()),
            None => choose(self).map(str::to_string),
        }
    }

    /// Whether `id` is live.
    pub fn contains(&self, id: &str) -> bool {
        self.calls.contains_key(id)
    }

    /// How many calls are live.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether no call is live.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    fn track(&mut self, id: &str, direction: Direction) {
        self.calls.insert(
            id.to_string(),
            LiveCall {
                direction,
                established: false,
            },
        );
        self.order.push(id.to_string());
    }

    fn forget(&mut self, id: &str) -> Option<LiveCall> {
        self.order.retain(|o| o != id);
        self.calls.remove(id)
    }
}

fn ringing(event: &Event, direction: Direction) -> CallEventKind {
    CallEventKind::Ringing {
        direction,
        remote: RawNumber(remote_number(event.peer_uri.as_deref().unwrap_or_default())),
        remote_name: event.peer_name.clone().filter(|n| !n.trim().is_empty()),
        line: event.account.clone(),
        upstream: None,
    }
}

/// baresip's close reason in screenpop's words.
fn end_reason(param: Option<&str>, established: bool) -> EndReason {
    let text = param.unwrap_or_default().trim();
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("call transfer") {
        return EndReason::Transferred;
    }
    let normal = lower.is_empty() || lower.starts_with("connection reset by");
    if established {
        return if normal || lower.starts_with("200") || lower.starts_with("bye") {
            EndReason::Hangup
        } else {
            EndReason::Other(text.to_string())
        };
    }
    let declined = [
        "486",
        "487",
        "603",
        "480",
        "request terminated",
        "rejected",
        "busy",
    ]
    .iter()
    .any(|p| lower.starts_with(p));
    if normal || declined {
        EndReason::Cancelled
    } else {
        EndReason::Other(text.to_string())
    }
}

/// The number to log and call back for a peer URI: the user part when it is a phone number
/// (or `anonymous`), else the URI itself so "Call back" can still dial it.
pub fn remote_number(uri: &str) -> String {
    let uri = uri.trim();
    let uri = uri
        .strip_prefix('<')
        .and_then(|u| u.strip_suffix('>'))
        .unwrap_or(uri);
    let lower = uri.get(..5).unwrap_or(uri).to_ascii_lowercase();
    if lower.starts_with("tel:") {
        let number = uri[4..].split(';').next().unwrap_or_default();
        return crate::percent::decode(number);
    }
    let Some(rest) = lower
        .starts_with("sip:")
        .then(|| &uri[4..])
        .or_else(|| lower.starts_with("sips:").then(|| &uri[5..]))
    else {
        return uri.to_string();
    };
    let scheme = &uri[..uri.len() - rest.len()];
    match rest.split_once('@') {
        Some((user, host)) => {
            let user = crate::percent::decode(user.split(';').next().unwrap_or_default());
            let host = host.split(';').next().unwrap_or_default();
            if is_phone_number(&user) || user.eq_ignore_ascii_case("anonymous") {
                user
            } else {
                format!("{scheme}{user}@{host}")
            }
        }
        None => format!("{scheme}{}", rest.split(';').next().unwrap_or_default()),
    }
}

fn is_phone_number(user: &str) -> bool {
    user.chars().any(|c| c.is_ascii_digit())
        && user
            .chars()
            .all(|c| c.is_ascii_digit() || "+-(). *#".contains(c))
}

#[cfg(test)]
mod tests;
