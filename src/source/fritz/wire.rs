//! The Fritz!Box call monitor's line format (tcp/1012), and nothing else.
//!
//! One event per line, fields separated by `;`, a trailing `;`, local time without zone:
//! ```text
//! 28.11.24 15:17:43;RING;0;0301234567;4930555100;SIP0;         caller → own number
//! 28.11.24 15:17:50;CALL;1;10;4930555100;0891234567;SIP1;      extension, own number → callee
//! 28.11.24 15:17:52;CONNECT;0;10;0301234567;                   extension, remote number
//! 28.11.24 15:18:40;DISCONNECT;0;48;                           seconds connected
//! ```
//! An anonymous caller is an empty field. Pure (std + chrono types), so it can be fuzzed: a
//! [`LineReader`] never panics and never holds more than [`MAX_LINE`] bytes of one line.

use chrono::NaiveDateTime;
use std::fmt;

/// Longest line we accept; real lines are under 100 bytes.
pub const MAX_LINE: usize = 1024;

/// One call monitor event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// An incoming call rings.
    Ring {
        at: NaiveDateTime,
        id: String,
        caller: String,
        callee: String,
        port: String,
    },
    /// The agent's side dials out.
    Call {
        at: NaiveDateTime,
        id: String,
        extension: String,
        own: String,
        callee: String,
        port: String,
    },
    /// The call was picked up.
    Connect {
        at: NaiveDateTime,
        id: String,
        extension: String,
        remote: String,
    },
    /// The call is over.
    Disconnect {
        at: NaiveDateTime,
        id: String,
        seconds: u64,
    },
}

impl Line {
    /// The connection id (the router reuses them: 0, 1, 2 …).
    pub fn id(&self) -> &str {
        match self {
            Line::Ring { id, .. }
            | Line::Call { id, .. }
            | Line::Connect { id, .. }
            | Line::Disconnect { id, .. } => id,
        }
    }

    /// When the router says it happened (its local time).
    pub fn at(&self) -> NaiveDateTime {
        match self {
            Line::Ring { at, .. }
            | Line::Call { at, .. }
            | Line::Connect { at, .. }
            | Line::Disconnect { at, .. } => *at,
        }
    }
}

/// Why a line was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// Not `date;KIND;…` at all.
    Shape(String),
    /// The date is not `dd.mm.yy hh:mm:ss`.
    Date(String),
    /// A kind we do not know.
    Kind(String),
    /// Too few fields for its kind.
    Fields { kind: &'static str, got: usize },
    /// Longer than [`MAX_LINE`].
    TooLong,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::Shape(l) => write!(f, "not a call monitor line: {l:?}"),
            LineError::Date(d) => write!(f, "bad date {d:?} (expected dd.mm.yy hh:mm:ss)"),
            LineError::Kind(k) => write!(f, "unknown event {k:?}"),
            LineError::Fields { kind, got } => write!(f, "{kind} with only {got} fields"),
            LineError::TooLong => write!(f, "line longer than {MAX_LINE} bytes"),
        }
    }
}

impl std::error::Error for LineError {}

/// Parses one line (without its line ending).
pub fn parse_line(line: &str) -> Result<Line, LineError> {
    let line = line.trim();
    let fields: Vec<&str> = line.strip_suffix(';').unwrap_or(line).split(';').collect();
    if fields.len() < 3 {
        return Err(LineError::Shape(line.chars().take(60).collect()));
    }
    let at = NaiveDateTime::parse_from_str(fields[0].trim(), "%d.%m.%y %H:%M:%S")
        .map_err(|_| LineError::Date(fields[0].chars().take(30).collect()))?;
    let id = fields[2].trim().to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(LineError::Shape(line.chars().take(60).collect()));
    }
    let need = |kind: &'static str, n: usize| {
        if fields.len() < n {
            Err(LineError::Fields {
                kind,
                got: fields.len(),
            })
        } else {
            Ok(())
        }
    };
    let f = |i: usize| {
        fields
            .get(i)
            .map_or(String::new(), |s| s.trim().to_string())
    };
    match fields[1].trim() {
        "RING" => {
            need("RING", 5)?;
            Ok(Line::Ring {
                at,
                id,
                caller: f(3),
                callee: f(4),
                port: f(5),
            })
        }
        "CALL" => {
            need("CALL", 6)?;
            Ok(Line::Call {
                at,
                id,
                extension: f(3),
                own: f(4),
                callee: f(5),
                port: f(6),
            })
        }
        "CONNECT" => {
            need("CONNECT", 5)?;
            Ok(Line::Connect {
                at,
                id,
                extension: f(3),
                remote: f(4),
            })
        }
        "DISCONNECT" => {
            need("DISCONNECT", 4)?;
            Ok(Line::Disconnect {
                at,
                id,
                seconds: f(3).parse().unwrap_or(0),
            })
        }
        other => Err(LineError::Kind(other.chars().take(20).collect())),
    }
}

/// Splits a byte stream into parsed lines; an over-long line is reported once and dropped.
#[derive(Debug, Default)]
pub struct LineReader {
    buf: Vec<u8>,
    /// Dropping the rest of an over-long line.
    skipping: bool,
}

impl LineReader {
    /// An empty reader.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes and returns every complete line's parse, in order (blank lines skipped).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Result<Line, LineError>> {
        let mut out = Vec::new();
        for chunk in bytes.split_inclusive(|&b| b == b'\n') {
            let ends = chunk.last() == Some(&b'\n');
            if self.skipping {
                self.skipping = !ends;
                continue;
            }
            self.buf.extend_from_slice(chunk);
            if self.buf.len() > MAX_LINE {
                self.buf.clear();
                self.skipping = !ends;
                out.push(Err(LineError::TooLong));
                continue;
            }
            if ends {
                let text = String::from_utf8_lossy(&self.buf).into_owned();
                self.buf.clear();
                if !text.trim().is_empty() {
                    out.push(parse_line(&text));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
