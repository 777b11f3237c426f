//! The PBX `[[source]]` kinds: `ami` (Asterisk Manager Interface) and `fritz` (Fritz!Box
//! call monitor) — their TOML keys, defaults and checks. The sources live in
//! [`crate::source::ami`] and [`crate::source::fritz`].

use super::SourceProblem;
use serde::{Deserialize, Serialize};

/// `kind = "ami"`: one agent's extension on an Asterisk PBX, or (without `extension`, for
/// `screenpop relay`) every extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmiConfig {
    /// `host` or `host:port` of the manager interface (port 5038 when left out).
    pub address: String,
    /// The manager user (`manager.conf`).
    pub username: String,
    /// Keyring entry holding that user's password (`screenpop secret set NAME`).
    pub secret: String,
    /// The agent's extension (`201`, or `PJSIP/201` to pin the technology); left out, the
    /// source follows every extension (the relay's PBX feed; a desk needs it).
    #[serde(default)]
    pub extension: Option<String>,
    /// Source name in the call log and status (default `ami:<extension>`, or `ami`).
    #[serde(default)]
    pub name: Option<String>,
    /// `enabled = false` keeps the entry in the file but out of use (the Settings switch).
    #[serde(default, skip_serializing_if = "crate::config::Enabled::is_on")]
    pub enabled: crate::config::Enabled,
    /// Dialplan context for click-to-dial and transfers (default `from-internal`).
    #[serde(default)]
    pub context: Option<String>,
}

/// `kind = "fritz"`: the Fritz!Box call monitor (enable it by dialling `#96*5*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FritzConfig {
    /// `host` or `host:port` of the router (port 1012 when left out).
    pub address: String,
    /// Only calls to or from these numbers are shown; empty = every call.
    #[serde(default)]
    pub own_numbers: Vec<String>,
    /// Source name in the call log and status (default `fritz`).
    #[serde(default)]
    pub name: Option<String>,
    /// `enabled = false` keeps the entry in the file but out of use (the Settings switch).
    #[serde(default, skip_serializing_if = "crate::config::Enabled::is_on")]
    pub enabled: crate::config::Enabled,
}

fn problem(key: &'static str, message: impl Into<String>) -> SourceProblem {
    SourceProblem {
        key,
        message: message.into(),
    }
}

fn word(key: &'static str, value: &str) -> Result<(), SourceProblem> {
    if value.trim().is_empty() || value.trim().contains(char::is_whitespace) {
        Err(problem(
            key,
            format!("{value:?} must be one word, not empty"),
        ))
    } else {
        Ok(())
    }
}

impl AmiConfig {
    /// The source's name (default `ami:<extension>`, or `ami` without an extension).
    pub fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| match &self.extension {
            Some(e) => format!("ami:{}", e.trim()),
            None => "ami".into(),
        })
    }

    /// The dialplan context for Originate and Redirect.
    pub fn context(&self) -> String {
        self.context
            .clone()
            .unwrap_or_else(|| "from-internal".into())
    }

    /// Checks what serde cannot.
    pub fn check(&self) -> Result<(), SourceProblem> {
        word("address", &self.address)?;
        word("username", &self.username)?;
        word("secret", &self.secret)?;
        if let Some(e) = &self.extension {
            word("extension", e)?;
        }
        if let Some(c) = &self.context {
            word("context", c)?;
        }
        Ok(())
    }
}

impl FritzConfig {
    /// The source's name (default `fritz`).
    pub fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| "fritz".into())
    }

    /// Checks what serde cannot.
    pub fn check(&self) -> Result<(), SourceProblem> {
        word("address", &self.address)?;
        for n in &self.own_numbers {
            if !n.chars().any(|c| c.is_ascii_digit()) {
                return Err(problem("own_numbers", format!("{n:?} is not a number")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Settings, SourceConfig};
    use std::path::Path;

    fn parse(text: &str) -> Result<Settings, String> {
        Settings::from_parts(Path::new("/etc/screenpop.toml"), Some(text), &[])
            .map_err(|e| e.to_string())
    }

    #[test]
    fn ami_and_fritz_sources_read_with_their_defaults() {
        let s = parse(
            "[[source]]\nkind = \"ami\"\naddress = \"pbx:5038\"\nusername = \"u\"\nsecret = \"ami\"\nextension = \"201\"\n\
             [[source]]\nkind = \"fritz\"\naddress = \"fritz.box\"\nown_numbers = [\"030 123456\"]\n",
        )
        .unwrap();
        let [SourceConfig::Ami(ami), SourceConfig::Fritz(fritz)] = s.sources.as_slice() else {
            panic!("{:?}", s.sources)
        };
        assert_eq!(ami.name(), "ami:201");
        assert_eq!(ami.context(), "from-internal");
        assert_eq!(fritz.name(), "fritz");
    }

    #[test]
    fn mistakes_name_their_field() {
        let err = parse("[[source]]\nkind = \"ami\"\naddress = \"pbx\"\nusername = \"u\"\nsecret = \"ami\"\nextension = \"2 01\"\n")
            .unwrap_err();
        assert!(err.contains("source.0.extension"), "{err}");
        let err = parse("[[source]]\nkind = \"ami\"\naddress = \"pbx\"\nusername = \"u\"\npassword = \"x\"\nextension = \"201\"\n")
            .unwrap_err();
        assert!(err.contains("password"), "{err}");
        let err = parse(
            "[[source]]\nkind = \"fritz\"\naddress = \"fritz.box\"\nown_numbers = [\"office\"]\n",
        )
        .unwrap_err();
        assert!(err.contains("own_numbers"), "{err}");
    }
}
