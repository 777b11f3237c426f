//! The local directory: contacts in screenpop's own SQLite database (the embedded default).
//!
//! Not cached by the chain — it *is* the local database — so a contact created a moment ago
//! greets its very next call.

use super::{fill_template, Customer, Directory, LookupError};
use crate::phone::Normalised;
use crate::store::contacts::Contacts;
use crate::store::Store;
use async_trait::async_trait;

/// Contacts imported with `screenpop contacts import` or created from a pop.
pub struct LocalDirectory {
    name: String,
    contacts: Contacts,
    create_contact_url: Option<String>,
}

impl LocalDirectory {
    /// A local directory over `store`, labelled `name`.
    pub fn new(name: String, store: Store, create_contact_url: Option<String>) -> Self {
        Self {
            name,
            contacts: Contacts::new(store),
            create_contact_url,
        }
    }
}

#[async_trait]
impl Directory for LocalDirectory {
    fn name(&self) -> &str {
        &self.name
    }

    async fn lookup(&self, number: &Normalised) -> Result<Vec<Customer>, LookupError> {
        let mut found = self
            .contacts
            .find_by_number(number)
            .await
            .map_err(|e| LookupError::Internal(e.to_string()))?;
        for c in &mut found {
            c.directory = self.name.clone();
        }
        Ok(found)
    }

    fn create_contact_url(&self, number: &Normalised) -> Option<String> {
        let raw = number.e164.as_deref().unwrap_or(&number.digits);
        self.create_contact_url
            .as_deref()
            .map(|t| fill_template(t, number, raw))
    }

    fn cacheable(&self) -> bool {
        false
    }
}
