//! The one event model every source speaks and the engine consumes.
//!
//! Sources turn their wire format into [`CallEvent`]s and nothing else; the engine owns the
//! per-call state machine and publishes [`EngineEvent`]s for presenters, the tray and the UI.
//! Nothing here does I/O.

use crate::model::Customer;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// When something happened (UTC).
pub type Timestamp = DateTime<Utc>;

/// Which configured source an event came from (`webhook`, `baresip`, `mqtt:201` …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SourceId(pub String);

/// A call's identity as its source names it (SIP Call-ID, AMI Linkedid, webhook id …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallId(pub String);

/// A remote party's number exactly as the source reported it, before normalisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawNumber(pub String);

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which way a call goes, seen from the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    /// The lowercase name used in the call log and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    /// Parses the call-log spelling back.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "inbound" | "in" | "incoming" => Some(Direction::Inbound),
            "outbound" | "out" | "outgoing" => Some(Direction::Outbound),
            _ => None,
        }
    }
}

/// Why a call ended, as far as the source knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "detail")]
pub enum EndReason {
    /// Normal hang-up by either side.
    Hangup,
    /// The caller gave up, or the call was rejected, before anyone answered.
    Cancelled,
    /// Picked up on another phone (ring group, queue); not missed for this agent.
    AnsweredElsewhere,
    /// Picked up by this colleague's extension (a relay knows who): not missed either.
    AnsweredBy(String),
    /// Handed to another party.
    Transferred,
    /// The source went away mid-call; we closed the call ourselves.
    SourceLost,
    /// screenpop stopped while the call was live; we closed the call ourselves.
    Stopped,
    /// Anything else the source said, verbatim.
    Other(String),
}

impl EndReason {
    /// Whether the call went to someone else, so an unanswered call is not missed here.
    pub fn elsewhere(&self) -> bool {
        matches!(
            self,
            EndReason::AnsweredElsewhere | EndReason::AnsweredBy(_) | EndReason::Transferred
        )
    }

    /// A short human label for the call log.
    pub fn label(&self) -> String {
        match self {
            EndReason::Hangup => "hangup".into(),
            EndReason::Cancelled => "cancelled".into(),
            EndReason::AnsweredElsewhere => "answered elsewhere".into(),
            EndReason::AnsweredBy(who) => format!("answered by {who}"),
            EndReason::Transferred => "transferred".into(),
            EndReason::SourceLost => "source lost".into(),
            EndReason::Stopped => "screenpop stopped".into(),
            EndReason::Other(s) => s.clone(),
        }
    }
}

/// What happened to a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum CallEventKind {
    Ringing {
        direction: Direction,
        remote: RawNumber,
        remote_name: Option<String>,
        line: Option<String>,
        /// What a relay upstream already did for this call (v1 schema `caller`, `journaled`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        upstream: Option<Box<Upstream>>,
    },
    Answered,
    /// The remote party changed mid-call (a transfer, a connected-line update): the pop and
    /// the log row follow the new party, looked up like any caller.
    PartyChanged {
        remote: RawNumber,
        remote_name: Option<String>,
    },
    Ended {
        reason: EndReason,
    },
}

/// What a component upstream of this desk (a `screenpop relay`) did for a call already:
/// looked the caller up once for the whole floor, and/or journals the call to the CRMs.
/// Everything in here came over the network and is untrusted (URLs are checked on parse).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upstream {
    /// The upstream directory answer, best first (empty with `looked_up`: nobody matched).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<Customer>,
    /// The caller was looked up upstream: `matches` is the answer, the desk need not ask.
    #[serde(default)]
    pub looked_up: bool,
    /// The publisher journals this call itself, so this desk must not.
    #[serde(default)]
    pub journaled: bool,
}

/// One thing a source observed about one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEvent {
    pub source: SourceId,
    pub call: CallId,
    pub at: Timestamp,
    pub kind: CallEventKind,
}

/// Where a call is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallState {
    Ringing,
    Answered,
    Ended,
}

/// Health of a source or directory, for the tray and `screenpop status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "state", content = "reason")]
pub enum Health {
    Up,
    Connecting,
    Down(String),
}
