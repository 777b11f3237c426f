//! Tests of the CSV importer and exporter: line-numbered problems, loose headers, checked fields, progress, round trips, fuzzing.

use super::*;
use proptest::prelude::*;

fn run(text: impl AsRef<[u8]>) -> Result<Parsed, ImportError> {
    parse(text.as_ref(), &mut |_| {})
}

fn problems(parsed: &Parsed) -> Vec<(u64, &str)> {
    let problems = parsed.problems.iter();
    problems.map(|p| (p.line, p.reason.as_str())).collect()
}

#[test]
fn demo_fixture_imports_cleanly() -> Result<(), ImportError> {
    let parsed = run(include_str!("../../../../fixtures/demo-contacts.csv"))?;
    assert_eq!((parsed.contacts.len(), parsed.problems.len()), (12, 0));
    let lisa = &parsed.contacts[0];
    assert_eq!(lisa.id.as_deref(), Some("lisa"));
    assert_eq!(lisa.name, "Lisa Simpson");
    assert_eq!(lisa.phones, ["555-1234", "(555) 123-9876"]);
    assert!(lisa.vip);
    assert_eq!(lisa.note.as_deref(), Some("Last order: 2 pepperoni pizzas"));
    let url = "https://crm.example.com/customers/lisa";
    assert_eq!(lisa.url.as_deref(), Some(url));
    Ok(())
}

#[test]
fn bad_rows_are_reported_with_their_line_and_good_rows_land() -> Result<(), ImportError> {
    let parsed = run(
        "name,phone,vip,url\nLisa,555-1234,yes,\n,555-0000,,\nBart,,,\n\n\
            Homer,555-1,maybe,\nMarge,555-2,,ftp://example.com/marge\nMaggie,555-3\n",
    )?;
    let names: Vec<&str> = parsed.contacts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Lisa", "Homer", "Marge", "Maggie"]);
    assert!(!parsed.contacts[1].vip && parsed.contacts[2].url.is_none());
    let kept: Vec<bool> = parsed.problems.iter().map(|p| !p.skipped).collect();
    assert_eq!(kept, [false, false, true, true]);
    let problems = problems(&parsed);
    let lines: Vec<u64> = problems.iter().map(|p| p.0).collect();
    assert_eq!(lines, [3, 4, 6, 7]);
    let wanted = [
        "name is empty",
        "no phone",
        "`maybe`",
        "`ftp://example.com/marge`",
    ];
    for ((_, reason), wanted) in problems.into_iter().zip(wanted) {
        assert!(
            reason.contains(wanted),
            "{reason:?} should mention {wanted:?}"
        );
    }
    Ok(())
}

#[test]
fn a_javascript_profile_link_or_an_over_long_note_is_dropped_and_the_vip_kept(
) -> Result<(), ImportError> {
    let long = "x".repeat(super::super::MAX_NOTE + 1);
    let parsed = run(format!(
            "name,phone,vip,url,note\nLisa,555-1234;555-9999,yes,javascript:alert(1),\nBart,555-2,,,{long}\n"
        ))?;
    assert_eq!(parsed.contacts.len(), 2);
    let lisa = &parsed.contacts[0];
    assert!(lisa.vip && lisa.url.is_none());
    assert_eq!(lisa.phones, ["555-1234", "555-9999"]);
    assert!(parsed.contacts[1].note.is_none());
    let problems = problems(&parsed);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].0, 2);
    assert!(problems[0].1.contains("field `url`") && problems[0].1.contains("javascript:"));
    assert_eq!(problems[1].0, 3);
    assert!(problems[1].1.contains("field `note`"), "{problems:?}");
    assert!(parsed.problems.iter().all(|p| !p.skipped));
    Ok(())
}

#[test]
fn quoted_multiline_note_keeps_line_numbers_right() -> Result<(), ImportError> {
    let parsed = run("name,phone,note\r\nLisa,555-1,\"one\r\ntwo \"\"2\"\"\"\r\n,555-2,\r\n")?;
    assert_eq!(parsed.contacts[0].note.as_deref(), Some("one\r\ntwo \"2\""));
    assert_eq!(problems(&parsed), [(4, "the name is empty")]);
    Ok(())
}

#[test]
fn header_is_matched_loosely_and_phones_split_on_semicolons() -> Result<(), ImportError> {
    let parsed =
        run("\u{feff} Name , TEL ,Number,COMPANY\nApu, 555-1 ; 555-2;,555-3,Kwik-E-Mart\n")?;
    let apu = &parsed.contacts[0];
    assert_eq!(apu.phones, ["555-1", "555-2", "555-3"]);
    assert_eq!(apu.company.as_deref(), Some("Kwik-E-Mart"));
    assert!(!apu.vip && apu.id.is_none());
    let ragged = run("name,phone,company\nNed,555-1\nRod,555-2,Church,extra\n")?;
    assert_eq!(ragged.contacts.len(), 2);
    assert_eq!(ragged.contacts[1].company.as_deref(), Some("Church"));
    Ok(())
}

#[test]
fn invalid_utf8_is_a_problem_for_that_row_only() -> Result<(), ImportError> {
    let parsed = run(b"name,phone\nM\xfcller,555-1\nMoe,555-2\n")?;
    assert_eq!(parsed.contacts.len(), 1);
    let reason = "the `name` cell is not UTF-8 text (save as UTF-8)";
    assert_eq!(problems(&parsed), [(2, reason)]);
    Ok(())
}

#[test]
fn vip_words_and_urls_are_checked() {
    let flag = |words: &[&str], value| words.iter().all(|w| parse_flag(w) == Ok(value));
    assert!(flag(&["true", "YES", "1", "y", "X", "Vip"], true));
    assert!(flag(&["", "false", "No", "0", "n"], false));
    assert!(parse_flag("2").is_err());
    assert!(is_web_url("HTTPS://crm.example.com/x") && is_web_url("http://a"));
    let bad = "javascript:alert(1) https:// http:///x crm.example.com https://a\tb";
    assert!(bad.split(' ').all(|url| !is_web_url(url)));
}

#[test]
fn missing_header_columns_and_read_errors_are_fatal() {
    let err = run("Full Name,Mobile\nLisa,555\n").map(|_| ()).unwrap_err();
    let wanted = "no `name` and no `phone` column (found: `Full Name`, `Mobile`)";
    assert!(err.to_string().contains(wanted), "{err}");
    assert!(matches!(run("\n\n"), Err(ImportError::NoHeader)));
    assert!(matches!(run(""), Err(ImportError::NoHeader)));
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::PermissionDenied, "nope"))
        }
    }
    let broken = parse(Broken, &mut |_| {});
    assert!(matches!(broken, Err(ImportError::Io(_))));
}

#[test]
fn progress_counts_bytes_every_thousand_rows_and_at_the_end() -> Result<(), ImportError> {
    let rows = (0..2500).map(|i| format!("Caller {i},555-{i:04}\n"));
    let text = format!("name,phone\n{}", rows.collect::<String>());
    let mut seen = Vec::new();
    let parsed = parse(text.as_bytes(), &mut |n| seen.push(n))?;
    assert_eq!((parsed.contacts.len(), seen.len()), (2500, 3));
    assert!(seen[0] < seen[1] && seen[1] < seen[2] && seen[2] == text.len() as u64);
    Ok(())
}

/// Customers whose values survive the importers' trimming (shared with the vCard tests).
pub(in crate::directory::import) fn customers() -> impl Strategy<Value = Vec<Customer>> {
    let line = r#"[A-Za-z0-9é,;:"'\\]([A-Za-z0-9é ,;:"'\\]{0,12}[A-Za-z0-9é,;:"'\\])?"#;
    let text = r#"[A-Za-z0-9é,;:"'\\]([A-Za-z0-9é ,;:"'\\\n]{0,12}[A-Za-z0-9é,;:"'\\])?"#;
    let phones = prop::collection::vec("[0-9+]([0-9 ()./-]{0,10}[0-9])?", 1..4);
    let url = r"https://crm\.example\.com/[a-z;,]{0,6}";
    let customer = (
        ("[a-z0-9-]{0,8}", line, prop::option::of(line)),
        (phones, any::<bool>()),
    )
        .prop_flat_map(move |head| (Just(head), prop::option::of(text), prop::option::of(url)));
    let customer = customer.prop_map(|(((id, name, company), (phones, vip)), note, url)| {
        let directory = String::new();
        #[rustfmt::skip]
            let customer = Customer { id, name, company, phones, vip, note, url, directory };
        customer
    });
    prop::collection::vec(customer, 0..5)
}

/// What importing an exported customer must give back.
pub(in crate::directory::import) fn expected(c: &Customer) -> NewContact {
    let phones = c.phones.iter().enumerate();
    let phones = phones.filter(|&(i, p)| !c.phones[..i].contains(p));
    NewContact {
        id: (!c.id.is_empty()).then(|| c.id.clone()),
        name: c.name.clone(),
        company: c.company.clone(),
        phones: phones.map(|(_, p)| p.clone()).collect(),
        vip: c.vip,
        note: c.note.clone(),
        url: c.url.clone(),
    }
}

/// A CSV row for the line-number test: (good, extra note lines, blank lines before, CRLF).
fn row_shape() -> impl Strategy<Value = (bool, usize, usize, bool)> {
    (any::<bool>(), 0..3usize, 0..3usize, any::<bool>())
}

proptest! {
    #[test]
    fn export_round_trips(customers in customers()) {
        let mut out = Vec::new();
        write(&mut out, &customers).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let parsed = run(&out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        prop_assert_eq!(parsed.contacts, customers.iter().map(expected).collect::<Vec<_>>());
    }

    #[test]
    fn problem_lines_match_the_file(rows in prop::collection::vec(row_shape(), 1..9)) {
        let (mut text, mut line, mut want) = (String::from("name,phone,note\n"), 2, Vec::new());
        for (good, note_lines, blanks, crlf) in rows {
            let eol = if crlf { "\r\n" } else { "\n" };
            text.push_str(&eol.repeat(blanks));
            line += blanks as u64;
            if !good {
                want.push(line);
            }
            let note = vec!["x"; note_lines + 1].join(eol);
            text.push_str(&format!("{},555,\"{note}\"{eol}", if good { "A" } else { "" }));
            line += note_lines as u64 + 1;
        }
        let parsed = run(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.problems.iter().map(|p| p.line).collect::<Vec<_>>(), want);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = run(&bytes);
    }

    #[test]
    fn arbitrary_csvish_text_never_panics(body in "[a-z,;\"\r\n \u{feff}é0-9]{0,300}") {
        let parsed = run(format!("name,phone,vip,url,note\n{body}"));
        prop_assert!(parsed.is_ok_and(|p| p.problems.iter().all(|p| p.line >= 2)));
    }
}
