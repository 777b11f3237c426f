//! Writing the user's file (the Settings page's save path) over the layers beneath it: only
//! what the user chose is written — keys the file already had, and values that differ from
//! what the defaults and system files give — and never a key an administrator locked.
//!
//! So a save neither freezes the administrator's current values into the user's file nor
//! lets the page change a locked one: a locked key in the settings being saved is dropped
//! (the value in force stays the system file's) and logged.

use super::layers::{Layer, Layered};
use super::policy::LIST_SECTIONS;
use super::{preserve, ConfigError, Settings};
use std::path::Path;

/// Saves `settings` as the user's file at `path`, over the system layers `system`
/// (most important first). Returns the settings now in force (without the environment).
pub fn save_user(
    settings: &Settings,
    system: &[Layer],
    path: &Path,
) -> Result<Settings, ConfigError> {
    let file_error = |message: String| ConfigError::File {
        path: path.to_path_buf(),
        message,
    };
    let fresh = toml::to_string_pretty(settings).map_err(|e| file_error(e.to_string()))?;
    // The settings must stand on their own first (same checks as a load).
    Layered::resolve(&[], Some(&Layer::parse(path, &fresh)?), &[], path)?;
    let base = Layered::resolve(system, None, &[], path)?;
    let old = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let had: toml::Table = old
        .as_deref()
        .and_then(|t| toml::from_str(t).ok())
        .unwrap_or_default();
    let fresh_table: toml::Table = toml::from_str(&fresh).map_err(|e| file_error(e.to_string()))?;
    let base_table =
        toml::Table::try_from(&base.settings).map_err(|e| file_error(e.to_string()))?;
    let (user, dropped) = user_part(&fresh_table, &base_table, &had, &base);
    for key in &dropped {
        tracing::warn!(key = %key, "not saved: set by your administrator");
    }
    let user_text = toml::to_string_pretty(&user).map_err(|e| file_error(e.to_string()))?;
    let expected = Layered::resolve(system, Some(&Layer::parse(path, &user_text)?), &[], path)?;
    let expected_text = toml::to_string_pretty(&expected.settings).ok();
    // Over an existing file, keep what the person wrote around the values (comments) —
    // only if it reads back as exactly the settings the plain text gives.
    let text = old
        .as_deref()
        .and_then(|old| preserve::merge(old, &user_text))
        .filter(|merged| {
            let back = Layer::parse(path, merged)
                .and_then(|l| Layered::resolve(system, Some(&l), &[], path))
                .ok();
            back.and_then(|b| toml::to_string_pretty(&b.settings).ok()) == expected_text
        })
        .unwrap_or(user_text);
    write_atomically(path, &text)?;
    Ok(expected.settings)
}

/// What of `fresh` belongs in the user's file, and the locked keys left out.
fn user_part(
    fresh: &toml::Table,
    base: &toml::Table,
    had: &toml::Table,
    layered: &Layered,
) -> (toml::Table, Vec<String>) {
    let mut user = toml::Table::new();
    let mut dropped = Vec::new();
    for (section, value) in fresh {
        if section == "policy" {
            continue;
        }
        let listed = LIST_SECTIONS.contains(&section.as_str());
        match value {
            toml::Value::Table(keys) if !listed => {
                let mut part = toml::Table::new();
                for (key, value) in keys {
                    let path = format!("{section}.{key}");
                    let in_base = base.get(section).and_then(|t| t.get(key));
                    if layered.is_locked(&path) {
                        if in_base != Some(value) {
                            dropped.push(path);
                        }
                        continue;
                    }
                    let kept = had.get(section).and_then(|t| t.get(key)).is_some();
                    if kept || in_base != Some(value) {
                        part.insert(key.clone(), value.clone());
                    }
                }
                if !part.is_empty() || had.contains_key(section) {
                    user.insert(section.clone(), toml::Value::Table(part));
                }
            }
            _ => {
                let in_base = base.get(section);
                if layered.is_locked(section) {
                    if in_base != Some(value) {
                        dropped.push(section.clone());
                    }
                    continue;
                }
                if had.contains_key(section) || in_base != Some(value) {
                    user.insert(section.clone(), value.clone());
                }
            }
        }
    }
    (user, dropped)
}

/// Written to a temp file first and renamed, so a crash never leaves half a config; the
/// file keeps its mode (0600 when new) — [`preserve::write`].
fn write_atomically(path: &Path, text: &str) -> Result<(), ConfigError> {
    let write_error = |source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write_error)?;
    }
    preserve::write(path, text).map_err(write_error)
}
