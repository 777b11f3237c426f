//! The `[rules]` and `[[rule]]` config: keys, defaults and the checks serde cannot make.

use super::Hours;
use serde::{Deserialize, Serialize};

/// Which matching rules apply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchMode {
    /// The first rule whose conditions hold decides.
    #[default]
    First,
    /// Every rule whose conditions hold applies (the first transfer wins).
    All,
}

impl MatchMode {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchMode::First => "first",
            MatchMode::All => "all",
        }
    }
}

/// `[rules]`: how the `[[rule]]` list is applied.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesSettings {
    #[serde(rename = "match")]
    pub mode: MatchMode,
    /// Where the built-in VIP rule transfers to (a number, an extension or a `sip:` URI).
    pub manager: Option<String>,
}

/// Which calls a rule looks at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Towards {
    #[default]
    Inbound,
    Outbound,
    Any,
}

/// A rule's conditions; all that are given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct When {
    /// The caller is (or is not) a VIP customer.
    pub vip: Option<bool>,
    /// No directory knows the caller (or one does).
    pub unknown: Option<bool>,
    /// The number starts with this (`+49` against E.164, otherwise the digits as dialled).
    pub prefix: Option<String>,
    /// The number matches this glob (`*` any digits, `?` one), e.g. `+4930*`.
    pub pattern: Option<String>,
    /// Local time window, e.g. `Mo-Fr 09:00-17:00`.
    #[serde(with = "hours_text", skip_serializing_if = "Option::is_none")]
    pub hours: Option<Hours>,
    /// The directory that knew the caller (its configured name).
    pub directory: Option<String>,
    /// `inbound` (default), `outbound` or `any`.
    pub direction: Option<Towards>,
}

mod hours_text {
    use super::Hours;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(h: &Option<Hours>, s: S) -> Result<S::Ok, S::Error> {
        match h {
            Some(h) => s.serialize_str(h.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Hours>, D::Error> {
        let text = String::deserialize(d)?;
        Hours::try_from(text)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

/// What a rule does when it fires.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Shown in the call log ("transferred to 200 by rule VIP"); default `rule N`.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub when: When,
    /// Transfer the call here through its source's call control (number, extension, `sip:`).
    #[serde(default)]
    pub transfer: Option<String>,
    /// Critical, sticky notification.
    #[serde(default)]
    pub urgent: bool,
    /// Open the CRM profile by itself.
    #[serde(default)]
    pub auto_open: bool,
    /// No notification at all (the call is still logged).
    #[serde(default)]
    pub silent: bool,
    /// A tag for the call-log row.
    #[serde(default)]
    pub tag: Option<String>,
}

fn yes() -> bool {
    true
}

/// Config checks serde cannot make: `(rule index, field, message)` of every problem.
pub fn validate(configs: &[RuleConfig]) -> Vec<(usize, &'static str, String)> {
    let mut out = Vec::new();
    for (i, c) in configs.iter().enumerate() {
        let name = c.name.clone().unwrap_or_else(|| format!("rule {}", i + 1));
        if let Some(t) = &c.transfer {
            if t.trim().is_empty() || t.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
                out.push((
                    i,
                    "transfer",
                    format!("rule {name:?}: {t:?} is not a number, extension or sip: URI"),
                ));
            }
        }
        if c.when
            .prefix
            .as_deref()
            .is_some_and(|p| p.trim().is_empty())
        {
            out.push((i, "when.prefix", format!("rule {name:?}: empty prefix")));
        }
    }
    out
}
