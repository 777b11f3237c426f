//! Call monitor lines → calls: normal, unanswered, outgoing, other numbers, reused ids.

use super::wire::parse_line;
use super::*;

fn play(monitor: &mut Monitor, lines: &[&str]) -> Vec<CallEvent> {
    let now = chrono::Utc::now();
    lines
        .iter()
        .flat_map(|l| monitor.on_line(&parse_line(l).expect(l), now))
        .collect()
}

fn monitor(own: &[&str]) -> Monitor {
    Monitor::new(
        SourceId("fritz".into()),
        own.iter().map(|s| s.to_string()).collect(),
    )
}

#[test]
fn answered_inbound_call() {
    let mut m = monitor(&["030 555100"]);
    let events = play(
        &mut m,
        &[
            "28.11.24 15:17:43;RING;0;01701234567;555100;SIP0;",
            "28.11.24 15:17:47;CONNECT;0;10;01701234567;",
            "28.11.24 15:18:40;DISCONNECT;0;53;",
        ],
    );
    assert_eq!(events.len(), 3);
    assert!(
        matches!(&events[0].kind, CallEventKind::Ringing { direction: Direction::Inbound, remote, line, .. }
        if remote.0 == "01701234567" && line.as_deref() == Some("555100"))
    );
    assert_eq!(events[1].kind, CallEventKind::Answered);
    assert_eq!(
        events[2].kind,
        CallEventKind::Ended {
            reason: EndReason::Hangup
        }
    );
    assert!(events.iter().all(|e| e.call == events[0].call));
}

#[test]
fn ring_then_disconnect_is_cancelled_and_anonymous_has_no_number() {
    let mut m = monitor(&[]);
    let events = play(
        &mut m,
        &[
            "28.11.24 15:17:43;RING;1;;555100;SIP0;",
            "28.11.24 15:17:58;DISCONNECT;1;0;",
        ],
    );
    assert!(
        matches!(&events[0].kind, CallEventKind::Ringing { remote, .. } if remote.0.is_empty())
    );
    assert_eq!(
        events[1].kind,
        CallEventKind::Ended {
            reason: EndReason::Cancelled
        }
    );
}

#[test]
fn outgoing_call_uses_the_dialled_number() {
    let mut m = monitor(&["+49 30 555100"]);
    let events = play(
        &mut m,
        &[
            "28.11.24 16:00:00;CALL;2;10;030555100;0891234567;SIP0;",
            "28.11.24 16:00:09;CONNECT;2;10;0891234567;",
            "28.11.24 16:01:00;DISCONNECT;2;51;",
        ],
    );
    assert!(
        matches!(&events[0].kind, CallEventKind::Ringing { direction: Direction::Outbound, remote, .. } if remote.0 == "0891234567")
    );
    assert_eq!(events.len(), 3);
}

#[test]
fn calls_to_other_numbers_are_ignored_entirely() {
    let mut m = monitor(&["555100"]);
    let events = play(
        &mut m,
        &[
            "28.11.24 15:17:43;RING;0;01701234567;555999;SIP1;",
            "28.11.24 15:17:47;CONNECT;0;11;01701234567;",
            "28.11.24 15:18:40;DISCONNECT;0;53;",
        ],
    );
    assert!(events.is_empty(), "{events:?}");
    assert!(!m.is_own("00000"));
}

#[test]
fn reused_id_without_disconnect_closes_the_old_call() {
    let mut m = monitor(&[]);
    let events = play(
        &mut m,
        &[
            "28.11.24 15:17:43;RING;0;0170111;555100;SIP0;",
            "28.11.24 15:20:00;RING;0;0170222;555100;SIP0;",
        ],
    );
    assert_eq!(events.len(), 3);
    assert!(matches!(events[1].kind, CallEventKind::Ended { .. }));
    assert_ne!(events[0].call, events[2].call);
}

#[test]
fn router_clock_far_off_is_replaced_by_ours() {
    let now = chrono::Utc::now();
    let old = NaiveDateTime::parse_from_str("01.01.20 00:00:00", "%d.%m.%y %H:%M:%S").unwrap();
    assert_eq!(router_time(old, now), now);
    let local_now = now.with_timezone(&Local).naive_local();
    let t = router_time(local_now, now);
    assert!((t - now).num_seconds().abs() <= 1);
}
