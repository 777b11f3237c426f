//! Settings of the remote directories (`[[directory]]` with `kind = "http" | "ldap" |
//! "carddav"`): what the user writes in the TOML file, before presets are applied.
//!
//! Owns only the shape of the file and its defaults; the connectors in
//! [`crate::directory`] turn these into working templates and report what is inconsistent.
//! Secrets are never here: `secret = "NAME"` names a keyring entry.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default per-request timeout of a remote directory.
pub const DEFAULT_TIMEOUT_MS: u64 = 3000;

/// A CRM whose API shape screenpop knows (`preset = "hubspot"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// The seed's own `GET /customers?phone=` shape.
    Seed,
    Hubspot,
    Pipedrive,
    Zoho,
    Odoo,
    Freshsales,
    /// Salesforce REST API (SOSL), OAuth 2.
    Salesforce,
    /// Dynamics 365 / Dataverse Web API, OAuth 2 (Microsoft Entra).
    Dynamics,
    /// Microsoft 365 contacts over Graph, synced into a local index.
    Microsoft365,
    /// Google contacts over the People API, synced into a local index.
    Google,
}

/// One value or several (`name = "/name"` or `name = ["/first", "/last"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values in order.
    pub fn items(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// When a record is a VIP: a truthy field, or a rule on a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum VipRule {
    /// A path whose value is true / "yes" / 1.
    Path(String),
    /// `{ path = "/tags/*/name", contains = "VIP" }` or `{ path = "/tier", equals = "gold" }`.
    Rule {
        path: String,
        #[serde(default)]
        contains: Option<String>,
        #[serde(default)]
        equals: Option<String>,
    },
}

/// How an HTTP answer maps onto customers (paths are JSON pointers; `*` = every element).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResponseMap {
    /// Where the list of results is ("" = the whole document; an object = one result).
    pub results: Option<String>,
    pub id: Option<String>,
    /// Joined with spaces when several (first + last name).
    pub name: Option<OneOrMany>,
    pub company: Option<OneOrMany>,
    pub phones: Option<OneOrMany>,
    pub vip: Option<VipRule>,
    /// Joined with " · " when several.
    pub note: Option<OneOrMany>,
    /// A profile URL given by the CRM itself.
    pub url: Option<String>,
    /// A path that, when present and not null, means the answer is an error (JSON-RPC).
    pub error: Option<String>,
}

/// One request template: method, URL, optional body (placeholders: see docs/connectors.md).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestTemplate {
    pub method: Option<String>,
    pub url: Option<String>,
    pub body: Option<String>,
    /// Where the answer's useful value is (the id of a created record, a login's session).
    pub result: Option<String>,
}

/// `[[directory]] kind = "http"`: a CRM or any JSON API, from a preset and/or a template.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    pub name: Option<String>,
    /// `enabled = false` keeps the entry in the file but out of use (the Settings switch).
    #[serde(skip_serializing_if = "crate::config::Enabled::is_on")]
    pub enabled: crate::config::Enabled,
    pub preset: Option<Preset>,
    /// The API's root (`https://api.hubapi.com`, `https://acme.pipedrive.com`).
    pub base_url: Option<String>,
    /// The CRM's web app root for profile links, when it differs from the API.
    pub app_url: Option<String>,
    /// Keyring entry holding the token / password.
    pub secret: Option<String>,
    /// Login name for basic auth or a login step (Odoo).
    pub username: Option<String>,
    /// Database name (Odoo; defaults to the first label of the host).
    pub database: Option<String>,
    /// Write finished calls to this CRM through the outbox.
    pub journal: bool,
    pub timeout_ms: Option<u64>,
    /// At most this many requests per second (HubSpot's search allows about 4).
    pub rate_limit_per_s: Option<f64>,
    /// `bearer`, `basic`, `header`, `query` or `none`.
    pub auth: Option<String>,
    /// The header or query parameter name for `auth = "header" | "query"`.
    pub auth_name: Option<String>,
    /// Extra request headers; values may use `{secret}`.
    pub headers: BTreeMap<String, String>,
    pub lookup: RequestTemplate,
    pub map: ResponseMap,
    pub profile_url: Option<String>,
    pub create_contact_url: Option<String>,
    /// The request that writes a finished call (`journal = true`).
    #[serde(rename = "journal_request")]
    pub journal_request: RequestTemplate,
    /// Journal calls from callers this CRM does not know (default true; CRM presets that
    /// attach calls to a contact record say false).
    pub journal_unknown: Option<bool>,
    /// The request that creates a contact from screenpop (`result` = the new record's id).
    pub create: RequestTemplate,
    /// A request run once before the others; its `result` becomes `{login}`.
    pub login: RequestTemplate,
    /// Numbers with fewer digits are not searched (Pipedrive needs a term of ≥ 2).
    pub min_digits: Option<usize>,
    /// Keep only results whose phones match the caller (default: true when phones are mapped).
    pub verify_phones: Option<bool>,
    /// How often a synced address book (`microsoft365`, `google`) is brought up to date (s).
    pub refresh_s: Option<u64>,
    /// `[directory.oauth]`: sign in with OAuth 2 instead of a static token.
    pub oauth: Option<super::OAuthSettings>,
    /// Asks the CRM whether a call is already journaled (before re-sending one whose outcome
    /// is unknown); `result` points at a count or list that is non-empty when it is.
    pub journal_check: RequestTemplate,
    /// A record's type: a path in the lookup answer (Salesforce `/attributes/type`) or a
    /// literal (`contact`). The customer id becomes `TYPE/ID`; templates get
    /// `{customer_type}` / `{customer_key}` (journal) and `{record_type}` / `{record_id}` (profile).
    pub record_type: Option<String>,
    /// More lookups run beside `lookup` (Dataverse: accounts and leads besides contacts); their
    /// results follow the main lookup's.
    pub more_lookups: Vec<ExtraLookup>,
}

/// One more lookup of an HTTP directory, with its own mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExtraLookup {
    pub lookup: RequestTemplate,
    pub map: ResponseMap,
    pub record_type: Option<String>,
}

/// Which attributes of an LDAP entry make a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LdapAttributes {
    /// `dn` or an attribute (`uid`, `entryUUID`).
    pub id: String,
    pub name: String,
    pub company: String,
    pub phones: Vec<String>,
    pub note: String,
    /// An attribute and rule: `{ path = "employeeType", equals = "VIP" }` (`path` = attribute).
    pub vip: Option<VipRule>,
    /// An attribute holding a profile URL (`labeledURI`).
    pub url: Option<String>,
}

/// `[[directory]] kind = "ldap"`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LdapSettings {
    pub name: Option<String>,
    /// `enabled = false` keeps the entry in the file but out of use (the Settings switch).
    #[serde(skip_serializing_if = "crate::config::Enabled::is_on")]
    pub enabled: crate::config::Enabled,
    /// `ldap://host:389` or `ldaps://host:636`.
    pub url: String,
    pub base_dn: String,
    /// Anonymous bind when absent.
    pub bind_dn: Option<String>,
    /// Keyring entry with the bind password.
    pub secret: Option<String>,
    /// Upgrade `ldap://` with StartTLS before binding.
    pub starttls: bool,
    /// Search filter; `{e164}`, `{national}`, `{digits}`, `{tail}` are LDAP-escaped.
    pub filter: Option<String>,
    pub attributes: LdapAttributes,
    /// Profile URL template (`{id}`).
    pub profile_url: Option<String>,
    pub timeout_ms: Option<u64>,
    pub rate_limit_per_s: Option<f64>,
}

/// `[[directory]] kind = "carddav"`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CarddavSettings {
    pub name: Option<String>,
    /// `enabled = false` keeps the entry in the file but out of use (the Settings switch).
    #[serde(skip_serializing_if = "crate::config::Enabled::is_on")]
    pub enabled: crate::config::Enabled,
    /// The address book collection (`https://dav.example.com/alice/contacts/`).
    pub url: String,
    pub username: Option<String>,
    /// Keyring entry with the password.
    pub secret: Option<String>,
    /// How often the address book's change tag is checked (seconds).
    pub refresh_s: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub rate_limit_per_s: Option<f64>,
}

impl Default for LdapAttributes {
    fn default() -> Self {
        Self {
            id: "dn".into(),
            name: "cn".into(),
            company: "o".into(),
            phones: vec![
                "telephoneNumber".into(),
                "mobile".into(),
                "homePhone".into(),
            ],
            note: "description".into(),
            vip: None,
            url: None,
        }
    }
}

/// `[journal]`: how the outbox worker retries deliveries to journaling directories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JournalSettings {
    /// First retry after this many milliseconds; doubled per failed attempt.
    pub retry_base_ms: u64,
    /// Retries are never further apart than this.
    pub retry_max_s: u64,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// Rows read per pass.
    pub batch: usize,
}

impl Default for JournalSettings {
    fn default() -> Self {
        Self {
            retry_base_ms: 2000,
            retry_max_s: 3600,
            concurrency: 4,
            batch: 32,
        }
    }
}
