//! `[relay]`: how `screenpop relay` reaches the broker and what it does for the floor.
//!
//! The relay reads the same file as the daemon: its PBX feed is a `[[source]] kind = "ami"`
//! without `extension`, its directories the usual `[[directory]]` tables. The broker password
//! lives in the keyring (`secret` names the entry), never here.

use super::sources::{broker_address, BrokerAddress};
use super::SourceProblem;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[relay]`; see the module docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelaySettings {
    /// `mqtt://host[:port]` or `mqtts://host[:port]` (TLS).
    pub broker: String,
    /// The relay's broker user (the ACL from `screenpop relay acl` gives it the prefix).
    pub username: Option<String>,
    /// Keyring entry holding the broker password (`screenpop secret set NAME`).
    pub secret: Option<String>,
    /// Topics are `<topic_prefix>/<extension>/…` and `<topic_prefix>/relay/…`.
    pub topic_prefix: String,
    /// Look callers up once per call in the `[[directory]]` chain and send `caller`.
    pub lookup: bool,
    /// Journal each call once to the journaling directories (desks then do not).
    pub journal: bool,
    /// MQTT client id; distinct per relay (default `screenpop-relay-<hostname>`).
    pub client_id: Option<String>,
    /// A PEM file of CA certificates to trust instead of the system's (`mqtts://`).
    pub ca_file: Option<PathBuf>,
    /// MQTT keep-alive: the broker declares a silent active relay dead after 1.5× this, and
    /// a standby takes over.
    pub keepalive_s: u64,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            broker: "mqtt://127.0.0.1:1883".into(),
            username: None,
            secret: None,
            topic_prefix: crate::topics::DEFAULT_PREFIX.into(),
            lookup: true,
            journal: true,
            client_id: None,
            ca_file: None,
            keepalive_s: 3,
        }
    }
}

impl RelaySettings {
    /// Whether nothing was configured (a desk's file).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Host, port and TLS of `broker`.
    pub fn broker_address(&self) -> Result<BrokerAddress, SourceProblem> {
        broker_address("broker", &self.broker, false)
    }

    /// Checks what serde cannot.
    pub fn check(&self) -> Result<(), SourceProblem> {
        self.broker_address()?;
        let problem = |key, message: &str| SourceProblem {
            key,
            message: message.into(),
        };
        let prefix = self.topic_prefix.trim().trim_end_matches('/');
        if prefix.is_empty() || prefix.contains(['+', '#']) {
            return Err(problem(
                "topic_prefix",
                "must be a plain topic level such as \"screenpop\" (no wildcards)",
            ));
        }
        if self.secret.is_some() && self.username.is_none() {
            return Err(problem("secret", "a password needs a `username` too"));
        }
        if self.client_id.as_ref().is_some_and(|c| c.trim().is_empty()) {
            return Err(problem("client_id", "must not be empty"));
        }
        if !(1..=60).contains(&self.keepalive_s) {
            return Err(problem("keepalive_s", "must be between 1 and 60"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;
    use std::path::Path;

    fn parse(text: &str) -> Result<Settings, String> {
        Settings::from_parts(Path::new("/etc/screenpop.toml"), Some(text), &[])
            .map_err(|e| e.to_string())
    }

    #[test]
    fn relay_defaults_and_mistakes_name_their_field() {
        let s = parse("").unwrap();
        assert_eq!(s.relay.topic_prefix, "screenpop");
        assert!(s.relay.lookup && s.relay.journal);
        let s = parse("[relay]\nbroker = \"mqtts://broker:8883\"\nusername = \"relay\"\nsecret = \"relay-mqtt\"\njournal = false\n").unwrap();
        assert!(s.relay.broker_address().unwrap().tls);
        assert!(!s.relay.journal);
        let err = parse("[relay]\nbroker = \"http://x\"\n").unwrap_err();
        assert!(
            err.contains("relay.broker") && err.contains("line 2"),
            "{err}"
        );
        let err = parse("[relay]\ntopic_prefix = \"a/#\"\n").unwrap_err();
        assert!(err.contains("relay.topic_prefix"), "{err}");
        let err = parse("[relay]\npassword = \"x\"\n").unwrap_err();
        assert!(err.contains("password"), "{err}");
    }
}
