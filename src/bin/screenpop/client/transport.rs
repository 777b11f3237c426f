//! How the CLI reaches the daemon, decided once before anything is sent, and the one
//! HTTP/1.1 exchange over it.
//!
//! [`Transport::choose`] connects to the owner-only Unix socket in the data directory; only
//! when nothing accepts there does it read the config and the webhook token from the keyring
//! and connect to 127.0.0.1 instead. Then [`Transport::exchange`] writes the request once.
//! Whatever happens after the first byte is written — a timeout, a dropped connection — is
//! reported as such and never sent again anywhere: the daemon may already have acted on it.
//!
//! Plain blocking I/O on the calling thread, no async runtime and no TLS: the request goes to
//! this machine only, and `screenpop event …` (a softphone's hook) starts as fast as it can.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// How long the daemon may take to answer (a control request waits on the softphone).
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// Why an exchange failed; `Unanswered` means the request may have been carried out.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error("could not send the request to the daemon ({0}); nothing was sent")]
    NotSent(std::io::Error),
    #[error("the daemon received the request but gave no answer ({0}); it may have been carried out, so it is not sent again")]
    Unanswered(std::io::Error),
    #[error("the daemon's answer is not HTTP: {0:?}")]
    Garbled(String),
}

/// A connection to the daemon, open and chosen before the request is written.
pub enum Transport {
    /// The owner-only socket: no token needed.
    Socket(UnixStream),
    /// The webhook on 127.0.0.1 with its bearer token.
    Tcp { stream: TcpStream, token: String },
}

impl Transport {
    /// The socket at `socket` if a daemon accepts there, else `fallback()` (which reads the
    /// config and the token, and connects over TCP).
    pub fn choose(
        socket: &Path,
        fallback: impl FnOnce() -> anyhow::Result<Transport>,
    ) -> anyhow::Result<Transport> {
        match UnixStream::connect(socket) {
            Ok(stream) => Ok(Transport::Socket(stream)),
            Err(_) => fallback(),
        }
    }

    /// Writes `method path` with `body` once and reads the answer: its status and JSON body.
    pub fn exchange(
        self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), ExchangeError> {
        match self {
            Transport::Socket(stream) => send(stream, method, path, body, None),
            Transport::Tcp { stream, token } => send(stream, method, path, body, Some(&token)),
        }
    }
}

trait Timeouts {
    fn set_timeouts(&self, timeout: Duration) -> std::io::Result<()>;
}

impl Timeouts for UnixStream {
    fn set_timeouts(&self, timeout: Duration) -> std::io::Result<()> {
        self.set_read_timeout(Some(timeout))?;
        self.set_write_timeout(Some(timeout))
    }
}

impl Timeouts for TcpStream {
    fn set_timeouts(&self, timeout: Duration) -> std::io::Result<()> {
        self.set_read_timeout(Some(timeout))?;
        self.set_write_timeout(Some(timeout))
    }
}

fn send<S: Read + Write + Timeouts>(
    mut stream: S,
    method: &str,
    path: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> Result<(u16, Value), ExchangeError> {
    stream
        .set_timeouts(TIMEOUT)
        .map_err(ExchangeError::NotSent)?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: screenpop\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // One write: before it nothing was sent; after it, the daemon may have the request.
    stream
        .write_all(request.as_bytes())
        .map_err(ExchangeError::Unanswered)?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(ExchangeError::Unanswered)?;
    if raw.is_empty() {
        return Err(ExchangeError::Unanswered(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the connection closed without an answer",
        )));
    }
    parse(&raw)
}

/// Status and JSON body of a complete HTTP/1.1 response (plain or chunked).
fn parse(raw: &[u8]) -> Result<(u16, Value), ExchangeError> {
    let text = String::from_utf8_lossy(raw);
    let garbled = || ExchangeError::Garbled(text.chars().take(80).collect());
    let (head, rest) = text.split_once("\r\n\r\n").ok_or_else(garbled)?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(garbled)?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Ok((status, serde_json::from_str(&body).unwrap_or(Value::Null)))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_chunked_answers_are_read() {
        let plain = b"HTTP/1.1 202 Accepted\r\ncontent-length: 15\r\n\r\n{\"call_id\":\"a\"}";
        assert_eq!(
            parse(plain).unwrap(),
            (202, serde_json::json!({"call_id": "a"}))
        );
        let chunked =
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n6\r\n{\"ok\":\r\n5\r\ntrue}\r\n0\r\n\r\n";
        assert_eq!(
            parse(chunked).unwrap(),
            (200, serde_json::json!({"ok": true}))
        );
        assert!(matches!(parse(b"garbage"), Err(ExchangeError::Garbled(_))));
    }
}
