//! Settings: defaults in code → system files (`$XDG_CONFIG_DIRS`/screenpop/config.toml) →
//! the user's TOML file → `SCREENPOP_<SECTION>__<KEY>` environment ([`layers`]), with the
//! administrator's `[policy] locked` keys closed to the user ([`policy`]).
//!
//! One [`Settings`] struct, validated once at start. `SCREENPOP_CONFIG` names the file
//! (default: XDG config dir `screenpop/config.toml`), `SCREENPOP_DATA_DIR` the folder for the
//! database (default: XDG data dir `screenpop/`). A broken file is reported with its line and
//! the offending field (field paths and the checks: [`validate`]). Secrets never live here:
//! config refers to keyring entries by name.

mod directories;
mod engine;
pub mod layers;
mod oauth;
mod paths;
mod pbx;
pub mod policy;
mod preserve;
mod relay;
pub mod save;
mod sources;
mod validate;

pub use directories::*;
pub use engine::{EngineSettings, DEFAULT_STALE_CALL_S};
pub use layers::{Layered, Origin};
pub use oauth::{OAuthFlow, OAuthSettings};
pub use paths::{ConfigError, Paths};
pub use pbx::{AmiConfig, FritzConfig};
pub use policy::{ContactsSettings, PolicySettings};
pub use relay::RelaySettings;
pub use sources::{BaresipConfig, BrokerAddress, MqttConfig, MqttFormat, SourceProblem};
pub use validate::FieldError;

use crate::phone::{PhoneRules, DEFAULT_TAIL_DIGITS};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Env var naming the config file.
pub const CONFIG_ENV: &str = "SCREENPOP_CONFIG";
/// Env var naming the data folder.
pub const DATA_DIR_ENV: &str = "SCREENPOP_DATA_DIR";
const ENV_PREFIX: &str = "SCREENPOP_";

/// Everything screenpop can be told.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub phone: PhoneSettings,
    pub webhook: WebhookSettings,
    pub notify: NotifySettings,
    pub lookup: LookupSettings,
    /// `[engine]`: when a call whose end never comes is closed.
    pub engine: EngineSettings,
    /// The journaling outbox's retry policy.
    pub journal: JournalSettings,
    /// Directories in chain order (`[[directory]]`); default: the local directory only.
    #[serde(rename = "directory")]
    pub directories: Vec<DirectoryConfig>,
    /// Extra event sources (`[[source]]`); the webhook is configured under `[webhook]`.
    #[serde(rename = "source")]
    pub sources: Vec<SourceConfig>,
    /// `[rules]`: first match or all matches, and the built-in VIP rule's manager.
    pub rules: crate::rules::RulesSettings,
    /// Routing rules in order (`[[rule]]`); none = the built-in VIP rule.
    #[serde(rename = "rule")]
    pub rule_list: Vec<crate::rules::RuleConfig>,
    /// `[relay]`: `screenpop relay`'s broker and duties (unused by desks; not written
    /// back while it holds the defaults).
    #[serde(skip_serializing_if = "RelaySettings::is_default")]
    pub relay: RelaySettings,
    /// `[policy]`: keys an administrator's system file locks (the union of all of them).
    #[serde(skip_serializing_if = "PolicySettings::is_empty")]
    pub policy: PolicySettings,
    /// `[contacts]`: a file the local directory is preloaded from.
    #[serde(skip_serializing_if = "ContactsSettings::is_empty")]
    pub contacts: ContactsSettings,
}

/// `[phone]`: how numbers are read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhoneSettings {
    /// ISO 3166 region assumed for numbers without a country code.
    pub default_region: String,
    /// Fallback match on the last N digits when E.164 forms differ.
    pub match_last_digits: usize,
}

/// `[webhook]`: the local HTTP event source (`screenpop event …` posts here).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    pub enabled: bool,
    pub port: u16,
    /// Keyring entry holding the bearer token (generated on first run).
    pub token_secret: String,
}

/// When the greeting pops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PopOn {
    Ringing,
    Answered,
    Manual,
}

/// `[notify]`: how the agent is greeted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifySettings {
    pub pop_on: PopOn,
    /// Open the profile URL by itself when a known caller pops.
    pub auto_open: bool,
    /// Show desktop notifications at all (false = do not disturb; calls are still logged).
    pub enabled: bool,
    /// Leave a "Missed call" notification for unanswered inbound calls.
    pub missed: bool,
    /// A VIP caller's greeting stays on screen while the call is answered (popping on
    /// ringing), and goes when the call ends — the agent keeps the note in view.
    pub sticky_vip: bool,
}

/// `[lookup]`: the directory chain's budget and cache.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LookupSettings {
    /// Past this the agent sees "Looking up…" and the pop is replaced when the answer lands.
    pub budget_ms: u64,
    /// How long a directory's hit stays cached.
    pub cache_ttl_s: u64,
    /// How long a directory's miss stays cached.
    pub miss_ttl_s: u64,
}

/// One `[[directory]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum DirectoryConfig {
    /// The SQLite contacts table (`screenpop contacts import`).
    Local {
        #[serde(default)]
        name: Option<String>,
        /// `enabled = false` keeps the entry in the file but out of the chain.
        #[serde(default, skip_serializing_if = "Enabled::is_on")]
        enabled: Enabled,
        /// URL template to create a contact for an unknown caller (`{number}`, `{e164}`).
        #[serde(default)]
        create_contact_url: Option<String>,
    },
    /// A CRM or JSON API over HTTP(S): a `preset` and/or a full template.
    Http(Box<HttpSettings>),
    /// An LDAP directory (`telephoneNumber`, `mobile`, `homePhone`).
    Ldap(Box<LdapSettings>),
    /// A CardDAV address book.
    Carddav(Box<CarddavSettings>),
}

/// An entry's on/off switch (`enabled`, default on; written to the file only when off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Enabled(pub bool);

impl Default for Enabled {
    fn default() -> Self {
        Enabled(true)
    }
}

impl Enabled {
    /// True when the entry is in use (serde's `skip_serializing_if`).
    pub fn is_on(&self) -> bool {
        self.0
    }
}

impl DirectoryConfig {
    /// False when `enabled = false`: the entry stays in the file, out of the chain.
    pub fn enabled(&self) -> bool {
        match self {
            DirectoryConfig::Local { enabled, .. } => enabled.is_on(),
            DirectoryConfig::Http(h) => h.enabled.is_on(),
            DirectoryConfig::Ldap(l) => l.enabled.is_on(),
            DirectoryConfig::Carddav(c) => c.enabled.is_on(),
        }
    }

    /// The label shown in explain output and the tray.
    pub fn name(&self) -> String {
        match self {
            DirectoryConfig::Local { name, .. } => name.clone().unwrap_or_else(|| "local".into()),
            DirectoryConfig::Http(h) => h.name.clone().unwrap_or_else(|| {
                h.preset
                    .and_then(|p| serde_json::to_value(p).ok())
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_else(|| "http".into())
            }),
            DirectoryConfig::Ldap(l) => l.name.clone().unwrap_or_else(|| "ldap".into()),
            DirectoryConfig::Carddav(c) => c.name.clone().unwrap_or_else(|| "carddav".into()),
        }
    }
}

/// One `[[source]]` entry (softphones, brokers, PBXs arrive here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum SourceConfig {
    /// A baresip softphone's `ctrl_tcp` module (events and call control).
    Baresip(BaresipConfig),
    /// An MQTT broker topic (one per agent extension).
    Mqtt(MqttConfig),
    /// Asterisk Manager Interface: one agent's extension on an Asterisk PBX.
    Ami(AmiConfig),
    /// Fritz!Box call monitor.
    Fritz(FritzConfig),
}

impl SourceConfig {
    /// False when `enabled = false`: the entry stays in the file and is not started.
    pub fn enabled(&self) -> bool {
        match self {
            SourceConfig::Baresip(c) => c.enabled.is_on(),
            SourceConfig::Mqtt(c) => c.enabled.is_on(),
            SourceConfig::Ami(c) => c.enabled.is_on(),
            SourceConfig::Fritz(c) => c.enabled.is_on(),
        }
    }

    /// The source's name in health reports and the call log.
    pub fn name(&self) -> String {
        match self {
            SourceConfig::Baresip(c) => c.name(),
            SourceConfig::Mqtt(c) => c.name(),
            SourceConfig::Ami(c) => c.name(),
            SourceConfig::Fritz(c) => c.name(),
        }
    }

    fn check(&self) -> Result<(), SourceProblem> {
        match self {
            SourceConfig::Baresip(c) => c.check(),
            SourceConfig::Mqtt(c) => c.check(),
            SourceConfig::Ami(c) => c.check(),
            SourceConfig::Fritz(c) => c.check(),
        }
    }
}

impl Default for PhoneSettings {
    fn default() -> Self {
        Self {
            default_region: "US".into(),
            match_last_digits: DEFAULT_TAIL_DIGITS,
        }
    }
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            port: 17321,
            token_secret: "webhook-token".into(),
        }
    }
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            pop_on: PopOn::Ringing,
            auto_open: false,
            enabled: true,
            missed: true,
            sticky_vip: false,
        }
    }
}

impl Default for LookupSettings {
    fn default() -> Self {
        Self {
            budget_ms: 800,
            cache_ttl_s: 3600,
            miss_ttl_s: 300,
        }
    }
}

impl Settings {
    /// Loads defaults → system files → the user's file → environment, then validates.
    pub fn load(paths: &Paths) -> Result<Self, ConfigError> {
        Ok(Layered::load(paths)?.settings)
    }

    /// Writes these settings as the user's file at `path` — only what differs from the
    /// defaults and system files (or was in the file already), never a locked key — after
    /// the same checks [`Settings::load`] makes ([`save::save_user`]). Comments are kept.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        save::save_user(self, &layers::read_system_layers()?, path).map(drop)
    }

    /// The pure core of [`Settings::load`] without system files: the user's file text and
    /// environment pairs in, settings out.
    pub fn from_parts(
        path: &Path,
        text: Option<&str>,
        env: &[(String, String)],
    ) -> Result<Self, ConfigError> {
        let user = text.map(|t| layers::Layer::parse(path, t)).transpose()?;
        Ok(Layered::resolve(&[], user.as_ref(), env, path)?.settings)
    }

    /// The number rules these settings describe.
    pub fn phone_rules(&self) -> Result<PhoneRules, crate::phone::UnknownRegion> {
        PhoneRules::new(&self.phone.default_region, self.phone.match_last_digits)
    }

    /// The directory chain: the enabled `[[directory]]` entries in order, or the local
    /// directory alone when none is listed (every entry switched off = no directory).
    pub fn directory_chain(&self) -> Vec<DirectoryConfig> {
        if self.directories.is_empty() {
            vec![DirectoryConfig::Local {
                name: None,
                enabled: Enabled::default(),
                create_contact_url: None,
            }]
        } else {
            self.directories
                .iter()
                .filter(|d| d.enabled())
                .cloned()
                .collect()
        }
    }

    /// The `[[source]]` entries to start: the enabled ones, in order.
    pub fn active_sources(&self) -> Vec<SourceConfig> {
        self.sources
            .iter()
            .filter(|s| s.enabled())
            .cloned()
            .collect()
    }
}

/// Env values are TOML scalars when they parse as one (`true`, `17321`), else plain strings.
fn env_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

#[cfg(test)]
mod tests;
