//! The baresip source: one TCP connection to baresip's `ctrl_tcp` module carries both its
//! call events (read here, turned into `CallEvent`s by [`events`]) and screenpop's control
//! commands ([`control`]), because baresip serves only ONE ctrl_tcp client at a time.
//!
//! Dead links are noticed three ways: TCP keep-alive and a TCP user timeout on the socket,
//! and, after `keepalive_s` of silence, a harmless `listcalls` command that must be answered
//! within [`PROBE_TIMEOUT`]. Any failure ends [`Source::run`]; the supervisor reconnects.

pub mod control;
pub mod events;
pub mod wire;

use crate::config::BaresipConfig;
use crate::control::ControlError;
use crate::event::SourceId;
use crate::source::supervisor::{EventSink, Source, SourceError};
use async_trait::async_trait;
use events::CallTracker;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use wire::{Decoder, Message, Response};

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long baresip may take to answer the keep-alive probe (at most `keepalive_s`).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long baresip may take to answer a control command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// A baresip softphone watched (and driven) over ctrl_tcp.
pub struct Baresip {
    id: SourceId,
    address: String,
    keepalive: Duration,
    link: Mutex<Link>,
    /// Calls live on the softphone, as its events told us (reset on every connection).
    calls: Mutex<CallTracker>,
    tokens: AtomicU64,
}

/// Whether commands can be sent right now.
enum Link {
    Down(String),
    Up(mpsc::Sender<Request>),
}

/// A command on its way to baresip, and where its response goes.
struct Request {
    command: &'static str,
    params: Option<String>,
    reply: oneshot::Sender<Response>,
}

impl Baresip {
    /// A source for `config` (nothing connects until the supervisor runs it).
    pub fn new(config: &BaresipConfig) -> Self {
        Self {
            id: SourceId(config.name()),
            address: config.address.clone(),
            keepalive: Duration::from_secs(config.keepalive_s),
            link: Mutex::new(Link::Down("not connected yet".into())),
            calls: Mutex::new(CallTracker::default()),
            tokens: AtomicU64::new(1),
        }
    }

    /// Sets the silence after which the link is probed (tests use short ones).
    pub fn with_keepalive(mut self, keepalive: Duration) -> Self {
        self.keepalive = keepalive;
        self
    }

    fn set_link(&self, link: Link) {
        *crate::sync::lock(&self.link) = link;
    }

    fn tracker(&self) -> std::sync::MutexGuard<'_, CallTracker> {
        crate::sync::lock(&self.calls)
    }

    /// Where commands go while connected.
    fn sender(&self) -> Result<mpsc::Sender<Request>, ControlError> {
        match &*crate::sync::lock(&self.link) {
            Link::Up(tx) => Ok(tx.clone()),
            Link::Down(reason) => Err(ControlError::NotConnected(format!(
                "{} ({}) is not connected: {reason}",
                self.id, self.address
            ))),
        }
    }

    /// Sends one command over the live connection and waits for its response.
    async fn command(
        &self,
        command: &'static str,
        params: Option<String>,
    ) -> Result<Response, ControlError> {
        let sender = self.sender()?;
        let lost = || {
            ControlError::NotConnected(format!(
                "the connection to {} ({}) was lost",
                self.id, self.address
            ))
        };
        let (reply, response) = oneshot::channel();
        sender
            .send(Request {
                command,
                params,
                reply,
            })
            .await
            .map_err(|_| lost())?;
        match tokio::time::timeout(COMMAND_TIMEOUT, response).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(_)) => Err(lost()),
            Err(_) => Err(ControlError::NoAnswer(format!(
                "{} did not answer {command:?} within {} s",
                self.id,
                COMMAND_TIMEOUT.as_secs()
            ))),
        }
    }

    async fn connect(&self) -> Result<TcpStream, SourceError> {
        let failed = |reason: String| SourceError::Connect {
            address: self.address.clone(),
            reason,
        };
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&self.address))
            .await
            .map_err(|_| failed(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())))?
            .map_err(|e| failed(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let socket = socket2::SockRef::from(&stream);
        let keepalive = socket2::TcpKeepalive::new()
            .with_time(Duration::from_secs(30))
            .with_interval(Duration::from_secs(10))
            .with_retries(3);
        if let Err(e) = socket
            .set_tcp_keepalive(&keepalive)
            .and_then(|()| socket.set_tcp_user_timeout(Some(Duration::from_secs(20))))
        {
            tracing::warn!(source = %self.id, error = %e, "cannot enable TCP keep-alive");
        }
        Ok(stream)
    }

    /// Reads events and carries commands until the connection fails or we are told to stop.
    async fn serve(
        &self,
        stream: TcpStream,
        mut requests: mpsc::Receiver<Request>,
        sink: &mut EventSink,
    ) -> Result<(), SourceError> {
        let (mut reader, mut writer) = stream.into_split();
        let mut decoder = Decoder::new();
        let mut buf = vec![0u8; 16 * 1024];
        let mut waiting: HashMap<String, oneshot::Sender<Response>> = HashMap::new();
        let mut last_heard = Instant::now();
        let mut probe: Option<(String, Instant)> = None;
        let probe_timeout = self.keepalive.min(PROBE_TIMEOUT);
        let mut tick = tokio::time::interval(probe_timeout / 4);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                read = reader.read(&mut buf) => {
                    let n = match read {
                        Ok(0) => return Err(SourceError::Lost("baresip closed the connection".into())),
                        Ok(n) => n,
                        Err(e) => return Err(SourceError::Lost(e.to_string())),
                    };
                    last_heard = Instant::now();
                    decoder.feed(&buf[..n]);
                    loop {
                        let payload = match decoder.next_frame() {
                            Ok(Some(p)) => p,
                            Ok(None) => break,
                            Err(e) => {
                                tracing::warn!(source = %self.id, error = %e, "skipping a bad ctrl_tcp frame");
                                continue;
                            }
                        };
                        match wire::parse_message(&payload) {
                            Ok(Message::Event(event)) => {
                                tracing::debug!(source = %self.id, kind = %event.kind, call_id = ?event.call_id, "baresip event read");
                                let calls = self.tracker().on_event(&event, &self.id, chrono::Utc::now());
                                for call in calls {
                                    if !sink.send(call).await {
                                        return Ok(());
                                    }
                                }
                            }
                            Ok(Message::Response(response)) => {
                                let token = response.token.clone().unwrap_or_default();
                                if probe.as_ref().is_some_and(|(t, _)| *t == token) {
                                    probe = None;
                                } else if let Some(reply) = waiting.remove(&token) {
                                    let _ = reply.send(response);
                                }
                            }
                            Err(e) => tracing::warn!(source = %self.id, error = %e, "ignoring a ctrl_tcp message"),
                        }
                    }
                }
                Some(request) = requests.recv() => {
                    let token = self.token();
                    let frame = wire::command(request.command, request.params.as_deref(), &token);
                    tracing::info!(source = %self.id, command = request.command, token = %token, "sending command to baresip");
                    writer.write_all(&frame).await.map_err(|e| SourceError::Lost(e.to_string()))?;
                    waiting.retain(|_, reply| !reply.is_closed());
                    waiting.insert(token, request.reply);
                }
                _ = tick.tick() => {
                    match &probe {
                        Some((_, sent)) if sent.elapsed() > probe_timeout => {
                            return Err(SourceError::Lost(format!(
                                "baresip did not answer a keep-alive probe within {:.1} s",
                                probe_timeout.as_secs_f64()
                            )));
                        }
                        None if last_heard.elapsed() >= self.keepalive => {
                            let token = self.token();
                            writer
                                .write_all(&wire::command("listcalls", None, &token))
                                .await
                                .map_err(|e| SourceError::Lost(e.to_string()))?;
                            probe = Some((token, Instant::now()));
                        }
                        _ => {}
                    }
                }
                () = sink.stopped() => return Ok(()),
            }
        }
    }

    fn token(&self) -> String {
        format!("sp{}", self.tokens.fetch_add(1, Ordering::Relaxed))
    }
}

/// Marks the link down however `run` ends (error, stop, or the future being dropped).
struct LinkGuard<'a> {
    source: &'a Baresip,
    reason: String,
}

impl Drop for LinkGuard<'_> {
    fn drop(&mut self) {
        let reason = std::mem::take(&mut self.reason);
        self.source.set_link(Link::Down(reason));
        *self.source.tracker() = CallTracker::default();
    }
}

#[async_trait]
impl Source for Baresip {
    fn id(&self) -> SourceId {
        self.id.clone()
    }

    async fn run(&self, sink: &mut EventSink) -> Result<(), SourceError> {
        let stream = match self.connect().await {
            Ok(s) => s,
            Err(e) => {
                self.set_link(Link::Down(e.to_string()));
                return Err(e);
            }
        };
        let (tx, rx) = mpsc::channel(32);
        *self.tracker() = CallTracker::default();
        self.set_link(Link::Up(tx));
        let mut guard = LinkGuard {
            source: self,
            reason: "screenpop is stopping".into(),
        };
        tracing::info!(source = %self.id, address = %self.address, "connected to baresip ctrl_tcp");
        sink.up().await;
        let result = self.serve(stream, rx, sink).await;
        if let Err(e) = &result {
            guard.reason = e.to_string();
        }
        result
    }
}

#[cfg(test)]
mod tests;
