//! The documented request paths, auth headers and response shapes of each CRM the presets
//! target, as the fake CRM in `crm` serves them. Written from the CRMs' public API docs:
//! HubSpot CRM v3 search/objects, Pipedrive v1 persons search/callLogs, Zoho CRM v2 search
//! (204 when nothing matches), Odoo's JSON-RPC `common.login` / `object.execute_kw`
//! (`false` for empty fields, errors inside a 200), Freshsales `lookup`, and the seed's
//! `GET /customers?phone=`.

use super::crm::{CrmState, Person};
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Which CRM the server imitates: the presets' own names.
pub use screenpop::config::Preset as Shape;

/// The path prefix a CRM's API lives under (what `base_url` must include).
pub fn base_path(shape: Shape) -> &'static str {
    match shape {
        Shape::Freshsales => "/crm/sales",
        _ => "",
    }
}

/// What a request asks for.
#[derive(Debug)]
pub enum Ask {
    Lookup(Vec<String>),
    Journal {
        key: String,
        body: Value,
    },
    Create(Value),
    Login {
        password: String,
    },
    /// "Is the call with this id already journaled?"
    JournalCheck(String),
    /// A contacts sync page: Graph delta (`$deltatoken`/`$skiptoken`) or People (`syncToken`/`pageToken`).
    Sync {
        cursor: Option<String>,
        page: Option<String>,
    },
    /// A Dataverse entity-set query: exact text matches only (Dataverse does not normalise).
    Dataverse {
        set: String,
        terms: Vec<String>,
    },
    Unknown,
}

/// A request, read with the shape's conventions.
#[derive(Debug)]
pub struct Request {
    pub ask: Ask,
    pub token: Option<String>,
}

impl Request {
    /// Reads method, path, headers and body as `shape` defines them.
    pub fn read(
        shape: Shape,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Request {
        let q: HashMap<String, String> = Query::try_from_uri(uri)
            .map(|Query(q)| q)
            .unwrap_or_default();
        let header = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let key = header("idempotency-key").unwrap_or_default();
        let path = uri
            .path()
            .strip_prefix(base_path(shape))
            .unwrap_or(uri.path());
        let post = method == Method::POST;
        let strip = |prefix: &str| {
            header("authorization").and_then(|a| a.strip_prefix(prefix).map(str::to_string))
        };
        let token = match shape {
            Shape::Seed
            | Shape::Hubspot
            | Shape::Salesforce
            | Shape::Dynamics
            | Shape::Microsoft365
            | Shape::Google => strip("Bearer "),
            Shape::Pipedrive => header("x-api-token"),
            Shape::Zoho => strip("Zoho-oauthtoken "),
            Shape::Freshsales => strip("Token token="),
            Shape::Odoo => json
                .pointer("/params/args/2")
                .and_then(Value::as_str)
                .map(str::to_string),
        };
        let q1 = |k: &str| Ask::Lookup(q.get(k).cloned().into_iter().collect());
        let ask = match (shape, post, path) {
            (Shape::Seed, false, "/customers") => q1("phone"),
            (Shape::Seed, true, "/calls") => Ask::Journal { key, body: json },
            (Shape::Seed, true, "/customers") => Ask::Create(json),
            (Shape::Hubspot, true, "/crm/v3/objects/contacts/search") => Ask::Lookup(
                json.pointer("/filterGroups")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .flat_map(|g| g["filters"].as_array().cloned().unwrap_or_default())
                    .filter_map(|f| f["value"].as_str().map(str::to_string))
                    .collect(),
            ),
            (Shape::Hubspot, true, "/crm/v3/objects/calls") => Ask::Journal { key, body: json },
            (Shape::Hubspot, true, "/crm/v3/objects/contacts") => Ask::Create(json),
            (Shape::Pipedrive, false, "/api/v1/persons/search") => q1("term"),
            (Shape::Pipedrive, true, "/api/v1/callLogs") => Ask::Journal { key, body: json },
            (Shape::Pipedrive, true, "/api/v1/persons") => Ask::Create(json),
            (Shape::Zoho, false, "/crm/v2/Contacts/search") => q1("phone"),
            (Shape::Zoho, true, "/crm/v2/Calls") => Ask::Journal { key, body: json },
            (Shape::Zoho, true, "/crm/v2/Contacts") => Ask::Create(json),
            (Shape::Freshsales, false, "/api/lookup") => q1("q"),
            (Shape::Freshsales, true, "/api/phone_calls") => Ask::Journal { key, body: json },
            (Shape::Freshsales, true, "/api/contacts") => Ask::Create(json),
            (Shape::Odoo, true, "/jsonrpc") => odoo_ask(json, key),
            (Shape::Seed, false, "/calls") => {
                Ask::JournalCheck(q.get("idempotency_key").cloned().unwrap_or_default())
            }
            (Shape::Hubspot, true, "/crm/v3/objects/calls/search") => Ask::JournalCheck(
                json.pointer("/filterGroups/0/filters/0/value")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ),
            (Shape::Microsoft365, false, "/me/contacts/delta") => Ask::Sync {
                cursor: q.get("$deltatoken").cloned(),
                page: q.get("$skiptoken").cloned(),
            },
            (Shape::Google, false, "/people/me/connections") => Ask::Sync {
                cursor: q.get("syncToken").cloned(),
                page: q.get("pageToken").cloned(),
            },
            (Shape::Salesforce | Shape::Dynamics, _, _) => {
                super::crm_oauth_shapes::ask(shape, post, path, &q, json, key)
            }
            _ => Ask::Unknown,
        };
        Request { ask, token }
    }

    /// Whether this is a journal delivery.
    pub fn is_journal(&self) -> bool {
        matches!(self.ask, Ask::Journal { .. })
    }
}

fn odoo_ask(json: Value, key: String) -> Ask {
    let method = json
        .pointer("/params/method")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let args = json.pointer("/params/args").cloned().unwrap_or(Value::Null);
    match (method, args[4].as_str()) {
        ("login", _) => Ask::Login {
            password: args[2].as_str().unwrap_or_default().to_string(),
        },
        ("execute_kw", Some("search_read")) => Ask::Lookup(
            args[5][0][0][2]
                .as_str()
                .map(str::to_string)
                .into_iter()
                .collect(),
        ),
        ("execute_kw", Some("create")) if args[3] == "mail.message" => Ask::Journal {
            key,
            body: args[5][0].clone(),
        },
        ("execute_kw", Some("create")) => Ask::Create(args[5][0].clone()),
        _ => Ask::Unknown,
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A phone matches a search term when one's digits end with the other's (≥ 4 digits).
pub fn phone_matches(term: &str, phone: &str) -> bool {
    let (a, b) = (digits(term), digits(phone));
    a.len().min(b.len()) >= 4 && (a.ends_with(&b) || b.ends_with(&a))
}

/// Answers `req` from the state.
pub fn respond(st: &mut CrmState, req: Request) -> Response {
    let shape = st.shape;
    let authorized = match (&req.ask, &st.oauth) {
        (Ask::Login { password }, _) => *password == st.token,
        (_, Some(server)) => req.token.as_deref().is_some_and(|t| server.valid(t)),
        _ => req.token.as_deref() == Some(st.token.as_str()),
    };
    if !authorized {
        st.unauthorized += 1;
        if let Ask::Login { .. } = req.ask {
            // Odoo's common.login answers `false` for wrong credentials.
            return axum::Json(json!({"jsonrpc": "2.0", "id": 1, "result": false})).into_response();
        }
        return unauthorized(shape);
    }
    match req.ask {
        Ask::Lookup(terms) => {
            st.lookups += 1;
            if shape == Shape::Pipedrive && terms.iter().any(|t| t.chars().count() < 2) {
                let body = json!({"success": false, "error": "Search term must be at least 2 characters long", "data": null});
                return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
            }
            let found: Vec<Person> = st
                .people
                .iter()
                .filter(|p| {
                    !(st.search_lags_writes && st.created.iter().any(|(id, _)| *id == p.id))
                })
                .filter(|p| {
                    p.phones
                        .iter()
                        .any(|ph| terms.iter().any(|t| phone_matches(t, ph)))
                })
                .cloned()
                .collect();
            lookup_answer(shape, &found)
        }
        Ask::Sync { cursor, page } => {
            st.lookups += 1;
            super::crm_oauth_shapes::sync_answer(st, cursor, page)
        }
        Ask::Dataverse { set, terms } => {
            st.lookups += 1;
            super::crm_oauth_shapes::dataverse_answer(st, &set, &terms)
        }
        Ask::JournalCheck(id) => {
            st.journal_checks += 1;
            let hits: Vec<&Value> = st
                .journal_applied
                .iter()
                .filter(|b| super::crm_oauth_shapes::journal_id(shape, b) == Some(id.as_str()))
                .collect();
            super::crm_oauth_shapes::check_answer(shape, &id, hits.len())
        }
        Ask::Journal { key, body } if matches!(shape, Shape::Salesforce | Shape::Dynamics) => {
            *st.journal_requests.entry(key).or_insert(0) += 1;
            super::crm_oauth_shapes::insert(st, body)
        }
        Ask::Journal { key, body } => {
            let seen = st.journal_requests.entry(key).or_insert(0);
            *seen += 1;
            if *seen == 1 {
                st.journal_applied.push(body);
            }
            let id = st.journal_applied.len().to_string();
            created_answer(shape, &id)
        }
        Ask::Create(body) => {
            let id = format!("{}", 9000 + st.created.len());
            let name = [
                "/Name",
                "/name",
                "/properties/firstname",
                "/data/0/First_Name",
                "/contact/first_name",
            ]
            .iter()
            .find_map(|p| body.pointer(p).and_then(Value::as_str))
            .unwrap_or("New")
            .to_string();
            let phone = [
                "/Phones/0",
                "/phone",
                "/phone/0/value",
                "/properties/phone",
                "/data/0/Phone",
                "/contact/mobile_number",
            ]
            .iter()
            .find_map(|p| body.pointer(p).and_then(Value::as_str))
            .unwrap_or_default()
            .to_string();
            st.people.push(Person::new(&id, &name, "", &phone));
            st.created.push((id.clone(), body));
            created_answer(shape, &id)
        }
        Ask::Login { .. } => {
            axum::Json(json!({"jsonrpc": "2.0", "id": 1, "result": 2})).into_response()
        }
        Ask::Unknown => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "no such endpoint"})),
        )
            .into_response(),
    }
}

fn unauthorized(shape: Shape) -> Response {
    let body = match shape {
        Shape::Salesforce => json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]),
        Shape::Dynamics | Shape::Microsoft365 => json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}}),
        Shape::Google => json!({"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}),
        Shape::Seed => json!({"error": "unauthorized"}),
        Shape::Hubspot => json!({"status": "error", "message": "Authentication credentials not found.", "category": "INVALID_AUTHENTICATION"}),
        Shape::Pipedrive => json!({"success": false, "error": "unauthorized access", "errorCode": 401}),
        Shape::Zoho => json!({"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}),
        Shape::Freshsales => json!({"login": "failed", "message": "Incorrect or expired API key"}),
        Shape::Odoo => {
            return axum::Json(json!({"jsonrpc": "2.0", "id": 1, "error": {"code": 200, "message": "Odoo Server Error",
                "data": {"name": "odoo.exceptions.AccessDenied", "message": "Access Denied", "arguments": ["Access Denied"]}}}))
            .into_response()
        }
    };
    (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
}

fn or_false(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Bool(false), |s| json!(s))
}

fn lookup_answer(shape: Shape, found: &[Person]) -> Response {
    let doc = match shape {
        Shape::Salesforce | Shape::Dynamics | Shape::Microsoft365 | Shape::Google => {
            return super::crm_oauth_shapes::lookup_answer(shape, found)
        }
        Shape::Seed => json!(found
            .iter()
            .map(
                |p| json!({"Id": p.id, "Name": p.full_name(), "Phones": p.phones,
            "IsVip": p.vip, "Company": p.company, "Note": p.note})
            )
            .collect::<Vec<_>>()),
        Shape::Hubspot => {
            json!({"total": found.len(), "results": found.iter().map(|p| json!({"id": p.id,
            "properties": {"createdate": "2024-01-01T00:00:00Z", "hs_object_id": p.id, "firstname": p.first, "lastname": p.last,
                "phone": p.phones.first(), "mobilephone": p.phones.get(1), "company": p.company, "vip": p.vip.to_string(),
                "lastmodifieddate": "2024-01-02T00:00:00Z"},
            "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-02T00:00:00Z", "archived": false})).collect::<Vec<_>>()})
        }
        Shape::Pipedrive => {
            json!({"success": true, "data": {"items": found.iter().map(|p| json!({"result_score": 1.0,
            "item": {"id": p.id.parse::<i64>().unwrap_or(0), "type": "person", "name": p.full_name(), "phones": p.phones,
                "emails": [], "visible_to": 3, "owner": {"id": 1},
                "organization": p.company.as_ref().map(|c| json!({"id": 1, "name": c, "address": null})),
                "custom_fields": [], "notes": p.note.iter().collect::<Vec<_>>()}})).collect::<Vec<_>>()},
            "additional_data": {"pagination": {"start": 0, "limit": 10, "more_items_in_collection": false}}})
        }
        Shape::Zoho if found.is_empty() => return StatusCode::NO_CONTENT.into_response(),
        Shape::Zoho => {
            json!({"data": found.iter().map(|p| json!({"id": p.id, "Full_Name": p.full_name(),
            "First_Name": p.first, "Last_Name": p.last, "Phone": p.phones.first(), "Mobile": p.phones.get(1),
            "Account_Name": p.company.as_ref().map(|c| json!({"name": c, "id": "77"})), "Description": p.note,
            "Tag": if p.vip { json!([{"name": "VIP", "id": "5"}]) } else { json!([]) }})).collect::<Vec<_>>(),
            "info": {"per_page": 200, "count": found.len(), "page": 1, "more_records": false}})
        }
        Shape::Odoo => json!({"jsonrpc": "2.0", "id": 1, "result": found.iter().map(|p| json!({
            "id": p.id.parse::<i64>().unwrap_or(0), "name": p.full_name(), "parent_name": or_false(&p.company),
            "phone": or_false(&p.phones.first().cloned()), "mobile": or_false(&p.phones.get(1).cloned()),
            "comment": or_false(&p.note), "category_id": []})).collect::<Vec<_>>()}),
        Shape::Freshsales => {
            json!({"contacts": {"contacts": found.iter().map(|p| json!({"id": p.id.parse::<i64>().unwrap_or(0),
            "first_name": p.first, "last_name": p.last, "display_name": p.full_name(), "mobile_number": p.phones.first(),
            "work_number": p.phones.get(1), "job_title": p.note, "tags": if p.vip { vec!["VIP"] } else { vec![] }})).collect::<Vec<_>>()}})
        }
    };
    axum::Json(doc).into_response()
}

fn created_answer(shape: Shape, id: &str) -> Response {
    let num = id.parse::<i64>().unwrap_or(0);
    let doc = match shape {
        Shape::Salesforce => json!({"id": id, "success": true, "errors": []}),
        Shape::Dynamics | Shape::Microsoft365 | Shape::Google => json!({"contactid": id}),
        Shape::Seed => json!({"Id": id}),
        Shape::Hubspot => {
            json!({"id": id, "properties": {"hs_object_id": id}, "createdAt": "2024-01-01T00:00:00Z", "archived": false})
        }
        Shape::Pipedrive => json!({"success": true, "data": {"id": num}}),
        Shape::Zoho => {
            json!({"data": [{"code": "SUCCESS", "details": {"id": id}, "message": "record added", "status": "success"}]})
        }
        Shape::Odoo => {
            return axum::Json(json!({"jsonrpc": "2.0", "id": 1, "result": num})).into_response()
        }
        Shape::Freshsales => json!({"contact": {"id": num}, "phone_call": {"id": num}}),
    };
    (StatusCode::CREATED, axum::Json(doc)).into_response()
}
