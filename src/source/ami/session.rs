//! One logged-in AMI session: the socket, the decoder of what it reads, our ActionIDs and the
//! requests waiting for Asterisk's response.

use super::control::Reply;
use super::wire::{self, Decoder, Frame, Message};
use crate::event::SourceId;
use crate::source::supervisor::SourceError;
use std::collections::HashMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One logged-in session's state.
pub(super) struct Session {
    pub(super) stream: TcpStream,
    pub(super) decoder: Decoder,
    pub(super) next_id: u64,
    /// Requests waiting for their response, by ActionID; the call to mark on success.
    pub(super) waiting: HashMap<String, (Reply, Option<(String, String)>)>,
}

impl Session {
    pub(super) async fn send(
        &mut self,
        name: &str,
        fields: &[(&str, &str)],
    ) -> Result<String, SourceError> {
        self.next_id += 1;
        let id = format!("sp-{}", self.next_id);
        let bytes = wire::action(name, &id, fields);
        self.stream
            .write_all(&bytes)
            .await
            .map_err(|e| SourceError::Lost(e.to_string()))?;
        Ok(id)
    }

    /// The next message, reading as needed; garbage is logged and skipped.
    pub(super) async fn next(&mut self, source: &SourceId) -> Result<Message, SourceError> {
        loop {
            while let Some(frame) = self.decoder.next_frame() {
                match frame {
                    Frame::Message(m) => return Ok(m),
                    Frame::Garbage(e) => {
                        tracing::warn!(source = %source, error = %e, "skipped a malformed AMI block")
                    }
                    Frame::Banner(b) => tracing::debug!(source = %source, banner = %b, "banner"),
                }
            }
            self.read_more().await?;
        }
    }

    /// Reads what the socket has into the decoder.
    pub(super) async fn read_more(&mut self) -> Result<(), SourceError> {
        let mut buf = [0u8; 16 * 1024];
        let n = self
            .stream
            .read(&mut buf)
            .await
            .map_err(|e| SourceError::Lost(e.to_string()))?;
        if n == 0 {
            return Err(SourceError::Lost("Asterisk closed the connection".into()));
        }
        self.decoder.feed(&buf[..n]);
        Ok(())
    }
}
