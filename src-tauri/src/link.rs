//! The link between the two desktop processes: `screenpop-desktop` (core + tray, no WebKit)
//! listens on an owner-only Unix socket in the data folder; the window process
//! (`screenpop-window`) and a second launch of `screenpop-desktop` connect to it.
//!
//! One JSON object per line. A client's first line is its [`Hello`]. A window then sends
//! [`Request`]s (a typed [`Command`], parsed from what the page invoked) and reads
//! [`ToWindow`] lines: replies, progress, the events the page subscribed to, and "show" /
//! "quit". A second launch hands over its arguments and is answered with one line.

use crate::command::Command;
use crate::error::CommandError;
use screenpop::config::Paths;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io;
use std::path::PathBuf;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The socket's file name in the data folder.
pub const SOCKET_NAME: &str = "desktop.sock";

/// The environment variable that tells the window process where the core listens.
pub const LINK_ENV: &str = "SCREENPOP_DESKTOP_LINK";

/// The longest line either side accepts (a contacts file travels in one request).
pub const MAX_LINE: usize = 64 << 20;

/// Where the core of the desktop app listens for `paths`.
pub fn socket(paths: &Paths) -> PathBuf {
    paths.data_dir.join(SOCKET_NAME)
}

/// A client's first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "hello", rename_all = "snake_case")]
pub enum Hello {
    /// The window process: requests follow.
    Window,
    /// `screenpop-desktop` started again: its arguments (`--hidden`, a `tel:` link…).
    Launch { args: Vec<String> },
}

/// One command from the page, relayed by the window process (which parsed it already).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    pub command: Command,
}

/// A request line as read, before its command is checked: a bad command is answered with a
/// `{code, message}` under its id instead of ending the link.
#[derive(Debug, Clone, Deserialize)]
pub struct RawRequest {
    pub id: u64,
    pub command: Value,
}

impl RawRequest {
    /// The typed request, or the error to answer it with.
    pub fn parse(self) -> Result<Request, (u64, CommandError)> {
        let name = self.command.get("command").and_then(Value::as_str);
        let name = name.unwrap_or_default().to_string();
        let args = self.command.get("args").cloned().unwrap_or(Value::Null);
        Command::parse(&name, args)
            .map(|command| Request {
                id: self.id,
                command,
            })
            .map_err(|e| (self.id, e))
    }
}

/// What the core sends the window process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ToWindow {
    /// The answer to request `id`: its value, or the `{code, message}` error.
    Reply {
        id: u64,
        result: Result<Value, Value>,
    },
    /// A progress report of request `id` (a contacts import).
    Progress { id: u64, value: Value },
    /// An event for the page (`UiEvent` as JSON), after it subscribed.
    Event { event: Value },
    /// Bring the window to the front.
    Show,
    /// The app quits: close the window and exit.
    Quit,
}

/// Writes `message` as one line.
pub async fn write<W, T>(out: &mut W, message: &T) -> io::Result<()>
where
    W: AsyncWrite + Unpin,
    T: Serialize,
{
    let mut line = serde_json::to_vec(message).map_err(io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line).await?;
    out.flush().await
}

/// Reads the next line as a `T`; `None` at a clean end of the stream. A line over
/// [`MAX_LINE`] or one that is not a `T` is an `InvalidData` error naming what was wrong.
pub async fn read<R, T>(input: &mut R) -> io::Result<Option<T>>
where
    R: AsyncBufRead + Unpin,
    T: serde::de::DeserializeOwned,
{
    let mut line = Vec::new();
    let read = input
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut line)
        .await?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        let why = if line.len() > MAX_LINE {
            format!("a line over {MAX_LINE} bytes")
        } else {
            "a line cut off by the end of the stream".to_string()
        };
        return Err(io::Error::new(io::ErrorKind::InvalidData, why));
    }
    serde_json::from_slice(&line)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("bad message: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tokio::io::BufReader;

    #[tokio::test]
    async fn messages_round_trip_one_per_line() {
        let mut wire = Vec::new();
        write(
            &mut wire,
            &Hello::Launch {
                args: vec!["tel:+15551234".into()],
            },
        )
        .await
        .unwrap();
        write(
            &mut wire,
            &ToWindow::Reply {
                id: 7,
                result: Err(json!({"code": "no_control"})),
            },
        )
        .await
        .unwrap();
        assert_eq!(wire.iter().filter(|b| **b == b'\n').count(), 2);
        let mut input = BufReader::new(wire.as_slice());
        let hello: Option<Hello> = read(&mut input).await.unwrap();
        assert_eq!(
            hello,
            Some(Hello::Launch {
                args: vec!["tel:+15551234".into()]
            })
        );
        match read::<_, ToWindow>(&mut input).await.unwrap() {
            Some(ToWindow::Reply {
                id: 7,
                result: Err(e),
            }) => assert_eq!(e["code"], "no_control"),
            other => panic!("{other:?}"),
        }
        assert!(read::<_, ToWindow>(&mut input).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn junk_and_cut_lines_are_errors_not_panics() {
        let mut input = BufReader::new(&b"{\"hello\": \"robot\"}\n{\"hello\""[..]);
        let junk = read::<_, Hello>(&mut input).await.unwrap_err();
        assert_eq!(junk.kind(), io::ErrorKind::InvalidData);
        assert!(junk.to_string().contains("bad message"), "{junk}");
        let cut = read::<_, Hello>(&mut input).await.unwrap_err();
        assert!(cut.to_string().contains("cut off"), "{cut}");
    }
}
