//! The v1 schema's optional `caller` object: a directory answer computed upstream (by
//! `screenpop relay`, once per call for the whole floor), so a desk greets at once without CRM
//! credentials of its own.
//!
//! ```json
//! "caller": {"id": "42", "name": "Lisa Simpson", "company": "Springfield Elementary",
//!            "vip": true, "note": "Saxophone", "url": "https://crm.example.com/c/42",
//!            "directory": "hubspot",
//!            "matches": [{"id": "42", "name": "Lisa Simpson", ...}, {"id": "43", ...}]}
//! ```
//! The top-level fields are the best match; `matches` lists every match when there are
//! several; `"caller": {}` says the relay looked and nobody matched (the desk greets a new
//! caller without asking its own directories). Everything here is untrusted: oversized fields drop the caller (the event itself is
//! kept), URLs must pass the opener's http/https check or are dropped.

use crate::model::Customer;
use serde::{Deserialize, Serialize};

/// Most matches carried in one event.
pub const MAX_MATCHES: usize = 20;
/// Longest text field in a caller object (notes may be longer than other fields).
const MAX_TEXT: usize = 2048;

/// One directory match as the wire carries it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WireCaller {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vip: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    /// Every match, best first, when there are several (absent inside `matches` itself).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<WireCaller>,
}

/// Why a `caller` object was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallerError {
    #[error("caller.{0} is too long (max {MAX_TEXT} characters)")]
    TooLong(&'static str),
    #[error("caller has no name")]
    NoName,
    #[error("caller has more than {MAX_MATCHES} matches")]
    TooMany,
}

impl WireCaller {
    /// The wire form of a directory answer (best match first); `{}` for nobody.
    pub fn from_matches(matches: &[Customer]) -> Self {
        let Some(first) = matches.first() else {
            return Self::default();
        };
        let mut caller = Self::one(first);
        if matches.len() > 1 {
            caller.matches = matches.iter().take(MAX_MATCHES).map(Self::one).collect();
        }
        caller
    }

    fn one(c: &Customer) -> Self {
        Self {
            id: c.id.clone(),
            name: c.name.clone(),
            company: c.company.clone(),
            vip: c.vip,
            note: c.note.clone(),
            url: c.url.clone(),
            directory: Some(c.directory.clone()).filter(|d| !d.is_empty()),
            matches: Vec::new(),
        }
    }

    /// The matches this object stands for, checked: best first.
    pub fn into_matches(self) -> Result<Vec<Customer>, CallerError> {
        if self.matches.len() > MAX_MATCHES {
            return Err(CallerError::TooMany);
        }
        if self.matches.is_empty() {
            if self.id.is_empty() && self.name.is_empty() {
                return Ok(Vec::new());
            }
            return Ok(vec![self.customer()?]);
        }
        let directory = self.directory.clone();
        self.matches
            .into_iter()
            .map(|mut m| {
                if m.directory.is_none() {
                    m.directory = directory.clone();
                }
                m.customer()
            })
            .collect()
    }

    fn customer(self) -> Result<Customer, CallerError> {
        for (field, value) in [
            ("id", Some(&self.id)),
            ("name", Some(&self.name)),
            ("company", self.company.as_ref()),
            ("note", self.note.as_ref()),
            ("url", self.url.as_ref()),
            ("directory", self.directory.as_ref()),
        ] {
            if value.is_some_and(|v| v.chars().count() > MAX_TEXT) {
                return Err(CallerError::TooLong(field));
            }
        }
        if self.name.trim().is_empty() {
            return Err(CallerError::NoName);
        }
        let url = self.url.filter(|u| !u.trim().is_empty()).and_then(|u| {
            crate::link::check(&u)
                .map_err(|e| tracing::warn!(error = %e, "caller.url dropped"))
                .ok()
        });
        Ok(Customer {
            id: self.id,
            name: self.name,
            company: self.company.filter(|c| !c.trim().is_empty()),
            phones: Vec::new(),
            vip: self.vip,
            note: self.note.filter(|n| !n.trim().is_empty()),
            url,
            directory: self.directory.unwrap_or_else(|| "relay".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lisa() -> Customer {
        Customer {
            id: "42".into(),
            name: "Lisa Simpson".into(),
            company: Some("Springfield Elementary".into()),
            phones: vec!["+15555550142".into()],
            vip: true,
            note: Some("Saxophone".into()),
            url: Some("https://crm.example.com/c/42".into()),
            directory: "hubspot".into(),
        }
    }

    #[test]
    fn a_match_goes_over_the_wire_and_back_without_its_phones() {
        let wire = WireCaller::from_matches(&[lisa()]);
        let back = wire.into_matches().unwrap();
        assert_eq!(
            back,
            vec![Customer {
                phones: vec![],
                ..lisa()
            }]
        );
    }

    #[test]
    fn several_matches_travel_in_matches_best_first() {
        let bart = Customer {
            id: "43".into(),
            name: "Bart Simpson".into(),
            vip: false,
            ..lisa()
        };
        let wire = WireCaller::from_matches(&[lisa(), bart]);
        assert_eq!(wire.name, "Lisa Simpson");
        assert_eq!(wire.matches.len(), 2);
        let back = wire.into_matches().unwrap();
        assert_eq!(back[1].name, "Bart Simpson");
        assert_eq!(back[1].directory, "hubspot");
    }

    #[test]
    fn untrusted_urls_and_oversized_fields_are_refused() {
        let mut wire = WireCaller::from_matches(&[lisa()]);
        wire.url = Some("javascript:alert(1)".into());
        assert_eq!(wire.clone().into_matches().unwrap()[0].url, None);
        wire.note = Some("x".repeat(MAX_TEXT + 1));
        assert_eq!(wire.into_matches(), Err(CallerError::TooLong("note")));
        let nameless = WireCaller {
            id: "1".into(),
            ..Default::default()
        };
        assert_eq!(nameless.into_matches(), Err(CallerError::NoName));
        assert_eq!(WireCaller::from_matches(&[]).into_matches(), Ok(vec![]));
        assert_eq!(serde_json::to_string(&WireCaller::default()).unwrap(), "{}");
    }
}
