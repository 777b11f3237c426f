//! The placeholders a lookup, journal or create-contact template can use, computed from the
//! caller's number, a finished call or a new contact, in the spellings CRMs ask for (RFC 3339 times, UTC dates and
//! clock times, durations in seconds, milliseconds, `HH:MM:SS` and `MM:SS`).

use crate::directory::NewContact;
use crate::phone::{Normalised, PhoneRules};
use crate::store::calls::CallRecord;
use chrono::SecondsFormat;
use std::collections::HashMap;

/// Journal placeholders for `call` (see `template::JOURNAL_VARS`).
pub fn of_call(call: &CallRecord) -> HashMap<&'static str, String> {
    let rfc = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let who = call
        .name
        .clone()
        .unwrap_or_else(|| call.number_display.clone());
    let inbound = call.direction == "inbound";
    let call_type = if call.missed {
        "Missed"
    } else if inbound {
        "Inbound"
    } else {
        "Outbound"
    };
    let title = match (call.missed, inbound) {
        (true, _) => format!("Missed call from {who}"),
        (false, true) => format!("Call from {who}"),
        (false, false) => format!("Call to {who}"),
    };
    let d = call.duration_s.max(0);
    let mut v = HashMap::new();
    v.insert("call_id", call.call_id.clone());
    v.insert("number", call.number.clone());
    v.insert(
        "e164",
        call.number_e164
            .clone()
            .unwrap_or_else(|| call.number.clone()),
    );
    v.insert("display", call.number_display.clone());
    v.insert("name", who);
    let customer = call.customer_id.clone().unwrap_or_default();
    // `TYPE/ID` ids (Salesforce, Dynamics) split for templates that need the parts.
    let (kind, key) = customer.split_once('/').unwrap_or(("", &customer));
    v.insert("customer_type", kind.to_string());
    v.insert("customer_key", key.to_string());
    // Salesforce: a Task's WhoId takes a Contact or Lead, its WhatId an Account.
    let person = kind.is_empty()
        || kind.eq_ignore_ascii_case("contact")
        || kind.eq_ignore_ascii_case("lead");
    v.insert(
        "who_id",
        if person {
            key.to_string()
        } else {
            String::new()
        },
    );
    v.insert(
        "what_id",
        if person {
            String::new()
        } else {
            key.to_string()
        },
    );
    v.insert("customer_id", customer.clone());
    v.insert("directory", call.directory.clone().unwrap_or_default());
    v.insert("direction", call.direction.clone());
    v.insert("source", call.source.clone());
    v.insert("started_at", rfc(call.started_at));
    v.insert("ended_at", rfc(call.ended_at));
    v.insert("answered_at", call.answered_at.map(rfc).unwrap_or_default());
    v.insert("started_ms", call.started_at.timestamp_millis().to_string());
    v.insert("ended_ms", call.ended_at.timestamp_millis().to_string());
    v.insert(
        "started_date",
        call.started_at.format("%Y-%m-%d").to_string(),
    );
    v.insert(
        "started_time",
        call.started_at.format("%H:%M:%S").to_string(),
    );
    v.insert("ended_date", call.ended_at.format("%Y-%m-%d").to_string());
    v.insert("ended_time", call.ended_at.format("%H:%M:%S").to_string());
    v.insert("duration_s", d.to_string());
    v.insert("duration_ms", (d * 1000).to_string());
    v.insert(
        "duration_hms",
        format!("{:02}:{:02}:{:02}", d / 3600, d % 3600 / 60, d % 60),
    );
    v.insert("duration_min", format!("{:02}:{:02}", d / 60, d % 60));
    v.insert("duration_minutes", ((d + 59) / 60).to_string());
    // A stable id per call for CRMs that take a client-chosen key (Dataverse activityid).
    v.insert(
        "call_uuid",
        uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("screenpop:call:{}", call.call_id).as_bytes(),
        )
        .to_string(),
    );
    v.insert("ring_s", call.ring_s.to_string());
    v.insert("missed", call.missed.to_string());
    v.insert("answered", call.answered_at.is_some().to_string());
    v.insert("inbound", inbound.to_string());
    v.insert("call_type", call_type.to_string());
    v.insert("note", call.note.clone().unwrap_or_default());
    v.insert("end_reason", call.end_reason.clone());
    v.insert("title", title);
    v
}

/// Create-contact placeholders for `contact` (see `template::CREATE_VARS`).
pub fn of_contact(contact: &NewContact, rules: &PhoneRules) -> HashMap<&'static str, String> {
    let name = contact.name.trim().to_string();
    let (first, last) = match name.split_once(char::is_whitespace) {
        Some((f, l)) => (f.to_string(), l.trim().to_string()),
        // CRMs that require a last name (Zoho) get the single name there.
        None => (String::new(), name.clone()),
    };
    let phone = contact.phones.first().cloned().unwrap_or_default();
    let e164 = rules
        .keys(&phone)
        .and_then(|k| k.e164)
        .unwrap_or_else(|| phone.clone());
    let mut v = HashMap::new();
    v.insert("name", name);
    v.insert("first_name", first);
    v.insert("last_name", last);
    v.insert("company", contact.company.clone().unwrap_or_default());
    v.insert("phone", e164.clone());
    v.insert("e164", e164);
    v.insert("note", contact.note.clone().unwrap_or_default());
    v.insert("vip", contact.vip.to_string());
    v
}

/// Lookup (and create-contact URL) placeholders for a caller's `number`.
pub fn of_number(number: &Normalised) -> HashMap<&'static str, String> {
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
        ("display", number.display.clone()),
        ("international", international(number)),
    ])
}

/// `+1 555-123-4567`: how numbers are often typed into CRMs that do not normalise them.
fn international(number: &Normalised) -> String {
    number
        .e164
        .as_deref()
        .and_then(|e| phonenumber::parse(None, e).ok())
        .map(|n| {
            n.format()
                .mode(phonenumber::Mode::International)
                .to_string()
        })
        .unwrap_or_else(|| number.display.clone())
}
