//! Secrets handed over as systemd credentials: a headless `screenpop.service` with
//! `LoadCredential=NAME:PATH` (or `SetCredentialEncrypted=`) finds each secret as the file
//! `$CREDENTIALS_DIRECTORY/NAME`, where NAME is the keyring entry's name the config uses
//! (`webhook-token`, `hubspot`, …). A credential wins over the keyring; names without one
//! fall through to it. Credentials are read-only: storing over one is refused.

use super::{SecretError, SecretStore};
use std::path::PathBuf;

/// The environment variable systemd sets for a service with credentials.
pub const CREDENTIALS_ENV: &str = "CREDENTIALS_DIRECTORY";

/// Credentials first, then `inner` (normally the OS keyring).
#[derive(Debug)]
pub struct Credentials<S> {
    dir: Option<PathBuf>,
    inner: S,
}

impl<S: SecretStore> Credentials<S> {
    /// Credentials from `$CREDENTIALS_DIRECTORY` (none when unset) over `inner`.
    pub fn from_env(inner: S) -> Self {
        let dir = std::env::var_os(CREDENTIALS_ENV)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from);
        Self { dir, inner }
    }

    /// Credentials from `dir` over `inner`.
    pub fn new(dir: Option<PathBuf>, inner: S) -> Self {
        Self { dir, inner }
    }

    fn credential(&self, name: &str) -> Result<Option<String>, SecretError> {
        let Some(dir) = &self.dir else {
            return Ok(None);
        };
        // A credential name is one path component.
        if name.is_empty() || name.contains('/') || name.starts_with('.') {
            return Ok(None);
        }
        match std::fs::read_to_string(dir.join(name)) {
            // `echo secret > file` leaves a newline that is not part of the secret.
            Ok(value) => Ok(Some(value.trim_end_matches(['\n', '\r']).to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SecretError::Keyring {
                name: name.to_string(),
                message: format!("systemd credential unreadable: {e}"),
            }),
        }
    }
}

impl<S: SecretStore> SecretStore for Credentials<S> {
    fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        match self.credential(name)? {
            Some(value) => Ok(Some(value)),
            None => self.inner.get(name),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        if self.credential(name)?.is_some() {
            return Err(SecretError::Keyring {
                name: name.to_string(),
                message: "comes from a systemd credential (LoadCredential=), change it there"
                    .into(),
            });
        }
        self.inner.set(name, value)
    }

    fn delete(&self, name: &str) -> Result<bool, SecretError> {
        self.inner.delete(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{get_or_create, MemoryStore};

    #[test]
    fn a_credential_wins_and_the_rest_falls_through_to_the_keyring() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("webhook-token"), "from-systemd\n").unwrap();
        let keyring = MemoryStore::default();
        keyring.set("hubspot", "from-keyring").unwrap();
        let store = Credentials::new(Some(dir.path().into()), keyring);
        assert_eq!(
            store.get("webhook-token").unwrap().as_deref(),
            Some("from-systemd")
        );
        assert_eq!(
            store.get("hubspot").unwrap().as_deref(),
            Some("from-keyring")
        );
        assert_eq!(store.get("../etc/passwd").unwrap(), None);
        // The daemon's first run needs no keyring when the token is a credential.
        assert_eq!(
            get_or_create(&store, "webhook-token", || unreachable!()).unwrap(),
            "from-systemd"
        );
        let err = store.set("webhook-token", "x").unwrap_err().to_string();
        assert!(err.contains("systemd credential"), "{err}");
        store.set("other", "y").unwrap();
        assert_eq!(store.get("other").unwrap().as_deref(), Some("y"));
    }
}
