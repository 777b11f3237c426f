//! The call monitor parser on the documented shapes, on broken lines, and on any bytes.

use super::*;
use proptest::prelude::*;

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%d.%m.%y %H:%M:%S").unwrap()
}

#[test]
fn the_four_kinds_parse() {
    assert_eq!(
        parse_line("28.11.24 15:17:43;RING;0;0301234567;4930555100;SIP0;").unwrap(),
        Line::Ring {
            at: at("28.11.24 15:17:43"),
            id: "0".into(),
            caller: "0301234567".into(),
            callee: "4930555100".into(),
            port: "SIP0".into()
        }
    );
    assert!(matches!(
        parse_line("28.11.24 15:17:50;CALL;1;10;4930555100;0891234567;SIP1;\r").unwrap(),
        Line::Call { own, callee, .. } if own == "4930555100" && callee == "0891234567"
    ));
    assert!(matches!(
        parse_line("28.11.24 15:17:52;CONNECT;0;10;0301234567;").unwrap(),
        Line::Connect { extension, .. } if extension == "10"
    ));
    assert_eq!(
        parse_line("28.11.24 15:18:40;DISCONNECT;0;48;").unwrap(),
        Line::Disconnect {
            at: at("28.11.24 15:18:40"),
            id: "0".into(),
            seconds: 48
        }
    );
}

#[test]
fn anonymous_caller_is_an_empty_field() {
    let line = parse_line("01.02.25 08:00:00;RING;2;;4930555100;SIP0;").unwrap();
    assert!(matches!(line, Line::Ring { caller, .. } if caller.is_empty()));
}

#[test]
fn malformed_lines_say_what_is_wrong() {
    assert!(matches!(parse_line("hello"), Err(LineError::Shape(_))));
    assert!(matches!(
        parse_line("32.13.24 25:00:00;RING;0;1;2;SIP0;"),
        Err(LineError::Date(_))
    ));
    assert!(matches!(
        parse_line("28.11.24 15:17:43;BUZZ;0;1;2;"),
        Err(LineError::Kind(k)) if k == "BUZZ"
    ));
    assert!(matches!(
        parse_line("28.11.24 15:17:43;RING;0;"),
        Err(LineError::Fields { kind: "RING", .. })
    ));
    assert!(matches!(
        parse_line("28.11.24 15:17:43;RING;x;1;2;SIP0;"),
        Err(LineError::Shape(_))
    ));
}

#[test]
fn reader_splits_lines_across_reads_and_drops_a_flood() {
    let mut r = LineReader::new();
    assert!(r.feed(b"28.11.24 15:18:40;DISCON").is_empty());
    let got = r.feed(b"NECT;0;48;\n\n");
    assert_eq!(got.len(), 1);
    assert!(got[0].is_ok());
    let flood = vec![b'7'; MAX_LINE * 3];
    let got = r.feed(&flood);
    assert_eq!(got, vec![Err(LineError::TooLong)]);
    let got = r.feed(b"rest of flood\n28.11.24 15:18:40;DISCONNECT;1;0;\n");
    assert_eq!(got.len(), 1);
    assert!(matches!(&got[0], Ok(Line::Disconnect { id, .. }) if id == "1"));
}

proptest! {
    #[test]
    fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), cut in 0usize..2048) {
        let mut r = LineReader::new();
        let cut = cut.min(bytes.len());
        let _ = r.feed(&bytes[..cut]);
        let _ = r.feed(&bytes[cut..]);
        prop_assert!(r.buf.len() <= MAX_LINE);
    }

    #[test]
    fn generated_ring_lines_round_trip(id in 0u32..100, caller in "[0-9]{0,14}", callee in "[0-9]{3,14}") {
        let text = format!("05.06.25 12:34:56;RING;{id};{caller};{callee};SIP0;");
        let line = parse_line(&text).unwrap();
        prop_assert_eq!(line, Line::Ring { at: at("05.06.25 12:34:56"), id: id.to_string(), caller, callee, port: "SIP0".into() });
    }
}
