//! The generic HTTP/JSON connector: one [`Directory`] driven entirely by a template from the
//! config (or a preset of it) — no code per CRM.
//!
//! - `template` resolves preset + user keys and maps JSON answers onto customers;
//! - `placeholder` fills `{e164}`-style placeholders, escaped for URL, JSON or header;
//! - `presets` holds HubSpot, Pipedrive, Zoho, Odoo, Freshsales and the seed's own shape;
//! - `ratelimit` paces requests and honours 429 `Retry-After`;
//! - `transport` sends one exchange and classifies the answer;
//! - `call_vars` spells a finished call / new contact for journal and create templates.
//!
//! The secret comes from the keyring by name (default: the directory's name); TLS is rustls.

pub mod call_vars;
pub mod placeholder;
pub mod presets;
pub mod ratelimit;
pub mod template;
pub mod transport;

use super::remote::{keep_matching, SecretSlot};
use super::{
    BuildContext, CreateError, Customer, Directory, JournalError, LookupError, NewContact,
};
use crate::config::HttpSettings;
use crate::phone::{Normalised, PhoneRules};
use crate::store::calls::CallRecord;
use async_trait::async_trait;
use placeholder::{render, Escape};
use ratelimit::RateLimit;
use std::collections::HashMap;
use std::time::Instant;
use template::{text_of, HttpTemplate, Request};
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
        let secret_name = settings
            .secret
            .clone()
            .or_else(|| uses_secret(&template).then(|| name.clone()));
        Ok(Self {
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

    /// The value of a template-wide placeholder.
    fn common(&self, key: &str, secret: &str, login: Option<&str>) -> Option<String> {
        let t = &self.template;
        match key {
            "base_url" => Some(t.base_url.clone()),
            "app_url" => t.app_url.clone(),
            "secret" => Some(secret.to_string()),
            "username" => Some(t.username.clone().unwrap_or_default()),
            "database" => Some(t.database.clone().unwrap_or_default()),
            "login" => login.map(str::to_string),
            _ => None,
        }
    }

    /// Runs `req` with `vars` (plus the common placeholders), logging in first if needed.
    async fn exchange(
        &self,
        req: &Request,
        vars: &HashMap<&'static str, String>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, Failure> {
        let deadline = Instant::now() + self.template.timeout;
        let secret = self.secret.get().await.map_err(Failure::Auth)?;
        let login = self.login(&secret, deadline).await?;
        let value = |k: &str| {
            vars.get(k)
                .cloned()
                .or_else(|| self.common(k, &secret, login.as_deref()))
        };
        let exchange = Exchange {
            template: &self.template,
            client: &self.client,
            limit: &self.limit,
            secret: &secret,
            vars: &value,
            idempotency_key,
        };
        let answer = exchange.send(req, deadline).await;
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
        let exchange = Exchange {
            template: &self.template,
            client: &self.client,
            limit: &self.limit,
            secret,
            vars: &value,
            idempotency_key: None,
        };
        let answer = exchange.send(req, deadline).await?;
        let pointer = req.result.as_deref().unwrap_or("");
        let got = answer
            .json
            .as_ref()
            .and_then(|doc| template::select(doc, pointer).into_iter().find_map(text_of))
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

fn number_vars(number: &Normalised) -> HashMap<&'static str, String> {
    let e164 = number.e164.clone().unwrap_or_else(|| number.digits.clone());
    HashMap::from([
        ("number", e164.clone()),
        ("e164", e164),
        (
            "national",
            number
                .national
                .clone()
                .unwrap_or_else(|| number.digits.clone()),
        ),
        ("digits", number.digits.clone()),
        ("tail", number.tail.clone()),
    ])
}

fn lookup_error(f: Failure) -> LookupError {
    match f {
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
        let answer = self
            .exchange(&self.template.lookup, &number_vars(number), None)
            .await
            .map_err(lookup_error)?;
        let Some(doc) = answer.json else {
            return Ok(Vec::new());
        };
        let found = self
            .template
            .customers(&doc)
            .map_err(LookupError::BadResponse)?;
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
        let value = |k: &str| match k {
            "id" => Some(customer.id.clone()),
            "secret" | "login" => None,
            other => self.common(other, "", None),
        };
        render(t, &value, Escape::Url).ok()
    }

    fn create_contact_url(&self, number: &Normalised) -> Option<String> {
        let t = self.template.create_contact_url.as_deref()?;
        let vars = number_vars(number);
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
        let Some(req) = &self.template.journal else {
            return Err(JournalError::Unsupported);
        };
        let ours =
            call.directory.as_deref() == Some(self.name.as_str()) && call.customer_id.is_some();
        if !ours && !self.template.journal_unknown {
            tracing::info!(directory = %self.name, call_id = %call.call_id, "not journaled: the caller is not a contact here");
            return Ok(());
        }
        match self
            .exchange(req, &call_vars::of_call(call), Some(&call.call_id))
            .await
        {
            Ok(_) => Ok(()),
            Err(Failure::Rejected(m)) if m.starts_with("HTTP 409") => Ok(()),
            Err(Failure::Timeout(ms)) => {
                Err(JournalError::Failed(format!("timed out after {ms} ms")))
            }
            Err(Failure::Unreachable(m)) => Err(JournalError::Failed(m)),
            Err(Failure::Auth(m) | Failure::Rejected(m) | Failure::Bad(m)) => {
                Err(JournalError::Rejected(m))
            }
            Err(Failure::Throttled(w)) => Err(JournalError::Throttled {
                retry_after_s: w.as_secs().max(1),
            }),
        }
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
            .and_then(|doc| template::select(doc, pointer).into_iter().find_map(text_of))
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
