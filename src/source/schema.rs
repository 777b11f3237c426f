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

use crate::event::{
    CallEvent, CallEventKind, CallId, Direction, EndReason, RawNumber, SourceId, Timestamp,
};
use serde::{Deserialize, Serialize};

/// The schema version this build speaks.
pub const VERSION: u32 = 1;

/// One event as JSON carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireEvent {
    #[serde(default)]
    pub version: Option<u32>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, alias = "id")]
    pub call_id: Option<String>,
    #[serde(default, alias = "number", alias = "caller")]
    pub from: Option<String>,
    #[serde(default, alias = "display_name")]
    pub name: Option<String>,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub line: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub at: Option<Timestamp>,
}

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
    ] {
        if value
            .as_ref()
            .is_some_and(|v| v.chars().count() > MAX_FIELD)
        {
            return Err(SchemaError::TooLong(name, MAX_FIELD));
        }
    }
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
                    .ok_or(SchemaError::Missing("ringing", "from"))?,
            ),
            remote_name: wire.name.clone(),
            line: wire.line.clone(),
        },
        "answered" | "answer" | "connected" => CallEventKind::Answered,
        "ended" | "end" | "hangup" | "disconnected" => CallEventKind::Ended {
            reason: reason(wire.reason.as_deref()),
        },
        other => return Err(SchemaError::Type(other.to_string())),
    };
    let call = match (call_id, &kind) {
        (Some(id), _) => CallId(id),
        (None, CallEventKind::Ringing { .. }) => CallId(uuid::Uuid::new_v4().to_string()),
        (None, CallEventKind::Answered) => return Err(SchemaError::Missing("answered", "call_id")),
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
        Some(other) => EndReason::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> SourceId {
        SourceId("webhook".into())
    }

    #[test]
    fn ringing_without_call_id_gets_one() {
        let e = parse(
            br#"{"type":"ringing","from":"555-1234","name":"Lisa"}"#,
            &src(),
        )
        .unwrap();
        assert!(!e.call.0.is_empty());
        assert!(matches!(
            e.kind,
            CallEventKind::Ringing {
                direction: Direction::Inbound,
                ..
            }
        ));
    }

    #[test]
    fn bad_events_say_what_is_wrong() {
        let cases: [(&[u8], &str); 6] = [
            (b"{", "not a valid event"),
            (br#"{"type":"ringing"}"#, "needs \"from\""),
            (br#"{"type":"answered"}"#, "needs \"call_id\""),
            (
                br#"{"type":"exploded","call_id":"1"}"#,
                "unknown event type",
            ),
            (
                br#"{"type":"ended","call_id":"1","colour":"red"}"#,
                "unknown field",
            ),
            (
                br#"{"version":7,"type":"ended","call_id":"1"}"#,
                "version 7",
            ),
        ];
        for (body, want) in cases {
            let err = parse(body, &src()).unwrap_err().to_string();
            assert!(err.contains(want), "{err} should contain {want}");
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = parse(&body, &src());
        }
    }
}
