//! vCard contacts (`.vcf`, versions 2.1, 3.0 and 4.0): reading address-book exports into
//! [`NewContact`]s, and writing the directory back out as vCard 4.0.
//!
//! This module owns a small line-based vCard reader: it unfolds continuation lines (a line
//! starting with a space or tab) byte-wise, tracks physical line numbers, splits
//! `group.NAME;PARAMS:value` case-insensitively and unescapes text values. The `ical` crate
//! is deliberately not used: its reader trims the space at a fold, stops silently at the first
//! line that is not UTF-8, loses the card after one without `END:VCARD`, keeps property names
//! as written (so `tel` is not `TEL`), does not unescape and gives no card line numbers.
//! A card without a name or phone number becomes a [`RowProblem`] at its `BEGIN:VCARD` line.

use std::io::{self, Read, Write};

use super::csv::{is_web_url, parse_flag, preview, PROGRESS_EVERY};
use super::{ImportError, Parsed, RowProblem};
use crate::directory::customer::{Customer, NewContact};

/// Reads every vCard in `reader` (the whole file is read into memory first; address books
/// are small). `progress` receives the bytes parsed so far every ~1000 cards and at the end.
/// Only an I/O error is fatal; text outside cards is reported once per stretch and skipped.
pub fn parse<R: Read>(mut reader: R, progress: &mut dyn FnMut(u64)) -> Result<Parsed, ImportError> {
    let mut data = Vec::new();
    reader.read_to_end(&mut data)?;
    let body = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&data);
    let mut done = (data.len() - body.len()) as u64;
    let mut physical = body.split_inclusive(|&b| b == b'\n').zip(1u64..).peekable();
    let is_folded = |(line, _): &(&[u8], u64)| matches!(line.first(), Some(b' ' | b'\t'));
    let (mut parsed, mut card, mut in_junk, mut cards) = (Parsed::default(), None, false, 0u64);
    while let Some((first, number)) = physical.next() {
        done += first.len() as u64;
        let mut bytes = without_eol(first).to_vec();
        while let Some((more, _)) = physical.next_if(is_folded) {
            done += more.len() as u64;
            bytes.extend_from_slice(without_eol(more).get(1..).unwrap_or_default());
        }
        let property = std::str::from_utf8(&bytes).ok().and_then(Property::split);
        let Some(card_now) = card.as_mut() else {
            match property {
                Some(p) if p.name == "BEGIN" && p.value.trim().eq_ignore_ascii_case("VCARD") => {
                    card = Some(Card::new(number));
                    in_junk = false;
                }
                _ if bytes.trim_ascii().is_empty() || in_junk => {}
                _ => {
                    in_junk = true;
                    parsed.problems.push(RowProblem {
                        line: number,
                        reason: "text outside any BEGIN:VCARD … END:VCARD".into(),
                        skipped: true,
                    });
                }
            }
            continue;
        };
        let Some(p) = property else {
            if std::str::from_utf8(&bytes).is_err() {
                card_now.not_utf8.get_or_insert(number);
            }
            continue;
        };
        let is_vcard = p.value.trim().eq_ignore_ascii_case("VCARD");
        match p.name.as_str() {
            "END" if is_vcard => {
                if let Some(finished) = card.take() {
                    finished.finish(&mut parsed);
                }
                cards += 1;
                if cards % PROGRESS_EVERY == 0 {
                    progress(done);
                }
            }
            "BEGIN" if is_vcard => {
                let unfinished = std::mem::replace(card_now, Card::new(number));
                parsed
                    .problems
                    .push(unfinished.problem("the card has no END:VCARD"));
            }
            _ => card_now.add(&p),
        }
    }
    if let Some(unfinished) = card {
        let reason = "the file ends inside this card (no END:VCARD)";
        parsed.problems.push(unfinished.problem(reason));
    }
    progress(done);
    Ok(parsed)
}

/// Writes `contacts` as vCard 4.0 (CRLF lines, folded at 75 bytes), readable by [`parse`].
pub fn write<W: Write>(mut w: W, contacts: &[Customer]) -> io::Result<()> {
    for c in contacts {
        let (given, family) = match c.name.trim().rsplit_once(char::is_whitespace) {
            Some((given, family)) => (given.trim(), family),
            None => (c.name.trim(), ""),
        };
        let mut lines = vec!["BEGIN:VCARD".into(), "VERSION:4.0".into()];
        if !c.id.is_empty() {
            lines.push(format!("UID:{}", escape(&c.id)));
        }
        lines.push(format!("FN:{}", escape(&c.name)));
        lines.push(format!("N:{};{};;;", escape(family), escape(given)));
        for phone in &c.phones {
            // A tel: URI cannot hold spaces and the like; such numbers stay text (4.0 allows it).
            let uri_safe = |b: u8| b.is_ascii_alphanumeric() || b"+-.()*#".contains(&b);
            lines.push(if phone.bytes().all(uri_safe) && !phone.is_empty() {
                format!("TEL;VALUE=uri:tel:{phone}")
            } else {
                format!("TEL:{}", escape(phone))
            });
        }
        if let Some(company) = &c.company {
            lines.push(format!("ORG:{}", escape(company)));
        }
        if let Some(note) = &c.note {
            lines.push(format!("NOTE:{}", escape(note)));
        }
        if let Some(url) = &c.url {
            // A URI value: only backslashes and line breaks need escaping.
            let url = escape_line_breaks(&url.replace('\\', "\\\\"));
            lines.push(format!("URL:{url}"));
        }
        if c.vip {
            lines.push("CATEGORIES:VIP".to_string());
        }
        lines.push("END:VCARD".to_string());
        for line in &lines {
            write_folded(&mut w, line)?;
        }
    }
    w.flush()
}

/// One unfolded content line, split up. `name` is upper-cased and without its group.
struct Property<'a> {
    name: String,
    value: &'a str,
}

impl<'a> Property<'a> {
    /// Splits `[group.]NAME[;PARAM=…]:value`; `None` for a line without a name or colon.
    fn split(line: &'a str) -> Option<Self> {
        let mut in_quotes = false;
        let colon = line.char_indices().find_map(|(i, c)| match c {
            '"' => {
                in_quotes = !in_quotes;
                None
            }
            ':' if !in_quotes => Some(i),
            _ => None,
        })?;
        let head = &line[..colon];
        let name = head.split(';').next().unwrap_or(head);
        let name = name.rsplit('.').next().unwrap_or(name).trim();
        (!name.is_empty()).then(|| Property {
            name: name.to_ascii_uppercase(),
            value: &line[colon + 1..],
        })
    }
}

/// What one card has said so far.
#[derive(Default)]
struct Card {
    begin: u64,
    full_name: Option<String>,
    structured_name: Option<String>,
    contact: NewContact,
    notes: Vec<String>,
    urls: Vec<String>,
    /// Optional fields dropped (the card is still imported).
    warnings: Vec<String>,
    /// First line inside the card that is not UTF-8.
    not_utf8: Option<u64>,
}

impl Card {
    fn new(begin: u64) -> Self {
        Self {
            begin,
            ..Self::default()
        }
    }

    fn add(&mut self, p: &Property) {
        let text = || unescape(p.value).trim().to_string();
        let c = &mut self.contact;
        match p.name.as_str() {
            "FN" if self.full_name.is_none() => {
                self.full_name = Some(text()).filter(|n| !n.is_empty())
            }
            "N" => {
                let parts = split_unescaped(p.value, ';');
                let part = |i: usize| parts.get(i).map_or("", |s| s.trim()).replace(',', " ");
                let name = format!("{} {}", part(1), part(0)).trim().to_string();
                self.structured_name = Some(name).filter(|n| !n.is_empty());
            }
            "TEL" => {
                let value = p.value.trim();
                let phone = match value.get(..4).filter(|s| s.eq_ignore_ascii_case("tel:")) {
                    Some(_) => value[4..].replace("%20", " "),
                    None => unescape(value),
                };
                let phone = phone.trim();
                if !phone.is_empty() && !c.phones.iter().any(|p| p == phone) {
                    c.phones.push(phone.to_string());
                }
            }
            "ORG" if c.company.is_none() => {
                let parts = split_unescaped(p.value, ';');
                let first = parts.first().map_or("", |o| o.trim());
                c.company = Some(first.to_string()).filter(|o| !o.is_empty());
            }
            "NOTE" => self.notes.push(text()),
            "UID" if c.id.is_none() => c.id = Some(text()).filter(|u| !u.is_empty()),
            "URL" => self.urls.push(text()),
            "CATEGORIES" => {
                let mut categories = split_unescaped(p.value, ',').into_iter();
                c.vip |= categories.any(|k| k.trim().eq_ignore_ascii_case("vip"));
            }
            "X-SCREENPOP-VIP" => match parse_flag(p.value) {
                Ok(vip) => c.vip |= vip,
                Err(reason) => self.warnings.push(format!(
                    "field `X-SCREENPOP-VIP`: {reason}; read as not VIP, contact kept"
                )),
            },
            _ => {}
        }
    }

    fn problem(&self, reason: &str) -> RowProblem {
        RowProblem {
            line: self.begin,
            reason: reason.to_string(),
            skipped: true,
        }
    }

    /// Files the card as a contact or as a problem (or both, for a bad URL).
    fn finish(mut self, parsed: &mut Parsed) {
        let mut reasons = Vec::new();
        if let Some(line) = self.not_utf8 {
            reasons.push(format!(
                "line {line} is not UTF-8 text (save the file as UTF-8)"
            ));
        }
        match self.full_name.take().or(self.structured_name.take()) {
            Some(name) => self.contact.name = name,
            None => reasons.push("the card has no name (FN or N)".to_string()),
        }
        if self.contact.phones.is_empty() {
            reasons.push("the card has no phone number (TEL)".to_string());
        }
        if !reasons.is_empty() {
            parsed.problems.push(self.problem(&reasons.join("; ")));
            return;
        }
        let notes: Vec<String> = self.notes.drain(..).filter(|n| !n.is_empty()).collect();
        self.contact.note = Some(notes.join("\n")).filter(|n| !n.is_empty());
        let urls: Vec<&String> = self.urls.iter().filter(|u| !u.is_empty()).collect();
        self.contact.url = urls.iter().find(|u| is_web_url(u)).map(|u| u.to_string());
        if let (None, Some(bad)) = (&self.contact.url, urls.first()) {
            let bad = preview(bad);
            self.warnings.push(format!(
                "field `URL`: imported without its URL: `{bad}` is not an http(s) link"
            ));
        }
        let dropped = super::drop_bad_fields(&mut self.contact);
        for reason in self.warnings.iter().chain(&dropped) {
            parsed.problems.push(RowProblem {
                skipped: false,
                ..self.problem(reason)
            });
        }
        parsed.contacts.push(self.contact);
    }
}

/// A physical line without its `\n` or `\r\n`.
fn without_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Resolves `\n`/`\N` to a line break and `\x` to `x` (covers `\,` `\;` `\\` `\:`).
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        let escaped = if c == '\\' { chars.next() } else { None };
        out.push(match escaped {
            Some('n' | 'N') => '\n',
            Some(other) => other,
            None => c,
        });
    }
    out
}

/// Splits a structured value on unescaped `sep`, unescaping each part.
fn split_unescaped(value: &str, sep: char) -> Vec<String> {
    let (mut parts, mut current, mut escaped) = (Vec::new(), String::new(), false);
    for c in value.chars() {
        if c == sep && !escaped {
            parts.push(unescape(&std::mem::take(&mut current)));
        } else {
            current.push(c);
        }
        escaped = c == '\\' && !escaped;
    }
    parts.push(unescape(&current));
    parts
}

/// Escapes a text value: `\` `,` `;` and line breaks.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', r"\\").replace(',', r"\,");
    escape_line_breaks(&escaped.replace(';', r"\;"))
}

fn escape_line_breaks(text: &str) -> String {
    text.replace("\r\n", "\\n").replace(['\r', '\n'], "\\n")
}

/// Writes one content line with CRLF, folded so no physical line exceeds 75 bytes and no
/// UTF-8 character is split.
fn write_folded<W: Write>(w: &mut W, line: &str) -> io::Result<()> {
    let mut rest = line;
    let mut limit = 75;
    loop {
        let mut cut = rest.len().min(limit);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        w.write_all(&rest.as_bytes()[..cut])?;
        w.write_all(b"\r\n")?;
        rest = &rest[cut..];
        if rest.is_empty() {
            return Ok(());
        }
        w.write_all(b" ")?;
        limit = 74;
    }
}

#[cfg(test)]
mod tests;
