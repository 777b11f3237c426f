//! Presets: the HTTP template filled in for real CRMs, each written from the CRM's public API
//! documentation (request paths, auth headers, response shapes). A preset is an ordinary
//! [`HttpSettings`]; the user's keys are laid over it ([`merge`]), so any part can be changed
//! in the config. docs/connectors.md shows each one with a worked example.
//!
//! `journal_check` (HubSpot: a calls search on the body holding the call id; the seed API: by
//! idempotency key) lets the outbox ask before re-sending a delivery whose outcome is unknown.
//!
//! Quirks handled here: HubSpot's search allows ~4 requests/s (rate limit) and Pipedrive's
//! term needs ≥ 2 characters (`min_digits`). Zoho's "204 No Content" for no match is handled
//! by the connector for every CRM.

use crate::config::{HttpSettings, OneOrMany, Preset, RequestTemplate, ResponseMap, VipRule};
use std::collections::BTreeMap;

pub(super) fn req(
    method: &str,
    url: &str,
    body: Option<&str>,
    result: Option<&str>,
) -> RequestTemplate {
    RequestTemplate {
        method: Some(method.into()),
        url: Some(url.into()),
        body: body.map(str::to_string),
        result: result.map(str::to_string),
    }
}

pub(super) fn many(paths: &[&str]) -> Option<OneOrMany> {
    Some(OneOrMany::Many(
        paths.iter().map(|p| p.to_string()).collect(),
    ))
}

pub(super) fn one(path: &str) -> Option<String> {
    Some(path.to_string())
}

pub(super) fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The template of a preset.
pub fn preset(p: Preset) -> HttpSettings {
    match p {
        Preset::Seed => seed(),
        Preset::Hubspot => hubspot(),
        Preset::Pipedrive => pipedrive(),
        Preset::Zoho => zoho(),
        Preset::Odoo => odoo(),
        Preset::Freshsales => freshsales(),
        Preset::Salesforce => super::presets_oauth::salesforce(),
        Preset::Dynamics => super::presets_oauth::dynamics(),
        Preset::Microsoft365 | Preset::Google => super::presets_oauth::synced(p),
    }
}

/// The seed's CRM: `GET /customers?phone=` → `[{"Id","Name","Phones","IsVip","Note"}]`.
fn seed() -> HttpSettings {
    HttpSettings {
        auth: Some("bearer".into()),
        lookup: req("GET", "{base_url}/customers?phone={e164}", None, None),
        map: ResponseMap {
            results: one(""),
            id: one("/Id"),
            name: many(&["/Name"]),
            company: many(&["/Company"]),
            phones: many(&["/Phones"]),
            vip: Some(VipRule::Path("/IsVip".into())),
            note: many(&["/Note"]),
            ..Default::default()
        },
        profile_url: one("{base_url}/customers/{id}"),
        journal_check: req(
            "GET",
            "{base_url}/calls?idempotency_key={call_id}",
            None,
            Some(""),
        ),
        journal_request: req(
            "POST",
            "{base_url}/calls",
            Some(
                r#"{"CallId":"{call_id}","CustomerId":"{customer_id}","Number":"{e164}","Direction":"{direction}","StartedAt":"{started_at}","EndedAt":"{ended_at}","DurationSeconds":{duration_s},"Missed":{missed}}"#,
            ),
            None,
        ),
        create: req(
            "POST",
            "{base_url}/customers",
            Some(r#"{"Name":"{name}","Phones":["{phone}"],"Company":"{company}","Note":"{note}"}"#),
            Some("/Id"),
        ),
        ..Default::default()
    }
}

/// HubSpot CRM v3: `POST /crm/v3/objects/contacts/search` with filter groups on the
/// calculated (digits-only, national) phone properties; private-app token as bearer.
fn hubspot() -> HttpSettings {
    HttpSettings {
        journal_unknown: Some(false),
        base_url: one("https://api.hubapi.com"),
        auth: Some("bearer".into()),
        rate_limit_per_s: Some(4.0),
        lookup: req(
            "POST",
            "{base_url}/crm/v3/objects/contacts/search",
            Some(
                r#"{"filterGroups":[{"filters":[{"propertyName":"hs_searchable_calculated_phone_number","operator":"EQ","value":"{national}"}]},{"filters":[{"propertyName":"hs_searchable_calculated_mobile_number","operator":"EQ","value":"{national}"}]},{"filters":[{"propertyName":"phone","operator":"EQ","value":"{e164}"}]}],"properties":["firstname","lastname","company","phone","mobilephone","vip"],"limit":10}"#,
            ),
            None,
        ),
        map: ResponseMap {
            results: one("/results"),
            id: one("/id"),
            name: many(&["/properties/firstname", "/properties/lastname"]),
            company: many(&["/properties/company"]),
            phones: many(&["/properties/phone", "/properties/mobilephone"]),
            vip: Some(VipRule::Path("/properties/vip".into())),
            ..Default::default()
        },
        profile_url: one("{app_url}/record/0-1/{id}"),
        // The call id is the whole of hs_call_body: one EQ filter finds a call logged before.
        journal_check: req(
            "POST",
            "{base_url}/crm/v3/objects/calls/search",
            Some(
                r#"{"filterGroups":[{"filters":[{"propertyName":"hs_call_body","operator":"EQ","value":"screenpop call {call_id}"}]}],"properties":["hs_call_body"],"limit":1}"#,
            ),
            Some("/total"),
        ),
        journal_request: req(
            "POST",
            "{base_url}/crm/v3/objects/calls",
            Some(
                r#"{"properties":{"hs_timestamp":"{started_at}","hs_call_title":"{title}","hs_call_body":"screenpop call {call_id}","hs_call_direction":"{direction|upper}","hs_call_duration":"{duration_ms}","hs_call_from_number":"{e164}","hs_call_status":"{missed?NO_ANSWER:COMPLETED}"},"associations":[{"to":{"id":"{customer_id}"},"types":[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":194}]}]}"#,
            ),
            None,
        ),
        create: req(
            "POST",
            "{base_url}/crm/v3/objects/contacts",
            Some(
                r#"{"properties":{"firstname":"{first_name}","lastname":"{last_name}","phone":"{phone}","company":"{company}"}}"#,
            ),
            Some("/id"),
        ),
        ..Default::default()
    }
}

/// Pipedrive v1: `GET /api/v1/persons/search?term=…&fields=phone` on the company domain,
/// `x-api-token` header; the term must have at least 2 characters.
fn pipedrive() -> HttpSettings {
    HttpSettings {
        journal_unknown: Some(false),
        auth: Some("header".into()),
        auth_name: Some("x-api-token".into()),
        min_digits: Some(2),
        lookup: req(
            "GET",
            "{base_url}/api/v1/persons/search?term={national}&fields=phone&limit=10",
            None,
            None,
        ),
        map: ResponseMap {
            results: one("/data/items"),
            id: one("/item/id"),
            name: many(&["/item/name"]),
            company: many(&["/item/organization/name"]),
            phones: many(&["/item/phones"]),
            vip: None,
            note: many(&["/item/notes"]),
            error: one("/error"),
            ..Default::default()
        },
        profile_url: one("{base_url}/person/{id}"),
        journal_request: req(
            "POST",
            "{base_url}/api/v1/callLogs",
            Some(
                r#"{"person_id":{customer_id},"outcome":"{missed?no_answer:connected}","to_phone_number":"{e164}","start_time":"{started_date} {started_time}","end_time":"{ended_date} {ended_time}","duration":"{duration_s}","subject":"{title}","note":"screenpop call {call_id}"}"#,
            ),
            None,
        ),
        create: req(
            "POST",
            "{base_url}/api/v1/persons",
            Some(r#"{"name":"{name}","phone":[{"value":"{phone}","primary":true}]}"#),
            Some("/data/id"),
        ),
        ..Default::default()
    }
}

/// Zoho CRM v2: `GET /crm/v2/Contacts/search?phone=…` (every phone field) with a
/// `Zoho-oauthtoken` header; no match answers 204.
fn zoho() -> HttpSettings {
    HttpSettings {
        journal_unknown: Some(false),
        base_url: one("https://www.zohoapis.com"),
        app_url: one("https://crm.zoho.com/crm"),
        headers: headers(&[("Authorization", "Zoho-oauthtoken {secret}")]),
        lookup: req(
            "GET",
            "{base_url}/crm/v2/Contacts/search?phone={e164}",
            None,
            None,
        ),
        map: ResponseMap {
            results: one("/data"),
            id: one("/id"),
            name: many(&["/Full_Name"]),
            company: many(&["/Account_Name/name"]),
            phones: many(&["/Phone", "/Mobile", "/Home_Phone", "/Other_Phone"]),
            vip: Some(VipRule::Rule {
                path: "/Tag/*/name".into(),
                contains: Some("VIP".into()),
                equals: None,
            }),
            note: many(&["/Description"]),
            ..Default::default()
        },
        profile_url: one("{app_url}/tab/Contacts/{id}"),
        journal_request: req(
            "POST",
            "{base_url}/crm/v2/Calls",
            Some(
                r#"{"data":[{"Subject":"{title}","Call_Type":"{call_type}","Call_Start_Time":"{started_at}","Call_Duration":"{duration_min}","Who_Id":"{customer_id}","$se_module":"Contacts","Description":"screenpop call {call_id}"}]}"#,
            ),
            None,
        ),
        create: req(
            "POST",
            "{base_url}/crm/v2/Contacts",
            Some(
                r#"{"data":[{"First_Name":"{first_name}","Last_Name":"{last_name}","Phone":"{phone}"}]}"#,
            ),
            Some("/data/0/details/id"),
        ),
        ..Default::default()
    }
}

/// Odoo external API over JSON-RPC (`/jsonrpc`): `common.login` once for the uid, then
/// `object.execute_kw(db, uid, key, "res.partner", "search_read", …)`; the secret is the
/// user's API key (or password), `username` the login.
fn odoo() -> HttpSettings {
    let call = |service: &str, method: &str, args: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","method":"call","params":{{"service":"{service}","method":"{method}","args":{args}}},"id":1}}"#
        )
    };
    HttpSettings {
        journal_unknown: Some(false),
        login: req(
            "POST",
            "{base_url}/jsonrpc",
            Some(&call(
                "common",
                "login",
                r#"["{database}","{username}","{secret}"]"#,
            )),
            Some("/result"),
        ),
        lookup: req(
            "POST",
            "{base_url}/jsonrpc",
            Some(&call(
                "object",
                "execute_kw",
                r#"["{database}",{login},"{secret}","res.partner","search_read",[[["phone_mobile_search","ilike","{tail}"]]],{"fields":["id","name","parent_name","phone","mobile","comment","category_id"],"limit":10}]"#,
            )),
            None,
        ),
        map: ResponseMap {
            results: one("/result"),
            id: one("/id"),
            name: many(&["/name"]),
            company: many(&["/parent_name"]),
            phones: many(&["/phone", "/mobile"]),
            vip: None,
            note: many(&["/comment"]),
            error: one("/error/data/message"),
            ..Default::default()
        },
        profile_url: one("{base_url}/web#id={id}&model=res.partner&view_type=form"),
        journal_request: req(
            "POST",
            "{base_url}/jsonrpc",
            Some(&call(
                "object",
                "execute_kw",
                r#"["{database}",{login},"{secret}","mail.message","create",[{"model":"res.partner","res_id":{customer_id},"message_type":"comment","body":"{title} (screenpop call {call_id})"}]]"#,
            )),
            None,
        ),
        create: req(
            "POST",
            "{base_url}/jsonrpc",
            Some(&call(
                "object",
                "execute_kw",
                r#"["{database}",{login},"{secret}","res.partner","create",[{"name":"{name}","phone":"{phone}"}]]"#,
            )),
            Some("/result"),
        ),
        ..Default::default()
    }
}

/// Freshsales (Freshworks CRM): `GET /api/lookup?q=…&f=mobile_number&entities=contact` with
/// `Authorization: Token token=…`; base_url is `https://DOMAIN.myfreshworks.com/crm/sales`.
fn freshsales() -> HttpSettings {
    HttpSettings {
        journal_unknown: Some(false),
        headers: headers(&[("Authorization", "Token token={secret}")]),
        lookup: req(
            "GET",
            "{base_url}/api/lookup?q={e164}&f=mobile_number&entities=contact",
            None,
            None,
        ),
        map: ResponseMap {
            results: one("/contacts/contacts"),
            id: one("/id"),
            name: many(&["/display_name"]),
            company: many(&["/sales_account/name"]),
            phones: many(&["/mobile_number", "/work_number"]),
            vip: Some(VipRule::Rule {
                path: "/tags".into(),
                contains: Some("VIP".into()),
                equals: None,
            }),
            note: many(&["/job_title"]),
            ..Default::default()
        },
        profile_url: one("{base_url}/contacts/{id}"),
        journal_request: req(
            "POST",
            "{base_url}/api/phone_calls",
            Some(
                r#"{"phone_call":{"call_direction":{inbound},"targetable_type":"contact","targetable":{"id":"{customer_id}"},"number":"{e164}","call_duration":{duration_s},"note":{"description":"{title} (screenpop call {call_id})"}}}"#,
            ),
            None,
        ),
        create: req(
            "POST",
            "{base_url}/api/contacts",
            Some(
                r#"{"contact":{"first_name":"{first_name}","last_name":"{last_name}","mobile_number":"{phone}"}}"#,
            ),
            Some("/contact/id"),
        ),
        ..Default::default()
    }
}

fn over<T: Clone>(user: &Option<T>, preset: Option<T>) -> Option<T> {
    user.clone().or(preset)
}

fn over_request(user: &RequestTemplate, preset: RequestTemplate) -> RequestTemplate {
    RequestTemplate {
        method: over(&user.method, preset.method),
        url: over(&user.url, preset.url),
        body: over(&user.body, preset.body),
        result: over(&user.result, preset.result),
    }
}

/// The preset with every key the user set laid over it.
pub fn merge(preset: HttpSettings, user: &HttpSettings) -> HttpSettings {
    let (m, p) = (&user.map, preset.map);
    let mut headers = preset.headers;
    headers.extend(user.headers.clone());
    HttpSettings {
        name: user.name.clone(),
        enabled: user.enabled,
        preset: user.preset,
        base_url: over(&user.base_url, preset.base_url),
        app_url: over(&user.app_url, preset.app_url),
        secret: user.secret.clone(),
        username: over(&user.username, preset.username),
        database: over(&user.database, preset.database),
        journal: user.journal,
        journal_unknown: over(&user.journal_unknown, preset.journal_unknown),
        timeout_ms: over(&user.timeout_ms, preset.timeout_ms),
        rate_limit_per_s: over(&user.rate_limit_per_s, preset.rate_limit_per_s),
        auth: over(&user.auth, preset.auth),
        auth_name: over(&user.auth_name, preset.auth_name),
        headers,
        lookup: over_request(&user.lookup, preset.lookup),
        map: ResponseMap {
            results: over(&m.results, p.results),
            id: over(&m.id, p.id),
            name: over(&m.name, p.name),
            company: over(&m.company, p.company),
            phones: over(&m.phones, p.phones),
            vip: over(&m.vip, p.vip),
            note: over(&m.note, p.note),
            url: over(&m.url, p.url),
            error: over(&m.error, p.error),
        },
        profile_url: over(&user.profile_url, preset.profile_url),
        create_contact_url: over(&user.create_contact_url, preset.create_contact_url),
        journal_request: over_request(&user.journal_request, preset.journal_request),
        create: over_request(&user.create, preset.create),
        login: over_request(&user.login, preset.login),
        min_digits: over(&user.min_digits, preset.min_digits),
        verify_phones: over(&user.verify_phones, preset.verify_phones),
        refresh_s: over(&user.refresh_s, preset.refresh_s),
        oauth: match (&user.oauth, preset.oauth) {
            (Some(u), Some(p)) => Some(u.over(&p)),
            (u, p) => u.clone().or(p),
        },
        journal_check: over_request(&user.journal_check, preset.journal_check),
        record_type: over(&user.record_type, preset.record_type),
        more_lookups: if user.more_lookups.is_empty() {
            preset.more_lookups
        } else {
            user.more_lookups.clone()
        },
    }
}
