//! The call-center floor's other messages, besides the v1 events: topic names under a
//! prefix, the retained per-extension `current` list, the relay's status, and call-control
//! commands with their replies. Shared by `screenpop relay` (publisher) and the MQTT source
//! (a desk), so both sides agree by construction.
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

/// The default topic prefix.
pub const DEFAULT_PREFIX: &str = "screenpop";
/// `<prefix>/relay/status` payload while a relay is active.
pub const ONLINE: &str = "online";
/// `<prefix>/relay/status` payload once it is gone (its last will, or a clean stop).
pub const OFFLINE: &str = "offline";

/// Topic names under one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    prefix: String,
}

impl Topics {
    /// Topics under `prefix` (trailing slashes ignored).
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.trim().trim_end_matches('/').to_string(),
        }
    }

    /// The prefix itself.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn events(&self, ext: &str) -> String {
        format!("{}/{ext}/events", self.prefix)
    }

    pub fn current(&self, ext: &str) -> String {
        format!("{}/{ext}/current", self.prefix)
    }

    pub fn commands(&self, ext: &str) -> String {
        format!("{}/{ext}/commands", self.prefix)
    }

    pub fn replies(&self, ext: &str) -> String {
        format!("{}/{ext}/replies", self.prefix)
    }

    pub fn status(&self) -> String {
        format!("{}/relay/status", self.prefix)
    }

    pub fn active(&self) -> String {
        format!("{}/relay/active", self.prefix)
    }

    /// Which extension's topic `topic` is, and its last level (`events`, `commands` …).
    pub fn split<'a>(&self, topic: &'a str) -> Option<(&'a str, &'a str)> {
        let rest = topic.strip_prefix(&self.prefix)?.strip_prefix('/')?;
        let (ext, leaf) = rest.split_once('/')?;
        (!ext.is_empty() && ext != "relay" && !leaf.contains('/')).then_some((ext, leaf))
    }
}

/// Whether `ext` can name a topic level: no wildcards, separators or control characters.
pub fn valid_extension(ext: &str) -> bool {
    !ext.is_empty()
        && ext.len() <= 64
        && ext != "relay"
        && ext
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '*'))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_split_back_into_extension_and_leaf() {
        let t = Topics::new("screenpop/");
        assert_eq!(t.events("201"), "screenpop/201/events");
        assert_eq!(t.status(), "screenpop/relay/status");
        assert_eq!(t.split("screenpop/201/commands"), Some(("201", "commands")));
        assert_eq!(t.split("screenpop/relay/status"), None);
        assert_eq!(t.split("other/201/commands"), None);
        assert_eq!(t.split("screenpop/201/a/b"), None);
        assert!(valid_extension("201") && valid_extension("sales-1"));
        assert!(!valid_extension("20+") && !valid_extension("a/b") && !valid_extension("relay"));
    }
}
