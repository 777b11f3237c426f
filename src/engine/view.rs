//! What the engine tells the world: a live call's [`CallView`] and the [`EngineEvent`] stream.
//!
//! Presenters (notifications, the desktop shell, the CLI's status) subscribe to the stream and
//! never reach into the engine. Views are plain data, serializable for the webview.

use crate::directory::Customer;
use crate::event::{CallState, Direction, Health, Timestamp};
use crate::phone::Remote;
use crate::rules::Routing;
use crate::store::calls::CallRecord;
use serde::Serialize;
use std::sync::Arc;

/// A call's identity across sources.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CallKey {
    pub source: String,
    pub call_id: String,
}

/// Where the caller lookup stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum LookupState {
    /// Still asking directories (the pop says "Looking up…").
    Pending,
    /// Finished: zero, one or several matches.
    Done {
        matches: Vec<Customer>,
        directory: Option<String>,
        create_contact_url: Option<String>,
    },
    /// Nothing to look up (withheld or not a number).
    NotApplicable,
}

/// Everything a presenter needs to show one call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallView {
    pub key: CallKey,
    pub direction: Direction,
    pub state: CallState,
    /// The number as the source sent it.
    pub number: String,
    pub remote: Remote,
    pub remote_name: Option<String>,
    pub line: Option<String>,
    pub lookup: LookupState,
    pub started_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub missed: bool,
    pub end_reason: Option<String>,
    /// What the routing rules decided (empty until the lookup lands).
    pub routing: Routing,
}

impl CallView {
    /// The best match, if the lookup found anyone.
    pub fn customer(&self) -> Option<&Customer> {
        match &self.lookup {
            LookupState::Done { matches, .. } => matches.first(),
            _ => None,
        }
    }

    /// How many directory entries matched.
    pub fn match_count(&self) -> usize {
        match &self.lookup {
            LookupState::Done { matches, .. } => matches.len(),
            _ => 0,
        }
    }

    /// The name to show: the customer's, else what the caller's phone sent, else the number.
    pub fn title_name(&self) -> String {
        self.customer()
            .map(|c| c.name.clone())
            .or_else(|| self.remote_name.clone().filter(|n| !n.trim().is_empty()))
            .unwrap_or_else(|| self.remote.display())
    }
}

/// The engine's broadcast: live calls, logged calls, source health.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum EngineEvent {
    /// A live call changed (rang, lookup landed, answered, ended).
    Call { view: Arc<CallView> },
    /// A finished call was written to the call log.
    Logged { record: Arc<CallRecord> },
    /// A source's health changed.
    SourceHealth { source: String, health: Health },
}
