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
pub(super) mod tests;
