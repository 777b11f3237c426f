//! Netstring framing and payload parsing: examples from a real baresip 1.0.0, then
//! properties over arbitrary bytes and arbitrary read splits.

use super::*;
use proptest::prelude::*;

const INCOMING: &str = r#"{"event":true,"type":"CALL_INCOMING","class":"call","accountaor":"sip:bob@127.0.0.1:5064","direction":"incoming","peeruri":"sip:+4930123456@127.0.0.1:5061","peerdisplayname":"Jane Doe","id":"e6f4dc5f68fa37b5","param":"sip:+4930123456@127.0.0.1:5061"}"#;

fn frames(decoder: &mut Decoder) -> Vec<Result<Vec<u8>, WireError>> {
    let mut out = Vec::new();
    loop {
        match decoder.next_frame() {
            Ok(None) => return out,
            other => out.push(other.map(|f| f.unwrap_or_default())),
        }
    }
}

#[test]
fn a_frame_split_over_reads_is_reassembled() {
    let bytes = encode(INCOMING.as_bytes());
    let mut d = Decoder::new();
    for chunk in bytes.chunks(7) {
        assert!(frames(&mut d).is_empty());
        d.feed(chunk);
    }
    assert_eq!(frames(&mut d), vec![Ok(INCOMING.as_bytes().to_vec())]);
    assert_eq!(d.buffered(), 0);
}

#[test]
fn several_frames_in_one_read_come_out_in_order() {
    let mut bytes = encode(b"{\"a\":1}");
    bytes.extend(encode(b""));
    bytes.extend(encode("{\"name\":\"Zoë\"}".as_bytes()));
    let mut d = Decoder::new();
    d.feed(&bytes);
    assert_eq!(
        frames(&mut d),
        vec![
            Ok(b"{\"a\":1}".to_vec()),
            Ok(Vec::new()),
            Ok("{\"name\":\"Zoë\"}".as_bytes().to_vec())
        ]
    );
}

#[test]
fn length_counts_bytes_not_characters() {
    let payload = "{\"peerdisplayname\":\"Jürgen 日本\"}";
    let bytes = encode(payload.as_bytes());
    assert!(bytes.starts_with(format!("{}:", payload.len()).as_bytes()));
    let mut d = Decoder::new();
    d.feed(&bytes);
    assert_eq!(frames(&mut d), vec![Ok(payload.as_bytes().to_vec())]);
}

#[test]
fn oversized_length_is_refused_before_buffering_and_the_stream_resyncs() {
    let mut d = Decoder::new();
    d.feed(b"999999:{");
    assert_eq!(d.next_frame(), Err(WireError::TooLong(999_999)));
    d.feed(b"lots of junk,");
    d.feed(&encode(b"{}"));
    let got = frames(&mut d);
    assert_eq!(got.last(), Some(&Ok(b"{}".to_vec())), "{got:?}");
    let mut d = Decoder::new();
    d.feed(b"123456789012:x");
    assert!(matches!(d.next_frame(), Err(WireError::BadLength(_))));
}

#[test]
fn garbage_and_missing_commas_resync_to_the_next_frame() {
    let mut d = Decoder::new();
    d.feed(b"hello,");
    d.feed(&encode(b"{\"x\":1}"));
    d.feed(b"3:abcX");
    d.feed(b",");
    d.feed(&encode(b"{\"y\":2}"));
    let got = frames(&mut d);
    assert!(matches!(got[0], Err(WireError::BadLength(_))), "{got:?}");
    assert_eq!(got[1], Ok(b"{\"x\":1}".to_vec()));
    assert_eq!(got[2], Err(WireError::MissingComma('X')));
    assert_eq!(got.last(), Some(&Ok(b"{\"y\":2}".to_vec())), "{got:?}");
}

#[test]
fn reset_drops_a_half_frame_from_a_lost_connection() {
    let mut d = Decoder::new();
    d.feed(b"40:{\"event\":tr");
    assert_eq!(d.next_frame(), Ok(None));
    d.reset();
    d.feed(&encode(b"{}"));
    assert_eq!(d.next_frame(), Ok(Some(b"{}".to_vec())));
}

#[test]
fn events_and_responses_parse_with_absent_fields() {
    let Message::Event(e) = parse_message(INCOMING.as_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!(e.kind, "CALL_INCOMING");
    assert_eq!(e.peer_name.as_deref(), Some("Jane Doe"));
    assert_eq!(e.call_id.as_deref(), Some("e6f4dc5f68fa37b5"));
    let sdp = br#"{"event":true,"type":"CALL_LOCAL_SDP","class":"other","direction":"outgoing","param":"offer"}"#;
    let Message::Event(e) = parse_message(sdp).unwrap() else {
        panic!()
    };
    assert_eq!((e.call_id, e.peer_name), (None, None));
    let r = parse_message(
        br#"{"response":true,"ok":false,"data":"command not found (transfer)\n","token":"7"}"#,
    )
    .unwrap();
    assert_eq!(
        r,
        Message::Response(Response {
            ok: false,
            data: "command not found (transfer)\n".into(),
            token: Some("7".into())
        })
    );
    let mqtt =
        br#"{"type":"CALL_CLOSED","class":"call","id":"1-14512@127.0.0.1","param":"486 Rejected"}"#;
    assert_eq!(
        parse_event(mqtt).unwrap().param.as_deref(),
        Some("486 Rejected")
    );
}

#[test]
fn bad_payloads_say_what_is_wrong() {
    assert!(
        matches!(parse_message(b"not json"), Err(WireError::Json(m)) if m.contains("not json"))
    );
    assert!(matches!(
        parse_message(b"[1,2]"),
        Err(WireError::NotAMessage(_))
    ));
    assert!(matches!(
        parse_message(b"{\"hello\":1}"),
        Err(WireError::NotAMessage(_))
    ));
    assert!(
        matches!(parse_message(b"{\"event\":true}"), Err(WireError::NotAMessage(m)) if m.contains("type"))
    );
}

#[test]
fn commands_are_netstring_json_with_token() {
    let frame = command("dial", Some("sip:bob@127.0.0.1:5064"), "d1");
    let mut d = Decoder::new();
    d.feed(&frame);
    let payload = d.next_frame().unwrap().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"command":"dial","params":"sip:bob@127.0.0.1:5064","token":"d1"})
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_and_buffer_stays_bounded(
        reads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..32)
    ) {
        let mut d = Decoder::new();
        for read in &reads {
            d.feed(read);
            for _ in 0..100 {
                match d.next_frame() {
                    Ok(None) => break,
                    Ok(Some(frame)) => { let _ = parse_message(&frame); let _ = parse_event(&frame); }
                    Err(_) => {}
                }
            }
            prop_assert!(d.buffered() <= MAX_FRAME + MAX_LEN_DIGITS + 2);
        }
    }

    #[test]
    fn arbitrary_payloads_never_panic_the_json_parsers(payload in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_message(&payload);
        let _ = parse_event(&payload);
    }

    #[test]
    fn frames_survive_any_split_of_the_stream(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..8),
        cuts in proptest::collection::vec(1usize..17, 1..64),
    ) {
        let stream: Vec<u8> = payloads.iter().flat_map(|p| encode(p)).collect();
        let mut d = Decoder::new();
        let mut got = Vec::new();
        let mut rest = &stream[..];
        for cut in cuts.iter().cycle() {
            if rest.is_empty() { break; }
            let (now, later) = rest.split_at((*cut).min(rest.len()));
            d.feed(now);
            rest = later;
            while let Some(frame) = d.next_frame().map_err(|e| TestCaseError::fail(e.to_string()))? {
                got.push(frame);
            }
        }
        prop_assert_eq!(got, payloads);
    }
}

#[test]
fn a_lone_trailing_comma_does_not_stall_the_decoder() {
    // Found by the netstring fuzz target: "x," then "," left `start` on the comma forever.
    let mut d = Decoder::new();
    d.feed(b"x,");
    let mut errors = 0;
    while d.next_frame().is_err() {
        errors += 1;
        assert!(errors < 10, "the decoder makes no progress");
    }
    d.feed(b"2:{},");
    assert!(matches!(d.next_frame(), Ok(Some(p)) if p == b"{}"));
}
