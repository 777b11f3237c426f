//! Directories answer "who is calling?": the [`Directory`] trait, its implementations, and the
//! [`chain::Chain`] that asks them in order with a cache, coalescing and a time budget.
//!
//! The seed's three CRM verbs are the trait's vocabulary: `lookup` (GetCustomer), `journal`
//! (OnCallAdded), `profile_url` (CreateOpenCustomerUrl). A new connector is a new file that
//! implements the trait plus one line in [`build`].

pub mod chain;
pub mod customer;
pub mod import;
pub mod local;

pub use customer::{Customer, NewContact};

use crate::config::DirectoryConfig;
use crate::phone::Normalised;
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
}

/// Why a call could not be journaled to a directory.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JournalError {
    #[error("this directory does not keep a call journal")]
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
}

/// Builds the configured directories in chain order.
pub fn build(configs: &[DirectoryConfig], store: &Store) -> Vec<Arc<dyn Directory>> {
    configs
        .iter()
        .map(|c| -> Arc<dyn Directory> {
            match c {
                DirectoryConfig::Local {
                    create_contact_url, ..
                } => Arc::new(local::LocalDirectory::new(
                    c.name(),
                    store.clone(),
                    create_contact_url.clone(),
                )),
            }
        })
        .collect()
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

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
