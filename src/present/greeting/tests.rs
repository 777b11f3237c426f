//! Greeting texts for each kind of caller.

use super::*;
use crate::directory::Customer;
use crate::engine::CallKey;
use crate::event::CallState;
use crate::phone::PhoneRules;

fn view(number: &str, lookup: LookupState) -> CallView {
    CallView {
        key: CallKey {
            source: "webhook".into(),
            call_id: "c1".into(),
        },
        direction: Direction::Inbound,
        state: CallState::Ringing,
        number: number.into(),
        remote: PhoneRules::new("US", 8).unwrap().normalise(number),
        remote_name: None,
        line: None,
        lookup,
        started_at: chrono::Utc::now(),
        answered_at: None,
        ended_at: None,
        missed: false,
        end_reason: None,
        routing: Default::default(),
    }
}

fn lisa() -> Customer {
    Customer {
        id: "lisa".into(),
        name: "Lisa Simpson".into(),
        company: Some("Springfield Elementary".into()),
        phones: vec!["555-1234".into()],
        vip: true,
        note: Some("Last order: 2 pepperoni pizzas".into()),
        url: Some("https://crm.example.com/customers/lisa".into()),
        directory: "local".into(),
    }
}

fn found(matches: Vec<Customer>) -> LookupState {
    LookupState::Done {
        matches,
        directory: Some("local".into()),
        create_contact_url: None,
    }
}

#[test]
fn known_vip_caller_is_welcomed_urgently_with_note_and_profile_action() {
    let g = greeting(&view("555-1234", found(vec![lisa()])));
    assert_eq!(g.summary, "Welcome back Lisa");
    assert!(g.urgent);
    assert!(g.body.contains("VIP") && g.body.contains("Last order: 2 pepperoni pizzas"));
    assert!(g.body.contains("Springfield Elementary"));
    assert_eq!(g.actions[0].0, "default");
    assert_eq!(
        g.actions[0].2,
        Intent::OpenProfile {
            url: "https://crm.example.com/customers/lisa".into()
        }
    );
}

#[test]
fn several_matches_are_announced() {
    let mut bart = lisa();
    bart.name = "Bart Simpson".into();
    let g = greeting(&view("555-1234", found(vec![lisa(), bart])));
    assert_eq!(g.summary, "Welcome back Lisa Simpson +1 more");
}

#[test]
fn unknown_caller_gets_create_contact_action() {
    let g = greeting(&view("+1 555 987 6543", found(vec![])));
    assert_eq!(g.summary, "(555) 987-6543");
    assert!(g.body.starts_with("New caller"));
    assert!(!g.urgent);
    assert_eq!(g.actions[0].0, "default");
    assert!(
        matches!(&g.actions[0].2, Intent::CreateContact { number, .. } if number == "+15559876543")
    );
}

#[test]
fn slow_lookup_says_looking_up() {
    let g = greeting(&view("555-1234", LookupState::Pending));
    assert!(g.body.starts_with("Looking up…"));
    assert!(g.actions.is_empty());
}

#[test]
fn markup_from_callers_and_crms_is_escaped() {
    let mut evil = lisa();
    evil.name = "<img src=x onerror=alert(1)>".into();
    evil.note = Some("<b>bold</b> & more".into());
    let g = greeting(&view("555-1234", found(vec![evil])));
    assert!(!g.body.contains("<img") && g.body.contains("&lt;img"));
    assert!(g.body.contains("&lt;b&gt;bold&lt;/b&gt; &amp; more"));
    assert_eq!(
        g.summary, "Welcome back <img",
        "summaries are plain text, shown literally"
    );
}

#[test]
fn missed_unknown_call_offers_call_back_by_default() {
    let g = missed(&view("+1 555 987 6543", found(vec![])));
    assert!(g.summary.starts_with("Missed call"));
    assert_eq!(g.actions[0].0, "default");
    assert_eq!(
        g.actions[0].2,
        Intent::Dial {
            number: "+15559876543".into()
        }
    );
    let g = missed(&view("555-1234", found(vec![lisa()])));
    assert!(g.actions.iter().any(|a| a.0 == "callback"));
}

#[test]
fn withheld_caller_has_no_actions() {
    let g = greeting(&view("anonymous", LookupState::NotApplicable));
    assert_eq!(g.summary, "Withheld number");
    assert!(g.actions.is_empty());
}
