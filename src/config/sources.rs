//! The `[[source]]` kinds this build knows: their TOML keys, defaults and checks.
//!
//! Only settings live here; the sources themselves are in [`crate::source`]. Passwords are
//! never configured directly: `secret = "NAME"` names a keyring entry.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `kind = "baresip"`: a baresip softphone's `ctrl_tcp` module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaresipConfig {
    /// The name in health reports and the call log (default `baresip`).
    #[serde(default)]
    pub name: Option<String>,
    /// `enabled = false` keeps the entry in the file but out of use (the Settings switch).
    #[serde(default, skip_serializing_if = "crate::config::Enabled::is_on")]
    pub enabled: crate::config::Enabled,
    /// `host:port` of `ctrl_tcp_listen`, e.g. `127.0.0.1:4444`.
    pub address: String,
    /// Seconds of silence after which a harmless command checks the link is alive.
    #[serde(default = "default_baresip_keepalive")]
    pub keepalive_s: u64,
}

/// What JSON arrives on an MQTT topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MqttFormat {
    /// screenpop's own versioned event schema (the webhook's).
    #[default]
    Screenpop,
    /// baresip's `mqtt` module (`/baresip/event`, commands on `/baresip/command/`).
    Baresip,
}

/// `kind = "mqtt"`: a topic on an MQTT broker, one per agent extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// The name in health reports and the call log (default `mqtt:<extension>` or `mqtt`).
    #[serde(default)]
    pub name: Option<String>,
    /// `enabled = false` keeps the entry in the file but out of use (the Settings switch).
    #[serde(default, skip_serializing_if = "crate::config::Enabled::is_on")]
    pub enabled: crate::config::Enabled,
    /// `mqtt://host[:port]` or `mqtts://host[:port]`.
    pub url: String,
    /// Topic to subscribe to (default `screenpop/<extension>/events`, or `/baresip/event`).
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub format: MqttFormat,
    /// This agent's extension: names the default topic; with `format = "baresip"` events of
    /// other accounts on a shared topic are ignored.
    #[serde(default)]
    pub extension: Option<String>,
    /// Where call-control commands go (default: derived from the topic).
    #[serde(default)]
    pub command_topic: Option<String>,
    /// MQTT client id; must stay the same across restarts for the broker to keep the
    /// session (default `screenpop-<extension or name>-<hostname>`).
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    /// Keyring entry holding the password (`screenpop secret set NAME`).
    #[serde(default)]
    pub secret: Option<String>,
    /// Use TLS (implied by `mqtts://`).
    #[serde(default)]
    pub tls: bool,
    /// A PEM file of CA certificates to trust instead of the system's.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// MQTT keep-alive in seconds: a dead broker link is noticed within ~1.5× this.
    #[serde(default = "default_mqtt_keepalive")]
    pub keepalive_s: u64,
    /// The floor's topic prefix, as the relay's `[relay] topic_prefix` (default
    /// `screenpop`): topics are `<prefix>/<extension>/events`, `…/current`, `…/replies`.
    #[serde(default)]
    pub topic_prefix: Option<String>,
    /// Greet with the relay's `caller` answer (false: look callers up in this desk's own
    /// directories, ignoring it).
    #[serde(default = "default_true")]
    pub trust_caller: bool,
}

fn default_true() -> bool {
    true
}

fn default_baresip_keepalive() -> u64 {
    15
}

fn default_mqtt_keepalive() -> u64 {
    30
}

/// A `[[source]]` problem: the key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceProblem {
    pub key: &'static str,
    pub message: String,
}

fn problem(key: &'static str, message: impl Into<String>) -> SourceProblem {
    SourceProblem {
        key,
        message: message.into(),
    }
}

impl BaresipConfig {
    /// The source's name.
    pub fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| "baresip".into())
    }

    /// Checks the address and the keep-alive.
    pub fn check(&self) -> Result<(), SourceProblem> {
        let (host, port) = self.address.rsplit_once(':').ok_or_else(|| {
            problem(
                "address",
                format!(
                    "{:?} is not host:port (e.g. \"127.0.0.1:4444\")",
                    self.address
                ),
            )
        })?;
        if host.trim().is_empty() || port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(problem(
                "address",
                format!(
                    "{:?} is not host:port (e.g. \"127.0.0.1:4444\")",
                    self.address
                ),
            ));
        }
        if !(1..=3600).contains(&self.keepalive_s) {
            return Err(problem("keepalive_s", "must be between 1 and 3600"));
        }
        Ok(())
    }
}

/// A broker address read from an MQTT URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddress {
    pub host: String,
    pub port: u16,
    pub tls: bool,
}

impl MqttConfig {
    /// The source's name.
    pub fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| match &self.extension {
            Some(ext) => format!("mqtt:{ext}"),
            None => "mqtt".into(),
        })
    }

    /// The topic events are read from.
    pub fn event_topic(&self) -> Option<String> {
        match (&self.topic, self.format, &self.extension) {
            (Some(t), _, _) => Some(t.clone()),
            (None, MqttFormat::Baresip, _) => Some("/baresip/event".into()),
            (None, MqttFormat::Screenpop, Some(ext)) => {
                Some(crate::topics::Topics::new(self.prefix()).events(ext))
            }
            (None, MqttFormat::Screenpop, None) => None,
        }
    }

    /// The topic (screenpop) or topic prefix (baresip, `…/command/`) commands go to.
    pub fn command_topic(&self) -> Option<String> {
        if let Some(t) = &self.command_topic {
            return Some(t.clone());
        }
        let events = self.event_topic()?;
        Some(match self.format {
            MqttFormat::Screenpop => match events.strip_suffix("/events") {
                Some(base) => format!("{base}/commands"),
                None => format!("{events}/commands"),
            },
            MqttFormat::Baresip => match events.strip_suffix("/event") {
                Some(base) => format!("{base}/command/"),
                None => format!("{events}/command/"),
            },
        })
    }

    /// Host, port and whether TLS is on, from `url` and `tls`.
    pub fn broker(&self) -> Result<BrokerAddress, SourceProblem> {
        broker_address("url", &self.url, self.tls)
    }

    /// The floor's topics and this desk's extension, when the source reads a relay's
    /// `<prefix>/<ext>/events` (screenpop format, an extension, the default topic).
    pub fn floor(&self) -> Option<(crate::topics::Topics, String)> {
        let ext = self.extension.clone()?;
        let topics = crate::topics::Topics::new(self.prefix());
        let default = topics.events(&ext);
        (self.format == MqttFormat::Screenpop && self.event_topic().as_deref() == Some(&default))
            .then_some((topics, ext))
    }

    /// The topic prefix (default `screenpop`).
    pub fn prefix(&self) -> &str {
        self.topic_prefix
            .as_deref()
            .unwrap_or(crate::topics::DEFAULT_PREFIX)
    }
}

/// Host, port and TLS from an MQTT URL (`key` names the setting in errors).
pub fn broker_address(
    key: &'static str,
    url: &str,
    tls: bool,
) -> Result<BrokerAddress, SourceProblem> {
    {
        let bad = || {
            problem(
                key,
                format!(
                    "{url:?} is not an MQTT URL (e.g. \"mqtt://127.0.0.1:1883\" or \"mqtts://broker:8883\")"
                ),
            )
        };
        let (scheme, rest) = url.trim().split_once("://").ok_or_else(bad)?;
        let (tls, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "mqtt" | "tcp" => (tls, if tls { 8883 } else { 1883 }),
            "mqtts" | "ssl" => (true, 8883),
            _ => return Err(bad()),
        };
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.contains('@') {
            return Err(problem(
                key,
                "put the user name in `username` and the password in the keyring (`secret`), not in the URL",
            ));
        }
        let (host, port) = match authority.strip_prefix('[') {
            // [IPv6]:port
            Some(v6) => {
                let (host, after) = v6.split_once(']').ok_or_else(bad)?;
                match after.strip_prefix(':') {
                    Some(p) => (host, p.parse::<u16>().map_err(|_| bad())?),
                    None if after.is_empty() => (host, default_port),
                    None => return Err(bad()),
                }
            }
            None => match authority.split_once(':') {
                Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad())?),
                None => (authority, default_port),
            },
        };
        if host.is_empty() || port == 0 {
            return Err(bad());
        }
        Ok(BrokerAddress {
            host: host.to_string(),
            port,
            tls,
        })
    }
}

impl MqttConfig {
    /// Checks URL, topics, credentials and keep-alive.
    pub fn check(&self) -> Result<(), SourceProblem> {
        self.broker()?;
        let Some(topic) = self.event_topic() else {
            return Err(problem(
                "topic",
                "set `topic` or `extension` (the default topic is screenpop/<extension>/events)",
            ));
        };
        if topic.is_empty() || topic.contains('\0') {
            return Err(problem("topic", "must not be empty"));
        }
        if self
            .command_topic
            .as_ref()
            .is_some_and(|t| t.is_empty() || t.contains(['+', '#']))
        {
            return Err(problem(
                "command_topic",
                "must be a plain topic (no wildcards)",
            ));
        }
        if self.secret.is_some() && self.username.is_none() {
            return Err(problem("secret", "a password needs a `username` too"));
        }
        if self.client_id.as_ref().is_some_and(|c| c.trim().is_empty()) {
            return Err(problem("client_id", "must not be empty"));
        }
        if let Some(p) = &self.topic_prefix {
            if p.trim().is_empty() || p.contains(['+', '#']) {
                return Err(problem(
                    "topic_prefix",
                    "must be a plain topic (no wildcards)",
                ));
            }
        }
        if let Some(ext) = &self.extension {
            if self.topic.is_none() && !crate::topics::valid_extension(ext) {
                return Err(problem(
                    "extension",
                    format!("{ext:?} cannot name a topic (letters, digits, - _ . only)"),
                ));
            }
        }
        if !(5..=3600).contains(&self.keepalive_s) {
            return Err(problem("keepalive_s", "must be between 5 and 3600"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
