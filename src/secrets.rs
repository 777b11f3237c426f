//! Secrets (API tokens, bind passwords, the webhook token) in the OS keyring, service
//! `screenpop`; config files refer to them by name only. An in-memory store serves tests of
//! our own logic. Secret values are never logged or written anywhere else.

pub mod collection;
pub mod credentials;

use std::collections::HashMap;
use std::sync::Mutex;

/// Keyring service name all screenpop secrets live under.
pub const SERVICE: &str = "screenpop";

/// A secret store problem (never contains the secret itself).
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the OS keyring is not available ({0}); on a desktop start gnome-keyring or KWallet, headless see README \"Secrets\"")]
    Unavailable(String),
    #[error("keyring error for {name:?}: {message}")]
    Keyring { name: String, message: String },
}

/// Where secrets are kept.
pub trait SecretStore: Send + Sync {
    /// The secret called `name`, if set.
    fn get(&self, name: &str) -> Result<Option<String>, SecretError>;
    /// Sets `name` to `value`.
    fn set(&self, name: &str, value: &str) -> Result<(), SecretError>;
    /// Deletes `name`; true if it existed.
    fn delete(&self, name: &str) -> Result<bool, SecretError>;
}

/// The OS keyring (Secret Service on Linux).
#[derive(Debug, Default)]
pub struct Keyring;

fn keyring_error(name: &str, e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::NoStorageAccess(inner) | keyring::Error::PlatformFailure(inner) => {
            SecretError::Unavailable(inner.to_string())
        }
        other => SecretError::Keyring {
            name: name.to_string(),
            message: other.to_string(),
        },
    }
}

impl SecretStore for Keyring {
    fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        let entry = keyring::Entry::new(SERVICE, name).map_err(|e| keyring_error(name, e))?;
        match entry.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(name, e)),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        let entry = keyring::Entry::new(SERVICE, name).map_err(|e| keyring_error(name, e))?;
        match entry.set_password(value) {
            // A fresh desk's keyring may have no default collection yet: make one, retry once.
            Err(keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_)) => {
                match collection::ensure_default() {
                    Ok(made) => {
                        tracing::info!(collection = ?made, "keyring: default collection ready")
                    }
                    Err(e) => tracing::warn!(error = %e, "keyring: no default collection"),
                }
                entry.set_password(value)
            }
            other => other,
        }
        .map_err(|e| keyring_error(name, e))
    }

    fn delete(&self, name: &str) -> Result<bool, SecretError> {
        let entry = keyring::Entry::new(SERVICE, name).map_err(|e| keyring_error(name, e))?;
        match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(keyring_error(name, e)),
        }
    }
}

/// Secrets in process memory, for tests of logic that uses secrets.
#[derive(Debug, Default)]
pub struct MemoryStore(Mutex<HashMap<String, String>>);

impl SecretStore for MemoryStore {
    fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned())
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.into(), value.into());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<bool, SecretError> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name)
            .is_some())
    }
}

/// The secret `name`, creating it with `make()` if it does not exist yet.
pub fn get_or_create(
    store: &dyn SecretStore,
    name: &str,
    make: impl FnOnce() -> String,
) -> Result<String, SecretError> {
    if let Some(v) = store.get(name)? {
        return Ok(v);
    }
    let value = make();
    store.set(name, &value)?;
    Ok(value)
}

/// A fresh random token (256 bits, hex).
pub fn random_token() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
