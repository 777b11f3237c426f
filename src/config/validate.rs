//! What serde cannot check in the settings the config layer owns — its own sections
//! (`[phone]`, `[webhook]`, `[lookup]`), the `[[source]]` kinds, the `[[rule]]`s — reported
//! as [`FieldError`]s, each with the path of the field it concerns.
//!
//! Field paths are dotted, with ZERO-based entry indexes, the way the serialized settings
//! are addressed: `phone.default_region`, `source.0.address`, `directory.1.base_url` (the
//! second `[[directory]]`; the usual chain has the local directory at `directory.0`).
//! Directories check their own settings (`crate::directory::check`); `crate::check` joins
//! both for the CLI, the daemon and the settings page.

use super::{ConfigError, Settings};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One setting that is wrong: where (`directory.1.base_url`) and why, for the person fixing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The dotted path of the field, zero-based indexes (`directory.1.base_url`).
    pub field: String,
    pub message: String,
}

impl FieldError {
    /// `field` is wrong because of `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The field `key` of entry `index` of `[[section]]`.
    pub fn entry(section: &str, index: usize, key: &str, message: impl Into<String>) -> Self {
        Self::new(format!("{section}.{index}.{key}"), message)
    }

    /// As a load error, with the line of `text` where the field is set (when found).
    pub fn located(self, path: &Path, text: Option<&str>) -> ConfigError {
        let line = text
            .and_then(|t| line_of(t, &self.field))
            .map(|l| format!(" line {l}"))
            .unwrap_or_default();
        ConfigError::Invalid {
            path: path.display().to_string(),
            line,
            field: self.field,
            message: self.message,
        }
    }
}

impl Settings {
    /// Every problem of the parts the config layer owns (directories are checked by their
    /// own modules: see `crate::check`).
    pub fn problems(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        if let Err(e) = self.phone_rules() {
            out.push(FieldError::new("phone.default_region", e.to_string()));
        }
        if !(4..=15).contains(&self.phone.match_last_digits) {
            out.push(FieldError::new(
                "phone.match_last_digits",
                "must be between 4 and 15",
            ));
        }
        if self.webhook.enabled && self.webhook.port == 0 {
            out.push(FieldError::new("webhook.port", "must not be 0"));
        }
        if self.lookup.budget_ms == 0 || self.lookup.budget_ms > 60_000 {
            out.push(FieldError::new(
                "lookup.budget_ms",
                "must be between 1 and 60000",
            ));
        }
        if !(60..=7 * 24 * 3600).contains(&self.engine.stale_call_s) {
            out.push(FieldError::new(
                "engine.stale_call_s",
                "must be between 60 (a minute) and 604800 (a week)",
            ));
        }
        for (index, key, message) in crate::rules::validate(&self.rule_list) {
            out.push(FieldError::entry("rule", index, key, message));
        }
        if let Some(index) = first_duplicate(self.directories.iter().map(|d| d.name())) {
            let name = self.directories[index].name();
            out.push(FieldError::entry(
                "directory",
                index,
                "name",
                format!("two directories are named {name:?}; names must be unique"),
            ));
        }
        if let Err(p) = self.relay.check() {
            out.push(FieldError::new(format!("relay.{}", p.key), p.message));
        }
        for (index, source) in self.sources.iter().enumerate() {
            if let Err(p) = source.check() {
                out.push(FieldError::entry("source", index, p.key, p.message));
            }
        }
        if let Some(index) = first_duplicate(self.sources.iter().map(|s| s.name())) {
            let name = self.sources[index].name();
            out.push(FieldError::entry(
                "source",
                index,
                "name",
                format!("two sources are named {name:?}; names must be unique"),
            ));
        }
        out
    }

    /// The load-time check: the first of [`Settings::problems`], located in the file.
    pub(super) fn validate(&self, path: &Path, text: Option<&str>) -> Result<(), ConfigError> {
        match self.problems().into_iter().next() {
            Some(problem) => Err(problem.located(path, text)),
            None => Ok(()),
        }
    }
}

/// The index of the first name that occurs a second time.
fn first_duplicate(names: impl Iterator<Item = String>) -> Option<usize> {
    let mut seen = std::collections::HashSet::new();
    names
        .enumerate()
        .find(|(_, n)| !seen.insert(n.clone()))
        .map(|(i, _)| i)
}

/// The 1-based line of `text` where `field` (`phone.default_region`, `directory.1.base_url`)
/// is set: inside `[section]`, or inside the n-th `[[section]]`.
pub(super) fn line_of(text: &str, field: &str) -> Option<usize> {
    let mut parts = field.split('.');
    let section = parts.next()?;
    let (index, key) = match (parts.next()?, parts.next()) {
        (i, Some(key)) if i.parse::<usize>().is_ok() => (i.parse::<usize>().ok(), key),
        (key, _) => (None, key),
    };
    let mut current = String::new();
    let mut entries_seen = 0usize;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            current = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            if t.starts_with("[[") && current == section {
                entries_seen += 1;
            }
        } else if current == section && index.is_none_or(|n| n + 1 == entries_seen) {
            if let Some((k, _)) = t.split_once('=') {
                if k.trim() == key {
                    return Some(i + 1);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_found_in_the_right_entry() {
        let text = "[phone]\ndefault_region = \"XX\"\n[[directory]]\nkind = \"local\"\n\
                    [[directory]]\nkind = \"http\"\nbase_url = \"ftp://x\"\n";
        assert_eq!(line_of(text, "phone.default_region"), Some(2));
        assert_eq!(line_of(text, "directory.1.base_url"), Some(7));
        assert_eq!(line_of(text, "directory.0.base_url"), None);
        assert_eq!(line_of(text, "directory.1.kind"), Some(6));
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let mut s = Settings::default();
        s.phone.default_region = "XX".into();
        s.lookup.budget_ms = 0;
        let fields: Vec<String> = s.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["phone.default_region", "lookup.budget_ms"]);
    }
}
