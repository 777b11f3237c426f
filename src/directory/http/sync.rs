//! Contacts from providers that have no phone search — Microsoft 365 (Graph) and Google
//! (People API) — synced into a local index and matched with the foundation's phone keys,
//! like CardDAV. The sync runs at start and every `refresh_s` (default 300 s) in a task this
//! directory owns; a lookup only waits for it before the first sync has finished.
//!
//! - Graph: `GET /me/contacts/delta`, following `@odata.nextLink` to the `@odata.deltaLink`,
//!   which the next round starts from (changes only; `@removed` entries drop out).
//! - Google: `people.connections.list` with `requestSyncToken`, following `nextPageToken` to
//!   `nextSyncToken`; later rounds pass `syncToken` and get changes, deleted people carrying
//!   `metadata.deleted`. Chosen over `people:searchContacts` because that needs a warm-up
//!   request, lags behind edits, matches name/number prefixes rather than phone keys and
//!   costs a request per ring; a sync answers every lookup locally.
//!
//! An expired cursor (HTTP 410) starts a full sync. Links are followed only on the API's
//! own origin, so the access token never goes anywhere else.

use super::remote_http::{get_json, Got};
use crate::config::{HttpSettings, Preset, DEFAULT_TIMEOUT_MS};
use crate::directory::remote::phone_matches;
use crate::directory::{BuildContext, Customer, Directory, LookupError};
use crate::oauth::Session;
use crate::phone::{Normalised, PhoneRules};
use async_trait::async_trait;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEFAULT_REFRESH_S: u64 = 300;
const GRAPH_SELECT: &str = "displayName,givenName,surname,companyName,businessPhones,homePhones,mobilePhone,personalNotes,categories";
const PEOPLE_FIELDS: &str = "names,phoneNumbers,organizations,biographies";

/// Which provider's contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    Graph,
    People,
}

#[derive(Default)]
struct Index {
    cards: HashMap<String, Customer>,
    /// The delta link / sync token the next round starts from.
    cursor: Option<String>,
    synced: Option<Instant>,
}

struct Inner {
    name: String,
    feed: Feed,
    base_url: String,
    client: reqwest::Client,
    session: Arc<Session>,
    rules: PhoneRules,
    refresh: Duration,
    index: tokio::sync::Mutex<Index>,
}

/// A synced address book; its sync task stops when the directory is dropped.
pub struct SyncedDirectory {
    inner: Arc<Inner>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for SyncedDirectory {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

impl SyncedDirectory {
    /// Builds the synced directory `name` (`preset = "microsoft365" | "google"`).
    pub fn new(name: String, settings: &HttpSettings, ctx: &BuildContext) -> Result<Self, String> {
        let template =
            super::template::HttpTemplate::resolve(settings).map_err(|e| e.to_string())?;
        let provider = template
            .oauth
            .clone()
            .ok_or("this preset signs in with OAuth: add [directory.oauth] with client_id")?;
        let timeout =
            Duration::from_millis(settings.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS).max(1));
        let session = Arc::new(
            Session::new(provider, ctx.secrets.clone(), timeout).map_err(|e| e.to_string())?,
        );
        let client = reqwest::Client::builder()
            .user_agent(concat!("screenpop/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let inner = Arc::new(Inner {
            feed: if settings.preset == Some(Preset::Google) {
                Feed::People
            } else {
                Feed::Graph
            },
            base_url: template.base_url.trim_end_matches('/').to_string(),
            refresh: Duration::from_secs(settings.refresh_s.unwrap_or(DEFAULT_REFRESH_S).max(1)),
            rules: ctx.rules.clone(),
            index: tokio::sync::Mutex::new(Index::default()),
            client,
            session,
            name,
        });
        // At start and on the interval, when there is a runtime to run on.
        let task = tokio::runtime::Handle::try_current().ok().map(|rt| {
            let inner = Arc::clone(&inner);
            rt.spawn(async move {
                let mut tick = tokio::time::interval(inner.refresh);
                loop {
                    tick.tick().await;
                    let mut index = inner.index.lock().await;
                    if let Err(e) = inner.sync(&mut index).await {
                        tracing::warn!(directory = %inner.name, error = %e, "contacts not synced");
                    }
                }
            })
        });
        Ok(Self { inner, task })
    }
}

impl Inner {
    fn first_url(&self, cursor: Option<&str>) -> String {
        match (self.feed, cursor) {
            (Feed::Graph, Some(delta)) => delta.to_string(),
            (Feed::Graph, None) => {
                format!("{}/me/contacts/delta?$select={GRAPH_SELECT}", self.base_url)
            }
            (Feed::People, token) => self.people_url(token, None),
        }
    }

    fn people_url(&self, sync_token: Option<&str>, page: Option<&str>) -> String {
        let mut url = format!(
            "{}/people/me/connections?personFields={PEOPLE_FIELDS}&pageSize=1000&requestSyncToken=true",
            self.base_url
        );
        if let Some(t) = sync_token {
            url.push_str(&format!("&syncToken={}", crate::percent::encode(t)));
        }
        if let Some(p) = page {
            url.push_str(&format!("&pageToken={}", crate::percent::encode(p)));
        }
        url
    }

    /// One sync round: changes since the cursor (or everything), the index updated in place.
    async fn sync(&self, index: &mut Index) -> Result<(), LookupError> {
        match self.round(index.cursor.clone()).await {
            Ok(r) => {
                self.apply(index, r);
                Ok(())
            }
            Err(Got::Gone) => {
                tracing::info!(directory = %self.name, "sync cursor expired; syncing everything");
                let r = self.round(None).await.map_err(Got::into_error)?;
                self.apply(index, r);
                Ok(())
            }
            Err(e) => Err(e.into_error()),
        }
    }

    fn apply(&self, index: &mut Index, round: Round) {
        if round.full {
            index.cards.clear();
        }
        for (id, card) in round.changes {
            match card {
                Some(c) => index.cards.insert(id, c),
                None => index.cards.remove(&id),
            };
        }
        index.cursor = round.cursor;
        index.synced = Some(Instant::now());
        tracing::info!(directory = %self.name, contacts = index.cards.len(), "contacts synced");
    }

    async fn round(&self, cursor: Option<String>) -> Result<Round, Got> {
        let full = cursor.is_none();
        let mut url = self.first_url(cursor.as_deref());
        let mut changes = Vec::new();
        for _ in 0..10_000 {
            let doc = get_json(&self.client, &self.session, &url, &self.base_url).await?;
            let (items, next, done) = match self.feed {
                Feed::Graph => (
                    doc.get("value")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                    doc.get("@odata.nextLink")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    doc.get("@odata.deltaLink")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                ),
                Feed::People => (
                    doc.get("connections")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                    doc.get("nextPageToken")
                        .and_then(Value::as_str)
                        .map(|p| self.people_url(cursor.as_deref(), Some(p))),
                    doc.get("nextSyncToken")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                ),
            };
            changes.extend(items.iter().filter_map(|i| match self.feed {
                Feed::Graph => graph_change(i),
                Feed::People => people_change(i),
            }));
            match (next, done) {
                (Some(n), _) => url = n,
                (None, Some(c)) => {
                    return Ok(Round {
                        full,
                        changes,
                        cursor: Some(c),
                    })
                }
                (None, None) => {
                    return Ok(Round {
                        full,
                        changes,
                        cursor: None,
                    })
                }
            }
        }
        Err(Got::Failed(LookupError::BadResponse(
            "more than 10000 pages".into(),
        )))
    }
}

struct Round {
    full: bool,
    /// Contact id → its new card (`None`: deleted).
    changes: Vec<(String, Option<Customer>)>,
    cursor: Option<String>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str())
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) if !s.trim().is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(crate::directory::remote::brief)
}

/// A Graph contact (or its `@removed` stub).
pub fn graph_change(item: &Value) -> Option<(String, Option<Customer>)> {
    let id = item.get("id")?.as_str()?.to_string();
    if item.get("@removed").is_some() {
        return Some((id, None));
    }
    let name = text(item.get("displayName")).or_else(|| {
        let parts: Vec<String> = [item.get("givenName"), item.get("surname")]
            .into_iter()
            .filter_map(text)
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    })?;
    let mut phones = strings(item.get("businessPhones"));
    phones.extend(strings(item.get("homePhones")));
    phones.extend(strings(item.get("mobilePhone")));
    let vip = strings(item.get("categories"))
        .iter()
        .any(|c| c.eq_ignore_ascii_case("vip"));
    Some((
        id.clone(),
        Some(Customer {
            id,
            name,
            company: text(item.get("companyName")),
            phones,
            vip,
            note: text(item.get("personalNotes")),
            url: None,
            directory: String::new(),
        }),
    ))
}

/// A People API person (or a deleted one).
pub fn people_change(p: &Value) -> Option<(String, Option<Customer>)> {
    let id = p.get("resourceName")?.as_str()?.to_string();
    if p.pointer("/metadata/deleted").and_then(Value::as_bool) == Some(true) {
        return Some((id, None));
    }
    let name = text(p.pointer("/names/0/displayName"))?;
    let phones: Vec<String> = p
        .get("phoneNumbers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| text(n.get("canonicalForm")).or_else(|| text(n.get("value"))))
        .collect();
    let url = id.strip_prefix("people/").map(|c| {
        format!(
            "https://contacts.google.com/person/{}",
            crate::percent::encode(c)
        )
    });
    Some((
        id.clone(),
        Some(Customer {
            id,
            name,
            company: text(p.pointer("/organizations/0/name")),
            phones,
            vip: false,
            note: text(p.pointer("/biographies/0/value")),
            url,
            directory: String::new(),
        }),
    ))
}

#[async_trait]
impl Directory for SyncedDirectory {
    fn name(&self) -> &str {
        &self.inner.name
    }

    async fn lookup(&self, number: &Normalised) -> Result<Vec<Customer>, LookupError> {
        let inner = &self.inner;
        let mut index = inner.index.lock().await;
        let stale = index.synced.is_none_or(|t| t.elapsed() >= inner.refresh);
        if stale {
            if let Err(e) = inner.sync(&mut index).await {
                if index.synced.is_none() {
                    return Err(e);
                }
                tracing::warn!(directory = %inner.name, error = %e, "contacts not synced; answering from the last copy");
            }
        }
        Ok(index
            .cards
            .values()
            .filter(|c| {
                c.phones
                    .iter()
                    .any(|p| phone_matches(&inner.rules, p, number))
            })
            .cloned()
            .collect())
    }

    fn cacheable(&self) -> bool {
        false
    }
}
