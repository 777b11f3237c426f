//! The call-center floor's other messages, besides the v1 events: topic names under a
//! prefix, the retained per-extension `current` list, the relay's status, and call-control
//! commands with their replies. Shared by `screenpop relay` (publisher) and the MQTT source
//! (a desk), so both sides agree by construction. The topic names come from [`crate::topics`].
//!
//! | topic | retained | payload |
//! |---|---|---|
//! | `<prefix>/<ext>/events` | no | one v1 event ([`super::WireEvent`]) |
//! | `<prefix>/<ext>/current` | yes | [`Current`]: the extension's live calls, `[]` when idle |
//! | `<prefix>/<ext>/commands` | no | [`Command`] from the desk |
//! | `<prefix>/<ext>/replies` | no | [`Reply`] from the relay |
//! | `<prefix>/relay/status` | yes | `online` / `offline` (the active relay's last will) |
//! | `<prefix>/relay/active` | yes | [`RelayInfo`]: which relay is active, PBX state, journaling |

use super::WireEvent;
use crate::event::{Health, Timestamp};
use serde::{Deserialize, Serialize};

/// One live call in [`Current`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentCall {
    /// `ringing` or `answered`.
    pub state: String,
    /// The call's ringing event as the events topic carried it (with `caller`).
    pub ringing: WireEvent,
}

/// `<prefix>/<ext>/current`: the extension's live calls, so a desk starting mid-ring pops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Current {
    pub version: u32,
    pub extension: String,
    pub calls: Vec<CurrentCall>,
    pub at: Timestamp,
}

/// `<prefix>/relay/active`: the relay holding the PBX connection, for desks and standbys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayInfo {
    /// The relay's MQTT client id.
    pub relay: String,
    /// When it claimed the floor (a standby's claim is newer).
    pub since: Timestamp,
    /// The PBX connection as the relay sees it.
    pub pbx: Health,
    /// Whether the relay journals calls (desks then do not).
    pub journal: bool,
    /// Whether the relay looks callers up (`caller` in events).
    pub lookup: bool,
}

/// Call control from a desk on `<prefix>/<ext>/commands`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Command {
    #[serde(default)]
    pub version: Option<u32>,
    /// `dial`, `answer`, `hangup` or `transfer`.
    pub command: String,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub call_id: Option<String>,
    /// Echoed in the reply.
    #[serde(default)]
    pub token: Option<String>,
}

/// The relay's answer on `<prefix>/<ext>/replies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub token: Option<String>,
    pub ok: bool,
    pub error: Option<String>,
}
