//! The tracker against real captured Asterisk traffic (`tests/fixtures/ami/captured`, from
//! cacofonisk's recordings of a live chan_sip platform; see the README there). Each test says
//! what a correct screen pop does for each extension: pops, rows (one per call id),
//! direction, number, answered / missed / answered elsewhere, end reason.

use super::tests::acts;
use super::*;

const A: &str = "150010001";
const B: &str = "150010002";
const C: &str = "150010003";

/// What one extension saw of one call id: the screen-pop view of a transcript.
#[derive(Debug, Default, Clone, PartialEq)]
struct Row {
    call: String,
    direction: Option<Direction>,
    /// Rings announced (a correct pop has exactly one).
    pops: usize,
    /// The party shown first, and after every change.
    parties: Vec<String>,
    answered: bool,
    ended: Option<EndReason>,
}

/// Plays a captured transcript into a floor tracker; the rows per extension, in order.
fn rows(name: &str) -> BTreeMap<String, Vec<Row>> {
    let mut t = Tracker::new(SourceId("ami".into()), Follow::Every);
    let start = chrono::Utc::now();
    let mut out = Vec::new();
    for (i, m) in acts(&format!("captured/{name}"))
        .into_iter()
        .flat_map(|(_, m)| m)
        .enumerate()
    {
        t.on_message(
            &m,
            start + chrono::Duration::milliseconds(i as i64),
            &mut out,
        );
    }
    t.tick(start + chrono::Duration::minutes(5), &mut out);
    assert_eq!(
        t.live_calls(),
        0,
        "{name}: a call stayed live after its channels"
    );
    let mut by_ext: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for e in out {
        let list = by_ext.entry(e.extension.clone()).or_default();
        let call = e.event.call.0.clone();
        let row = match list
            .iter_mut()
            .find(|r| r.call == call && r.ended.is_none())
        {
            Some(r) => r,
            None => {
                assert!(
                    !list.iter().any(|r| r.call == call),
                    "{name}: {} logged call {call} twice",
                    e.extension
                );
                list.push(Row {
                    call,
                    ..Row::default()
                });
                list.last_mut().expect("just pushed")
            }
        };
        match e.event.kind {
            CallEventKind::Ringing {
                direction, remote, ..
            } => {
                row.pops += 1;
                row.direction = Some(direction);
                row.parties.push(remote.0);
            }
            CallEventKind::PartyChanged { remote, .. } => row.parties.push(remote.0),
            CallEventKind::Answered => row.answered = true,
            CallEventKind::Ended { reason } => row.ended = Some(reason),
        }
    }
    by_ext
}

/// A row as a correct screen pop has it: one pop, the parties shown in turn, the outcome.
fn want(call: &str, dir: Direction, parties: &[&str], answered: bool, ended: EndReason) -> Row {
    Row {
        call: call.to_string(),
        direction: Some(dir),
        pops: 1,
        parties: parties.iter().map(|p| p.to_string()).collect(),
        answered,
        ended: Some(ended),
    }
}

fn check(name: &str, expected: &[(&str, Vec<Row>)]) {
    let got = rows(name);
    for (ext, rows) in expected {
        let mut mine = got.get(*ext).cloned().unwrap_or_default();
        for r in &mut mine {
            // Compare call ids by their tail (`….2709`): the capture's system prefix is noise.
            r.call = r.call.rsplit('-').next().unwrap_or_default().to_string();
        }
        assert_eq!(&mine, rows, "{name}: extension {ext}");
    }
    let silent: Vec<_> = got
        .keys()
        .filter(|e| !expected.iter().any(|(x, _)| x == e))
        .collect();
    assert!(silent.is_empty(), "{name}: unexpected rows for {silent:?}");
}

use Direction::{Inbound as In, Outbound as Out};
use EndReason::{AnsweredElsewhere, Cancelled, Hangup, Transferred};

#[test]
fn sip_pickup_with_replaces_is_inbound_answered_at_the_picking_phone() {
    // 201 dials 202; 203 takes it with a Replaces INVITE (its own new channel, own Linkedid).
    check(
        "sip_pickup.ami",
        &[
            (
                A,
                vec![want("1538124863.373", Out, &["202", C], true, Hangup)],
            ),
            (
                B,
                vec![want(
                    "1538124863.373",
                    In,
                    &["201"],
                    false,
                    AnsweredElsewhere,
                )],
            ),
            (C, vec![want("1538124863.373", In, &["201"], true, Hangup)]),
        ],
    );
}

#[test]
fn star_pickup_is_inbound_answered_at_the_picking_phone() {
    check(
        "star_pickup.ami",
        &[
            (
                A,
                vec![want("1538125952.414", Out, &["202", C], true, Hangup)],
            ),
            (
                B,
                vec![want(
                    "1538125952.414",
                    In,
                    &["201"],
                    false,
                    AnsweredElsewhere,
                )],
            ),
            (C, vec![want("1538125952.414", In, &["201"], true, Hangup)]),
        ],
    );
}

#[test]
fn blonde_transfer_of_a_customer_pops_the_customer_at_the_target_not_a_missed_colleague() {
    // A customer calls 201; 201 consults 202 and completes while 202 still rings.
    check(
        "xfer_blonde_abbcac.ami",
        &[
            (
                A,
                vec![
                    want("1530024929.2709", In, &["+31260010001"], true, Transferred),
                    want("1530024939.2753", Out, &["202"], false, Transferred),
                ],
            ),
            (
                B,
                vec![want(
                    "1530024939.2753",
                    In,
                    &["201", "+31260010001"],
                    true,
                    Hangup,
                )],
            ),
        ],
    );
}

#[test]
fn blonde_transfer_by_the_caller_connects_the_two_callees() {
    check(
        "xfer_blonde_abacbc.ami",
        &[
            (
                A,
                vec![
                    want("1530023922.2627", Out, &["202"], true, Transferred),
                    want("1530023931.2654", Out, &["203"], false, Transferred),
                ],
            ),
            (
                B,
                vec![want("1530023922.2627", In, &["201", "203"], true, Hangup)],
            ),
            (
                C,
                vec![want("1530023931.2654", In, &["201", "202"], true, Hangup)],
            ),
        ],
    );
}

#[test]
fn attended_transfer_to_this_agent_shows_the_transferred_party_not_the_colleague() {
    // 201 calls 202; 202 consults 203 and transfers 201 to 203.
    check(
        "xfer_abbcac.ami",
        &[
            (
                A,
                vec![want("1529941338.663", Out, &["202", "203"], true, Hangup)],
            ),
            (
                B,
                vec![
                    want("1529941338.663", In, &["201"], true, Transferred),
                    want("1529941342.690", Out, &["203"], true, Transferred),
                ],
            ),
            (
                C,
                vec![want("1529941342.690", In, &["202", "201"], true, Hangup)],
            ),
        ],
    );
}

#[test]
fn attended_transfer_by_the_caller_connects_the_two_callees() {
    check(
        "xfer_abacbc.ami",
        &[
            (
                A,
                vec![
                    want("1529941216.590", Out, &["202"], true, Transferred),
                    want("1529941225.617", Out, &["203"], true, Transferred),
                ],
            ),
            (
                B,
                vec![want("1529941216.590", In, &["201", "203"], true, Hangup)],
            ),
            (
                C,
                vec![want("1529941225.617", In, &["201", "202"], true, Hangup)],
            ),
        ],
    );
}

#[test]
fn blind_transfer_by_the_callee_moves_the_caller_to_the_target() {
    check(
        "xfer_blind_abbcac.ami",
        &[
            (
                A,
                vec![want("1529998959.65", Out, &["202", "203"], true, Hangup)],
            ),
            (
                B,
                vec![want("1529998959.65", In, &["201"], true, Transferred)],
            ),
            (C, vec![want("1529998959.65", In, &["201"], true, Hangup)]),
        ],
    );
}

#[test]
fn blind_transfer_by_the_caller_moves_the_callee_to_the_target() {
    check(
        "xfer_blind_abacbc.ami",
        &[
            (
                A,
                vec![want("1529998985.130", Out, &["202"], true, Transferred)],
            ),
            (
                B,
                vec![want("1529998985.130", In, &["201", "203"], true, Hangup)],
            ),
            (C, vec![want("1529998985.130", In, &["202"], true, Hangup)]),
        ],
    );
}

#[test]
fn a_busy_phone_that_never_rang_does_not_pop() {
    // 202 is on do-not-disturb: BUSY at once, no Ringing state.
    check(
        "ab_dnd.ami",
        &[(
            A,
            vec![want("1529936189.77", Out, &["202"], false, Cancelled)],
        )],
    );
    // 202 rang and rejected: a pop, then missed (cancelled, not answered elsewhere).
    check(
        "ab_reject.ami",
        &[
            (
                A,
                vec![want("1529936241.98", Out, &["202"], false, Cancelled)],
            ),
            (
                B,
                vec![want("1529936241.98", In, &["201"], false, Cancelled)],
            ),
        ],
    );
}

#[test]
fn call_group_and_queue_members_not_answering_are_answered_elsewhere() {
    check(
        "ab_callgroup.ami",
        &[
            (A, vec![want("1529936598.168", Out, &["401"], true, Hangup)]),
            (B, vec![want("1529936598.168", In, &["201"], true, Hangup)]),
            (
                C,
                vec![want(
                    "1529936598.168",
                    In,
                    &["201"],
                    false,
                    AnsweredElsewhere,
                )],
            ),
        ],
    );
    check(
        "queue_simple.ami",
        &[(
            B,
            vec![want("1529939196.518", In, &["+31150010001"], true, Hangup)],
        )],
    );
    check(
        "queue_group.ami",
        &[
            (
                B,
                vec![want("1529938920.367", In, &["+31150010001"], true, Hangup)],
            ),
            (
                C,
                vec![want(
                    "1529938920.367",
                    In,
                    &["+31150010001"],
                    false,
                    AnsweredElsewhere,
                )],
            ),
        ],
    );
}

#[test]
fn an_internal_call_through_local_helpers_is_one_row_each_side() {
    check(
        "ab_success_a_hangup.ami",
        &[
            (A, vec![want("1529936170.42", Out, &["202"], true, Hangup)]),
            (B, vec![want("1529936170.42", In, &["201"], true, Hangup)]),
        ],
    );
}

#[test]
fn a_desk_following_one_extension_sees_the_same_as_the_floor() {
    let mut t = Tracker::new(
        SourceId("ami:150010002".into()),
        Follow::One(super::super::channel::Extension::parse(B)),
    );
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    for m in acts("captured/xfer_blonde_abbcac.ami")
        .into_iter()
        .flat_map(|(_, m)| m)
    {
        t.on_message(&m, now, &mut out);
    }
    let kinds: Vec<_> = out.iter().map(|e| e.event.kind.clone()).collect();
    assert!(out.iter().all(|e| e.extension == B));
    assert!(matches!(&kinds[0], CallEventKind::Ringing { remote, .. } if remote.0 == "201"));
    assert!(
        matches!(&kinds[1], CallEventKind::PartyChanged { remote, .. } if remote.0 == "+31260010001")
    );
    assert_eq!(kinds[2], CallEventKind::Answered);
    assert_eq!(kinds[3], CallEventKind::Ended { reason: Hangup });
    assert_eq!(kinds.len(), 4);
}

/// The same capture with PJSIP device names (`SIP/1500100NN-…` → `PJSIP/1500100NN-…`), as an
/// Asterisk 16+ desk would see it, played into a desk pinned to `extension`.
fn desk_on_pjsip(name: &str, extension: &str) -> Vec<CallEventKind> {
    let mut t = Tracker::new(
        SourceId(format!("ami:{extension}")),
        Follow::One(super::super::channel::Extension::parse(extension)),
    );
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    for m in acts(&format!("captured/{name}"))
        .into_iter()
        .flat_map(|(_, m)| m)
    {
        let fields = m
            .fields()
            .iter()
            .map(|(k, v)| (k.clone(), v.replace("SIP/1500100", "PJSIP/1500100")))
            .collect();
        t.on_message(&Message::new(fields), now, &mut out);
    }
    assert_eq!(t.live_calls(), 0);
    out.into_iter().map(|e| e.event.kind).collect()
}

#[test]
fn pjsip_naming_and_a_technology_pinned_extension_give_the_same_calls() {
    let kinds = desk_on_pjsip("xfer_blonde_abbcac.ami", "PJSIP/150010002");
    assert!(
        matches!(&kinds[1], CallEventKind::PartyChanged { remote, .. } if remote.0 == "+31260010001")
    );
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    let kinds = desk_on_pjsip("sip_pickup.ami", "PJSIP/150010003");
    assert!(
        matches!(&kinds[0], CallEventKind::Ringing { direction: In, remote, .. } if remote.0 == "201"),
        "{kinds:?}"
    );
    assert_eq!(kinds[1], CallEventKind::Answered);
    assert_eq!(kinds[2], CallEventKind::Ended { reason: Hangup });
    // Pinned to chan_sip, the PJSIP devices are not this desk's.
    assert!(desk_on_pjsip("sip_pickup.ami", "SIP/150010003").is_empty());
}
