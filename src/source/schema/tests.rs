//! Tests of the v1 JSON event schema: generated call ids, refusals that say why, the relay's extensions, tolerant parsing.

use super::*;

fn src() -> SourceId {
    SourceId("webhook".into())
}

#[test]
fn ringing_without_call_id_gets_one() {
    let e = parse(
        br#"{"type":"ringing","from":"555-1234","name":"Lisa"}"#,
        &src(),
    )
    .unwrap();
    assert!(!e.call.0.is_empty());
    assert!(matches!(
        e.kind,
        CallEventKind::Ringing {
            direction: Direction::Inbound,
            ..
        }
    ));
}

#[test]
fn bad_events_say_what_is_wrong() {
    let cases: [(&[u8], &str); 6] = [
        (b"{", "not a valid event"),
        (br#"{"type":"ringing"}"#, "needs \"from\""),
        (br#"{"type":"answered"}"#, "needs \"call_id\""),
        (
            br#"{"type":"exploded","call_id":"1"}"#,
            "unknown event type",
        ),
        (
            br#"{"type":"ended","call_id":"1","colour":"red"}"#,
            "unknown field",
        ),
        (
            br#"{"version":7,"type":"ended","call_id":"1"}"#,
            "version 7",
        ),
    ];
    for (body, want) in cases {
        let err = parse(body, &src()).unwrap_err().to_string();
        assert!(err.contains(want), "{err} should contain {want}");
    }
}

#[test]
fn relay_extensions_round_trip_and_old_caller_strings_still_mean_from() {
    let body = br#"{"version":1,"type":"ringing","call_id":"L1","from":"+15555550142","journaled":true,
            "caller":{"id":"42","name":"Lisa Simpson","vip":true,"url":"https://crm.example.com/c/42","directory":"hubspot"}}"#;
    let event = parse(body, &src()).unwrap();
    let CallEventKind::Ringing {
        upstream: Some(up), ..
    } = &event.kind
    else {
        panic!("{event:?}")
    };
    assert!(up.journaled);
    assert_eq!(up.matches[0].name, "Lisa Simpson");
    assert_eq!(up.matches[0].directory, "hubspot");
    let again = serde_json::to_vec(&to_wire(&event)).unwrap();
    assert_eq!(parse(&again, &src()).unwrap(), event);

    let nobody = parse(br#"{"type":"ringing","from":"555","caller":{}}"#, &src()).unwrap();
    assert!(matches!(
        nobody.kind,
        CallEventKind::Ringing { upstream: Some(ref up), .. } if up.looked_up && up.matches.is_empty()
    ));
    let wire = serde_json::to_value(to_wire(&nobody)).unwrap();
    assert_eq!(wire["caller"], serde_json::json!({}));

    let legacy = parse(br#"{"type":"ringing","caller":"555-1234"}"#, &src()).unwrap();
    assert!(matches!(
        legacy.kind,
        CallEventKind::Ringing { ref remote, upstream: None, .. } if remote.0 == "555-1234"
    ));

    let ended = parse(
        br#"{"type":"ended","call_id":"L1","reason":"answered_elsewhere","answered_by":"202"}"#,
        &src(),
    )
    .unwrap();
    assert_eq!(
        ended.kind,
        CallEventKind::Ended {
            reason: EndReason::AnsweredBy("202".into())
        }
    );
    let wire = serde_json::to_value(to_wire(&ended)).unwrap();
    assert_eq!(wire["reason"], "answered_elsewhere");
    assert_eq!(wire["answered_by"], "202");
}

#[test]
fn a_tolerant_parse_drops_what_it_does_not_know_and_a_bad_caller_keeps_the_event() {
    let body = br#"{"type":"ringing","call_id":"L2","from":"555","queue_position":3,
            "caller":{"id":"1","name":"","url":"javascript:x"}}"#;
    assert!(parse(body, &src()).is_err());
    let (event, unknown) = parse_tolerant(body, &src()).unwrap();
    assert_eq!(unknown, vec!["queue_position".to_string()]);
    assert!(matches!(
        event.kind,
        CallEventKind::Ringing { upstream: None, .. }
    ));
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
        let _ = parse(&body, &src());
    }
}
