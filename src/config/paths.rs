//! Where this process's settings and data live ([`Paths`]: `SCREENPOP_CONFIG`,
//! `SCREENPOP_DATA_DIR`, else the XDG dirs) and the one error type for reading, writing and
//! checking them ([`ConfigError`]).

use super::{CONFIG_ENV, DATA_DIR_ENV};
use std::path::PathBuf;

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
