//! The Asterisk Manager Interface wire format, and nothing else: bytes in, [`Frame`]s out;
//! actions out as bytes.
//!
//! AMI is line based: the server greets with one banner line (`Asterisk Call Manager/5.0.1`),
//! then every message is a block of `Key: Value` lines ended by an empty line (`\r\n\r\n`;
//! bare `\n` is accepted too). Responses carry `Response:`, events `Event:`. This module is
//! pure (std only, no I/O, no allocation beyond the message) so it can be fuzzed on its own:
//! whatever bytes arrive, [`Decoder`] never panics, never grows past [`MAX_BLOCK`] per
//! message, and resynchronises at the next empty line after a bad block.

use std::fmt;

/// Largest block we accept; a longer one is reported as garbage and skipped.
pub const MAX_BLOCK: usize = 64 * 1024;

/// One AMI message: its fields in wire order (keys compared case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    fields: Vec<(String, String)>,
}

impl Message {
    /// A message from `(key, value)` pairs.
    pub fn new(fields: Vec<(String, String)>) -> Self {
        Self { fields }
    }

    /// The first value of `key` (case-insensitive), as sent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The event name, for event messages.
    pub fn event(&self) -> Option<&str> {
        self.get("Event")
    }

    /// `Success`, `Error`, `Follows`, `Goodbye` … for action responses.
    pub fn response(&self) -> Option<&str> {
        self.get("Response")
    }

    /// The ActionID echoed from the action this answers (also on list events).
    pub fn action_id(&self) -> Option<&str> {
        self.get("ActionID")
    }

    /// All fields in wire order.
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }
}

/// What the decoder found next in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The greeting line (`Asterisk Call Manager/5.0.1`).
    Banner(String),
    /// A well-formed block.
    Message(Message),
    /// A block that is not `Key: Value` lines; skipped, reading goes on.
    Garbage(WireError),
}

/// Why a block was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// A line without a colon (quoted, shortened).
    NotKeyValue(String),
    /// A line whose key is empty.
    EmptyKey,
    /// The block grew past [`MAX_BLOCK`] without an empty line.
    TooLong,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::NotKeyValue(line) => write!(f, "line is not `Key: Value`: {line:?}"),
            WireError::EmptyKey => f.write_str("line has an empty key"),
            WireError::TooLong => write!(f, "block longer than {MAX_BLOCK} bytes"),
        }
    }
}

impl std::error::Error for WireError {}

/// Incremental AMI decoder: feed bytes as they arrive, take frames out.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Start of the current block in `buf`.
    head: usize,
    /// Start of the line being read.
    line_start: usize,
    /// Where the search for the next `\n` resumes.
    scan: usize,
    banner_done: bool,
    /// Dropping an over-long block until its empty line.
    skipping: bool,
    /// While skipping: the partial line already dropped had content.
    dropped_partial: bool,
}

impl Decoder {
    /// A decoder expecting the banner first.
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder for a stream whose banner was already consumed (or never comes).
    pub fn without_banner() -> Self {
        Self {
            banner_done: true,
            ..Self::default()
        }
    }

    /// Appends bytes read from the connection.
    pub fn feed(&mut self, bytes: &[u8]) {
        // Compact only when the consumed part is at least half: amortised O(1) per byte.
        if self.head > 0 && self.head * 2 >= self.buf.len() {
            self.buf.drain(..self.head);
            self.line_start -= self.head;
            self.scan -= self.head;
            self.head = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held that do not yet form a frame.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.head
    }

    /// The next complete frame, if the buffered bytes hold one.
    pub fn next_frame(&mut self) -> Option<Frame> {
        loop {
            let Some(offset) = find_newline(&self.buf[self.scan..]) else {
                self.scan = self.buf.len();
                if self.skipping {
                    let partial = trim_cr(&self.buf[self.line_start..]);
                    self.dropped_partial |= !partial.is_empty();
                    self.head = self.scan;
                    self.line_start = self.scan;
                    return None;
                }
                if self.scan - self.head > MAX_BLOCK {
                    return Some(self.start_skipping());
                }
                return None;
            };
            let nl = self.scan + offset;
            let line_start = self.line_start;
            self.scan = nl + 1;
            self.line_start = nl + 1;
            let line = trim_cr(&self.buf[line_start..nl]);
            if !self.banner_done {
                self.banner_done = true;
                if !line.is_empty() && !line.contains(&b':') {
                    let banner = String::from_utf8_lossy(line).trim().to_string();
                    self.head = self.scan;
                    return Some(Frame::Banner(banner));
                }
            }
            if self.skipping {
                let empty = line.is_empty() && !self.dropped_partial;
                self.dropped_partial = false;
                self.head = self.scan;
                if empty {
                    self.skipping = false;
                }
                continue;
            }
            if !line.is_empty() {
                if self.scan - self.head > MAX_BLOCK {
                    return Some(self.start_skipping());
                }
                continue;
            }
            // An empty line ends the block; empty lines between blocks are ignored.
            let (start, end) = (self.head, line_start);
            self.head = self.scan;
            let block = &self.buf[start..end];
            if block.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(match parse_block(block) {
                Ok(message) => Frame::Message(message),
                Err(e) => Frame::Garbage(e),
            });
        }
    }

    fn start_skipping(&mut self) -> Frame {
        let partial = trim_cr(&self.buf[self.line_start..self.scan]);
        self.dropped_partial = !partial.is_empty() && self.line_start < self.scan;
        self.skipping = true;
        self.head = self.scan;
        self.line_start = self.scan;
        Frame::Garbage(WireError::TooLong)
    }
}

fn find_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Parses one block (without its ending empty line) into a [`Message`].
///
/// A `Response: Follows` block may carry free text lines (old `Command` output); they are kept
/// under the key `Output`. Anything else must be `Key: Value`.
pub fn parse_block(block: &[u8]) -> Result<Message, WireError> {
    let text = String::from_utf8_lossy(block);
    let mut fields = Vec::with_capacity(24);
    let mut follows = false;
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        match line.split_once(':') {
            Some((key, value)) if is_key(key) => {
                let (key, value) = (key.trim(), value.trim());
                follows |=
                    key.eq_ignore_ascii_case("Response") && value.eq_ignore_ascii_case("Follows");
                fields.push((key.to_string(), value.to_string()));
            }
            _ if follows => fields.push(("Output".to_string(), line.to_string())),
            Some((key, _)) if key.trim().is_empty() => return Err(WireError::EmptyKey),
            _ => return Err(WireError::NotKeyValue(shorten(line))),
        }
    }
    Ok(Message { fields })
}

fn is_key(key: &str) -> bool {
    let key = key.trim();
    !key.is_empty() && !key.contains(char::is_whitespace)
}

fn shorten(line: &str) -> String {
    line.chars().take(60).collect()
}

/// Encodes an action block. Values lose any CR/LF so nothing can be smuggled into the stream.
pub fn action(name: &str, action_id: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + fields.len() * 32);
    push_line(&mut out, "Action", name);
    push_line(&mut out, "ActionID", action_id);
    for (key, value) in fields {
        push_line(&mut out, key, value);
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn push_line(out: &mut Vec<u8>, key: &str, value: &str) {
    let clean = |s: &str| s.replace(['\r', '\n'], " ");
    out.extend_from_slice(clean(key).as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(clean(value).as_bytes());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests;
