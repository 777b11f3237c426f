//! Event meaning, from sequences a real baresip 1.0.0 sent (written out in the tests below).

use super::*;
use crate::source::baresip::wire::{parse_message, Message};

fn ev(kind: &str, direction: &str, id: &str, param: &str, name: Option<&str>) -> Event {
    Event {
        kind: kind.into(),
        class: Some("call".into()),
        account: Some("sip:201@127.0.0.1:5064".into()),
        direction: Some(direction.into()),
        peer_uri: Some("sip:+4930123456@127.0.0.1:5061".into()),
        peer_name: name.map(str::to_string),
        call_id: Some(id.into()),
        param: Some(param.into()),
    }
}

fn kinds(tracker: &mut CallTracker, events: &[Event]) -> Vec<CallEventKind> {
    let src = SourceId("baresip".into());
    events
        .iter()
        .flat_map(|e| tracker.on_event(e, &src, chrono::Utc::now()))
        .map(|e| e.kind)
        .collect()
}

#[test]
fn incoming_answered_hung_up_is_ring_answer_hangup() {
    let mut t = CallTracker::default();
    let got = kinds(
        &mut t,
        &[
            ev("CALL_INCOMING", "incoming", "c1", "", Some("Jane Doe")),
            ev("CALL_RTCP", "incoming", "c1", "audio", None),
            ev("CALL_ESTABLISHED", "incoming", "c1", "", Some("Jane Doe")),
        ],
    );
    assert_eq!(
        got,
        vec![
            CallEventKind::Ringing {
                direction: Direction::Inbound,
                remote: RawNumber("+4930123456".into()),
                remote_name: Some("Jane Doe".into()),
                line: Some("sip:201@127.0.0.1:5064".into()),
                upstream: None,
            },
            CallEventKind::Answered,
        ]
    );
    assert_eq!(t.len(), 1);
    assert_eq!(t.ringing_inbound(), None);
    let got = kinds(
        &mut t,
        &[ev(
            "CALL_CLOSED",
            "incoming",
            "c1",
            "Connection reset by peer",
            None,
        )],
    );
    assert_eq!(
        got,
        vec![CallEventKind::Ended {
            reason: EndReason::Hangup
        }]
    );
    assert!(t.is_empty());
}

#[test]
fn caller_giving_up_is_cancelled_and_transfer_is_transferred() {
    let mut t = CallTracker::default();
    let got = kinds(
        &mut t,
        &[
            ev("CALL_INCOMING", "incoming", "c1", "", None),
            ev(
                "CALL_CLOSED",
                "incoming",
                "c1",
                "Connection reset by peer",
                None,
            ),
            ev("CALL_INCOMING", "incoming", "c2", "", None),
            ev("CALL_ESTABLISHED", "incoming", "c2", "", None),
            ev("CALL_CLOSED", "incoming", "c2", "Call transfered", None),
        ],
    );
    assert_eq!(
        got[1],
        CallEventKind::Ended {
            reason: EndReason::Cancelled
        }
    );
    assert_eq!(
        got[4],
        CallEventKind::Ended {
            reason: EndReason::Transferred
        }
    );
}

#[test]
fn auto_answer_without_incoming_still_rings_first() {
    let mut t = CallTracker::default();
    let got = kinds(
        &mut t,
        &[ev("CALL_ESTABLISHED", "incoming", "c1", "", None)],
    );
    assert!(matches!(got[0], CallEventKind::Ringing { .. }));
    assert_eq!(got[1], CallEventKind::Answered);
}

#[test]
fn outgoing_calls_ring_once_and_failed_dials_are_logged() {
    let mut t = CallTracker::default();
    let got = kinds(
        &mut t,
        &[
            ev("CALL_RINGING", "outgoing", "o1", "", None),
            ev("CALL_RINGING", "outgoing", "o1", "", None),
            ev("CALL_ESTABLISHED", "outgoing", "o1", "", None),
            ev(
                "CALL_CLOSED",
                "outgoing",
                "o1",
                "Connection reset by user",
                None,
            ),
            ev("CALL_CLOSED", "outgoing", "o2", "404 Not Found", None),
        ],
    );
    assert_eq!(got.len(), 5, "{got:?}");
    assert!(matches!(
        got[0],
        CallEventKind::Ringing {
            direction: Direction::Outbound,
            ..
        }
    ));
    assert!(matches!(
        got[3],
        CallEventKind::Ringing {
            direction: Direction::Outbound,
            ..
        }
    ));
    assert_eq!(
        got[4],
        CallEventKind::Ended {
            reason: EndReason::Other("404 Not Found".into())
        }
    );
}

#[test]
fn events_without_call_id_and_unknown_inbound_closes_are_ignored() {
    let mut t = CallTracker::default();
    let mut sdp = ev("CALL_LOCAL_SDP", "outgoing", "", "offer", None);
    sdp.call_id = None;
    let got = kinds(
        &mut t,
        &[
            sdp,
            ev(
                "CALL_CLOSED",
                "incoming",
                "zz",
                "Connection reset by peer",
                None,
            ),
        ],
    );
    assert!(got.is_empty(), "{got:?}");
}

#[test]
fn remote_number_reads_user_part_tel_and_keeps_non_numbers_dialable() {
    let cases = [
        ("sip:+4930123456@127.0.0.1:5061", "+4930123456"),
        ("<sip:0301234;user=phone@pbx>", "0301234"),
        ("sip:+4930123456@pbx;user=phone", "+4930123456"),
        ("sips:%2B4930123456@pbx", "+4930123456"),
        ("tel:+1-555-123-4567;phone-context=x", "+1-555-123-4567"),
        ("sip:anonymous@anonymous.invalid", "anonymous"),
        ("sip:bob@127.0.0.1:5064", "sip:bob@127.0.0.1:5064"),
        (
            "sip:bob@127.0.0.1:5064;transport=tcp",
            "sip:bob@127.0.0.1:5064",
        ),
        ("sip:pbx.example", "sip:pbx.example"),
        ("555-1234", "555-1234"),
        ("", ""),
    ];
    for (uri, want) in cases {
        assert_eq!(remote_number(uri), want, "{uri}");
    }
}

#[test]
fn a_real_incoming_frame_becomes_a_ringing_event() {
    let raw = br#"{"event":true,"type":"CALL_INCOMING","class":"call","accountaor":"sip:bob@127.0.0.1:5064","direction":"incoming","peeruri":"sip:anonymous@anonymous.invalid","peerdisplayname":"Anonymous","id":"1-14512@127.0.0.1","param":"sip:anonymous@anonymous.invalid"}"#;
    let Message::Event(e) = parse_message(raw).unwrap() else {
        panic!()
    };
    let mut t = CallTracker::default();
    let out = t.on_event(&e, &SourceId("b".into()), chrono::Utc::now());
    assert_eq!(out[0].call.0, "1-14512@127.0.0.1");
    assert!(
        matches!(&out[0].kind, CallEventKind::Ringing { remote, .. } if remote.0 == "anonymous")
    );
}

proptest::proptest! {
    #[test]
    fn remote_number_never_panics(uri in ".*") {
        let _ = remote_number(&uri);
    }
}
