//! Where each setting comes from: defaults → every `screenpop/config.toml` in
//! `$XDG_CONFIG_DIRS` (the administrator's system files, `/etc/xdg` by default) → the user's
//! file → `SCREENPOP_<SECTION>__<KEY>` environment, with the system files' `[policy] locked`
//! keys closed to the last two.
//!
//! Table sections merge key by key; list sections (`[[directory]]`, `[[source]]`, `[[rule]]`)
//! are replaced as a whole by the most important layer that has them. [`Layered`] keeps, next
//! to the settings, the origin of every key and the user values a lock overrode — what
//! `screenpop config check --origin` prints and the Settings page shows read-only.

use super::policy::{Locks, LIST_SECTIONS};
use super::{env_value, ConfigError, Paths, Settings, ENV_PREFIX};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "from", rename_all = "lowercase")]
pub enum Origin {
    /// Built in.
    Default,
    /// An administrator's file in `$XDG_CONFIG_DIRS`.
    System(PathBuf),
    /// The user's own file.
    User(PathBuf),
    /// A `SCREENPOP_…` environment variable.
    Env(String),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::System(p) => write!(f, "system file {}", p.display()),
            Origin::User(p) => write!(f, "user file {}", p.display()),
            Origin::Env(v) => write!(f, "environment {v}"),
        }
    }
}

/// A value the user's file or the environment set that a lock kept from taking effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overridden {
    /// `section` or `section.key`.
    pub key: String,
    /// The file or variable that tried.
    pub by: Origin,
}

/// One config file's contents, checked on its own (so errors name its line and field).
#[derive(Debug, Clone)]
pub struct Layer {
    pub path: PathBuf,
    pub text: String,
    table: toml::Table,
}

impl Layer {
    /// Parses `text` as the file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let file_error = |e: toml::de::Error| ConfigError::File {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        };
        // Deserialize once from the text so errors carry line, column and field.
        let _: Settings = toml::from_str(text).map_err(file_error)?;
        let table = toml::from_str(text).map_err(file_error)?;
        Ok(Self {
            path: path.to_path_buf(),
            text: text.to_string(),
            table,
        })
    }

    /// Reads the file at `path`; `None` when it does not exist.
    pub fn read(path: &Path) -> Result<Option<Self>, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, &text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// The file's locks (`[policy] locked`).
    fn locks(&self) -> impl Iterator<Item = &str> {
        self.table
            .get("policy")
            .and_then(|p| p.get("locked"))
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(toml::Value::as_str)
    }
}

/// The system files `$XDG_CONFIG_DIRS` names, most important first (`/etc/xdg` when unset).
pub fn system_files() -> Vec<PathBuf> {
    let dirs = std::env::var("XDG_CONFIG_DIRS").unwrap_or_default();
    let dirs: Vec<&str> = dirs.split(':').filter(|d| d.starts_with('/')).collect();
    let dirs = if dirs.is_empty() {
        vec!["/etc/xdg"]
    } else {
        dirs
    };
    dirs.iter()
        .map(|d| Path::new(d).join("screenpop/config.toml"))
        .collect()
}

/// The system files that exist, most important first.
pub fn read_system_layers() -> Result<Vec<Layer>, ConfigError> {
    let mut layers = Vec::new();
    for path in system_files() {
        layers.extend(Layer::read(&path)?);
    }
    Ok(layers)
}

/// Settings with the origin of every value and the locks that shaped them.
#[derive(Debug, Clone)]
pub struct Layered {
    pub settings: Settings,
    /// `section.key` (or `section` for list sections) → where its value came from.
    pub origins: BTreeMap<String, Origin>,
    pub locks: Locks,
    /// User or environment values a lock overrode (`config check` warns about them).
    pub overridden: Vec<Overridden>,
    /// The files read, least important first (system files, then the user's).
    pub files: Vec<PathBuf>,
}

impl Layered {
    /// Reads the system files, the user's file and the environment.
    pub fn load(paths: &Paths) -> Result<Self, ConfigError> {
        let system = read_system_layers()?;
        let user = Layer::read(&paths.config_file)?;
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::resolve(&system, user.as_ref(), &env, &paths.config_file)
    }

    /// The pure core of [`Layered::load`]; `system` most important first.
    pub fn resolve(
        system: &[Layer],
        user: Option<&Layer>,
        env: &[(String, String)],
        user_path: &Path,
    ) -> Result<Self, ConfigError> {
        let locks = system_locks(system)?;
        let mut merged = toml::Table::new();
        let mut origins = default_origins();
        let mut overridden = Vec::new();
        for layer in system.iter().rev() {
            let mut table = layer.table.clone();
            // Only the union of the locks counts; the merged [policy] is rebuilt below.
            table.remove("policy");
            let origin = Origin::System(layer.path.clone());
            merge_layer(
                &mut merged,
                &table,
                &origin,
                &mut origins,
                None,
                &mut overridden,
            );
        }
        if let Some(layer) = user {
            let mut table = layer.table.clone();
            if table.remove("policy").is_some() {
                overridden.push(Overridden {
                    key: "policy".into(),
                    by: Origin::User(layer.path.clone()),
                });
            }
            let origin = Origin::User(layer.path.clone());
            merge_layer(
                &mut merged,
                &table,
                &origin,
                &mut origins,
                Some(&locks),
                &mut overridden,
            );
        }
        let applied = apply_env(&mut merged, env, &locks, &mut origins, &mut overridden)?;
        if !locks.is_empty() {
            let names = locks
                .names()
                .map(|n| toml::Value::String(n.into()))
                .collect();
            let mut policy = toml::Table::new();
            policy.insert("locked".into(), toml::Value::Array(names));
            merged.insert("policy".into(), toml::Value::Table(policy));
        }
        let (path, text) = match user.or(system.first()) {
            Some(layer) => (layer.path.clone(), Some(layer.text.as_str())),
            None => (user_path.to_path_buf(), None),
        };
        let settings: Settings =
            toml::Value::Table(merged)
                .try_into()
                .map_err(|e: toml::de::Error| match applied.is_empty() {
                    true => ConfigError::File {
                        path: path.clone(),
                        message: e.message().to_string(),
                    },
                    false => ConfigError::Env {
                        var: applied.join(", "),
                        message: e.message().to_string(),
                    },
                })?;
        settings.validate(&path, text)?;
        let mut files: Vec<PathBuf> = system.iter().rev().map(|l| l.path.clone()).collect();
        files.extend(user.map(|l| l.path.clone()));
        Ok(Self {
            settings,
            origins,
            locks,
            overridden,
            files,
        })
    }

    /// Whether the Settings page must show `key` (`section` or `section.key`) read-only.
    pub fn is_locked(&self, key: &str) -> bool {
        self.locks.covers_path(key)
    }

    /// Where `key`'s value came from (a list section's entries share the section's origin).
    pub fn origin(&self, key: &str) -> Origin {
        let section = key.split('.').next().unwrap_or(key);
        self.origins
            .get(key)
            .or_else(|| self.origins.get(section))
            .cloned()
            .unwrap_or(Origin::Default)
    }
}

/// The union of every system file's locks, checked against the known settings.
fn system_locks(system: &[Layer]) -> Result<Locks, ConfigError> {
    let mut names = Vec::new();
    for layer in system {
        for name in layer.locks() {
            Locks::new([name]).map_err(|message| ConfigError::File {
                path: layer.path.clone(),
                message: format!("[policy] locked: {message}"),
            })?;
            names.push(name);
        }
    }
    Locks::new(names).map_err(|message| ConfigError::File {
        path: PathBuf::from("[policy]"),
        message,
    })
}

/// Every key of the built-in defaults, as coming from them.
fn default_origins() -> BTreeMap<String, Origin> {
    let mut origins = BTreeMap::new();
    let Ok(defaults) = toml::Table::try_from(Settings::default()) else {
        return origins;
    };
    for (section, value) in defaults {
        match value {
            toml::Value::Table(t) if !LIST_SECTIONS.contains(&section.as_str()) => {
                for key in t.keys() {
                    origins.insert(format!("{section}.{key}"), Origin::Default);
                }
            }
            _ => {
                origins.insert(section, Origin::Default);
            }
        }
    }
    origins
}

/// Lays `table` over `merged`; with `locks`, locked keys are skipped and recorded.
fn merge_layer(
    merged: &mut toml::Table,
    table: &toml::Table,
    origin: &Origin,
    origins: &mut BTreeMap<String, Origin>,
    locks: Option<&Locks>,
    overridden: &mut Vec<Overridden>,
) {
    let locked = |section: &str, key: Option<&str>| locks.is_some_and(|l| l.covers(section, key));
    for (section, value) in table {
        let listed = LIST_SECTIONS.contains(&section.as_str());
        match value {
            toml::Value::Table(keys) if !listed => {
                // Key by key into the section so far (a new one when there is none yet).
                let slot = merged
                    .entry(section.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                if !slot.is_table() {
                    *slot = toml::Value::Table(toml::Table::new());
                }
                let Some(into) = slot.as_table_mut() else {
                    continue;
                };
                for (key, value) in keys {
                    let path = format!("{section}.{key}");
                    if locked(section, Some(key)) {
                        overridden.push(Overridden {
                            key: path,
                            by: origin.clone(),
                        });
                        continue;
                    }
                    into.insert(key.clone(), value.clone());
                    origins.insert(path, origin.clone());
                }
            }
            _ => {
                if locked(section, None) {
                    overridden.push(Overridden {
                        key: section.clone(),
                        by: origin.clone(),
                    });
                    continue;
                }
                merged.insert(section.clone(), value.clone());
                origins.insert(section.clone(), origin.clone());
            }
        }
    }
}

/// Applies `SCREENPOP_<SECTION>__<KEY>` variables; returns the ones applied.
fn apply_env(
    merged: &mut toml::Table,
    env: &[(String, String)],
    locks: &Locks,
    origins: &mut BTreeMap<String, Origin>,
    overridden: &mut Vec<Overridden>,
) -> Result<Vec<String>, ConfigError> {
    let mut applied = Vec::new();
    for (var, value) in env {
        let Some(key) = var.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let Some((section, field)) = key.split_once("__") else {
            continue;
        };
        let (section, field) = (section.to_ascii_lowercase(), field.to_ascii_lowercase());
        let path = format!("{section}.{field}");
        if section == "policy" || locks.covers(&section, Some(&field)) {
            overridden.push(Overridden {
                key: path,
                by: Origin::Env(var.clone()),
            });
            continue;
        }
        let entry = merged
            .entry(section.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(section_table) = entry else {
            return Err(ConfigError::Env {
                var: var.clone(),
                message: format!("[{section}] is not a table"),
            });
        };
        section_table.insert(field, env_value(value));
        origins.insert(path, Origin::Env(var.clone()));
        applied.push(var.clone());
    }
    Ok(applied)
}
#[cfg(test)]
mod tests;
