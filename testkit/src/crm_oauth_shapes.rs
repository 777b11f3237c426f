//! The documented shapes of the OAuth CRMs the fake CRM imitates, written from their public
//! API references: Salesforce REST (`/services/data/vXX.X/search` SOSL answers with
//! `searchRecords` and `attributes.type`, SOQL `query` answers with `totalSize`, sObject
//! create answers `{"id","success","errors"}`), Dataverse Web API (`value` arrays with
//! `@odata.etag`, exact `eq` filters, activities by key, 404 with an `error` object), and the
//! journal checks of HubSpot (calls search) and the seed API (`GET /calls?idempotency_key=`).
//! Salesforce and Dataverse do not honour `Idempotency-Key`: every insert creates a record.

use super::crm::{CrmState, Person};
use super::crm_shapes::{Ask, Shape};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Salesforce's key prefix says a record's type: 003 Contact, 00Q Lead, 001 Account.
pub fn salesforce_type(id: &str) -> &'static str {
    match id.get(..3) {
        Some("00Q") => "Lead",
        Some("001") => "Account",
        _ => "Contact",
    }
}

/// Dataverse test ids start with the entity's letter: c… contact, a… account, 1ead… lead.
pub fn dataverse_set(id: &str) -> &'static str {
    if id.starts_with("1ead") {
        "leads"
    } else if id.starts_with('a') {
        "accounts"
    } else {
        "contacts"
    }
}

/// What a Salesforce or Dataverse request asks for.
pub fn ask(
    shape: Shape,
    post: bool,
    path: &str,
    q: &HashMap<String, String>,
    json: Value,
    key: String,
) -> Ask {
    let sf = "/services/data/v60.0";
    let dv = "/api/data/v9.2";
    match shape {
        Shape::Salesforce => match (post, path.strip_prefix(sf)) {
            (false, Some("/search/")) => {
                let query = q.get("q").cloned().unwrap_or_default();
                if !query.contains("IN PHONE FIELDS RETURNING Contact(")
                    || !query.contains("Lead(")
                    || !query.contains("Account(")
                {
                    return Ask::Unknown;
                }
                let inner = query
                    .split_once("FIND {")
                    .and_then(|(_, r)| r.split_once("} IN"))
                    .map(|(t, _)| t.to_string())
                    .unwrap_or_default();
                // Terms are "quoted" with SOSL's reserved characters backslash-escaped.
                Ask::Lookup(
                    inner
                        .split(" OR ")
                        .map(|t| t.trim().trim_matches('"').replace('\\', ""))
                        .collect(),
                )
            }
            (false, Some("/query/")) => {
                let query = q.get("q").cloned().unwrap_or_default();
                match query.split_once("FROM Task WHERE CallObject = '") {
                    Some((_, rest)) => Ask::JournalCheck(
                        rest.trim_end_matches('\'')
                            .replace("\\'", "'")
                            .replace("\\\\", "\\"),
                    ),
                    None => Ask::Unknown,
                }
            }
            (true, Some("/sobjects/Task")) => Ask::Journal { key, body: json },
            (true, Some("/sobjects/Contact")) => Ask::Create(json),
            _ => Ask::Unknown,
        },
        _ => match (post, path.strip_prefix(dv)) {
            (false, Some(set @ ("/contacts" | "/accounts" | "/leads"))) => {
                let filter = q.get("$filter").cloned().unwrap_or_default();
                Ask::Dataverse {
                    set: set[1..].to_string(),
                    terms: literals(&filter),
                }
            }
            (false, Some(p)) if p.starts_with("/phonecalls(") => Ask::JournalCheck(
                p.trim_start_matches("/phonecalls(")
                    .trim_end_matches(')')
                    .to_string(),
            ),
            (true, Some("/phonecalls")) => Ask::Journal { key, body: json },
            (true, Some("/contacts")) => Ask::Create(json),
            _ => Ask::Unknown,
        },
    }
}

/// The '…' literals of an OData filter ('' is a quote inside one).
fn literals(filter: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = filter.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut lit = String::new();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    lit.push('\'');
                    continue;
                }
                break;
            }
            lit.push(c);
        }
        out.push(lit);
    }
    out
}

/// The call id a journal entry carries.
pub fn journal_id(shape: Shape, body: &Value) -> Option<&str> {
    match shape {
        Shape::Seed => body.get("CallId")?.as_str(),
        Shape::Hubspot => body
            .pointer("/properties/hs_call_body")?
            .as_str()?
            .strip_prefix("screenpop call "),
        Shape::Salesforce => body.get("CallObject")?.as_str(),
        Shape::Dynamics => body.get("activityid")?.as_str(),
        _ => None,
    }
}

/// The answer to a journal check that found `n` entries.
pub fn check_answer(shape: Shape, id: &str, n: usize) -> Response {
    let doc = match shape {
        Shape::Seed => json!((0..n).map(|_| json!({"CallId": id})).collect::<Vec<_>>()),
        Shape::Hubspot => {
            json!({"total": n, "results": (0..n).map(|i| json!({"id": format!("{}", 7000 + i), "properties": {"hs_call_body": format!("screenpop call {id}")}})).collect::<Vec<_>>()})
        }
        Shape::Salesforce => {
            json!({"totalSize": n, "done": true, "records": (0..n).map(|i| json!({"attributes": {"type": "Task", "url": format!("/services/data/v60.0/sobjects/Task/00T{i:012}")}, "Id": format!("00T{i:012}")})).collect::<Vec<_>>()})
        }
        Shape::Dynamics if n == 0 => {
            let body = json!({"error": {"code": "0x80040217", "message": format!("phonecall With Id = {id} Does Not Exist")}});
            return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
        }
        Shape::Dynamics => {
            json!({"@odata.context": "https://org.crm.dynamics.com/api/data/v9.2/$metadata#phonecalls(activityid)/$entity", "@odata.etag": "W/\"4711\"", "activityid": id})
        }
        _ => json!({}),
    };
    axum::Json(doc).into_response()
}

/// Salesforce and Dataverse insert every request (no idempotency keys); Dataverse refuses a
/// second record with the same client-chosen key.
pub fn insert(st: &mut CrmState, body: Value) -> Response {
    let shape = st.shape;
    if shape == Shape::Dynamics {
        let key = body.get("activityid").cloned();
        if st
            .journal_applied
            .iter()
            .any(|b| b.get("activityid") == key.as_ref())
        {
            let e = json!({"error": {"code": "0x80040237", "message": "A record with matching key values already exists."}});
            return (StatusCode::PRECONDITION_FAILED, axum::Json(e)).into_response();
        }
        st.journal_applied.push(body.clone());
        return (StatusCode::CREATED, axum::Json(body)).into_response();
    }
    st.journal_applied.push(body);
    let id = format!("00T{:012}", st.journal_applied.len());
    (
        StatusCode::CREATED,
        axum::Json(json!({"id": id, "success": true, "errors": []})),
    )
        .into_response()
}

/// A SOSL search answer (API ≥ 37: `searchRecords`).
pub fn lookup_answer(shape: Shape, found: &[Person]) -> Response {
    let _ = shape;
    let records: Vec<Value> = found
        .iter()
        .map(|p| {
            let kind = salesforce_type(&p.id);
            let mut r = json!({
                "attributes": {"type": kind, "url": format!("/services/data/v60.0/sobjects/{kind}/{}", p.id)},
                "Id": p.id, "Name": p.full_name(), "Phone": p.phones.first(), "Description": p.note,
            });
            match kind {
                "Contact" => {
                    r["MobilePhone"] = json!(p.phones.get(1));
                    r["Account"] = p.company.as_ref().map_or(Value::Null, |c| json!({"attributes": {"type": "Account", "url": "/services/data/v60.0/sobjects/Account/001000000000777"}, "Name": c}));
                }
                "Lead" => {
                    r["MobilePhone"] = json!(p.phones.get(1));
                    r["Company"] = json!(p.company);
                }
                _ => {}
            }
            r
        })
        .collect();
    axum::Json(json!({"searchRecords": records})).into_response()
}

/// A Dataverse entity-set answer: records of `set` whose phone fields equal a term exactly.
pub fn dataverse_answer(st: &CrmState, set: &str, terms: &[String]) -> Response {
    let records: Vec<Value> = st
        .people
        .iter()
        .filter(|p| dataverse_set(&p.id) == set)
        .filter(|p| p.phones.iter().any(|ph| terms.iter().any(|t| t == ph)))
        .map(|p| {
            let phone = |i: usize| json!(p.phones.get(i));
            match set {
                "accounts" => json!({"@odata.etag": "W/\"1001\"", "accountid": p.id, "name": p.full_name(),
                    "telephone1": phone(0), "telephone2": phone(1), "description": p.note}),
                "leads" => json!({"@odata.etag": "W/\"1002\"", "leadid": p.id, "fullname": p.full_name(), "companyname": p.company,
                    "telephone1": phone(0), "mobilephone": phone(1), "telephone2": phone(2), "description": p.note}),
                _ => json!({"@odata.etag": "W/\"1003\"", "contactid": p.id, "fullname": p.full_name(),
                    "telephone1": phone(0), "mobilephone": phone(1), "telephone2": phone(2), "description": p.note,
                    "parentcustomerid_account": p.company.as_ref().map(|c| json!({"accountid": "a0000000-0000-0000-0000-000000000777", "name": c}))}),
            }
        })
        .collect();
    axum::Json(json!({"@odata.context": format!("https://org.crm.dynamics.com/api/data/v9.2/$metadata#{set}"), "value": records})).into_response()
}

fn graph_contact(p: &Person) -> Value {
    json!({"@odata.etag": "W/\"EQAAABYAAAA\"", "id": p.id, "displayName": p.full_name(), "givenName": p.first, "surname": p.last,
        "companyName": p.company, "businessPhones": p.phones.first().into_iter().collect::<Vec<_>>(),
        "homePhones": [], "mobilePhone": p.phones.get(1), "personalNotes": p.note.clone().unwrap_or_default(),
        "categories": if p.vip { vec!["VIP"] } else { vec![] }})
}

fn google_person(p: &Person) -> Value {
    json!({"resourceName": format!("people/{}", p.id), "etag": "%EgUBAgMFBxoEAQIFByIMbHFGbGVnS0p6TUk9",
        "names": [{"metadata": {"primary": true}, "displayName": p.full_name(), "givenName": p.first, "familyName": p.last}],
        "phoneNumbers": p.phones.iter().map(|ph| json!({"value": ph, "type": "mobile"})).collect::<Vec<_>>(),
        "organizations": p.company.as_ref().map(|c| vec![json!({"name": c})]).unwrap_or_default(),
        "biographies": p.note.as_ref().map(|n| vec![json!({"value": n, "contentType": "TEXT_PLAIN"})]).unwrap_or_default()})
}

/// A Graph delta page or a People connections page. A full sync comes in two pages (the
/// first ends in a next link / page token); a sync from a cursor lists what changed since:
/// new people in full, removed ones as `@removed` stubs (Graph) or `metadata.deleted` (People).
pub fn sync_answer(st: &mut CrmState, cursor: Option<String>, page: Option<String>) -> Response {
    let shape = st.shape;
    let base = "http://127.0.0.1:PORT";
    let _ = base;
    let ids: Vec<String> = st.people.iter().map(|p| p.id.clone()).collect();
    let (items, last): (Vec<Value>, bool) = match (&cursor, &page) {
        (Some(c), _) => {
            let Some(before) = st.snapshots.get(c).cloned() else {
                let e = json!({"error": {"code": "syncStateNotFound", "message": "The sync state is invalid.", "status": "EXPIRED_SYNC_TOKEN"}});
                return (StatusCode::GONE, axum::Json(e)).into_response();
            };
            st.incremental_syncs += 1;
            let mut items: Vec<Value> = st
                .people
                .iter()
                .filter(|p| !before.contains(&p.id))
                .map(|p| {
                    if shape == Shape::Google {
                        google_person(p)
                    } else {
                        graph_contact(p)
                    }
                })
                .collect();
            items.extend(before.iter().filter(|id| !ids.contains(id)).map(|id| {
                if shape == Shape::Google {
                    json!({"resourceName": format!("people/{id}"), "metadata": {"deleted": true}})
                } else {
                    json!({"@odata.type": "#microsoft.graph.contact", "id": id, "@removed": {"reason": "deleted"}})
                }
            }));
            (items, true)
        }
        (None, None) => {
            let half = st.people.len().div_ceil(2);
            (
                st.people[..half]
                    .iter()
                    .map(|p| {
                        if shape == Shape::Google {
                            google_person(p)
                        } else {
                            graph_contact(p)
                        }
                    })
                    .collect(),
                false,
            )
        }
        (None, Some(_)) => {
            let half = st.people.len().div_ceil(2);
            (
                st.people[half..]
                    .iter()
                    .map(|p| {
                        if shape == Shape::Google {
                            google_person(p)
                        } else {
                            graph_contact(p)
                        }
                    })
                    .collect(),
                true,
            )
        }
    };
    let token = format!("tok{}", st.snapshots.len() + 1);
    if last {
        st.snapshots.insert(token.clone(), ids);
    }
    let origin = format!("http://127.0.0.1:{}", st.port);
    let doc = match (shape, last) {
        (Shape::Google, false) => {
            json!({"connections": items, "nextPageToken": "page2", "totalPeople": st.people.len(), "totalItems": st.people.len()})
        }
        (Shape::Google, true) => {
            json!({"connections": items, "nextSyncToken": token, "totalPeople": st.people.len(), "totalItems": st.people.len()})
        }
        (_, false) => {
            json!({"@odata.context": format!("{origin}/$metadata#Collection(contact)"), "@odata.nextLink": format!("{origin}/me/contacts/delta?$skiptoken=page2"), "value": items})
        }
        (_, true) => {
            json!({"@odata.context": format!("{origin}/$metadata#Collection(contact)"), "@odata.deltaLink": format!("{origin}/me/contacts/delta?$deltatoken={token}"), "value": items})
        }
    };
    axum::Json(doc).into_response()
}
