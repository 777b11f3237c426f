//! Phone-number parsing and normalisation, and the keys numbers are matched on.
//!
//! Everything a source reports as "the remote party" passes through [`PhoneRules::normalise`]:
//! SIP/`tel:` URIs are unwrapped, withheld callers recognised, and real numbers parsed with the
//! `phonenumber` crate (libphonenumber's metadata) in the configured default region. Two keys
//! come out: the E.164 form (exact match) and the last N digits (the fallback for stored
//! numbers in odd formats: `0049…` vs `+49…` vs a trunk `0` kept after the country code).
//! This module owns no I/O and never panics on input.

use phonenumber::{country, Mode, PhoneNumber};
use serde::Serialize;
use std::str::FromStr;

/// Default number of trailing digits used by the fallback match.
pub const DEFAULT_TAIL_DIGITS: usize = 8;

/// Numbers with at most this many digits and no `+` are internal extensions, not E.164.
const MAX_EXTENSION_DIGITS: usize = 6;

/// How to read numbers: the region assumed for national numbers and the fallback tail length.
#[derive(Debug, Clone)]
pub struct PhoneRules {
    region: country::Id,
    /// The region's calling code (1 for US): numbers with it are shown in national format.
    home_code: u16,
    tail_digits: usize,
}

/// What a raw remote-party string turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Remote {
    /// Caller withheld the number (empty, `anonymous`, `<unknown>` …).
    Withheld,
    /// A number we can match on.
    Number(Normalised),
    /// Something that is not a number (`sip:bob@host`, garbage); shown verbatim, never matched.
    Unparseable { text: String },
}

/// A parsed number and its match keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Normalised {
    /// E.164 (`+4930123456`) when the number parsed; `None` for internal extensions.
    pub e164: Option<String>,
    /// All digits of the number, international form when known (`4930123456`).
    pub digits: String,
    /// The fallback key: the last N digits (fewer if the number is shorter).
    pub tail: String,
    /// The national significant number (`30123456`) when the number parsed.
    pub national: Option<String>,
    /// An extension dialled after the number (`;ext=12`, `x12`), if any.
    pub extension: Option<String>,
    /// How to show it: national format for the home region, international otherwise.
    pub display: String,
}

impl Remote {
    /// The text to show for this remote party.
    pub fn display(&self) -> String {
        match self {
            Remote::Withheld => "Withheld number".to_string(),
            Remote::Number(n) => n.display.clone(),
            Remote::Unparseable { text } => text.clone(),
        }
    }

    /// The normalised number, if there is one to match on.
    pub fn number(&self) -> Option<&Normalised> {
        match self {
            Remote::Number(n) => Some(n),
            _ => None,
        }
    }
}

/// A configured default region is not an ISO 3166 code libphonenumber knows.
#[derive(Debug, thiserror::Error)]
#[error("unknown region {0:?}: expected an ISO 3166-1 alpha-2 code such as \"US\" or \"DE\"")]
pub struct UnknownRegion(pub String);

impl PhoneRules {
    /// Rules for a default region (ISO code, e.g. `"US"`) and a fallback tail length.
    pub fn new(region: &str, tail_digits: usize) -> Result<Self, UnknownRegion> {
        let region = country::Id::from_str(&region.trim().to_ascii_uppercase())
            .map_err(|_| UnknownRegion(region.to_string()))?;
        let home_code = phonenumber::metadata::DATABASE
            .by_id(region.as_ref())
            .map(|m| m.country_code())
            .ok_or_else(|| UnknownRegion(region.as_ref().to_string()))?;
        Ok(Self {
            region,
            home_code,
            tail_digits: tail_digits.max(4),
        })
    }

    /// Reads whatever a source called the remote party.
    pub fn normalise(&self, raw: &str) -> Remote {
        let user = strip_uri(raw.trim());
        if is_withheld(user) {
            return Remote::Withheld;
        }
        let (number_part, extension) = split_extension(user);
        let digits: String = number_part.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() || !looks_like_number(number_part) {
            return Remote::Unparseable {
                text: user.to_string(),
            };
        }
        let plus = number_part.trim_start().starts_with('+');
        if !plus && digits.len() <= MAX_EXTENSION_DIGITS {
            return Remote::Number(Normalised {
                e164: None,
                tail: self.tail(&digits),
                national: None,
                display: digits.clone(),
                digits,
                extension,
            });
        }
        match self.parse(number_part, &digits, plus) {
            Some(parsed) => Remote::Number(self.describe(&parsed, extension)),
            None => Remote::Number(Normalised {
                e164: None,
                tail: self.tail(&digits),
                national: None,
                display: number_part.trim().to_string(),
                digits,
                extension,
            }),
        }
    }

    /// Match keys for a number stored in a directory (same rules as callers).
    pub fn keys(&self, stored: &str) -> Option<Normalised> {
        match self.normalise(stored) {
            Remote::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The configured fallback tail length.
    pub fn tail_digits(&self) -> usize {
        self.tail_digits
    }

    fn tail(&self, digits: &str) -> String {
        let skip = digits.len().saturating_sub(self.tail_digits);
        digits[skip..].to_string()
    }

    /// Tries the readings users actually produce, best first.
    fn parse(&self, text: &str, digits: &str, plus: bool) -> Option<PhoneNumber> {
        let mut candidates: Vec<String> = Vec::with_capacity(3);
        if plus {
            candidates.push(format!("+{digits}"));
        } else if let Some(rest) = digits.strip_prefix("00") {
            // "00" is the international prefix almost everywhere; NANP never starts with 0.
            candidates.push(format!("+{rest}"));
            candidates.push(text.to_string());
        } else {
            candidates.push(text.to_string());
        }
        let mut fallback = None;
        for candidate in candidates {
            let Ok(number) = phonenumber::parse(Some(self.region), &candidate) else {
                continue;
            };
            if phonenumber::is_valid(&number) {
                return Some(number);
            }
            if let Some(fixed) = drop_trunk_zero(&number) {
                return Some(fixed);
            }
            fallback.get_or_insert(number);
        }
        fallback
    }

    fn describe(&self, number: &PhoneNumber, extension: Option<String>) -> Normalised {
        let e164 = number.format().mode(Mode::E164).to_string();
        let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
        let home = number.code().value() == self.home_code;
        let mode = if home {
            Mode::National
        } else {
            Mode::International
        };
        let extension = extension.or_else(|| number.extension().map(|e| e.to_string()));
        let national = number.national().value().to_string();
        // Display without the extension; it is carried separately.
        let display = phonenumber::parse(Some(self.region), &e164)
            .map(|n| n.format().mode(mode).to_string())
            .unwrap_or_else(|_| e164.clone());
        Normalised {
            tail: self.tail(&digits),
            e164: Some(e164),
            digits,
            national: Some(national),
            extension,
            display,
        }
    }
}

/// `+49 0 30 …`: a trunk zero written after the country code makes the number invalid.
fn drop_trunk_zero(number: &PhoneNumber) -> Option<PhoneNumber> {
    let e164 = number.format().mode(Mode::E164).to_string();
    let code = number.code().value().to_string();
    let rest = e164.strip_prefix('+')?.strip_prefix(code.as_str())?;
    let without = rest.strip_prefix('0')?;
    let fixed = phonenumber::parse(None, format!("+{code}{without}")).ok()?;
    phonenumber::is_valid(&fixed).then_some(fixed)
}

/// `sip:+49…@host;user=phone` → `+49…`; `tel:+1-555…;ext=1` → `+1-555…;ext=1`.
fn strip_uri(raw: &str) -> &str {
    let inner = raw
        .strip_prefix('<')
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(raw);
    let lower = inner
        .get(..5)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if lower.starts_with("sip:") || lower.starts_with("sips:") {
        let after = inner.split_once(':').map_or(inner, |(_, rest)| rest);
        let user = after.split('@').next().unwrap_or(after);
        return user.split(';').next().unwrap_or(user);
    }
    if lower.starts_with("tel:") {
        return &inner[4..];
    }
    inner
}

fn is_withheld(user: &str) -> bool {
    let t = user
        .trim()
        .trim_matches(|c| c == '<' || c == '>' || c == '"');
    t.is_empty()
        || [
            "anonymous",
            "unknown",
            "withheld",
            "private",
            "restricted",
            "unavailable",
            "blocked",
        ]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
}

/// Separates `x12`, `ext. 12`, `;ext=12` and `#12` from the number.
fn split_extension(user: &str) -> (&str, Option<String>) {
    let lower = user.to_ascii_lowercase();
    for marker in [";ext=", " ext.", " ext", "ext.", "ext", " x", "x", "#"] {
        if let Some(at) = lower.find(marker) {
            let ext: String = user[at + marker.len()..]
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if !ext.is_empty() && at > 0 {
                return (&user[..at], Some(ext));
            }
        }
    }
    (user, None)
}

/// A number is digits plus the usual punctuation; letters mean it is something else.
fn looks_like_number(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_digit() || " +-().\u{a0}/".contains(c))
}

#[cfg(test)]
mod tests;
