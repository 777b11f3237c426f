//! Presets of the CRMs that sign in with OAuth 2, written from their public API docs:
//! Salesforce (REST API: SOSL search, Task activities, SOQL query) and Dynamics 365
//! (Dataverse Web API: OData queries, `phonecall` activities). Their `[directory.oauth]`
//! endpoints and scopes come from [`crate::oauth::provider`]. Zoho's OAuth needs nothing
//! here: its template sends the access token as `Zoho-oauthtoken`, and the token
//! response's `api_domain` becomes `{base_url}`.

use super::presets::{many, one, req};
use crate::config::{HttpSettings, OAuthSettings, ResponseMap};

/// The Salesforce REST API version the preset speaks.
pub const SALESFORCE_API: &str = "v60.0";

/// Salesforce: SOSL `FIND {…} IN PHONE FIELDS RETURNING Contact, Lead, Account` with the
/// number in the formats people type (SOSL reserved characters escaped), the API base from
/// the token's `instance_url`, Lightning record pages, and calls journaled as Tasks
/// (`TaskSubtype = Call`) carrying the call id in `CallObject`, which a SOQL query checks
/// before a retry inserts again.
pub fn salesforce() -> HttpSettings {
    let v = SALESFORCE_API;
    HttpSettings {
        journal_unknown: Some(false),
        // Replaced by the token response's instance_url after sign-in.
        base_url: one("https://login.salesforce.com"),
        auth: Some("bearer".into()),
        oauth: Some(OAuthSettings::default()),
        lookup: req(
            "GET",
            &format!(
                "{{base_url}}/services/data/{v}/search/?q=FIND {{\"{{e164|sosl}}\" OR \"{{national|sosl}}\" OR \"{{display|sosl}}\"}} IN PHONE FIELDS RETURNING Contact(Id, Name, Phone, MobilePhone, Description, Account.Name), Lead(Id, Name, Phone, MobilePhone, Company, Description), Account(Id, Name, Phone, Description) LIMIT 10"
            ),
            None,
            None,
        ),
        record_type: one("/attributes/type"),
        map: ResponseMap {
            results: one("/searchRecords"),
            id: one("/Id"),
            name: many(&["/Name"]),
            company: many(&["/Account/Name", "/Company"]),
            phones: many(&["/Phone", "/MobilePhone"]),
            note: many(&["/Description"]),
            error: one("/0/errorCode"),
            ..Default::default()
        },
        profile_url: one("{base_url}/lightning/r/{record_type}/{record_id}/view"),
        journal_check: req(
            "GET",
            &format!("{{base_url}}/services/data/{v}/query/?q=SELECT Id FROM Task WHERE CallObject = '{{call_id|soql}}'"),
            None,
            Some("/totalSize"),
        ),
        journal_request: req(
            "POST",
            &format!("{{base_url}}/services/data/{v}/sobjects/Task"),
            Some(
                r#"{"Subject":"{title}","TaskSubtype":"Call","Status":"Completed","Priority":"Normal","CallType":"{inbound?Inbound:Outbound}","CallDurationInSeconds":{duration_s},"CallObject":"{call_id}","CallDisposition":"{missed?No answer:Answered}","WhoId":"{who_id}","WhatId":"{what_id}","ActivityDate":"{started_date}","Description":"screenpop call {call_id} ({display}, {direction})"}"#,
            ),
            Some("/id"),
        ),
        create: req(
            "POST",
            &format!("{{base_url}}/services/data/{v}/sobjects/Contact"),
            Some(r#"{"FirstName":"{first_name}","LastName":"{last_name}","Phone":"{phone}","Description":"{note}"}"#),
            Some("/id"),
        ),
        ..Default::default()
    }
}

/// The Dataverse Web API version the preset speaks.
pub const DATAVERSE_API: &str = "v9.2";

/// An OData filter matching `fields` against the number in the formats people type
/// (Dataverse compares phone fields as plain text).
fn phone_filter(fields: &[&str]) -> String {
    let formats = [
        "{e164|odata}",
        "{international|odata}",
        "{display|odata}",
        "{national|odata}",
    ];
    let terms: Vec<String> = fields
        .iter()
        .flat_map(|f| formats.iter().map(move |v| format!("{f} eq '{v}'")))
        .collect();
    terms.join(" or ")
}

fn dataverse_lookup(
    set: &str,
    select: &str,
    fields: &[&str],
    expand: &str,
) -> crate::config::RequestTemplate {
    req(
        "GET",
        &format!(
            "{{base_url}}/api/data/{DATAVERSE_API}/{set}?$select={select}{expand}&$filter={}&$top=10",
            phone_filter(fields)
        ),
        None,
        None,
    )
}

/// Dynamics 365 (Dataverse Web API): contacts, accounts and leads found by `telephone1`,
/// `mobilephone`, `telephone2` in the stored formats; record pages
/// `main.aspx?pagetype=entityrecord&etn=…&id=…`; calls journaled as completed `phonecall`
/// activities regarding the record, with the caller as activity party. The activity's id is
/// derived from the call id (`{call_uuid}`), so "is it there?" is one GET by key.
pub fn dynamics() -> HttpSettings {
    let person = ["telephone1", "mobilephone", "telephone2"];
    HttpSettings {
        journal_unknown: Some(false),
        auth: Some("bearer".into()),
        oauth: Some(OAuthSettings::default()),
        headers: super::presets::headers(&[
            ("OData-MaxVersion", "4.0"),
            ("OData-Version", "4.0"),
            ("Prefer", "return=representation"),
        ]),
        lookup: dataverse_lookup(
            "contacts",
            "contactid,fullname,telephone1,mobilephone,telephone2,description",
            &person,
            "&$expand=parentcustomerid_account($select=name)",
        ),
        record_type: one("contact"),
        map: ResponseMap {
            results: one("/value"),
            id: one("/contactid"),
            name: many(&["/fullname"]),
            company: many(&["/parentcustomerid_account/name"]),
            phones: many(&["/telephone1", "/mobilephone", "/telephone2"]),
            note: many(&["/description"]),
            ..Default::default()
        },
        more_lookups: vec![
            crate::config::ExtraLookup {
                lookup: dataverse_lookup(
                    "accounts",
                    "accountid,name,telephone1,telephone2,description",
                    &["telephone1", "telephone2"],
                    "",
                ),
                map: ResponseMap {
                    results: one("/value"),
                    id: one("/accountid"),
                    name: many(&["/name"]),
                    phones: many(&["/telephone1", "/telephone2"]),
                    note: many(&["/description"]),
                    ..Default::default()
                },
                record_type: one("account"),
            },
            crate::config::ExtraLookup {
                lookup: dataverse_lookup(
                    "leads",
                    "leadid,fullname,companyname,telephone1,mobilephone,telephone2,description",
                    &person,
                    "",
                ),
                map: ResponseMap {
                    results: one("/value"),
                    id: one("/leadid"),
                    name: many(&["/fullname"]),
                    company: many(&["/companyname"]),
                    phones: many(&["/telephone1", "/mobilephone", "/telephone2"]),
                    note: many(&["/description"]),
                    ..Default::default()
                },
                record_type: one("lead"),
            },
        ],
        profile_url: one("{base_url}/main.aspx?pagetype=entityrecord&etn={record_type}&id={record_id}"),
        journal_check: req(
            "GET",
            &format!("{{base_url}}/api/data/{DATAVERSE_API}/phonecalls({{call_uuid}})?$select=activityid"),
            None,
            Some("/activityid"),
        ),
        journal_request: req(
            "POST",
            &format!("{{base_url}}/api/data/{DATAVERSE_API}/phonecalls"),
            Some(
                r#"{"activityid":"{call_uuid}","subject":"{title}","phonenumber":"{e164}","directioncode":{inbound?false:true},"actualdurationminutes":{duration_minutes},"description":"screenpop call {call_id}","regardingobjectid_{customer_type}_phonecall@odata.bind":"/{customer_type}s({customer_key})","phonecall_activity_parties":[{"partyid_{customer_type}@odata.bind":"/{customer_type}s({customer_key})","participationtypemask":{inbound?1:2}}],"statecode":1,"statuscode":2}"#,
            ),
            None,
        ),
        create: req(
            "POST",
            &format!("{{base_url}}/api/data/{DATAVERSE_API}/contacts"),
            Some(r#"{"firstname":"{first_name}","lastname":"{last_name}","telephone1":"{phone}","description":"{note}"}"#),
            Some("/contactid"),
        ),
        ..Default::default()
    }
}

/// Microsoft 365 (Graph) and Google (People API) have no phone search: they are synced into
/// a local index by their own connector; the template only carries the API root and OAuth.
pub fn synced(p: crate::config::Preset) -> HttpSettings {
    let base = match p {
        crate::config::Preset::Google => "https://people.googleapis.com/v1",
        _ => "https://graph.microsoft.com/v1.0",
    };
    HttpSettings {
        base_url: one(base),
        auth: Some("bearer".into()),
        oauth: Some(OAuthSettings::default()),
        lookup: req("GET", "{base_url}", None, None),
        map: ResponseMap {
            id: one("/id"),
            name: many(&["/displayName"]),
            ..Default::default()
        },
        ..Default::default()
    }
}
