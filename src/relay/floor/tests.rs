//! The floor's rules on hand-made per-extension events.

use super::*;
use crate::event::{CallId, RawNumber, SourceId};

fn at(s: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
}

fn ev(ext: &str, s: i64, kind: CallEventKind) -> ExtensionEvent {
    ExtensionEvent {
        extension: ext.into(),
        event: CallEvent {
            source: SourceId("ami".into()),
            call: CallId("L1".into()),
            at: at(s),
            kind,
        },
    }
}

fn ringing(ext: &str, s: i64) -> ExtensionEvent {
    ev(
        ext,
        s,
        CallEventKind::Ringing {
            direction: Direction::Inbound,
            remote: RawNumber("+15555550142".into()),
            remote_name: Some("Lisa".into()),
            line: None,
            upstream: None,
        },
    )
}

fn ended(ext: &str, s: i64, reason: EndReason) -> ExtensionEvent {
    ev(ext, s, CallEventKind::Ended { reason })
}

fn lisa() -> Customer {
    Customer {
        id: "42".into(),
        name: "Lisa Simpson".into(),
        company: None,
        phones: vec![],
        vip: false,
        note: None,
        url: None,
        directory: "crm".into(),
    }
}

/// `(extension, kind)` of every published event.
fn events(out: &[Out]) -> Vec<(String, CallEventKind)> {
    out.iter()
        .filter_map(|o| match o {
            Out::Event { extension, event } => Some((extension.clone(), event.kind.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_ring_group_is_looked_up_once_and_answered_elsewhere_at_once() {
    let mut floor = Floor::new(true, true);
    let mut out = Vec::new();
    for ext in ["201", "202", "203"] {
        floor.on_event(ringing(ext, 0), &mut out);
    }
    let lookups = out
        .iter()
        .filter(|o| matches!(o, Out::Lookup { .. }))
        .count();
    assert_eq!(lookups, 1, "{out:?}");
    assert!(events(&out).is_empty(), "events wait for the lookup");
    out.clear();
    floor.looked_up("L1", Some(vec![lisa()]), &mut out);
    let rung = events(&out);
    assert_eq!(rung.len(), 3);
    for (_, kind) in &rung {
        let CallEventKind::Ringing {
            upstream: Some(up), ..
        } = kind
        else {
            panic!("{kind:?}")
        };
        assert_eq!(up.matches[0].name, "Lisa Simpson");
        assert!(up.journaled);
    }
    out.clear();
    floor.on_event(ev("202", 5, CallEventKind::Answered), &mut out);
    let got = events(&out);
    assert_eq!(got[0], ("202".into(), CallEventKind::Answered));
    let others: Vec<_> = got[1..].iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(others, ["201", "203"]);
    assert!(got[1..].iter().all(|(_, k)| *k
        == CallEventKind::Ended {
            reason: EndReason::AnsweredBy("202".into())
        }));
    assert_eq!(floor.current("201", at(5)).calls.len(), 0);
    assert_eq!(floor.current("202", at(5)).calls[0].state, "answered");
    // The tracker's own ends for 201/203 come later: not published twice.
    out.clear();
    floor.on_event(ended("201", 5, EndReason::AnsweredElsewhere), &mut out);
    floor.on_event(ended("203", 5, EndReason::AnsweredElsewhere), &mut out);
    assert!(events(&out).is_empty(), "{out:?}");
    floor.on_event(ended("202", 60, EndReason::Hangup), &mut out);
    floor.tick(at(61), &mut out);
    assert!(!out.iter().any(|o| matches!(o, Out::Finished(_))), "grace");
    out.clear();
    floor.tick(at(64), &mut out);
    let [Out::Finished(done)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(done.answered_by.as_deref(), Some("202"));
    assert_eq!(done.extensions, ["201", "202", "203"]);
    assert_eq!(done.matches[0].name, "Lisa Simpson");
    assert!(floor.live().is_empty());
}

#[test]
fn a_slow_lookup_lets_the_pop_go_and_rings_again_with_the_caller() {
    let mut floor = Floor::new(true, false);
    let mut out = Vec::new();
    floor.on_event(ringing("201", 0), &mut out);
    out.clear();
    floor.looked_up("L1", None, &mut out);
    assert!(matches!(
        events(&out)[0].1,
        CallEventKind::Ringing { upstream: None, .. }
    ));
    out.clear();
    floor.looked_up("L1", Some(vec![lisa()]), &mut out);
    let again = events(&out);
    assert_eq!(again.len(), 1);
    assert!(matches!(
        &again[0].1,
        CallEventKind::Ringing { upstream: Some(up), .. } if up.matches.len() == 1 && !up.journaled
    ));
    let current = floor.current("201", at(1));
    assert!(
        current.calls[0].ringing.caller.is_some(),
        "current carries the caller"
    );
}

#[test]
fn without_lookups_events_pass_at_once_and_commands_see_live_calls() {
    let mut floor = Floor::new(false, false);
    let mut out = Vec::new();
    floor.on_event(ringing("201", 0), &mut out);
    assert_eq!(events(&out).len(), 1);
    assert!(floor.live_at("201", "L1"));
    assert!(!floor.live_at("202", "L1"));
    floor.on_event(ended("201", 3, EndReason::Cancelled), &mut out);
    assert!(!floor.live_at("201", "L1"));
    // An answer for an unknown call is ignored.
    out.clear();
    floor.on_event(ev("209", 4, CallEventKind::Answered), &mut out);
    assert!(out.is_empty());
    assert_eq!(floor.extensions_seen().collect::<Vec<_>>(), ["201"]);
}

#[test]
fn a_transfer_moves_the_retained_current_entry_to_the_new_party() {
    let mut floor = Floor::new(true, true);
    let mut out = Vec::new();
    floor.on_event(ringing("201", 0), &mut out);
    floor.looked_up("L1", Some(vec![lisa()]), &mut out);
    floor.on_event(ev("201", 2, CallEventKind::Answered), &mut out);
    out.clear();
    let bart = CallEventKind::PartyChanged {
        remote: RawNumber("+15555550199".into()),
        remote_name: Some("Bart".into()),
    };
    floor.on_event(ev("201", 9, bart.clone()), &mut out);
    assert_eq!(events(&out), [("201".to_string(), bart)]);
    assert!(
        out.iter().any(|o| *o
            == Out::Current {
                extension: "201".into()
            }),
        "the retained list is republished: {out:?}"
    );
    let current = floor.current("201", at(9));
    let [entry] = current.calls.as_slice() else {
        panic!("{current:?}")
    };
    assert_eq!(entry.state, "answered");
    let wire = serde_json::to_value(&entry.ringing).unwrap();
    let text = wire.to_string();
    assert!(
        text.contains("+15555550199") && text.contains("Bart"),
        "{text}"
    );
    assert!(
        !text.contains("+15555550142") && !text.contains("Lisa"),
        "neither the old party nor its lookup stays: {text}"
    );
    // A party change for an extension whose part is over publishes nothing.
    floor.on_event(ended("201", 20, EndReason::Hangup), &mut out);
    out.clear();
    floor.on_event(
        ev(
            "201",
            21,
            CallEventKind::PartyChanged {
                remote: RawNumber("+15555550100".into()),
                remote_name: None,
            },
        ),
        &mut out,
    );
    assert!(out.is_empty(), "{out:?}");
}
