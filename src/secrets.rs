//! Secrets (API tokens, bind passwords, the webhook token) in the OS keyring, service
//! `screenpop`; config files refer to them by name only. An in-memory store serves tests of
//! our own logic. Secret values are never logged or written anywhere else.
//!
//! One way to use them from async code: [`read`], [`require`], [`read_or_create`], [`write`],
//! [`remove`] and [`SecretSlot`] run the store on tokio's blocking pool, because a keyring call is a D-Bus
//! round trip that can wait on an unlock prompt and must never hold up an async worker (the
//! daemon has two). [`SecretSlot`] also caches, for connectors that need a secret on every
//! request; sources read afresh at each connect so a changed password is picked up.

pub mod collection;
pub mod credentials;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Keyring service name all screenpop secrets live under.
pub const SERVICE: &str = "screenpop";

/// A secret store problem (never contains the secret itself).
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the OS keyring is not available ({0}); on a desktop start gnome-keyring or KWallet, headless see README \"Secrets\"")]
    Unavailable(String),
    #[error("keyring error for {name:?}: {message}")]
    Keyring { name: String, message: String },
    #[error("secret {name:?} is not in the keyring: store it with `screenpop secret set {name}`")]
    Missing { name: String },
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
        Ok(crate::sync::lock(&self.0).get(name).cloned())
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        crate::sync::lock(&self.0).insert(name.into(), value.into());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<bool, SecretError> {
        Ok(crate::sync::lock(&self.0).remove(name).is_some())
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

/// [`SecretStore::get`] off the async workers.
pub async fn read(store: &Arc<dyn SecretStore>, name: &str) -> Result<Option<String>, SecretError> {
    let (store, owned) = (Arc::clone(store), name.to_string());
    blocking(name, move || store.get(&owned)).await
}

/// The secret `name` off the async workers; [`SecretError::Missing`] when it is not set.
pub async fn require(store: &Arc<dyn SecretStore>, name: &str) -> Result<String, SecretError> {
    read(store, name)
        .await?
        .ok_or_else(|| SecretError::Missing {
            name: name.to_string(),
        })
}

/// [`SecretStore::set`] off the async workers.
pub async fn write(
    store: &Arc<dyn SecretStore>,
    name: &str,
    value: &str,
) -> Result<(), SecretError> {
    let (store, owned, value) = (Arc::clone(store), name.to_string(), value.to_string());
    blocking(name, move || store.set(&owned, &value)).await
}

/// [`SecretStore::delete`] off the async workers; true if it existed.
pub async fn remove(store: &Arc<dyn SecretStore>, name: &str) -> Result<bool, SecretError> {
    let (store, owned) = (Arc::clone(store), name.to_string());
    blocking(name, move || store.delete(&owned)).await
}

/// [`get_or_create`] off the async workers.
pub async fn read_or_create(
    store: &Arc<dyn SecretStore>,
    name: &str,
    make: fn() -> String,
) -> Result<String, SecretError> {
    let (store, owned) = (Arc::clone(store), name.to_string());
    blocking(name, move || get_or_create(store.as_ref(), &owned, make)).await
}

async fn blocking<T: Send + 'static>(
    name: &str,
    call: impl FnOnce() -> Result<T, SecretError> + Send + 'static,
) -> Result<T, SecretError> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(|e| SecretError::Keyring {
            name: name.to_string(),
            message: format!("the keyring call did not finish: {e}"),
        })?
}

/// A keyring entry a connector needs on every request: read on first use (off the async
/// workers) and kept in memory until [`SecretSlot::forget`].
pub struct SecretSlot {
    store: Arc<dyn SecretStore>,
    name: Option<String>,
    cached: Mutex<Option<String>>,
}

impl SecretSlot {
    /// The entry `name` in `store` (`None`: the connector needs no secret).
    pub fn new(store: Arc<dyn SecretStore>, name: Option<String>) -> Self {
        Self {
            store,
            name,
            cached: Mutex::new(None),
        }
    }

    /// The keyring entry's name, if one is configured.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The secret ("" when none is configured); an error names the entry, never the value.
    pub async fn get(&self) -> Result<String, String> {
        let Some(name) = self.name.as_deref() else {
            return Ok(String::new());
        };
        if let Some(v) = crate::sync::lock(&self.cached).clone() {
            return Ok(v);
        }
        let value = require(&self.store, name)
            .await
            .map_err(|e| e.to_string())?;
        *crate::sync::lock(&self.cached) = Some(value.clone());
        Ok(value)
    }

    /// Forgets the cached value (after a 401, so a newly set secret is picked up).
    pub fn forget(&self) {
        *crate::sync::lock(&self.cached) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store that records which thread served each read.
    #[derive(Default)]
    struct Counting {
        inner: MemoryStore,
        reads: Mutex<Vec<std::thread::ThreadId>>,
    }

    impl SecretStore for Counting {
        fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
            crate::sync::lock(&self.reads).push(std::thread::current().id());
            self.inner.get(name)
        }
        fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
            self.inner.set(name, value)
        }
        fn delete(&self, name: &str) -> Result<bool, SecretError> {
            self.inner.delete(name)
        }
    }

    // A current-thread runtime: the async code runs on this test's thread, so a read served
    // by any other thread was served by the blocking pool.
    #[tokio::test]
    async fn slot_reads_once_off_the_async_workers_and_rereads_after_forget() {
        let store = Arc::new(Counting::default());
        store.set("crm", "s3cret").unwrap();
        let slot = SecretSlot::new(store.clone(), Some("crm".into()));
        assert_eq!(slot.get().await.unwrap(), "s3cret");
        assert_eq!(slot.get().await.unwrap(), "s3cret");
        assert_eq!(crate::sync::lock(&store.reads).len(), 1, "cached");
        slot.forget();
        store.set("crm", "rotated").unwrap();
        assert_eq!(slot.get().await.unwrap(), "rotated");
        let reads = crate::sync::lock(&store.reads).clone();
        assert_eq!(reads.len(), 2);
        let here = std::thread::current().id();
        assert!(
            reads.iter().all(|t| *t != here),
            "a read ran on the async worker"
        );
    }

    #[tokio::test]
    async fn missing_secret_names_the_entry_and_the_fix() {
        let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
        let err = require(&store, "ami-pw").await.unwrap_err().to_string();
        assert!(
            err.contains("\"ami-pw\"") && err.contains("screenpop secret set ami-pw"),
            "{err}"
        );
        let made = read_or_create(&store, "token", || "fresh".into())
            .await
            .unwrap();
        assert_eq!(made, "fresh");
        assert_eq!(
            read(&store, "token").await.unwrap().as_deref(),
            Some("fresh")
        );
    }
}
