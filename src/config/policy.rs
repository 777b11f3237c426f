//! `[policy]`: what an administrator's system file (`/etc/xdg/screenpop/config.toml`, any
//! `$XDG_CONFIG_DIRS` entry) locks, so that the user's file, the environment and the Settings
//! page cannot change it.
//!
//! A lock names a whole section (`"directory"`, `"notify"`) or one key of a table section
//! (`"notify.pop_on"`). Locks only count in system files; the layering in [`super::layers`]
//! applies them, and the writer in [`super::save`] never writes a locked key.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// `[policy]` as written in a system file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicySettings {
    /// Sections or `section.key`s that only system files may set.
    pub locked: Vec<String>,
}

impl PolicySettings {
    /// True when nothing is locked (then `[policy]` is left out of a saved file).
    pub fn is_empty(&self) -> bool {
        self.locked.is_empty()
    }
}

/// `[contacts]`: contacts the local directory is preloaded with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContactsSettings {
    /// A CSV or vCard file imported at start and again whenever it changes
    /// (e.g. `/etc/screenpop/contacts.csv`, set in a system file for every desk).
    pub import: Option<std::path::PathBuf>,
}

impl ContactsSettings {
    /// True when no preload is configured.
    pub fn is_empty(&self) -> bool {
        self.import.is_none()
    }
}

/// The set of locks in force (the union of every system file's `[policy] locked`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Locks(BTreeSet<String>);

/// Sections that are lists of tables: they are locked (and layered) as a whole.
pub const LIST_SECTIONS: [&str; 3] = ["directory", "source", "rule"];

/// Sections no lock can name: they are the lock's own machinery.
const UNLOCKABLE: [&str; 1] = ["policy"];

impl Locks {
    /// Locks from names, checked against the settings screenpop knows.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut set = BTreeSet::new();
        for name in names {
            check_name(name)?;
            set.insert(name.to_string());
        }
        Ok(Self(set))
    }

    /// Whether `section` (with `key`: that key of it) is locked.
    pub fn covers(&self, section: &str, key: Option<&str>) -> bool {
        self.0.contains(section) || key.is_some_and(|k| self.0.contains(&format!("{section}.{k}")))
    }

    /// Whether a dotted path (`"notify"`, `"notify.pop_on"`) is locked.
    pub fn covers_path(&self, path: &str) -> bool {
        match path.split_once('.') {
            Some((section, key)) => self.covers(section, Some(key)),
            None => self.covers(path, None),
        }
    }

    /// The lock names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// True when nothing is locked.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A lock must name a section screenpop has, or a key of one of its table sections.
fn check_name(name: &str) -> Result<(), String> {
    let (section, key) = match name.split_once('.') {
        Some((s, k)) => (s, Some(k)),
        None => (name, None),
    };
    if UNLOCKABLE.contains(&section) {
        return Err(format!("{name:?}: [policy] itself cannot be locked"));
    }
    let defaults = toml::Table::try_from(super::Settings::default()).map_err(|e| e.to_string())?;
    let known_section = defaults.contains_key(section) || section == "contacts";
    if !known_section {
        return Err(format!("{name:?}: screenpop has no [{section}] section"));
    }
    let Some(key) = key else { return Ok(()) };
    if LIST_SECTIONS.contains(&section) {
        return Err(format!(
            "{name:?}: [[{section}]] is a list; lock it as a whole (\"{section}\")"
        ));
    }
    if key.is_empty() || key.contains('.') {
        return Err(format!("{name:?}: name a section or section.key"));
    }
    // Whether the key exists: every section denies unknown fields, so a probe value either
    // deserializes, or fails on its type — or names the key as unknown.
    let probe: toml::Table = toml::from_str(&format!("[{section}]\n{key} = 0\n"))
        .map_err(|_| format!("{name:?}: not a setting name"))?;
    match probe.try_into::<super::Settings>() {
        Err(e) if e.message().contains("unknown field") => {
            Err(format!("{name:?}: [{section}] has no key {key:?}"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_keys_are_checked_against_the_settings() {
        let locks = Locks::new(["directory", "notify.pop_on", "contacts.import"]).unwrap();
        assert!(locks.covers("directory", None));
        assert!(locks.covers("notify", Some("pop_on")));
        assert!(!locks.covers("notify", Some("auto_open")));
        assert!(locks.covers_path("notify.pop_on"));
        assert!(!locks.covers_path("notify"));
        assert!(
            Locks::new(["rules.manager"]).is_ok(),
            "an Option key is a key"
        );
        for bad in [
            "notfy",
            "notify.popon",
            "directory.0.base_url",
            "policy",
            "notify.",
        ] {
            assert!(Locks::new([bad]).is_err(), "{bad} should be refused");
        }
        let err = Locks::new(["directory.base_url"]).unwrap_err();
        assert!(err.contains("as a whole"), "{err}");
    }
}
