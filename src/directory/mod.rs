//! Directories answer "who is calling?": the [`Directory`] trait, its implementations, and the
//! [`chain::Chain`] that asks them in order with a cache, coalescing and a time budget.
//!
//! The seed's three CRM verbs are the trait's vocabulary: `lookup` (GetCustomer), `journal`
//! (OnCallAdded), `profile_url` (CreateOpenCustomerUrl). A new connector is a new file that
//! implements the trait plus one line in [`build`].

pub mod carddav;
pub mod chain;
pub mod http;
pub mod import;
pub mod ldap;
pub mod local;
pub mod open;
pub mod preload;
pub mod remote;

/// The model types directories answer with (they live in [`crate::model`]; re-exported here).
pub use crate::model::customer;
pub use crate::model::{Customer, NewContact};

use crate::config::DirectoryConfig;
use crate::phone::{Normalised, PhoneRules};
use crate::secrets::SecretStore;
use crate::store::calls::CallRecord;
use crate::store::Store;
use async_trait::async_trait;
use std::sync::Arc;

/// Why a directory could not answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LookupError {
    #[error("timed out after {0} ms")]
    Timeout(u64),
    #[error("unreachable: {0}")]
    Unreachable(String),
    #[error("rejected the request: {0}")]
    Rejected(String),
    #[error("answered with something we cannot read: {0}")]
    BadResponse(String),
    #[error("{0}")]
    Internal(String),
    /// The directory's OAuth sign-in is missing or gone ("sign in again").
    #[error("{0}")]
    SignIn(String),
}

/// Why a call could not be journaled to a directory.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JournalError {
    #[error("this directory does not keep a call journal")]
    Unsupported,
    /// Worth retrying soon (network, timeout, 5xx).
    #[error("{0}")]
    Failed(String),
    /// The directory refused the entry (4xx): retried rarely, shown in `screenpop outbox`.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The directory asked us to slow down.
    #[error("rate limited; retry after {retry_after_s} s")]
    Throttled { retry_after_s: u64 },
}

/// Why a contact could not be created in a directory.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CreateError {
    #[error("this directory cannot create contacts")]
    Unsupported,
    #[error("{0}")]
    Failed(String),
}

/// A place that knows customers: the local contacts, a CRM, LDAP, CardDAV.
#[async_trait]
pub trait Directory: Send + Sync {
    /// The configured label (`local`, `hubspot` …).
    fn name(&self) -> &str;

    /// Customers whose numbers match (seed: `GetCustomer`). Empty = nobody.
    async fn lookup(&self, number: &Normalised) -> Result<Vec<Customer>, LookupError>;

    /// The profile ("screen pop") URL for a customer (seed: `CreateOpenCustomerUrl`).
    fn profile_url(&self, customer: &Customer) -> Option<String> {
        customer.url.clone()
    }

    /// Where to create a contact for an unknown caller, if the directory has such a page.
    fn create_contact_url(&self, _number: &Normalised) -> Option<String> {
        None
    }

    /// Whether answers should go through the lookup cache (remote directories: yes).
    fn cacheable(&self) -> bool {
        true
    }

    /// Whether finished calls are journaled here.
    fn journals(&self) -> bool {
        false
    }

    /// Writes a finished call to the directory (seed: `OnCallAdded`).
    async fn journal(&self, _call: &CallRecord) -> Result<(), JournalError> {
        Err(JournalError::Unsupported)
    }

    /// Whether `call` is already journaled here: asked before re-sending a delivery whose
    /// outcome is unknown. `None`: this directory cannot tell (delivery is at-least-once).
    async fn journaled(&self, _call: &CallRecord) -> Result<Option<bool>, JournalError> {
        Ok(None)
    }

    /// Creates a contact in the directory and returns it as a customer (with its new id).
    async fn create_contact(&self, _contact: &NewContact) -> Result<Customer, CreateError> {
        Err(CreateError::Unsupported)
    }
}

/// What connectors need besides their own settings.
#[derive(Clone)]
pub struct BuildContext {
    pub store: Store,
    pub secrets: Arc<dyn SecretStore>,
    pub rules: PhoneRules,
}

/// Builds the configured directories in chain order. A directory whose settings cannot work
/// (already refused by `crate::check` at load) becomes one that reports why on every lookup.
pub fn build(configs: &[DirectoryConfig], ctx: &BuildContext) -> Vec<Arc<dyn Directory>> {
    configs
        .iter()
        .map(|c| -> Arc<dyn Directory> {
            let built: Result<Arc<dyn Directory>, String> = match c {
                DirectoryConfig::Local {
                    create_contact_url, ..
                } => Ok(Arc::new(local::LocalDirectory::new(
                    c.name(),
                    ctx.store.clone(),
                    create_contact_url.clone(),
                ))),
                DirectoryConfig::Http(s)
                    if matches!(
                        s.preset,
                        Some(crate::config::Preset::Microsoft365 | crate::config::Preset::Google)
                    ) =>
                {
                    http::sync::SyncedDirectory::new(c.name(), s, ctx).map(|d| Arc::new(d) as _)
                }
                DirectoryConfig::Http(s) => {
                    http::HttpDirectory::new(c.name(), s, ctx).map(|d| Arc::new(d) as _)
                }
                DirectoryConfig::Ldap(s) => {
                    ldap::LdapDirectory::new(c.name(), s, ctx).map(|d| Arc::new(d) as _)
                }
                DirectoryConfig::Carddav(s) => {
                    carddav::CarddavDirectory::new(c.name(), s, ctx).map(|d| Arc::new(d) as _)
                }
            };
            built.unwrap_or_else(|reason| Arc::new(remote::Broken::new(c.name(), reason)))
        })
        .collect()
}

/// Why a directory's settings cannot work: each kind's own typed error, with the key of
/// its `[[directory]]` entry ([`DirectorySettingsError::key`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectorySettingsError {
    #[error(transparent)]
    Http(#[from] http::template::HttpSettingsError),
    #[error(transparent)]
    Ldap(#[from] ldap::LdapSettingsError),
    #[error(transparent)]
    Carddav(#[from] carddav::CarddavSettingsError),
}

impl DirectorySettingsError {
    /// The key inside the `[[directory]]` entry (`base_url`, `lookup.url`, `base_dn`…).
    pub fn key(&self) -> &str {
        match self {
            DirectorySettingsError::Http(e) => &e.key,
            DirectorySettingsError::Ldap(e) => e.key(),
            DirectorySettingsError::Carddav(e) => e.key(),
        }
    }

    /// What is wrong, without the key.
    pub fn message(&self) -> String {
        match self {
            DirectorySettingsError::Http(e) => e.message.clone(),
            DirectorySettingsError::Ldap(e) => e.to_string(),
            DirectorySettingsError::Carddav(e) => e.to_string(),
        }
    }
}

/// Whether a directory's settings can work: each kind checks its own.
pub fn check(config: &DirectoryConfig) -> Result<(), DirectorySettingsError> {
    match config {
        DirectoryConfig::Local { .. } => Ok(()),
        DirectoryConfig::Http(s) => http::template::HttpTemplate::resolve(s)
            .map(drop)
            .map_err(Into::into),
        DirectoryConfig::Ldap(s) => Ok(ldap::check(s)?),
        DirectoryConfig::Carddav(s) => Ok(carddav::check(s)?),
    }
}

/// Fills a URL template's `{number}`, `{e164}`, `{national}`, `{digits}` with URL-encoded values.
pub fn fill_template(template: &str, number: &Normalised, raw: &str) -> String {
    let e164 = number.e164.clone().unwrap_or_else(|| number.digits.clone());
    template
        .replace("{number}", &encode(raw))
        .replace("{e164}", &encode(&e164))
        .replace(
            "{national}",
            &encode(number.national.as_deref().unwrap_or(&number.digits)),
        )
        .replace("{digits}", &encode(&number.digits))
}

pub use crate::percent::encode;
