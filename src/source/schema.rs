//! screenpop's own JSON event schema, version 1 — what the webhook accepts and the README
//! documents:
//!
//! ```json
//! {"version": 1, "type": "ringing", "call_id": "c-42", "from": "+1 555 123 4567",
//!  "name": "Lisa", "direction": "inbound", "line": "sales", "at": "2026-11-26T12:00:00Z"}
//! {"type": "answered", "call_id": "c-42"}
//! {"type": "ended", "call_id": "c-42", "reason": "hangup"}
//! ```
//! Only `type` is always required; `from` for ringing; `call_id` for answered/ended (a
//! ringing event without one gets a fresh id). Parsing is pure and returns a clear message.
//!
//! Extensions (optional, compatible; a relay sends them): `caller` on ringing — a directory
//! answer made upstream ([`caller`]; a plain string there still means `from`); `journaled:
//! true` — the publisher journals the call, the desk must not; `answered_by` on an
//! `answered_elsewhere` end — which extension took the call. [`parse`] refuses unknown
//! fields (the webhook catches typos); [`parse_tolerant`] drops them (MQTT desks stay
//! compatible with newer relays). [`floor`] holds the relay's other messages.

pub mod caller;
pub mod floor;

pub use caller::WireCaller;

use crate::event::{
    CallEvent, CallEventKind, CallId, Direction, EndReason, RawNumber, SourceId, Timestamp,
    Upstream,
};
use serde::{Deserialize, Serialize};

/// The schema version this build speaks.
pub const VERSION: u32 = 1;

/// One event as JSON carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, alias = "id", skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    #[serde(default, alias = "number", skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(
        default,
        alias = "display_name",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    /// The upstream directory answer (or, as a plain string, the caller's number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<CallerField>,
    /// The publisher journals this call; desks must not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub journaled: bool,
    /// With `reason = "answered_elsewhere"`: the extension that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
}

/// `caller` is either a directory answer (an object) or, as in older payloads, a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CallerField {
    Number(String),
    Answer(Box<WireCaller>),
}

/// The top-level keys [`WireEvent`] knows (aliases included), for [`parse_tolerant`].
const KNOWN_KEYS: &[&str] = &[
    "version",
    "type",
    "call_id",
    "id",
    "from",
    "number",
    "name",
    "display_name",
    "direction",
    "line",
    "reason",
    "at",
    "caller",
    "journaled",
    "answered_by",
];

/// Why a JSON event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("not a valid event: {0}")]
    Json(String),
    #[error("unsupported schema version {0} (this screenpop speaks version {VERSION})")]
    Version(u32),
    #[error("unknown event type {0:?}: expected ringing, answered or ended")]
    Type(String),
    #[error("a {0} event needs {1:?}")]
    Missing(&'static str, &'static str),
    #[error("unknown direction {0:?}: expected inbound or outbound")]
    Direction(String),
    #[error("field {0:?} is too long (max {1} characters)")]
    TooLong(&'static str, usize),
}

const MAX_FIELD: usize = 512;

/// Parses a JSON body into an engine event from `source`.
pub fn parse(body: &[u8], source: &SourceId) -> Result<CallEvent, SchemaError> {
    let wire: WireEvent =
        serde_json::from_slice(body).map_err(|e| SchemaError::Json(e.to_string()))?;
    into_event(wire, source)
}

/// Like [`parse`], but fields this build does not know are dropped (and named in the
/// returned list) instead of refusing the event: what a desk reading a newer relay needs.
pub fn parse_tolerant(
    body: &[u8],
    source: &SourceId,
) -> Result<(CallEvent, Vec<String>), SchemaError> {
    let mut map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| SchemaError::Json(e.to_string()))?;
    let unknown: Vec<String> = map
        .keys()
        .filter(|k| !KNOWN_KEYS.contains(&k.as_str()))
        .cloned()
        .collect();
    for key in &unknown {
        map.remove(key);
    }
    let wire: WireEvent = serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| SchemaError::Json(e.to_string()))?;
    Ok((into_event(wire, source)?, unknown))
}

/// The wire form of an engine event (what a relay publishes); `at` is always set.
pub fn to_wire(event: &CallEvent) -> WireEvent {
    let mut wire = WireEvent {
        version: Some(VERSION),
        kind: String::new(),
        call_id: Some(event.call.0.clone()),
        from: None,
        name: None,
        direction: None,
        line: None,
        reason: None,
        at: Some(event.at),
        caller: None,
        journaled: false,
        answered_by: None,
    };
    match &event.kind {
        CallEventKind::Ringing {
            direction,
            remote,
            remote_name,
            line,
            upstream,
        } => {
            wire.kind = "ringing".into();
            wire.direction = Some(direction.as_str().into());
            wire.from = Some(remote.0.clone());
            wire.name = remote_name.clone();
            wire.line = line.clone();
            if let Some(up) = upstream {
                wire.caller = up
                    .looked_up
                    .then(|| CallerField::Answer(Box::new(WireCaller::from_matches(&up.matches))));
                wire.journaled = up.journaled;
            }
        }
        CallEventKind::Answered => wire.kind = "answered".into(),
        CallEventKind::PartyChanged {
            remote,
            remote_name,
        } => {
            wire.kind = "party_changed".into();
            wire.from = Some(remote.0.clone());
            wire.name = remote_name.clone();
        }
        CallEventKind::Ended { reason } => {
            wire.kind = "ended".into();
            let text = match reason {
                EndReason::Hangup => "hangup".to_string(),
                EndReason::Cancelled => "cancelled".into(),
                EndReason::AnsweredElsewhere => "answered_elsewhere".into(),
                EndReason::AnsweredBy(who) => {
                    wire.answered_by = Some(who.clone());
                    "answered_elsewhere".into()
                }
                EndReason::Transferred => "transferred".into(),
                EndReason::SourceLost => "source_lost".into(),
                EndReason::Stopped => "stopped".into(),
                EndReason::Other(text) => text.clone(),
            };
            wire.reason = Some(text);
        }
    }
    wire
}

/// Turns a decoded wire event into an engine event.
pub fn into_event(wire: WireEvent, source: &SourceId) -> Result<CallEvent, SchemaError> {
    if let Some(v) = wire.version.filter(|v| *v != VERSION) {
        return Err(SchemaError::Version(v));
    }
    for (name, value) in [
        ("call_id", &wire.call_id),
        ("from", &wire.from),
        ("name", &wire.name),
        ("line", &wire.line),
        ("reason", &wire.reason),
        ("answered_by", &wire.answered_by),
    ] {
        if value
            .as_ref()
            .is_some_and(|v| v.chars().count() > MAX_FIELD)
        {
            return Err(SchemaError::TooLong(name, MAX_FIELD));
        }
    }
    let (number, answer) = match wire.caller.clone() {
        Some(CallerField::Number(n)) => (Some(n), None),
        Some(CallerField::Answer(a)) => (None, Some(*a)),
        None => (None, None),
    };
    if number
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_FIELD)
    {
        return Err(SchemaError::TooLong("caller", MAX_FIELD));
    }
    let (matches, looked_up) = match answer.map(WireCaller::into_matches) {
        None => (Vec::new(), false),
        Some(Ok(matches)) => (matches, true),
        Some(Err(e)) => {
            // The event is still good; greet without the upstream answer.
            tracing::warn!(source = %source, error = %e, "ignoring an event's caller object");
            (Vec::new(), false)
        }
    };
    let upstream = (looked_up || wire.journaled).then(|| {
        Box::new(Upstream {
            matches,
            looked_up,
            journaled: wire.journaled,
        })
    });
    let kind_name = wire.kind.trim().to_ascii_lowercase();
    let call_id = wire.call_id.clone().filter(|c| !c.trim().is_empty());
    let kind = match kind_name.as_str() {
        "ringing" | "ring" | "incoming" => CallEventKind::Ringing {
            direction: match wire.direction.as_deref() {
                None => Direction::Inbound,
                Some(d) => Direction::parse(&d.to_ascii_lowercase())
                    .ok_or_else(|| SchemaError::Direction(d.to_string()))?,
            },
            remote: RawNumber(
                wire.from
                    .clone()
                    .or(number)
                    .ok_or(SchemaError::Missing("ringing", "from"))?,
            ),
            remote_name: wire.name.clone(),
            line: wire.line.clone(),
            upstream,
        },
        "answered" | "answer" | "connected" => CallEventKind::Answered,
        "party_changed" => CallEventKind::PartyChanged {
            remote: RawNumber(
                wire.from
                    .clone()
                    .or(number)
                    .ok_or(SchemaError::Missing("party_changed", "from"))?,
            ),
            remote_name: wire.name.clone(),
        },
        "ended" | "end" | "hangup" | "disconnected" => CallEventKind::Ended {
            reason: match (reason(wire.reason.as_deref()), wire.answered_by.clone()) {
                (EndReason::AnsweredElsewhere, Some(who)) if !who.trim().is_empty() => {
                    EndReason::AnsweredBy(who.trim().to_string())
                }
                (reason, _) => reason,
            },
        },
        other => return Err(SchemaError::Type(other.to_string())),
    };
    let call = match (call_id, &kind) {
        (Some(id), _) => CallId(id),
        (None, CallEventKind::Ringing { .. }) => CallId(uuid::Uuid::new_v4().to_string()),
        (None, CallEventKind::Answered) => return Err(SchemaError::Missing("answered", "call_id")),
        (None, CallEventKind::PartyChanged { .. }) => {
            return Err(SchemaError::Missing("party_changed", "call_id"))
        }
        (None, _) => return Err(SchemaError::Missing("ended", "call_id")),
    };
    Ok(CallEvent {
        source: source.clone(),
        call,
        at: wire.at.unwrap_or_else(chrono::Utc::now),
        kind,
    })
}

fn reason(text: Option<&str>) -> EndReason {
    match text.map(|t| t.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("hangup") | Some("normal") => EndReason::Hangup,
        Some("cancelled") | Some("canceled") | Some("rejected") | Some("busy") => {
            EndReason::Cancelled
        }
        Some("answered_elsewhere") | Some("answered elsewhere") => EndReason::AnsweredElsewhere,
        Some("transferred") => EndReason::Transferred,
        Some("source_lost") => EndReason::SourceLost,
        Some("stopped") => EndReason::Stopped,
        Some(other) => EndReason::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests;
