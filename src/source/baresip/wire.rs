//! baresip's `ctrl_tcp` wire format, bytes only: netstrings (`<len>:<payload>,`, `len` in
//! bytes) carrying JSON events, responses and commands.
//!
//! [`Decoder`] is pure and never panics: it takes reads of any size (half a frame, several
//! frames), refuses oversized lengths before buffering them, and after a framing error skips
//! ahead to the next plausible frame start (resync). [`parse_message`] turns one payload into
//! an [`Event`] or a [`Response`]; what the events mean is `events.rs`'s business.

use serde_json::{json, Value};

/// Largest payload accepted (baresip's biggest messages, SDP bodies, are a few KiB).
pub const MAX_FRAME: usize = 256 * 1024;
/// Digits a length prefix may have (enough for [`MAX_FRAME`]).
const MAX_LEN_DIGITS: usize = 7;

/// A frame or payload that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("bad netstring length prefix {0:?}")]
    BadLength(String),
    #[error("netstring of {0} bytes is over the {MAX_FRAME}-byte limit")]
    TooLong(usize),
    #[error("netstring not terminated by ',' (found {0:?})")]
    MissingComma(char),
    #[error("payload is not JSON: {0}")]
    Json(String),
    #[error("JSON is neither an event nor a response: {0}")]
    NotAMessage(String),
}

/// Reassembles netstrings from a byte stream.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Bytes before this offset are consumed.
    start: usize,
}

impl Decoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the stream.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Forgets everything buffered (a new connection starts clean).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.start = 0;
    }

    /// Bytes waiting for the rest of their frame.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete payload, `None` until more bytes arrive. After an error the bad
    /// bytes are already skipped: call again to go on with the next frame.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, WireError> {
        let pending = &self.buf[self.start..];
        let digits = pending.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > MAX_LEN_DIGITS {
            let shown = String::from_utf8_lossy(&pending[..MAX_LEN_DIGITS + 1]).into_owned();
            self.resync();
            return Err(WireError::BadLength(format!("{shown}…")));
        }
        let Some(&after) = pending.get(digits) else {
            return Ok(None);
        };
        if digits == 0 || after != b':' {
            let shown =
                String::from_utf8_lossy(&pending[..(digits + 1).min(pending.len())]).into_owned();
            self.resync();
            return Err(WireError::BadLength(shown));
        }
        let len: usize = std::str::from_utf8(&pending[..digits])
            .ok()
            .and_then(|d| d.parse().ok())
            .unwrap_or(usize::MAX);
        if len > MAX_FRAME {
            self.resync();
            return Err(WireError::TooLong(len));
        }
        let body = digits + 1;
        let Some(&end) = pending.get(body + len) else {
            return Ok(None);
        };
        if end != b',' {
            self.resync();
            return Err(WireError::MissingComma(end as char));
        }
        let payload = pending[body..body + len].to_vec();
        self.start += body + len + 1;
        Ok(Some(payload))
    }

    /// Skips to the next `,<digit>`: the most likely start of the next frame.
    fn resync(&mut self) {
        let pending = &self.buf[self.start..];
        let next = pending
            .windows(2)
            .position(|w| w[0] == b',' && w[1].is_ascii_digit())
            .map(|i| i + 1);
        self.start += match next {
            Some(i) => i,
            // Keep a trailing comma: the digit after it may arrive with the next read. A comma
            // that is all there is was already tried as a frame start: drop it, or the
            // caller's retry loop never advances (found by the netstring fuzz target).
            None if pending.len() > 1 && pending.last() == Some(&b',') => pending.len() - 1,
            None => pending.len(),
        };
    }
}

/// Wraps a payload as a netstring.
pub fn encode(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(payload);
    out.push(b',');
    out
}

/// A command frame, ready to write: `{"command","params"?,"token"}`.
pub fn command(command: &str, params: Option<&str>, token: &str) -> Vec<u8> {
    let mut body = json!({ "command": command, "token": token });
    if let Some(p) = params {
        body["params"] = Value::String(p.to_string());
    }
    encode(body.to_string().as_bytes())
}

/// A baresip event (ctrl_tcp or the mqtt module), with the fields screenpop reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// `CALL_INCOMING`, `CALL_ESTABLISHED`, `CALL_CLOSED` …
    pub kind: String,
    /// `call`, `other`, `register` …
    pub class: Option<String>,
    /// The local account (the agent's own AOR).
    pub account: Option<String>,
    /// `incoming` or `outgoing`.
    pub direction: Option<String>,
    pub peer_uri: Option<String>,
    /// Absent (not empty) when the caller sent none.
    pub peer_name: Option<String>,
    /// The SIP Call-ID.
    pub call_id: Option<String>,
    pub param: Option<String>,
}

/// The answer to a command, matched to it by `token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub ok: bool,
    pub data: String,
    pub token: Option<String>,
}

/// One decoded payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Event(Event),
    Response(Response),
}

/// Parses a ctrl_tcp payload (`"event":true` or `"response":true`).
pub fn parse_message(payload: &[u8]) -> Result<Message, WireError> {
    let value = json_object(payload)?;
    if value.get("response").and_then(Value::as_bool) == Some(true) {
        return Ok(Message::Response(Response {
            ok: value.get("ok").and_then(Value::as_bool).unwrap_or(false),
            data: text(&value, "data").unwrap_or_default(),
            token: text(&value, "token"),
        }));
    }
    if value.get("event").and_then(Value::as_bool) == Some(true) {
        return event_of(&value).map(Message::Event);
    }
    Err(WireError::NotAMessage(preview(payload)))
}

/// Parses an event as baresip's mqtt module publishes it (no `"event":true` marker).
pub fn parse_event(payload: &[u8]) -> Result<Event, WireError> {
    event_of(&json_object(payload)?)
}

fn json_object(payload: &[u8]) -> Result<Value, WireError> {
    let value: Value = serde_json::from_slice(payload)
        .map_err(|e| WireError::Json(format!("{e} in {}", preview(payload))))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(WireError::NotAMessage(preview(payload)))
    }
}

fn event_of(value: &Value) -> Result<Event, WireError> {
    let kind = text(value, "type")
        .ok_or_else(|| WireError::NotAMessage(format!("event without \"type\": {value}")))?;
    Ok(Event {
        kind,
        class: text(value, "class"),
        account: text(value, "accountaor"),
        direction: text(value, "direction"),
        peer_uri: text(value, "peeruri"),
        peer_name: text(value, "peerdisplayname"),
        call_id: text(value, "id"),
        param: text(value, "param"),
    })
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The start of a payload for error messages, lossily decoded.
fn preview(payload: &[u8]) -> String {
    let shown = &payload[..payload.len().min(80)];
    let mut s = String::from_utf8_lossy(shown).into_owned();
    if payload.len() > 80 {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests;
