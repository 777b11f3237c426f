//! The AMI decoder on real shapes, split anywhere, and on garbage.

use super::*;
use proptest::prelude::*;

const LOGIN_OK: &[u8] = b"Asterisk Call Manager/5.0.1\r\nResponse: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\nEvent: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n";

fn frames(decoder: &mut Decoder) -> Vec<Frame> {
    std::iter::from_fn(|| decoder.next_frame()).collect()
}

fn decode_in_chunks(bytes: &[u8], sizes: &[usize]) -> Vec<Frame> {
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes
            .get(i)
            .copied()
            .unwrap_or(rest.len())
            .clamp(1, rest.len());
        decoder.feed(&rest[..n]);
        rest = &rest[n..];
        out.extend(frames(&mut decoder));
        i += 1;
    }
    out
}

#[test]
fn banner_then_response_then_event() {
    let mut d = Decoder::new();
    d.feed(LOGIN_OK);
    let got = frames(&mut d);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0], Frame::Banner("Asterisk Call Manager/5.0.1".into()));
    let Frame::Message(response) = &got[1] else {
        panic!("{got:?}")
    };
    assert_eq!(response.response(), Some("Success"));
    assert_eq!(response.action_id(), Some("1"));
    assert_eq!(response.get("message"), Some("Authentication accepted"));
    let Frame::Message(event) = &got[2] else {
        panic!("{got:?}")
    };
    assert_eq!(event.event(), Some("FullyBooted"));
    assert_eq!(d.pending(), 0);
}

#[test]
fn values_keep_colons_and_bare_newlines_work() {
    let mut d = Decoder::without_banner();
    d.feed(b"Event: Newchannel\nChannel: PJSIP/201-0000000a\nCallerIDName: Dr. Who: the 2nd\nCause-txt: Normal Clearing\n\n");
    let got = frames(&mut d);
    let [Frame::Message(m)] = got.as_slice() else {
        panic!("{got:?}")
    };
    assert_eq!(m.get("CallerIDName"), Some("Dr. Who: the 2nd"));
    assert_eq!(m.get("cause-TXT"), Some("Normal Clearing"));
}

#[test]
fn garbage_block_is_reported_and_the_next_block_still_parses() {
    let mut d = Decoder::without_banner();
    d.feed(b"this is not ami\r\nat all\r\n\r\nEvent: Hangup\r\nUniqueid: 1.2\r\n\r\n");
    let got = frames(&mut d);
    assert!(matches!(&got[0], Frame::Garbage(WireError::NotKeyValue(l)) if l == "this is not ami"));
    assert!(matches!(&got[1], Frame::Message(m) if m.event() == Some("Hangup")));
}

#[test]
fn over_long_block_is_skipped_to_the_next_empty_line() {
    let mut d = Decoder::without_banner();
    let mut bytes = b"Event: Flood\r\nData: ".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', MAX_BLOCK + 10));
    bytes.extend_from_slice(b"\r\nMore: y\r\n\r\nEvent: Hangup\r\n\r\n");
    for chunk in bytes.chunks(4096) {
        d.feed(chunk);
        let got = frames(&mut d);
        for frame in got {
            match frame {
                Frame::Garbage(WireError::TooLong) => {}
                Frame::Message(m) => assert_eq!(m.event(), Some("Hangup")),
                other => panic!("{other:?}"),
            }
        }
        assert!(d.pending() <= MAX_BLOCK + 4096);
    }
}

#[test]
fn follows_response_keeps_free_text_as_output() {
    let mut d = Decoder::without_banner();
    d.feed(b"Response: Follows\r\nPrivilege: Command\r\nName/username  Host\r\n--END COMMAND--\r\n\r\n");
    let got = frames(&mut d);
    let [Frame::Message(m)] = got.as_slice() else {
        panic!("{got:?}")
    };
    assert_eq!(m.get("Output"), Some("Name/username  Host"));
}

#[test]
fn actions_cannot_smuggle_lines() {
    let bytes = action("Redirect", "7", &[("Exten", "200\r\nAction: Hangup")]);
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(
        text,
        "Action: Redirect\r\nActionID: 7\r\nExten: 200  Action: Hangup\r\n\r\n"
    );
}

proptest! {
    #[test]
    fn any_chunking_gives_the_same_frames(sizes in proptest::collection::vec(1usize..40, 0..80)) {
        let mut all = LOGIN_OK.to_vec();
        all.extend_from_slice(b"Event: Newstate\r\nChannel: PJSIP/201-1\r\nChannelState: 6\r\n\r\nbad line\r\n\r\n");
        let whole = decode_in_chunks(&all, &[]);
        let split = decode_in_chunks(&all, &sizes);
        prop_assert_eq!(whole, split);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_bounded(bytes in proptest::collection::vec(any::<u8>(), 0..4096), sizes in proptest::collection::vec(1usize..512, 0..16)) {
        let frames = decode_in_chunks(&bytes, &sizes);
        for frame in frames {
            if let Frame::Message(m) = frame {
                for (k, _) in m.fields() {
                    prop_assert!(!k.is_empty());
                }
            }
        }
    }
}
