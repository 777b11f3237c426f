//! The LDAP connector (`ldap3`): a search filter template over `telephoneNumber`, `mobile`,
//! `homePhone`, an attribute mapping onto [`Customer`], bind DN + password from the keyring,
//! optional StartTLS (rustls).
//!
//! The default filter asks for entries whose numbers end in the caller's last four digits
//! (LDAP's telephoneNumber matching ignores spaces and hyphens, not parentheses or dots), and
//! the answers are then checked with the foundation's phone keys, so `+1 (555) 123-4567` in
//! the directory matches a caller `5551234567` and nothing else. Filter values are escaped
//! (RFC 4515). One connection per lookup: directories are near and lookups are cached.

use super::http::placeholder::{render, Escape};
use super::http::ratelimit::RateLimit;
use super::http::response::{select, vip};
use super::remote::{brief, keep_matching, redact, SecretSlot};
use super::{BuildContext, Customer, Directory, LookupError};
use crate::config::{LdapSettings, VipRule, DEFAULT_TIMEOUT_MS};
use crate::phone::{Normalised, PhoneRules};
use async_trait::async_trait;
use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

/// Entries whose numbers end in the caller's last four digits.
pub const DEFAULT_FILTER: &str =
    "(|(telephoneNumber=*{last4})(mobile=*{last4})(homePhone=*{last4}))";
const FILTER_VARS: &[&str] = &["e164", "national", "digits", "tail", "last4"];
/// At most this many entries per search.
const SIZE_LIMIT: i32 = 50;

/// Why LDAP settings cannot work; [`LdapSettingsError::key`] names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LdapSettingsError {
    #[error("must start with ldap:// or ldaps:// (got {0:?})")]
    Scheme(String),
    #[error("is required (where the people are, e.g. ou=people,dc=example,dc=com)")]
    NoBaseDn,
    #[error("is for ldap:// URLs; ldaps:// is already encrypted")]
    StartTlsOnLdaps,
    #[error("unknown placeholder {{{0}}} (known: e164, national, digits, tail, last4)")]
    Placeholder(String),
}

impl LdapSettingsError {
    /// The field of `[[directory]] kind = "ldap"` this concerns.
    pub fn key(&self) -> &'static str {
        match self {
            LdapSettingsError::Scheme(_) => "url",
            LdapSettingsError::NoBaseDn => "base_dn",
            LdapSettingsError::StartTlsOnLdaps => "starttls",
            LdapSettingsError::Placeholder(_) => "filter",
        }
    }
}

/// Whether LDAP settings can work.
pub fn check(s: &LdapSettings) -> Result<(), LdapSettingsError> {
    let url = s.url.to_ascii_lowercase();
    if !(url.starts_with("ldap://") || url.starts_with("ldaps://")) {
        return Err(LdapSettingsError::Scheme(s.url.clone()));
    }
    if s.base_dn.trim().is_empty() {
        return Err(LdapSettingsError::NoBaseDn);
    }
    if s.starttls && url.starts_with("ldaps://") {
        return Err(LdapSettingsError::StartTlsOnLdaps);
    }
    let filter = s.filter.as_deref().unwrap_or(DEFAULT_FILTER);
    for name in super::http::placeholder::names(filter) {
        if !FILTER_VARS.contains(&name.as_str()) {
            return Err(LdapSettingsError::Placeholder(name));
        }
    }
    Ok(())
}

/// An LDAP server's people.
pub struct LdapDirectory {
    name: String,
    settings: LdapSettings,
    secret: SecretSlot,
    timeout: Duration,
    limit: RateLimit,
    rules: PhoneRules,
}

impl LdapDirectory {
    /// Builds the connector `name` from its settings.
    pub fn new(name: String, settings: &LdapSettings, ctx: &BuildContext) -> Result<Self, String> {
        check(settings).map_err(|e| format!("{}: {e}", e.key()))?;
        let secret_name = settings
            .secret
            .clone()
            .or_else(|| settings.bind_dn.is_some().then(|| name.clone()));
        Ok(Self {
            secret: SecretSlot::new(ctx.secrets.clone(), secret_name),
            timeout: Duration::from_millis(
                settings.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS).max(1),
            ),
            limit: RateLimit::new(settings.rate_limit_per_s),
            rules: ctx.rules.clone(),
            settings: settings.clone(),
            name,
        })
    }

    async fn search(&self, filter: &str, password: &str) -> Result<Vec<SearchEntry>, LookupError> {
        let s = &self.settings;
        let conn = LdapConnSettings::new()
            .set_conn_timeout(self.timeout)
            .set_starttls(s.starttls);
        let (driver, mut ldap) = LdapConnAsync::with_settings(conn, &s.url)
            .await
            .map_err(|e| LookupError::Unreachable(brief(&e.to_string())))?;
        ldap3::drive!(driver);
        if let Some(dn) = &s.bind_dn {
            let bound = ldap
                .simple_bind(dn, password)
                .await
                .map_err(|e| LookupError::Unreachable(brief(&e.to_string())))?;
            if bound.rc != 0 {
                return Err(LookupError::Rejected(format!(
                    "bind as {dn:?} refused (LDAP result {}: {})",
                    bound.rc,
                    redact(&brief(&bound.text), password)
                )));
            }
        }
        let mut attrs: Vec<String> = vec![
            s.attributes.name.clone(),
            s.attributes.company.clone(),
            s.attributes.note.clone(),
        ];
        attrs.extend(s.attributes.phones.iter().cloned());
        attrs.extend(s.attributes.url.iter().cloned());
        if s.attributes.id != "dn" {
            attrs.push(s.attributes.id.clone());
        }
        if let Some(VipRule::Path(a) | VipRule::Rule { path: a, .. }) = &s.attributes.vip {
            attrs.push(a.clone());
        }
        let found = ldap
            .with_search_options(ldap3::SearchOptions::new().sizelimit(SIZE_LIMIT))
            .search(&s.base_dn, Scope::Subtree, filter, attrs)
            .await
            .map_err(|e| LookupError::Unreachable(brief(&e.to_string())))?;
        let _ = ldap.unbind().await;
        // 4 = sizeLimitExceeded: the entries that came are still good.
        if found.1.rc != 0 && found.1.rc != 4 {
            return Err(LookupError::Rejected(format!(
                "search refused (LDAP result {}: {})",
                found.1.rc,
                brief(&found.1.text)
            )));
        }
        Ok(found.0.into_iter().map(SearchEntry::construct).collect())
    }

    fn customer(&self, entry: SearchEntry) -> Customer {
        let a = &self.settings.attributes;
        // Attribute names are case-insensitive: map the entry to a JSON object keyed in lower case.
        let mut obj = Map::new();
        for (k, vals) in entry.attrs {
            obj.insert(k.to_ascii_lowercase(), Value::from(vals));
        }
        let doc = Value::Object(obj);
        let first = |attr: &str| {
            select(&doc, &format!("/{}/0", attr.to_ascii_lowercase()))
                .into_iter()
                .find_map(|v| v.as_str().map(str::to_string))
        };
        let phones = a
            .phones
            .iter()
            .flat_map(|p| select(&doc, &format!("/{}/*", p.to_ascii_lowercase())))
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let vip_rule = a.vip.as_ref().map(|r| match r {
            VipRule::Path(p) => VipRule::Path(format!("/{}", p.to_ascii_lowercase())),
            VipRule::Rule {
                path,
                contains,
                equals,
            } => VipRule::Rule {
                path: format!("/{}", path.to_ascii_lowercase()),
                contains: contains.clone(),
                equals: equals.clone(),
            },
        });
        let id = if a.id == "dn" {
            entry.dn.clone()
        } else {
            first(&a.id).unwrap_or_else(|| entry.dn.clone())
        };
        Customer {
            name: first(&a.name).unwrap_or_else(|| entry.dn.clone()),
            company: first(&a.company),
            phones,
            vip: vip_rule.is_some_and(|r| vip(&doc, &r)),
            note: first(&a.note),
            url: a
                .url
                .as_deref()
                .and_then(first)
                .filter(|u| u.starts_with("http")),
            directory: String::new(),
            id,
        }
    }
}

#[async_trait]
impl Directory for LdapDirectory {
    fn name(&self) -> &str {
        &self.name
    }

    async fn lookup(&self, number: &Normalised) -> Result<Vec<Customer>, LookupError> {
        let digits = &number.digits;
        let last4 = &digits[digits.len().saturating_sub(4)..];
        let value = |k: &str| -> Option<String> {
            Some(match k {
                "e164" => number.e164.clone().unwrap_or_else(|| digits.clone()),
                "national" => number.national.clone().unwrap_or_else(|| digits.clone()),
                "digits" => digits.clone(),
                "tail" => number.tail.clone(),
                "last4" => last4.to_string(),
                _ => return None,
            })
        };
        let template = self.settings.filter.as_deref().unwrap_or(DEFAULT_FILTER);
        let filter = render(template, &value, Escape::Ldap).map_err(LookupError::Internal)?;
        let deadline = Instant::now() + self.timeout;
        if let Err(wait) = self.limit.acquire(deadline).await {
            return Err(LookupError::Rejected(format!(
                "rate limited for {} ms",
                wait.as_millis()
            )));
        }
        let password = self.secret.get().await.map_err(LookupError::Rejected)?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let entries = tokio::time::timeout(remaining, self.search(&filter, &password))
            .await
            .map_err(|_| LookupError::Timeout(self.timeout.as_millis() as u64))??;
        let found = entries.into_iter().map(|e| self.customer(e)).collect();
        Ok(keep_matching(&self.rules, found, number))
    }

    fn profile_url(&self, customer: &Customer) -> Option<String> {
        if customer.url.is_some() {
            return customer.url.clone();
        }
        let t = self.settings.profile_url.as_deref()?;
        render(
            t,
            &|k| (k == "id").then(|| customer.id.clone()),
            Escape::Url,
        )
        .ok()
    }
}
