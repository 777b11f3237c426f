//! The call-center floor's MQTT topic names under a prefix, and which extension names can be
//! a topic level. A leaf: the config derives a desk's default topics from it, `screenpop
//! relay` publishes on them and the MQTT source subscribes to them, so all three agree by
//! construction. The payloads are [`crate::source::schema::floor`]'s.
//!
//! | topic | retained | payload |
//! |---|---|---|
//! | `<prefix>/<ext>/events` | no | one v1 event |
//! | `<prefix>/<ext>/current` | yes | the extension's live calls, `[]` when idle |
//! | `<prefix>/<ext>/commands` | no | a call-control command from the desk |
//! | `<prefix>/<ext>/replies` | no | the relay's reply to it |
//! | `<prefix>/relay/status` | yes | [`ONLINE`] / [`OFFLINE`] (the active relay's last will) |
//! | `<prefix>/relay/active` | yes | which relay is active, PBX state, journaling |

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
