//! The HTTP connector's template, resolved: a preset merged with the user's keys, checked
//! once (URLs, methods, placeholders, the response mapping). Reading an answer with it is
//! [`super::response`]'s. Pure code: no I/O.

use super::placeholder;
use super::presets;
use super::response::{customers, select, text_of};
use crate::config::{HttpSettings, OneOrMany, RequestTemplate, VipRule, DEFAULT_TIMEOUT_MS};
use crate::directory::remote::check_http_url;
use crate::directory::Customer;
use serde_json::Value;
use std::time::Duration;

/// Why HTTP settings cannot work: the key of `[[directory]] kind = "http"` it concerns
/// (`base_url`, `lookup.url`, `map.name`…) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct HttpSettingsError {
    pub key: String,
    pub message: String,
}

fn bad(key: impl Into<String>, message: impl Into<String>) -> HttpSettingsError {
    HttpSettingsError {
        key: key.into(),
        message: message.into(),
    }
}

/// A URL setting that is not http(s).
fn http_url(key: &str, url: &str) -> Result<(), HttpSettingsError> {
    // Worded for a message shown next to the field: "must start with http:// or https://…".
    check_http_url("", url).map_err(|m| bad(key, m.trim_start()))
}

/// How the secret is presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Bearer,
    Basic,
    Header(String),
    Query(String),
}

/// One resolved request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: reqwest::Method,
    pub url: String,
    pub body: Option<String>,
    /// Where the answer's useful value is.
    pub result: Option<String>,
}

/// Response-to-customer mapping.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub results: String,
    pub id: String,
    pub name: Vec<String>,
    pub company: Vec<String>,
    pub phones: Vec<String>,
    pub vip: Option<VipRule>,
    pub note: Vec<String>,
    pub url: Option<String>,
    pub error: Option<String>,
}

/// Everything the HTTP connector does, resolved from preset + settings.
#[derive(Debug, Clone)]
pub struct HttpTemplate {
    pub base_url: String,
    pub app_url: Option<String>,
    pub secret: Option<String>,
    pub username: Option<String>,
    pub database: Option<String>,
    pub auth: Auth,
    pub headers: Vec<(String, String)>,
    pub lookup: Request,
    pub map: Mapping,
    pub profile_url: Option<String>,
    pub create_contact_url: Option<String>,
    pub journal: Option<Request>,
    /// Journal calls whose caller is not a record in this CRM.
    pub journal_unknown: bool,
    pub create: Option<Request>,
    pub login: Option<Request>,
    pub min_digits: usize,
    pub verify_phones: bool,
    pub timeout: Duration,
    pub rate_limit_per_s: Option<f64>,
    /// The OAuth 2 client, when the directory signs in (`[directory.oauth]`).
    pub oauth: Option<crate::oauth::Provider>,
    /// Asks whether a call is already journaled (`result`: a count or list, non-empty = yes).
    pub journal_check: Option<Request>,
    /// Where a record's type is, or the type itself (`TYPE/ID` customer ids).
    pub record_type: Option<String>,
    /// Lookups run beside `lookup`, each with its mapping and record type.
    pub more_lookups: Vec<(Request, Mapping, Option<String>)>,
}

/// Placeholders every template may use.
const COMMON: &[&str] = &[
    "base_url", "app_url", "secret", "username", "database", "login",
];
/// What a lookup knows about the caller.
pub const LOOKUP_VARS: &[&str] = &[
    "number",
    "e164",
    "national",
    "digits",
    "tail",
    "display",
    "international",
];
/// What a profile link knows.
pub const PROFILE_VARS: &[&str] = &[
    "id",
    "record_type",
    "record_id",
    "e164",
    "national",
    "digits",
    "number",
    "tail",
];
/// What a journal request knows about the call.
pub const JOURNAL_VARS: &[&str] = &[
    "call_id",
    "number",
    "e164",
    "display",
    "name",
    "customer_id",
    "directory",
    "direction",
    "source",
    "started_at",
    "ended_at",
    "answered_at",
    "started_ms",
    "ended_ms",
    "started_date",
    "started_time",
    "ended_date",
    "ended_time",
    "inbound",
    "call_type",
    "duration_s",
    "duration_ms",
    "duration_hms",
    "duration_min",
    "ring_s",
    "missed",
    "answered",
    "note",
    "end_reason",
    "title",
    "customer_type",
    "customer_key",
    "who_id",
    "what_id",
    "duration_minutes",
    "call_uuid",
];
/// What a create request knows about the new contact.
pub const CREATE_VARS: &[&str] = &[
    "name",
    "first_name",
    "last_name",
    "company",
    "phone",
    "e164",
    "note",
    "vip",
];

impl HttpTemplate {
    /// Merges the preset under the user's keys and checks the result.
    pub fn resolve(user: &HttpSettings) -> Result<Self, HttpSettingsError> {
        let s = match user.preset {
            Some(p) => presets::merge(presets::preset(p), user),
            None => user.clone(),
        };
        let base_url = s
            .base_url
            .clone()
            .ok_or_else(|| bad("base_url", "is required (the CRM's API address)"))?;
        http_url("base_url", &base_url)?;
        if let Some(app) = &s.app_url {
            http_url("app_url", app)?;
        }
        let auth = match (s.auth.as_deref().unwrap_or("none"), s.auth_name.clone()) {
            ("none", _) => Auth::None,
            ("bearer", _) => Auth::Bearer,
            ("basic", _) => Auth::Basic,
            ("header", Some(n)) => Auth::Header(n),
            ("query", Some(n)) => Auth::Query(n),
            ("header" | "query", None) => {
                return Err(bad(
                    "auth_name",
                    "is required with auth = \"header\" or \"query\"",
                ))
            }
            (other, _) => {
                return Err(bad(
                    "auth",
                    format!("{other:?}: expected bearer, basic, header, query or none"),
                ))
            }
        };
        let database = s.database.clone().or_else(|| default_database(&base_url));
        let lookup = request("lookup", &s.lookup, LOOKUP_VARS)?
            .ok_or_else(|| bad("lookup.url", "is required (or a preset)"))?;
        let map = mapping(&s.map, "map")?;
        let mut more_lookups = Vec::new();
        for (i, extra) in s.more_lookups.iter().enumerate() {
            let what = format!("more_lookups.{}", i + 1);
            let request = request(&format!("{what}.lookup"), &extra.lookup, LOOKUP_VARS)?
                .ok_or_else(|| bad(format!("{what}.lookup.url"), "is required"))?;
            let map = mapping(&extra.map, &format!("{what}.map"))?;
            more_lookups.push((request, map, extra.record_type.clone()));
        }
        for (what, t) in [
            ("profile_url", &s.profile_url),
            ("create_contact_url", &s.create_contact_url),
        ] {
            if let Some(t) = t {
                check_placeholders(what, t, PROFILE_VARS)?;
            }
        }
        for (k, v) in &s.headers {
            check_placeholders(&format!("headers.{k}"), v, &[])?;
        }
        let journal = request("journal_request", &s.journal_request, JOURNAL_VARS)?;
        if s.journal && journal.is_none() {
            return Err(bad(
                "journal_request.url",
                "is required with journal = true (or a preset that has one)",
            ));
        }
        let create = request("create", &s.create, CREATE_VARS)?;
        let login = request("login", &s.login, &[])?;
        let verify_phones = s.verify_phones.unwrap_or(!map.phones.is_empty());
        let journal_check = request("journal_check", &s.journal_check, JOURNAL_VARS)?;
        let oauth = match &s.oauth {
            Some(o) => {
                let name = s.name.clone().or_else(|| {
                    s.preset
                        .and_then(|p| serde_json::to_value(p).ok())
                        .and_then(|v| v.as_str().map(String::from))
                });
                Some(
                    crate::oauth::Provider::resolve(
                        name.as_deref().unwrap_or("http"),
                        s.preset,
                        &base_url,
                        o,
                    )
                    .map_err(|m| bad("oauth", m))?,
                )
            }
            None => None,
        };
        Ok(Self {
            base_url,
            app_url: s.app_url.clone(),
            secret: s.secret.clone(),
            username: s.username.clone(),
            database,
            auth,
            headers: s
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            lookup,
            map,
            profile_url: s.profile_url.clone(),
            create_contact_url: s.create_contact_url.clone(),
            journal,
            journal_unknown: s.journal_unknown.unwrap_or(true),
            create,
            login,
            min_digits: s.min_digits.unwrap_or(1),
            verify_phones,
            timeout: Duration::from_millis(s.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS).max(1)),
            rate_limit_per_s: s.rate_limit_per_s.filter(|r| *r > 0.0),
            oauth,
            journal_check,
            record_type: s.record_type.clone(),
            more_lookups,
        })
    }

    /// The error an answer reports in its body (JSON-RPC), if the mapping says where.
    pub fn error_in(&self, doc: &Value) -> Option<String> {
        let path = self.map.error.as_deref()?;
        let e = select(doc, path)
            .into_iter()
            .find(|v| !v.is_null() && **v != Value::Bool(false))?;
        Some(text_of(e).unwrap_or_else(|| e.to_string()))
    }

    /// Maps a lookup answer onto customers (`directory` is filled by the chain).
    pub fn customers(&self, doc: &Value) -> Result<Vec<Customer>, String> {
        customers(doc, &self.map, self.record_type.as_deref())
    }
}

fn mapping(m: &crate::config::ResponseMap, key: &str) -> Result<Mapping, HttpSettingsError> {
    let list = |v: &Option<OneOrMany>| v.as_ref().map(OneOrMany::items).unwrap_or_default();
    let map = Mapping {
        results: m.results.clone().unwrap_or_default(),
        id: m
            .id
            .clone()
            .ok_or_else(|| bad(format!("{key}.id"), "is required (where a result's id is)"))?,
        name: list(&m.name),
        company: list(&m.company),
        phones: list(&m.phones),
        vip: m.vip.clone(),
        note: list(&m.note),
        url: m.url.clone(),
        error: m.error.clone(),
    };
    if map.name.is_empty() {
        return Err(bad(
            format!("{key}.name"),
            "is required (where a result's name is)",
        ));
    }
    Ok(map)
}

fn request(
    what: &str,
    t: &RequestTemplate,
    vars: &[&str],
) -> Result<Option<Request>, HttpSettingsError> {
    let Some(url) = t.url.clone() else {
        return Ok(None);
    };
    check_placeholders(&format!("{what}.url"), &url, vars)?;
    if let Some(body) = &t.body {
        check_placeholders(&format!("{what}.body"), body, vars)?;
    }
    let method = t
        .method
        .as_deref()
        .unwrap_or(if t.body.is_some() { "POST" } else { "GET" });
    let method =
        reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).map_err(|_| {
            bad(
                format!("{what}.method"),
                format!("{method:?} is not an HTTP method"),
            )
        })?;
    Ok(Some(Request {
        method,
        url,
        body: t.body.clone(),
        result: t.result.clone(),
    }))
}

fn check_placeholders(what: &str, template: &str, vars: &[&str]) -> Result<(), HttpSettingsError> {
    for name in placeholder::names(template) {
        if !COMMON.contains(&name.as_str()) && !vars.contains(&name.as_str()) {
            return Err(bad(what, format!("unknown placeholder {{{name}}}")));
        }
    }
    Ok(())
}

/// Odoo Online's database is the instance name: `acme` for `https://acme.odoo.com`.
fn default_database(base_url: &str) -> Option<String> {
    let host = base_url.split("://").nth(1)?.split(['/', ':']).next()?;
    let first = host.split('.').next()?;
    (!first.is_empty() && first.parse::<u8>().is_err()).then(|| first.to_string())
}

#[cfg(test)]
mod tests;
