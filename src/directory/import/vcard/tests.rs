//! Tests of the vCard importer and exporter: 3.0 and 4.0, folding, bad cards, progress, round trips, fuzzing.

use super::*;
use crate::directory::import::csv::tests::{customers, expected};
use proptest::prelude::*;

fn run(text: impl AsRef<[u8]>) -> Parsed {
    parse(text.as_ref(), &mut |_| {}).unwrap_or_default()
}

#[test]
fn vcard3_and_vcard4_both_import() {
    let parsed = run(include_bytes!("../../../../fixtures/demo-contacts.vcf"));
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let [lisa, uter, hans] = &parsed.contacts[..] else {
        panic!("three contacts expected: {:?}", parsed.contacts);
    };
    assert_eq!(
        (lisa.name.as_str(), lisa.id.as_deref()),
        ("Lisa Simpson", Some("lisa"))
    );
    assert_eq!(lisa.phones, ["555-1234", "(555) 123-9876"]);
    assert_eq!(lisa.company.as_deref(), Some("Springfield Elementary"));
    let note = "Last order: 2 pepperoni pizzas\nAllergic to nothing, loves jazz";
    assert_eq!(lisa.note.as_deref(), Some(note));
    let url = "https://crm.example.com/customers/lisa";
    assert_eq!((lisa.url.as_deref(), lisa.vip), (Some(url), true));
    assert_eq!((uter.name.as_str(), uter.vip), ("Uter Zörker", true));
    assert_eq!(uter.phones, ["+49-30-123456"]);
    let note = uter.note.as_deref().unwrap_or_default();
    assert!(note.starts_with("Calls from Berlin, speaks German; last order: 1 calzone"));
    assert!(
        note.ends_with("with extra cheese and a large lemonade"),
        "{note}"
    );
    assert_eq!((hans.name.as_str(), hans.vip), ("Hans Moleman", false));
    assert_eq!(hans.phones, ["0049-89-1234567"]);
}

#[test]
fn folded_lines_are_unfolded() {
    // A fold may split a word, keep the space before it, use a tab, or split a UTF-8 char.
    let mut card = b"BEGIN:VCARD\r\nFN:Lisa Sim\r\n pson\r\nTEL:555-\r\n\t1234\r\n".to_vec();
    card.extend_from_slice(b"NOTE:2 \r\n pepperoni\r\nORG:Z\xc3\r\n \xb6\r\nEND:VCARD\r\n");
    let parsed = run(card);
    let lisa = &parsed.contacts[0];
    assert_eq!(
        (lisa.name.as_str(), lisa.phones[0].as_str()),
        ("Lisa Simpson", "555-1234")
    );
    assert_eq!(lisa.note.as_deref(), Some("2 pepperoni"));
    assert_eq!(lisa.company.as_deref(), Some("Zö"));
}

#[test]
fn bad_cards_are_reported_at_their_begin_line_and_the_rest_import() {
    let parsed = run(b"junk before\nmore junk\n\
            BEGIN:VCARD\nFN:No Phone\nEND:VCARD\n\
            BEGIN:VCARD\nTEL:555-1\nNOTE:no name\nEND:VCARD\n\
            BEGIN:VCARD\nFN:No End\nTEL:555-2\n\
            BEGIN:VCARD\nFN:Bad Url\nTEL:555-3\nURL:javascript:alert(1)\nEND:VCARD\n\
            BEGIN:VCARD\nFN:M\xfcller\nTEL:555-4\nEND:VCARD\n\
            BEGIN:VCARD\nFN:Trailing\nTEL:555-5\n");
    assert_eq!(parsed.contacts.len(), 1);
    assert_eq!(
        (parsed.contacts[0].name.as_str(), &parsed.contacts[0].url),
        ("Bad Url", &None)
    );
    let lines: Vec<u64> = parsed.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [1, 3, 6, 10, 13, 18, 22]);
    let wanted = "outside|no phone|no name|no END|without its URL|line 19|ends".split('|');
    for (problem, wanted) in parsed.problems.iter().zip(wanted) {
        assert!(
            problem.reason.contains(wanted),
            "{problem:?} should say {wanted:?}"
        );
    }
}

#[test]
fn names_fall_back_to_n_and_properties_are_case_insensitive() {
    let parsed = run(b"begin:vcard\nversion:3.0\nn:Simpson;Bart;Jojo;;\n\
            item1.tel;type=CELL:+1 555 0199\nTel;VALUE=uri:TEL:+1-555-0100;ext=7\ntel:+1 555 0199\n\
            org:Springfield\\; Elementary;4th\nuid:bart\ncategories:kids,vip\n\
            note:eat my\\nshorts\\, man\\\\\nurl;type=work:HTTPS://crm.example.com/b\nend:vcard\n");
    let bart = &parsed.contacts[0];
    assert_eq!(
        (bart.name.as_str(), bart.id.as_deref(), bart.vip),
        ("Bart Simpson", Some("bart"), true)
    );
    assert_eq!(bart.phones, ["+1 555 0199", "+1-555-0100;ext=7"]);
    assert_eq!(bart.company.as_deref(), Some("Springfield; Elementary"));
    assert_eq!(bart.note.as_deref(), Some("eat my\nshorts, man\\"));
    assert_eq!(bart.url.as_deref(), Some("HTTPS://crm.example.com/b"));
}

#[test]
fn progress_reports_every_thousand_cards_and_the_total_at_the_end() {
    let card = "BEGIN:VCARD\nFN:Caller\nTEL:555\nEND:VCARD\n";
    let mut seen = Vec::new();
    let parsed = parse(card.repeat(2100).as_bytes(), &mut |n| seen.push(n));
    assert_eq!(parsed.map(|p| p.contacts.len()).ok(), Some(2100));
    let len = card.len() as u64;
    assert_eq!(seen, [1000 * len, 2000 * len, 2100 * len]);
}

proptest! {
    #[test]
    fn export_round_trips(customers in customers()) {
        let mut out = Vec::new();
        write(&mut out, &customers).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let folded = out.split(|&b| b == b'\n').all(|line| line.len() <= 76); // 75 + '\r'
        prop_assert!(folded, "{}", String::from_utf8_lossy(&out));
        let parsed = run(&out);
        prop_assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        prop_assert_eq!(parsed.contacts, customers.iter().map(expected).collect::<Vec<_>>());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = run(&bytes);
    }

    #[test]
    fn arbitrary_vcardish_text_never_panics(lines in prop::collection::vec(
        r#"(BEGIN:VCARD|END:VCARD|FN:|TEL:|tel;x="a:b":tel:|URL:| |\t)[a-z;:,\\"é0-9 ]{0,9}"#,
        0..40,
    )) {
        let parsed = run(lines.join("\r\n"));
        let count = lines.len() as u64;
        prop_assert!(parsed.problems.iter().all(|p| (1..=count).contains(&p.line)));
    }
}
