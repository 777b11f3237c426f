//! The customer record every directory answers with, and the input shape for new contacts.
//!
//! Vocabulary from the seed: a customer is `{id, name, company?, phones[], vip, note?}` where
//! `note` is what the greeting shows ("Last order: 2 pepperoni pizzas"). Everything in here
//! came from a caller or a CRM and is untrusted: presenters escape it, the opener checks URLs.

use serde::{Deserialize, Serialize};

/// A person or company a directory knows, as the greeting shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The directory's own id ("Lisa123", a HubSpot id, an LDAP DN …).
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub vip: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The CRM profile ("screen pop") URL, if the directory has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Which directory answered (its configured name).
    #[serde(default)]
    pub directory: String,
}

impl Customer {
    /// The name to greet with: the first word of the name ("Lisa" for "Lisa Simpson").
    pub fn first_name(&self) -> &str {
        self.name.split_whitespace().next().unwrap_or(&self.name)
    }
}

/// A contact to be written to the local directory (from an import, the CLI or the app).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContact {
    /// Keeps the given id; a fresh one is generated when `None`.
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub company: Option<String>,
    pub phones: Vec<String>,
    #[serde(default)]
    pub vip: bool,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}
