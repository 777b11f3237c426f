//! The customer record every directory answers with, and the input shape for new contacts.
//!
//! Vocabulary from the seed: a customer is `{id, name, company?, phones[], vip, note?}` where
//! `note` is what the greeting shows ("Last order: 2 pepperoni pizzas"). Everything in here
//! came from a caller or a CRM and is untrusted: presenters escape it, [`crate::link`] checks URLs.

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

impl NewContact {
    /// Checks what a contact needs before it is stored: a name, at least one phone, and a
    /// profile link (if any) that the opener would accept. Says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("the contact needs a name".into());
        }
        if !self.phones.iter().any(|p| !p.trim().is_empty()) {
            return Err("the contact needs at least one phone number".into());
        }
        if let Some(url) = self.url.as_deref().filter(|u| !u.trim().is_empty()) {
            crate::link::check(url).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_without_name_phone_or_with_a_bad_link_is_refused() {
        let good = NewContact {
            name: "Maude Flanders".into(),
            phones: vec!["555-0177".into()],
            url: Some("https://crm.example.com/maude".into()),
            ..Default::default()
        };
        assert_eq!(good.validate(), Ok(()));
        let nameless = NewContact {
            name: " ".into(),
            ..good.clone()
        };
        assert!(nameless.validate().unwrap_err().contains("name"));
        let phoneless = NewContact {
            phones: vec!["".into()],
            ..good.clone()
        };
        assert!(phoneless.validate().unwrap_err().contains("phone"));
        let script = NewContact {
            url: Some("javascript:alert(1)".into()),
            ..good
        };
        assert!(script.validate().unwrap_err().contains("only http"));
    }
}
