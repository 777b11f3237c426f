//! What every remote connector (http, ldap, carddav) shares: reading its secret from the
//! keyring when first needed, matching a directory's stored numbers against the caller with
//! the foundation's phone keys, and the stand-in for a
//! directory whose settings cannot work.
//!
//! Secrets are read lazily (the keyring is a D-Bus round trip and may be locked at start),
//! off the async workers, and kept in memory only; they never appear in an error message.

use super::{Customer, Directory, LookupError};
use crate::phone::{Normalised, PhoneRules};
use async_trait::async_trait;

/// Connectors read their secrets through the one slot [`crate::secrets`] provides.
pub use crate::secrets::SecretSlot;

/// Whether a number a directory stores is the caller's: same E.164, else same last digits.
pub fn phone_matches(rules: &PhoneRules, stored: &str, caller: &Normalised) -> bool {
    let Some(keys) = rules.keys(stored) else {
        return false;
    };
    match (&keys.e164, &caller.e164) {
        (Some(a), Some(b)) if a == b => true,
        _ => !keys.tail.is_empty() && keys.tail == caller.tail,
    }
}

/// Keeps customers with a phone matching the caller; those without phones are trusted.
pub fn keep_matching(
    rules: &PhoneRules,
    found: Vec<Customer>,
    caller: &Normalised,
) -> Vec<Customer> {
    found
        .into_iter()
        .filter(|c| c.phones.is_empty() || c.phones.iter().any(|p| phone_matches(rules, p, caller)))
        .collect()
}

/// Quoting untrusted text and checking configured URLs live below the directories (the
/// OAuth client uses them too); re-exported here for the connectors.
pub use crate::quote::{brief, check_http_url, redact};

/// A directory whose settings cannot work: every lookup says why.
pub struct Broken {
    name: String,
    reason: String,
}

impl Broken {
    /// A stand-in for `name`, failing with `reason`.
    pub fn new(name: String, reason: String) -> Self {
        tracing::error!(directory = %name, reason = %reason, "directory cannot work");
        Self { name, reason }
    }
}

#[async_trait]
impl Directory for Broken {
    fn name(&self) -> &str {
        &self.name
    }

    async fn lookup(&self, _number: &Normalised) -> Result<Vec<Customer>, LookupError> {
        Err(LookupError::Internal(self.reason.clone()))
    }

    fn cacheable(&self) -> bool {
        false
    }
}
