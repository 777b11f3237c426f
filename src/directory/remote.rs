//! What every remote connector (http, ldap, carddav) shares: reading its secret from the
//! keyring when first needed, matching a directory's stored numbers against the caller with
//! the foundation's phone keys, quoting untrusted error text briefly, and the stand-in for a
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

/// Untrusted text (a server's error message) cut to one short line for logs and `outbox`.
pub fn brief(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    if trimmed.chars().count() > 160 {
        format!("{}…", trimmed.chars().take(160).collect::<String>())
    } else {
        trimmed
    }
}

/// Replaces every occurrence of `secret` in `text` (for messages built from server answers
/// that might echo a token back).
pub fn redact(text: &str, secret: &str) -> String {
    if secret.len() < 4 {
        return text.to_string();
    }
    text.replace(secret, "[secret]")
}

/// Checks a configured URL is http(s) and parses.
pub fn check_http_url(what: &str, url: &str) -> Result<(), String> {
    let lower = url.trim().to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(format!(
            "{what} must start with http:// or https:// (got {url:?})"
        ));
    }
    Ok(())
}

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
