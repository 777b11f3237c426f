//! The tracker against the transcripts in `tests/fixtures/ami` (the same ones the loopback
//! server replays): one call per Linkedid, the right ends, only our extension.

use super::*;
use crate::source::ami::channel::{duration_secs, local_target, Extension};
use crate::source::ami::wire::{Decoder, Frame};

/// A transcript's acts: (name, messages).
pub(super) fn acts(name: &str) -> Vec<(String, Vec<Message>)> {
    let path = format!("{}/tests/fixtures/ami/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out: Vec<(String, Vec<Message>)> = Vec::new();
    let mut decoder = Decoder::without_banner();
    for line in text.lines() {
        if let Some(act) = line.strip_prefix("## ") {
            out.push((act.to_string(), Vec::new()));
        } else if !line.starts_with('#') {
            decoder.feed(line.as_bytes());
            decoder.feed(b"\r\n");
            while let Some(frame) = decoder.next_frame() {
                let Frame::Message(m) = frame else {
                    panic!("{name}: {frame:?}")
                };
                out.last_mut().expect("act header first").1.push(m);
            }
        }
    }
    out
}

fn tracker(ext: &str) -> Tracker {
    Tracker::new(
        SourceId(format!("ami:{ext}")),
        Follow::One(Extension::parse(ext)),
    )
}

/// The events of a batch, without their extension tags.
fn kinds(events: &[ExtensionEvent]) -> Vec<CallEventKind> {
    events.iter().map(|e| e.event.kind.clone()).collect()
}

/// Plays every act, returning the events produced per act.
fn play(t: &mut Tracker, name: &str) -> Vec<Vec<CallEventKind>> {
    let now = chrono::Utc::now();
    acts(name)
        .into_iter()
        .map(|(_, messages)| {
            let mut out = Vec::new();
            for m in &messages {
                t.on_message(m, now, &mut out);
            }
            kinds(&out)
        })
        .collect()
}

fn ringing(number: &str, name: Option<&str>, direction: Direction) -> CallEventKind {
    CallEventKind::Ringing {
        direction,
        remote: RawNumber(number.into()),
        remote_name: name.map(str::to_string),
        line: None,
        upstream: None,
    }
}

fn ended(reason: EndReason) -> CallEventKind {
    CallEventKind::Ended { reason }
}

#[test]
fn inbound_call_rings_once_answers_once_ends_once() {
    let mut t = tracker("201");
    let acts = play(&mut t, "inbound_answered.ami");
    assert_eq!(
        acts,
        vec![
            vec![ringing(
                "+15555550114",
                Some("Marge Simpson"),
                Direction::Inbound
            )],
            vec![CallEventKind::Answered],
            vec![ended(EndReason::Hangup)],
        ]
    );
    assert_eq!(t.live_calls(), 0);
}

#[test]
fn caller_giving_up_is_cancelled() {
    let mut t = tracker("201");
    let acts = play(&mut t, "inbound_unanswered.ami");
    assert_eq!(acts[1], vec![ended(EndReason::Cancelled)]);
}

#[test]
fn each_extension_sees_only_its_own_call() {
    for (ext, number) in [("201", "+15555550130"), ("202", "+15555550150")] {
        let mut t = tracker(ext);
        let acts = play(&mut t, "two_extensions.ami");
        let all: Vec<_> = acts.concat();
        assert_eq!(all.len(), 3, "{ext}: {all:?}");
        assert!(
            matches!(&all[0], CallEventKind::Ringing { remote, .. } if remote.0 == number),
            "{all:?}"
        );
        assert_eq!(all[2], ended(EndReason::Hangup));
    }
    let mut other = tracker("203");
    assert!(play(&mut other, "two_extensions.ami").concat().is_empty());
}

#[test]
fn queue_retry_and_local_channels_are_one_call_and_attended_transfer_ends_it() {
    let mut t = tracker("201");
    let acts = play(&mut t, "queue_attended_transfer.ami");
    assert_eq!(
        acts[0],
        vec![ringing(
            "+15555550160",
            Some("Edna Krabappel"),
            Direction::Inbound
        )]
    );
    assert!(
        acts[1].is_empty(),
        "a queue retry is not a second pop: {acts:?}"
    );
    assert_eq!(acts[2], vec![CallEventKind::Answered]);
    assert_eq!(acts[3], vec![ended(EndReason::Transferred)]);
}

#[test]
fn ring_group_answered_by_a_colleague_is_answered_elsewhere() {
    let mut mine = tracker("201");
    let acts = play(&mut mine, "ring_group_elsewhere.ami");
    assert_eq!(acts[1], vec![ended(EndReason::AnsweredElsewhere)]);
    assert!(acts[2].is_empty());
    let mut colleague = tracker("202");
    let acts = play(&mut colleague, "ring_group_elsewhere.ami");
    assert_eq!(acts[1], vec![CallEventKind::Answered]);
    assert_eq!(acts[2], vec![ended(EndReason::Hangup)]);
}

#[test]
fn unknown_caller_id_is_reported_as_no_number() {
    let mut t = tracker("201");
    let acts = play(&mut t, "unknown_caller.ami");
    assert_eq!(acts[0], vec![ringing("", None, Direction::Inbound)]);
}

#[test]
fn listing_after_reconnect_picks_up_the_ringing_call() {
    let all = acts("reconnect_mid_call.ami");
    let mut t = tracker("201");
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    // A fresh connection: only the listing and what follows.
    for m in all[1..].iter().flat_map(|(_, m)| m) {
        t.on_message(m, now, &mut out);
    }
    assert_eq!(
        kinds(&out),
        vec![
            ringing("+15555550001", Some("C M BURNS"), Direction::Inbound),
            CallEventKind::Answered,
            ended(EndReason::Hangup)
        ]
    );
    assert!(
        out[0].event.at < now,
        "the listed call started before we saw it"
    );
}

#[test]
fn outbound_call_reports_the_dialled_number() {
    let mut t = tracker("201");
    let acts = play(&mut t, "outbound_answered.ami");
    assert_eq!(
        acts[0],
        vec![ringing("+15555550113", None, Direction::Outbound)]
    );
    assert_eq!(acts[1], vec![CallEventKind::Answered]);
    assert_eq!(acts[2], vec![ended(EndReason::Hangup)]);
}

#[test]
fn redirected_call_ends_as_transferred_and_names_the_callers_channel() {
    let all = acts("vip_redirect.ami");
    let mut t = tracker("201");
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    for m in &all[0].1 {
        t.on_message(m, now, &mut out);
    }
    let (call, peer) = t.peer_channel("201", None).expect("a live call");
    assert_eq!(call, "1700000800.1");
    assert_eq!(peer, "PJSIP/provider-00080001");
    t.mark_transferred("201", &call);
    out.clear();
    for m in &all[1].1 {
        t.on_message(m, now, &mut out);
    }
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].event.kind, ended(EndReason::Transferred));
}

#[test]
fn unanswered_leg_without_caller_hangup_ends_after_the_retry_window() {
    let all = acts("inbound_unanswered.ami");
    let mut t = tracker("201");
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    for m in &all[0].1 {
        t.on_message(m, now, &mut out);
    }
    // Only the agent's leg goes away (rejected on the handset); the caller stays in the PBX.
    let leg_hangup = all[1].1.iter().find(|m| {
        m.event() == Some("Hangup") && m.get("Channel").is_some_and(|c| c.contains("/201-"))
    });
    t.on_message(leg_hangup.expect("leg hangup"), now, &mut out);
    assert_eq!(out.len(), 1);
    t.tick(now + chrono::Duration::seconds(5), &mut out);
    assert_eq!(out.len(), 1, "still inside the retry window");
    t.tick(now + chrono::Duration::seconds(21), &mut out);
    assert_eq!(out[1].event.kind, ended(EndReason::Cancelled));
}

#[test]
fn extension_matching() {
    let e = Extension::parse("201");
    assert!(e.owns("PJSIP/201-0000000a"));
    assert!(e.owns("SIP/201-0000000a"));
    assert!(!e.owns("PJSIP/2010-0000000a"));
    assert!(!e.owns("Local/201@from-queue-00000001;1"));
    assert_eq!(local_target("Local/201@from-queue-00000001;1"), Some("201"));
    let every = Follow::Every;
    assert_eq!(every.owner("PJSIP/201-0000000a"), Some("201"));
    assert_eq!(every.owner("SIP/4711-0000000a"), Some("4711"));
    assert_eq!(every.owner("PJSIP/provider-00080001"), None);
    assert_eq!(every.owner("SIP/150010001-0000001f"), Some("150010001"));
    assert_eq!(
        every.owner("PJSIP/004930123456-00080001"),
        None,
        "a trunk named by its number"
    );
    assert_eq!(every.owner("Local/201@from-queue-00000001;1"), None);
    assert_eq!(every.owner("DAHDI/1-1"), None);
    let e = Extension::parse("PJSIP/201");
    assert!(e.owns("PJSIP/201-0000000a"));
    assert!(!e.owns("SIP/201-0000000a"));
    assert_eq!(duration_secs("01:02:03"), 3723);
    assert_eq!(duration_secs("junk"), 0);
}

/// Plays every act into a tracker following every extension: per act, (extension, kind).
fn play_floor(name: &str) -> Vec<Vec<(String, CallEventKind)>> {
    let mut t = Tracker::new(SourceId("ami".into()), Follow::Every);
    let now = chrono::Utc::now();
    acts(name)
        .into_iter()
        .map(|(_, messages)| {
            let mut out = Vec::new();
            for m in &messages {
                t.on_message(m, now, &mut out);
            }
            out.into_iter()
                .map(|e| (e.extension, e.event.kind))
                .collect()
        })
        .collect()
}

#[test]
fn floor_mode_follows_every_extension_from_one_connection() {
    let acts = play_floor("ring_group_elsewhere.ami");
    let ext = |e: &str| e.to_string();
    let caller = || ringing("+15555550141", Some("Barney Gumble"), Direction::Inbound);
    assert_eq!(
        acts[0],
        vec![(ext("201"), caller()), (ext("202"), caller())]
    );
    assert_eq!(
        acts[1],
        vec![
            (ext("202"), CallEventKind::Answered),
            (ext("201"), ended(EndReason::AnsweredElsewhere))
        ]
    );
    assert_eq!(acts[2], vec![(ext("202"), ended(EndReason::Hangup))]);
    // Two calls at once on two extensions: each tagged with its own.
    let all = play_floor("two_extensions.ami").concat();
    for (e, number) in [("201", "+15555550130"), ("202", "+15555550150")] {
        let mine: Vec<_> = all.iter().filter(|(x, _)| x == e).map(|(_, k)| k).collect();
        assert_eq!(mine.len(), 3, "{e}: {all:?}");
        assert!(matches!(mine[0], CallEventKind::Ringing { remote, .. } if remote.0 == number));
        assert_eq!(*mine[2], ended(EndReason::Hangup));
    }
    assert!(all.iter().all(|(e, _)| e == "201" || e == "202"), "{all:?}");
}
