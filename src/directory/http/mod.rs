//! The generic HTTP/JSON connector: one [`Directory`] driven entirely by a template from the
//! config (or a preset of it) — no code per CRM.
//!
//! - `template` resolves preset + user keys and maps JSON answers onto customers;
//! - `placeholder` fills `{e164}`-style placeholders, escaped for URL, JSON or header;
//! - `presets` holds HubSpot, Pipedrive, Zoho, Odoo, Freshsales and the seed's own shape;
//! - `ratelimit` paces requests and honours 429 `Retry-After`;
//! - `transport` sends one exchange and classifies the answer;
//! - `call_vars` spells a finished call / new contact for journal and create templates;
//! - `journal` writes a finished call, asking first whether it is already there when the
//!   template can (`journal_check`).
//!
//! The secret comes from the keyring by name (default: the directory's name), or, with
//! `[directory.oauth]`, is an access token from the directory's [`crate::oauth::Session`]:
//! its API base (`instance_url` / `api_domain`) replaces `{base_url}`, and a 401 gets one
//! refresh and one retry. TLS is rustls.

pub mod call_vars;
mod journal;
pub mod placeholder;
pub mod presets;
pub mod presets_oauth;
pub mod ratelimit;
mod remote_http;
pub mod response;
pub mod sync;
pub mod template;
pub mod transport;

use super::remote::{keep_matching, SecretSlot};
use super::{
    BuildContext, CreateError, Customer, Directory, JournalError, LookupError, NewContact,
};
use crate::config::HttpSettings;
use crate::oauth::{Access, AuthError, Session};
use crate::phone::{Normalised, PhoneRules};
use crate::store::calls::CallRecord;
use async_trait::async_trait;
use placeholder::{render, Escape};
use ratelimit::RateLimit;
use response::text_of;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use template::{HttpTemplate, Request};
use transport::{Answer, Exchange, Failure};

/// A CRM reached over HTTP(S).
pub struct HttpDirectory {
    name: String,
    template: HttpTemplate,
    client: reqwest::Client,
    secret: SecretSlot,
    /// The login step's result (`{login}`), once obtained.
    session: tokio::sync::Mutex<Option<String>>,
    limit: RateLimit,
    rules: PhoneRules,
    journals: bool,
    /// The OAuth session, when the directory signs in.
    oauth: Option<Arc<Session>>,
    /// The API base the last token came with (profile links are built without a request).
    api_base: std::sync::Mutex<Option<String>>,
}

impl HttpDirectory {
    /// Builds the connector `name` from its settings.
    pub fn new(name: String, settings: &HttpSettings, ctx: &BuildContext) -> Result<Self, String> {
        let template = HttpTemplate::resolve(settings).map_err(|e| e.to_string())?;
        let client = reqwest::Client::builder()
            .user_agent(concat!("screenpop/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(template.timeout)
            .timeout(template.timeout)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let oauth = match &template.oauth {
            Some(p) => Some(Arc::new(
                Session::new(p.clone(), ctx.secrets.clone(), template.timeout)
                    .map_err(|e| e.to_string())?,
            )),
            None => None,
        };
        // With OAuth the secret is the access token; a keyring secret only when named.
        let secret_name = settings
            .secret
            .clone()
            .or_else(|| (oauth.is_none() && uses_secret(&template)).then(|| name.clone()));
        Ok(Self {
            oauth,
            api_base: std::sync::Mutex::new(None),
            secret: SecretSlot::new(ctx.secrets.clone(), secret_name),
            limit: RateLimit::new(template.rate_limit_per_s),
            session: tokio::sync::Mutex::new(None),
            rules: ctx.rules.clone(),
            journals: settings.journal,
            name,
            template,
            client,
        })
    }

    /// The OAuth session, if this directory signs in (for `connect` and tests).
    pub fn oauth(&self) -> Option<&Arc<Session>> {
        self.oauth.as_ref()
    }

    /// The value of a template-wide placeholder.
    fn common(&self, key: &str, secret: &str, login: Option<&str>) -> Option<String> {
        let t = &self.template;
        match key {
            "base_url" => Some(
                crate::sync::lock(&self.api_base)
                    .clone()
                    .unwrap_or_else(|| t.base_url.clone()),
            ),
            "app_url" => t.app_url.clone(),
            "secret" => Some(secret.to_string()),
            "username" => Some(t.username.clone().unwrap_or_default()),
            "database" => Some(t.database.clone().unwrap_or_default()),
            "login" => login.map(str::to_string),
            _ => None,
        }
    }

    /// The credential to send: the keyring secret, or an OAuth access token.
    async fn credential(&self) -> Result<String, Failure> {
        let Some(session) = &self.oauth else {
            return self.secret.get().await.map_err(Failure::Auth);
        };
        let access = session.access().await.map_err(auth_failure)?;
        self.remember(&access);
        Ok(access.token)
    }

    fn remember(&self, access: &Access) {
        if let Some(base) = &access.api_base {
            *crate::sync::lock(&self.api_base) = Some(base.clone());
        }
    }

    /// Runs `req` with `vars` (plus the common placeholders), logging in first if needed; with
    /// OAuth, a 401 gets one token refresh and one retry.
    async fn exchange(
        &self,
        req: &Request,
        vars: &HashMap<&'static str, String>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, Failure> {
        let deadline = Instant::now() + self.template.timeout;
        let secret = self.credential().await?;
        let answer = self
            .send(req, vars, idempotency_key, &secret, deadline)
            .await;
        let Some(session) = &self.oauth else {
            return answer;
        };
        if !matches!(answer, Err(Failure::Auth(_))) {
            return answer;
        }
        tracing::info!(directory = %self.name, "access token refused; refreshing once");
        let access = session.rejected(&secret).await.map_err(auth_failure)?;
        self.remember(&access);
        self.send(req, vars, idempotency_key, &access.token, deadline)
            .await
    }

    async fn send(
        &self,
        req: &Request,
        vars: &HashMap<&'static str, String>,
        idempotency_key: Option<&str>,
        secret: &str,
        deadline: Instant,
    ) -> Result<Answer, Failure> {
        let login = self.login(secret, deadline).await?;
        let value = |k: &str| {
            vars.get(k)
                .cloned()
                .or_else(|| self.common(k, secret, login.as_deref()))
        };
        let answer = self
            .exchange_for(secret, &value, idempotency_key)
            .send(req, deadline)
            .await;
        match &answer {
            Err(Failure::Auth(_)) => {
                // The token may have been replaced in the keyring since; the session is void.
                self.secret.forget();
                *self.session.lock().await = None;
            }
            // A JSON-RPC session (Odoo's uid) may have expired: log in again next time.
            Err(Failure::Rejected(_)) if self.template.login.is_some() => {
                *self.session.lock().await = None;
            }
            _ => {}
        }
        answer
    }

    /// One request/answer exchange with this connector's template, client and rate limit.
    fn exchange_for<'a>(
        &'a self,
        secret: &'a str,
        vars: &'a (dyn Fn(&str) -> Option<String> + Sync),
        idempotency_key: Option<&'a str>,
    ) -> Exchange<'a> {
        Exchange {
            template: &self.template,
            client: &self.client,
            limit: &self.limit,
            secret,
            vars,
            idempotency_key,
        }
    }

    /// The login step's result, running it once when the template has one.
    async fn login(&self, secret: &str, deadline: Instant) -> Result<Option<String>, Failure> {
        let Some(req) = &self.template.login else {
            return Ok(None);
        };
        let mut session = self.session.lock().await;
        if let Some(s) = session.as_ref() {
            return Ok(Some(s.clone()));
        }
        let value = |k: &str| self.common(k, secret, None);
        let answer = self
            .exchange_for(secret, &value, None)
            .send(req, deadline)
            .await?;
        let pointer = req.result.as_deref().unwrap_or("");
        let got = answer
            .json
            .as_ref()
            .and_then(|doc| response::select(doc, pointer).into_iter().find_map(text_of))
            .filter(|v| v != "false");
        let Some(got) = got else {
            return Err(Failure::Auth(
                "login refused (check username and secret)".into(),
            ));
        };
        *session = Some(got.clone());
        Ok(Some(got))
    }
}

/// Whether any part of the template needs the secret.
fn uses_secret(t: &HttpTemplate) -> bool {
    let in_text = |s: &str| placeholder::names(s).iter().any(|n| n == "secret");
    t.auth != template::Auth::None
        || t.headers.iter().any(|(_, v)| in_text(v))
        || [&Some(t.lookup.clone()), &t.login, &t.journal, &t.create]
            .into_iter()
            .flatten()
            .any(|r| in_text(&r.url) || r.body.as_deref().is_some_and(in_text))
}

/// An OAuth problem as the connector reports it.
fn auth_failure(e: AuthError) -> Failure {
    match e {
        AuthError::NotConnected(_) | AuthError::SignIn { .. } => Failure::SignIn(e.to_string()),
        AuthError::Throttled(s) => Failure::Throttled(std::time::Duration::from_secs(s)),
        AuthError::Unreachable(m) => Failure::Unreachable(format!("OAuth token endpoint: {m}")),
        AuthError::Refused(m) => Failure::Rejected(format!("OAuth: {m}")),
        AuthError::Keyring(m) => Failure::Auth(format!("keyring: {m}")),
    }
}

fn lookup_error(f: Failure) -> LookupError {
    match f {
        Failure::SignIn(m) => LookupError::SignIn(m),
        Failure::Timeout(ms) => LookupError::Timeout(ms),
        Failure::Unreachable(m) => LookupError::Unreachable(m),
        Failure::Auth(m) | Failure::Rejected(m) => LookupError::Rejected(m),
        Failure::Bad(m) => LookupError::BadResponse(m),
        Failure::Throttled(w) => LookupError::Rejected(format!(
            "rate limited; retry after {} s",
            w.as_secs().max(1)
        )),
    }
}

#[async_trait]
impl Directory for HttpDirectory {
    fn name(&self) -> &str {
        &self.name
    }

    async fn lookup(&self, number: &Normalised) -> Result<Vec<Customer>, LookupError> {
        if number.digits.len() < self.template.min_digits {
            return Ok(Vec::new());
        }
        let vars = call_vars::of_number(number);
        let t = &self.template;
        let main = std::iter::once((&t.lookup, &t.map, t.record_type.as_deref()));
        let more = t.more_lookups.iter().map(|(r, m, k)| (r, m, k.as_deref()));
        // Every lookup at once (Dataverse: contacts, accounts, leads); results in that order.
        let answers = futures::future::join_all(main.chain(more).map(|(req, map, kind)| {
            let vars = &vars;
            async move {
                let answer = self.exchange(req, vars, None).await.map_err(lookup_error)?;
                match answer.json {
                    Some(doc) => {
                        response::customers(&doc, map, kind).map_err(LookupError::BadResponse)
                    }
                    None => Ok(Vec::new()),
                }
            }
        }))
        .await;
        let mut found = Vec::new();
        for answer in answers {
            found.extend(answer?);
        }
        Ok(if self.template.verify_phones {
            keep_matching(&self.rules, found, number)
        } else {
            found
        })
    }

    fn profile_url(&self, customer: &Customer) -> Option<String> {
        if customer.url.is_some() {
            return customer.url.clone();
        }
        let t = self.template.profile_url.as_deref()?;
        let (kind, key) = customer.id.split_once('/').unwrap_or(("", &customer.id));
        let value = |k: &str| match k {
            "id" => Some(customer.id.clone()),
            "record_type" => Some(kind.to_string()),
            "record_id" => Some(key.to_string()),
            "secret" | "login" => None,
            other => self.common(other, "", None),
        };
        render(t, &value, Escape::Url).ok()
    }

    fn create_contact_url(&self, number: &Normalised) -> Option<String> {
        let t = self.template.create_contact_url.as_deref()?;
        let vars = call_vars::of_number(number);
        let value = |k: &str| {
            vars.get(k).cloned().or_else(|| match k {
                "secret" | "login" => None,
                other => self.common(other, "", None),
            })
        };
        render(t, &value, Escape::Url).ok()
    }

    fn journals(&self) -> bool {
        self.journals
    }

    async fn journal(&self, call: &CallRecord) -> Result<(), JournalError> {
        self.deliver(call).await
    }

    async fn journaled(&self, call: &CallRecord) -> Result<Option<bool>, JournalError> {
        self.already_journaled(call).await
    }

    async fn create_contact(&self, contact: &NewContact) -> Result<Customer, CreateError> {
        let Some(req) = &self.template.create else {
            return Err(CreateError::Unsupported);
        };
        let vars = call_vars::of_contact(contact, &self.rules);
        let answer = self
            .exchange(req, &vars, None)
            .await
            .map_err(|f| CreateError::Failed(lookup_error(f).to_string()))?;
        let pointer = req.result.as_deref().unwrap_or("/id");
        let id = answer
            .json
            .as_ref()
            .and_then(|doc| response::select(doc, pointer).into_iter().find_map(text_of))
            .ok_or_else(|| CreateError::Failed(format!("the answer has no id at {pointer:?}")))?;
        let mut customer = Customer {
            id,
            name: contact.name.clone(),
            company: contact.company.clone(),
            phones: contact.phones.clone(),
            vip: contact.vip,
            note: contact.note.clone(),
            url: None,
            directory: self.name.clone(),
        };
        customer.url = self.profile_url(&customer);
        Ok(customer)
    }
}
