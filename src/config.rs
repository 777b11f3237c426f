//! Settings: defaults in code → TOML file → `SCREENPOP_<SECTION>__<KEY>` environment.
//!
//! One [`Settings`] struct, validated once at start. `SCREENPOP_CONFIG` names the file
//! (default: XDG config dir `screenpop/config.toml`), `SCREENPOP_DATA_DIR` the folder for the
//! database (default: XDG data dir `screenpop/`). A broken file is reported with its line and
//! the offending field (field paths and the checks: [`validate`]). Secrets never live here:
//! config refers to keyring entries by name.

mod directories;
mod engine;
mod oauth;
mod pbx;
mod preserve;
mod relay;
mod sources;
mod validate;

pub use directories::*;
pub use engine::{EngineSettings, DEFAULT_STALE_CALL_S};
pub use oauth::{OAuthFlow, OAuthSettings};
pub use pbx::{AmiConfig, FritzConfig};
pub use relay::RelaySettings;
pub use sources::{BaresipConfig, BrokerAddress, MqttConfig, MqttFormat, SourceProblem};
pub use validate::FieldError;

use crate::phone::{PhoneRules, DEFAULT_TAIL_DIGITS};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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

impl DirectoryConfig {
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

/// A config problem, worded for the person who has to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("{path}{line}: {field}: {message}")]
    Invalid {
        path: String,
        line: String,
        field: String,
        message: String,
    },
    #[error(
        "no config or data directory could be determined (set {CONFIG_ENV} and {DATA_DIR_ENV})"
    )]
    NoHome,
}

/// Where settings and data live for this process.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
}

impl Paths {
    /// Resolves the config file and data folder from the environment and XDG dirs.
    pub fn from_env() -> Result<Self, ConfigError> {
        let config_file = match std::env::var_os(CONFIG_ENV) {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => dirs::config_dir()
                .ok_or(ConfigError::NoHome)?
                .join("screenpop/config.toml"),
        };
        let data_dir = match std::env::var_os(DATA_DIR_ENV) {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => dirs::data_dir()
                .ok_or(ConfigError::NoHome)?
                .join("screenpop"),
        };
        Ok(Self {
            config_file,
            data_dir,
        })
    }

    /// The SQLite database file.
    pub fn database(&self) -> PathBuf {
        self.data_dir.join("screenpop.db")
    }

    /// The running daemon's owner-only control socket (the CLI's way in, no token needed).
    pub fn socket(&self) -> PathBuf {
        self.data_dir.join("screenpop.sock")
    }
}

impl Settings {
    /// Loads defaults → file (if it exists) → environment, then validates.
    pub fn load(paths: &Paths) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(&paths.config_file) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(ConfigError::Read {
                    path: paths.config_file.clone(),
                    source,
                })
            }
        };
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::from_parts(&paths.config_file, text.as_deref(), &env)
    }

    /// Writes these settings to `path` as TOML, after the same checks [`Settings::load`] makes;
    /// written to a temp file first and renamed, so a crash never leaves half a config. An
    /// existing file keeps its comments and layout ([`preserve`]) and its mode (0600 if new).
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let file_error = |message: String| ConfigError::File {
            path: path.to_path_buf(),
            message,
        };
        let fresh = toml::to_string_pretty(self).map_err(|e| file_error(e.to_string()))?;
        Self::from_parts(path, Some(&fresh), &[])?;
        // Over an existing file, keep what the person wrote around the values (comments).
        let text = std::fs::read_to_string(path)
            .ok()
            .and_then(|old| preserve::merge(&old, &fresh))
            // Only if it reads back as exactly these settings.
            .filter(|merged| {
                let back = Self::from_parts(path, Some(merged), &[]).ok();
                back.and_then(|b| toml::to_string_pretty(&b).ok()).as_ref() == Some(&fresh)
            })
            .unwrap_or(fresh);
        let write_error = |source| ConfigError::Write {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(write_error)?;
        }
        preserve::write(path, &text).map_err(write_error)
    }

    /// The pure core of [`Settings::load`]: file text and environment pairs in, settings out.
    pub fn from_parts(
        path: &Path,
        text: Option<&str>,
        env: &[(String, String)],
    ) -> Result<Self, ConfigError> {
        let file_error = |e: toml::de::Error| ConfigError::File {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        };
        let mut table: toml::Table = match text {
            Some(t) => {
                // Deserialize once from the text so errors carry line, column and field.
                let _: Settings = toml::from_str(t).map_err(file_error)?;
                toml::from_str(t).map_err(file_error)?
            }
            None => toml::Table::new(),
        };
        let mut applied = Vec::new();
        for (var, value) in env {
            let Some(key) = var.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let Some((section, field)) = key.split_once("__") else {
                continue;
            };
            let (section, field) = (section.to_ascii_lowercase(), field.to_ascii_lowercase());
            let entry = table
                .entry(section.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(section_table) = entry else {
                return Err(ConfigError::Env {
                    var: var.clone(),
                    message: format!("[{section}] is not a table"),
                });
            };
            section_table.insert(field, env_value(value));
            applied.push(var.clone());
        }
        let settings: Settings =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Env {
                    var: applied.join(", "),
                    message: e.message().to_string(),
                })?;
        settings.validate(path, text)?;
        Ok(settings)
    }

    /// The number rules these settings describe.
    pub fn phone_rules(&self) -> Result<PhoneRules, crate::phone::UnknownRegion> {
        PhoneRules::new(&self.phone.default_region, self.phone.match_last_digits)
    }

    /// The directory chain, defaulting to the local directory alone.
    pub fn directory_chain(&self) -> Vec<DirectoryConfig> {
        if self.directories.is_empty() {
            vec![DirectoryConfig::Local {
                name: None,
                create_contact_url: None,
            }]
        } else {
            self.directories.clone()
        }
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
