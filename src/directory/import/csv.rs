//! CSV contacts: reading a spreadsheet export into [`NewContact`]s, and writing the directory
//! back out in the same shape.
//!
//! This module owns the CSV column vocabulary (`name`, `phone`/`phones`/`number`/`tel`,
//! `company`, `vip`, `note`, `id`, `url`, matched case-insensitively), the `vip` flag words
//! and the "is this an http(s) profile link" check that the vCard importer shares. A header
//! without a name or phone column is fatal; every other defect is a [`RowProblem`] carrying the
//! file line the row starts on, and the import goes on with the next row.

use std::io::{self, Read, Write};

use super::{ImportError, Parsed, RowProblem};
use crate::directory::customer::{Customer, NewContact};

/// Header names accepted for the phone column (after trimming and lower-casing).
const PHONE_COLUMNS: &[&str] = &["phone", "phones", "number", "tel"];
/// The header [`write`] emits.
const EXPORT_HEADER: [&str; 7] = ["id", "name", "company", "phone", "vip", "note", "url"];
/// How many rows (or vCards) pass between two progress reports.
pub(super) const PROGRESS_EVERY: u64 = 1000;
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads contacts from CSV. See the module docs for the accepted columns.
///
/// The file is read into memory first (contact lists are small, and the true start line of a
/// row is computed from the bytes: the `csv` crate's `Position::line()` points at the end of
/// the previous record, before any `\n` of a CRLF and before skipped blank lines).
/// `progress` receives the number of bytes parsed so far, every ~1000 rows and at the end.
pub fn parse<R: Read>(mut reader: R, progress: &mut dyn FnMut(u64)) -> Result<Parsed, ImportError> {
    let mut data = Vec::new();
    reader.read_to_end(&mut data)?;
    let body = data.strip_prefix(BOM).unwrap_or(&data);
    let bom_len = (data.len() - body.len()) as u64;
    let mut csv = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut record = ::csv::ByteRecord::new();

    let header = loop {
        if !read_record(&mut csv, &mut record)? {
            return Err(ImportError::NoHeader);
        }
        if !is_blank(&record) {
            break record
                .iter()
                .map(|cell| String::from_utf8_lossy(cell).trim().to_string())
                .collect::<Vec<_>>();
        }
    };
    let columns = Columns::find(header)?;

    let mut parsed = Parsed::default();
    let mut rows = 0u64;
    while read_record(&mut csv, &mut record)? {
        if is_blank(&record) {
            continue;
        }
        rows += 1;
        let line = || start_line(body, record.position());
        match columns.contact(&record) {
            Ok((contact, warnings)) => {
                parsed.contacts.push(contact);
                for reason in warnings {
                    parsed.problems.push(RowProblem {
                        line: line(),
                        reason,
                        skipped: false,
                    });
                }
            }
            Err(reasons) => parsed.problems.push(RowProblem {
                line: line(),
                reason: reasons.join("; "),
                skipped: true,
            }),
        }
        if rows % PROGRESS_EVERY == 0 {
            progress(bom_len + csv.position().byte());
        }
    }
    progress(data.len() as u64);
    Ok(parsed)
}

/// Writes contacts as CSV with the header `id,name,company,phone,vip,note,url`: phones joined
/// by `;`, `vip` as `true`/`false`. [`parse`] reads the result back to the same contacts.
pub fn write<W: Write>(w: W, contacts: &[Customer]) -> Result<(), ImportError> {
    let mut csv = ::csv::Writer::from_writer(w);
    csv.write_record(EXPORT_HEADER).map_err(fatal)?;
    for c in contacts {
        let phones = c.phones.join(";");
        csv.write_record([
            c.id.as_str(),
            c.name.as_str(),
            c.company.as_deref().unwrap_or(""),
            phones.as_str(),
            if c.vip { "true" } else { "false" },
            c.note.as_deref().unwrap_or(""),
            c.url.as_deref().unwrap_or(""),
        ])
        .map_err(fatal)?;
    }
    csv.flush()?;
    Ok(())
}

/// Reads a `vip`-style flag: empty, `false`/`no`/`0`/`n` are false; `true`/`yes`/`1`/`y`/`x`/
/// `vip` are true (any case). Anything else is an error message for a [`RowProblem`].
pub(super) fn parse_flag(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "0" | "n" => Ok(false),
        "true" | "yes" | "1" | "y" | "x" | "vip" => Ok(true),
        _ => Err(format!(
            "vip is `{}`; use true/yes/1/y/x/vip, or false/no/0/n, or leave it empty",
            preview(value)
        )),
    }
}

/// Whether `url` is an absolute http(s) link with a host and no spaces or control
/// characters: the only kind a screen pop may open.
pub(super) fn is_web_url(url: &str) -> bool {
    let rest = ["https://", "http://"].iter().find_map(|scheme| {
        let matches = url.get(..scheme.len())?.eq_ignore_ascii_case(scheme);
        matches.then(|| &url[scheme.len()..])
    });
    rest.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The start of a user value for an error message, so one huge cell cannot flood the report.
pub(super) fn preview(value: &str) -> String {
    match value.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}

/// Optional columns, in the order [`Columns::optional`] holds them.
const OPTIONAL: [&str; 5] = ["company", "vip", "note", "id", "url"];

/// Where each field sits in a row.
struct Columns {
    header: Vec<String>,
    name: usize,
    /// Every phone-like column, in header order; their numbers are merged.
    phones: Vec<usize>,
    optional: [Option<usize>; 5],
}

impl Columns {
    fn find(header: Vec<String>) -> Result<Self, ImportError> {
        let keys: Vec<String> = header.iter().map(|h| h.to_lowercase()).collect();
        let position = |name: &str| keys.iter().position(|k| k == name);
        let phones: Vec<usize> = (0..keys.len())
            .filter(|&i| PHONE_COLUMNS.contains(&keys[i].as_str()))
            .collect();
        match (position("name"), phones.is_empty()) {
            (Some(name), false) => Ok(Self {
                name,
                phones,
                optional: OPTIONAL.map(position),
                header,
            }),
            (name, no_phone) => Err(ImportError::MissingColumns {
                missing: [("name", name.is_none()), ("phone", no_phone)]
                    .iter()
                    .filter(|&&(_, missing)| missing)
                    .map(|&(column, _)| column.to_string())
                    .collect(),
                found: header.into_iter().filter(|h| !h.is_empty()).collect(),
            }),
        }
    }

    /// The contact in `record` with a warning per optional field it had to drop, or every
    /// reason it cannot be imported (no usable name or phone).
    fn contact(
        &self,
        record: &::csv::ByteRecord,
    ) -> Result<(NewContact, Vec<String>), Vec<String>> {
        let mut reasons = Vec::new();
        let mut warnings = Vec::new();
        // A missing cell (short row) reads as empty; a cell that is not UTF-8 cannot be read.
        let text = |i: usize| {
            std::str::from_utf8(record.get(i).unwrap_or_default()).map(|t| t.trim().to_string())
        };
        let not_utf8 = |i: usize| {
            format!(
                "the `{}` cell is not UTF-8 text (save as UTF-8)",
                self.header[i]
            )
        };
        let mut needed = |i: usize| {
            text(i).unwrap_or_else(|_| {
                reasons.push(not_utf8(i));
                String::new()
            })
        };
        let name = needed(self.name);
        let phone_cells: Vec<String> = self.phones.iter().map(|&i| needed(i)).collect();
        let [company, vip, note, id, url] = self.optional.map(|column| {
            column
                .map(|i| {
                    text(i).unwrap_or_else(|_| {
                        warnings.push(format!(
                            "field `{}`: {}; dropped, contact kept",
                            self.header[i],
                            not_utf8(i)
                        ));
                        String::new()
                    })
                })
                .unwrap_or_default()
        });
        let mut phones: Vec<String> = Vec::new();
        for phone in phone_cells.iter().flat_map(|c| c.split(';')).map(str::trim) {
            if !phone.is_empty() && !phones.iter().any(|p| p == phone) {
                phones.push(phone.to_string());
            }
        }

        let unbalanced = "runs over several lines (is a `\"` unbalanced?)";
        if name.is_empty() && reasons.is_empty() {
            reasons.push("the name is empty".to_string());
        } else if name.contains('\n') {
            reasons.push(format!("the name {unbalanced}"));
        }
        if phones.is_empty() && reasons.is_empty() {
            reasons.push("there is no phone number".to_string());
        } else if phones.iter().any(|p| p.contains('\n')) {
            reasons.push(format!("a phone number {unbalanced}"));
        }
        if !reasons.is_empty() {
            return Err(reasons);
        }
        let vip = parse_flag(&vip).unwrap_or_else(|reason| {
            warnings.push(format!(
                "field `vip`: {reason}; read as not VIP, contact kept"
            ));
            false
        });
        let some = |s: String| (!s.is_empty()).then_some(s);
        let mut contact = NewContact {
            id: some(id),
            name,
            company: some(company),
            phones,
            vip,
            note: some(note),
            url: some(url),
        };
        warnings.extend(super::drop_bad_fields(&mut contact));
        Ok((contact, warnings))
    }
}

fn is_blank(record: &::csv::ByteRecord) -> bool {
    record.iter().all(|cell| cell.trim_ascii().is_empty())
}

/// Reads the next record; `false` at the end. Only I/O can fail for flexible byte records.
fn read_record(
    csv: &mut ::csv::Reader<&[u8]>,
    record: &mut ::csv::ByteRecord,
) -> Result<bool, ImportError> {
    csv.read_byte_record(record).map_err(fatal)
}

fn fatal(err: ::csv::Error) -> ImportError {
    let kind = match err.into_kind() {
        ::csv::ErrorKind::Io(io) => return ImportError::Io(io),
        other => format!("{other:?}"),
    };
    ImportError::Io(io::Error::new(io::ErrorKind::InvalidData, kind))
}

/// The 1-based line a record really starts on: its recorded position plus the line breaks
/// (a CRLF's `\n`, blank lines) the reader skipped before the first cell.
fn start_line(body: &[u8], position: Option<&::csv::Position>) -> u64 {
    let Some(position) = position else {
        return 0;
    };
    let from = usize::try_from(position.byte()).unwrap_or(usize::MAX);
    let skipped = body.get(from..).unwrap_or_default();
    let breaks = skipped.iter().take_while(|b| matches!(b, b'\r' | b'\n'));
    position.line() + breaks.filter(|&&b| b == b'\n').count() as u64
}

#[cfg(test)]
pub(super) mod tests {
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
        let parsed = run(include_str!("../../../fixtures/demo-contacts.csv"))?;
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
}
