//! Pop policy: when notifications appear, get replaced, close, and auto-open.

use super::*;
use crate::directory::Customer;
use crate::engine::LookupState;
use crate::event::Direction;
use crate::phone::PhoneRules;

fn settings(pop_on: PopOn, auto_open: bool) -> NotifySettings {
    NotifySettings {
        pop_on,
        auto_open,
        ..NotifySettings::default()
    }
}

fn view(state: CallState, known: bool) -> CallView {
    let matches = if known {
        vec![Customer {
            id: "lisa".into(),
            name: "Lisa Simpson".into(),
            company: None,
            phones: vec![],
            vip: false,
            note: None,
            url: Some("https://crm.example.com/customers/lisa".into()),
            directory: "local".into(),
        }]
    } else {
        vec![]
    };
    CallView {
        key: CallKey {
            source: "webhook".into(),
            call_id: "c1".into(),
        },
        direction: Direction::Inbound,
        state,
        number: "555-1234".into(),
        remote: PhoneRules::new("US", 8).unwrap().normalise("555-1234"),
        remote_name: None,
        line: None,
        lookup: LookupState::Done {
            matches,
            directory: None,
            create_contact_url: None,
        },
        started_at: chrono::Utc::now(),
        answered_at: None,
        ended_at: None,
        missed: false,
        end_reason: None,
        routing: Default::default(),
    }
}

fn kinds(effects: &[Effect]) -> Vec<&'static str> {
    effects
        .iter()
        .map(|e| match e {
            Effect::Show { .. } => "show",
            Effect::Close { .. } => "close",
            Effect::Open { .. } => "open",
        })
        .collect()
}

#[test]
fn pops_on_ringing_closes_on_answer() {
    let mut p = Policy::new(settings(PopOn::Ringing, false), Arc::default());
    assert_eq!(kinds(&p.on_view(&view(CallState::Ringing, true))), ["show"]);
    assert_eq!(
        kinds(&p.on_view(&view(CallState::Answered, true))),
        ["close"]
    );
    assert!(p.on_view(&view(CallState::Ended, true)).is_empty());
}

#[test]
fn missed_call_replaces_the_ringing_pop() {
    let mut p = Policy::new(settings(PopOn::Ringing, false), Arc::default());
    p.on_view(&view(CallState::Ringing, false));
    let mut ended = view(CallState::Ended, false);
    ended.missed = true;
    let effects = p.on_view(&ended);
    assert!(
        matches!(&effects[..], [Effect::Show { greeting, .. }] if greeting.summary.starts_with("Missed call"))
    );
}

#[test]
fn pop_on_answer_waits_for_the_answer() {
    let mut p = Policy::new(settings(PopOn::Answered, false), Arc::default());
    assert!(p.on_view(&view(CallState::Ringing, true)).is_empty());
    assert_eq!(
        kinds(&p.on_view(&view(CallState::Answered, true))),
        ["show"]
    );
    assert_eq!(kinds(&p.on_view(&view(CallState::Ended, true))), ["close"]);
}

#[test]
fn manual_mode_never_pops() {
    let mut p = Policy::new(settings(PopOn::Manual, true), Arc::default());
    assert!(p.on_view(&view(CallState::Ringing, true)).is_empty());
    let mut ended = view(CallState::Ended, true);
    ended.missed = true;
    assert!(p.on_view(&ended).is_empty());
}

#[test]
fn auto_open_opens_a_known_profile_once() {
    let mut p = Policy::new(settings(PopOn::Ringing, true), Arc::default());
    assert_eq!(
        kinds(&p.on_view(&view(CallState::Ringing, true))),
        ["show", "open"]
    );
    assert_eq!(kinds(&p.on_view(&view(CallState::Ringing, true))), ["show"]);
    let mut p = Policy::new(settings(PopOn::Ringing, true), Arc::default());
    assert_eq!(
        kinds(&p.on_view(&view(CallState::Ringing, false))),
        ["show"]
    );
}

#[test]
fn do_not_disturb_suppresses_pops() {
    let switches = Arc::new(Switches::default());
    switches.do_not_disturb.store(true, Ordering::Relaxed);
    let mut p = Policy::new(settings(PopOn::Ringing, false), switches);
    assert!(p.on_view(&view(CallState::Ringing, true)).is_empty());
}

#[test]
fn rules_make_pops_urgent_silent_or_auto_open() {
    let switches = Arc::new(Switches::default());
    let mut policy = Policy::new(NotifySettings::default(), Arc::clone(&switches));
    let mut v = view(CallState::Ringing, true);
    v.routing.urgent = true;
    v.routing.auto_open = true;
    let effects = policy.on_view(&v);
    assert!(matches!(&effects[0], Effect::Show { greeting, .. } if greeting.urgent));
    assert!(effects.iter().any(|e| matches!(e, Effect::Open { .. })));

    let mut quiet = Policy::new(NotifySettings::default(), switches);
    let pending = view(CallState::Ringing, false);
    assert!(matches!(quiet.on_view(&pending)[0], Effect::Show { .. }));
    let mut silent = view(CallState::Ringing, true);
    silent.routing.silent = true;
    assert!(matches!(
        quiet.on_view(&silent).as_slice(),
        [Effect::Close { .. }]
    ));
    let mut missed = view(CallState::Ended, true);
    missed.missed = true;
    missed.routing.silent = true;
    assert!(quiet.on_view(&missed).is_empty());
}

#[test]
fn urgent_rule_pop_is_sticky_through_the_answer_and_shows_even_if_answered_first() {
    let mut policy = Policy::new(NotifySettings::default(), Arc::default());
    let mut answered = view(CallState::Answered, true);
    answered.routing.urgent = true;
    assert!(matches!(
        policy.on_view(&answered).as_slice(),
        [Effect::Show { greeting, .. }] if greeting.urgent
    ));
    assert!(matches!(
        policy.on_view(&answered).as_slice(),
        [Effect::Show { .. }]
    ));
    let mut ended = view(CallState::Ended, true);
    ended.routing.urgent = true;
    assert!(matches!(
        policy.on_view(&ended).as_slice(),
        [Effect::Close { .. }]
    ));
}

#[test]
fn vip_greeting_stays_through_the_answer_with_sticky_vip() {
    let vip = |state| {
        let mut v = view(state, true);
        if let LookupState::Done { matches, .. } = &mut v.lookup {
            matches[0].vip = true;
        }
        v
    };
    let sticky = NotifySettings {
        sticky_vip: true,
        ..NotifySettings::default()
    };
    let mut policy = Policy::new(sticky.clone(), Arc::default());
    assert_eq!(kinds(&policy.on_view(&vip(CallState::Ringing))), ["show"]);
    assert_eq!(kinds(&policy.on_view(&vip(CallState::Answered))), ["show"]);
    assert_eq!(kinds(&policy.on_view(&vip(CallState::Ended))), ["close"]);

    let mut policy = Policy::new(NotifySettings::default(), Arc::default());
    assert_eq!(kinds(&policy.on_view(&vip(CallState::Ringing))), ["show"]);
    assert_eq!(kinds(&policy.on_view(&vip(CallState::Answered))), ["close"]);
    // A known caller who is not a VIP is closed on answer either way.
    let mut policy = Policy::new(sticky, Arc::default());
    assert_eq!(
        kinds(&policy.on_view(&view(CallState::Ringing, true))),
        ["show"]
    );
    assert_eq!(
        kinds(&policy.on_view(&view(CallState::Answered, true))),
        ["close"]
    );
}
