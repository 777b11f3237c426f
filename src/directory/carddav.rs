//! The CardDAV connector: keeps a local index of one address book and matches callers
//! against its vCards' TEL numbers with the foundation's phone keys.
//!
//! Why an index instead of a server-side `text-match` on TEL: servers compare raw strings, so
//! `+1 (555) 123-4567` would never match a caller `5551234567`. The address book is fetched
//! with one `REPORT addressbook-query` (every card's `address-data`) and parsed by the
//! project's vCard reader; afterwards a `PROPFIND` of the change tag (`getctag` /
//! `sync-token`) every `refresh_s` seconds decides whether to fetch again. Basic auth with
//! the password from the keyring. The index is the cache, so the chain does not cache here.

use super::http::ratelimit::RateLimit;
use super::import::vcard;
use super::remote::{brief, check_http_url, phone_matches, SecretSlot};
use super::{BuildContext, Customer, Directory, LookupError};
use crate::config::{CarddavSettings, DEFAULT_TIMEOUT_MS};
use crate::phone::{Normalised, PhoneRules};
use async_trait::async_trait;
use std::time::{Duration, Instant};

const CARDDAV_NS: &str = "urn:ietf:params:xml:ns:carddav";
const DEFAULT_REFRESH_S: u64 = 60;
const QUERY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><C:address-data/></D:prop>
</C:addressbook-query>"#;
const CTAG: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">
  <D:prop><CS:getctag/><D:sync-token/></D:prop>
</D:propfind>"#;

/// Why CardDAV settings cannot work; [`CarddavSettingsError::key`] names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarddavSettingsError {
    #[error("{0}")]
    Url(String),
    #[error("a password (secret) needs a username (basic auth)")]
    SecretWithoutUser,
}

impl CarddavSettingsError {
    /// The field of `[[directory]] kind = "carddav"` this concerns.
    pub fn key(&self) -> &'static str {
        match self {
            CarddavSettingsError::Url(_) => "url",
            CarddavSettingsError::SecretWithoutUser => "username",
        }
    }
}

/// Whether CardDAV settings can work.
pub fn check(s: &CarddavSettings) -> Result<(), CarddavSettingsError> {
    check_http_url("", &s.url).map_err(|m| CarddavSettingsError::Url(m.trim_start().into()))?;
    if s.secret.is_some() && s.username.is_none() {
        return Err(CarddavSettingsError::SecretWithoutUser);
    }
    Ok(())
}

struct Index {
    tag: Option<String>,
    checked: Instant,
    cards: Vec<Customer>,
}

/// One CardDAV address book.
pub struct CarddavDirectory {
    name: String,
    settings: CarddavSettings,
    client: reqwest::Client,
    secret: SecretSlot,
    refresh: Duration,
    timeout: Duration,
    limit: RateLimit,
    rules: PhoneRules,
    index: tokio::sync::Mutex<Option<Index>>,
}

impl CarddavDirectory {
    /// Builds the connector `name` from its settings.
    pub fn new(
        name: String,
        settings: &CarddavSettings,
        ctx: &BuildContext,
    ) -> Result<Self, String> {
        check(settings).map_err(|e| format!("{}: {e}", e.key()))?;
        let timeout =
            Duration::from_millis(settings.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS).max(1));
        let client = reqwest::Client::builder()
            .user_agent(concat!("screenpop/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let secret_name = settings
            .secret
            .clone()
            .or_else(|| settings.username.is_some().then(|| name.clone()));
        Ok(Self {
            secret: SecretSlot::new(ctx.secrets.clone(), secret_name),
            refresh: Duration::from_secs(settings.refresh_s.unwrap_or(DEFAULT_REFRESH_S)),
            limit: RateLimit::new(settings.rate_limit_per_s),
            rules: ctx.rules.clone(),
            settings: settings.clone(),
            index: tokio::sync::Mutex::new(None),
            client,
            timeout,
            name,
        })
    }

    async fn dav(
        &self,
        method: &str,
        depth: &str,
        body: &'static str,
    ) -> Result<String, LookupError> {
        let deadline = Instant::now() + self.timeout;
        if let Err(wait) = self.limit.acquire(deadline).await {
            return Err(LookupError::Rejected(format!(
                "rate limited for {} ms",
                wait.as_millis()
            )));
        }
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| LookupError::Internal(e.to_string()))?;
        let mut req = self
            .client
            .request(method, &self.settings.url)
            .header("Depth", depth)
            .header("Content-Type", "application/xml; charset=utf-8")
            .body(body);
        if let Some(user) = &self.settings.username {
            let password = self.secret.get().await.map_err(LookupError::Rejected)?;
            req = req.basic_auth(user, Some(password));
        }
        let resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                LookupError::Timeout(self.timeout.as_millis() as u64)
            } else if e.is_connect() {
                LookupError::Unreachable("connection refused or no route".into())
            } else {
                LookupError::Unreachable(brief(&e.without_url().to_string()))
            }
        })?;
        let status = resp.status();
        if status.as_u16() == 401 || status.as_u16() == 403 {
            self.secret.forget();
            return Err(LookupError::Rejected(format!(
                "HTTP {}: credentials refused",
                status.as_u16()
            )));
        }
        if status.as_u16() != 207 && !status.is_success() {
            return Err(LookupError::Rejected(format!(
                "HTTP {} from the address book",
                status.as_u16()
            )));
        }
        resp.text()
            .await
            .map_err(|e| LookupError::Unreachable(brief(&e.without_url().to_string())))
    }

    /// The address book's change tag, if the server reports one.
    async fn tag(&self) -> Result<Option<String>, LookupError> {
        let xml = self.dav("PROPFIND", "0", CTAG).await?;
        let doc = roxmltree::Document::parse(&xml)
            .map_err(|e| LookupError::BadResponse(format!("PROPFIND: {e}")))?;
        Ok(doc
            .descendants()
            .find(|n| matches!(n.tag_name().name(), "getctag" | "sync-token"))
            .and_then(|n| n.text())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty()))
    }

    async fn fetch_cards(&self) -> Result<Vec<Customer>, LookupError> {
        let xml = self.dav("REPORT", "1", QUERY).await?;
        let doc = roxmltree::Document::parse(&xml)
            .map_err(|e| LookupError::BadResponse(format!("REPORT: {e}")))?;
        let mut text = String::new();
        for n in doc.descendants().filter(|n| {
            n.tag_name().name() == "address-data" && n.tag_name().namespace() == Some(CARDDAV_NS)
        }) {
            text.push_str(n.text().unwrap_or_default());
            text.push('\n');
        }
        let parsed = vcard::parse(text.as_bytes(), &mut |_| {})
            .map_err(|e| LookupError::BadResponse(e.to_string()))?;
        if !parsed.problems.is_empty() {
            tracing::info!(directory = %self.name, skipped = parsed.problems.len(), "address book cards without a name or number skipped");
        }
        Ok(parsed
            .contacts
            .into_iter()
            .map(|c| Customer {
                id: c.id.unwrap_or_else(|| c.name.clone()),
                name: c.name,
                company: c.company,
                phones: c.phones,
                vip: c.vip,
                note: c.note,
                url: c
                    .url
                    .filter(|u| u.starts_with("http://") || u.starts_with("https://")),
                directory: String::new(),
            })
            .collect())
    }

    /// Brings the index up to date when it is older than `refresh_s`.
    async fn refresh(&self, index: &mut Option<Index>) -> Result<(), LookupError> {
        if index
            .as_ref()
            .is_some_and(|i| i.checked.elapsed() < self.refresh)
        {
            return Ok(());
        }
        let tag = self.tag().await?;
        if let Some(i) = index.as_mut() {
            if tag.is_some() && i.tag == tag {
                i.checked = Instant::now();
                return Ok(());
            }
        }
        let cards = self.fetch_cards().await?;
        tracing::info!(directory = %self.name, cards = cards.len(), "address book indexed");
        *index = Some(Index {
            tag,
            checked: Instant::now(),
            cards,
        });
        Ok(())
    }
}

#[async_trait]
impl Directory for CarddavDirectory {
    fn name(&self) -> &str {
        &self.name
    }

    async fn lookup(&self, number: &Normalised) -> Result<Vec<Customer>, LookupError> {
        let mut index = self.index.lock().await;
        if let Err(e) = self.refresh(&mut index).await {
            if index.is_none() {
                return Err(e);
            }
            tracing::warn!(directory = %self.name, error = %e, "address book not refreshed; answering from the last copy");
            if let Some(i) = index.as_mut() {
                i.checked = Instant::now();
            }
        }
        let cards = index
            .as_ref()
            .map(|i| i.cards.as_slice())
            .unwrap_or_default();
        Ok(cards
            .iter()
            .filter(|c| {
                c.phones
                    .iter()
                    .any(|p| phone_matches(&self.rules, p, number))
            })
            .cloned()
            .collect())
    }

    fn cacheable(&self) -> bool {
        false
    }
}
