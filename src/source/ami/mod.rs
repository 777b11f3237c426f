//! The Asterisk Manager Interface source: a TCP client that logs in (secret from the
//! keyring), asks for `call` events only, and turns them into one agent's calls.
//!
//! [`wire`] knows the bytes, [`calls`] knows what channels mean (one call per `Linkedid`),
//! [`control`] carries `Originate`/`Redirect`/`Hangup` requests into this connection. After
//! every (re)connect the source lists the channels already up (`CoreShowChannels`), so a call
//! that was ringing while the link was down pops again. A silent link is found by `Ping`.

pub mod calls;
pub mod channel;
pub mod control;
pub mod wire;

use crate::control::ControlError;
use crate::event::SourceId;
use crate::secrets::SecretStore;
use crate::source::supervisor::{EventSink, Source, SourceError};
use crate::source::tcp;
use async_trait::async_trait;
use calls::Tracker;
use channel::Extension;
use control::{Link, Reply, Request};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wire::{Decoder, Frame, Message};

/// Asterisk's manager port.
pub const DEFAULT_PORT: u16 = 5038;
/// Connect, banner and login must each finish within this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// A Ping goes out after this much silence; no answer by the next one means the link is dead.
const PING_EVERY: Duration = Duration::from_secs(20);

/// One `[[source]] kind = "ami"` entry, ready to run.
pub struct AmiSource {
    id: SourceId,
    address: String,
    username: String,
    secret: String,
    extension: String,
    context: String,
    secrets: Arc<dyn SecretStore>,
    link: Arc<Link>,
}

/// What an AMI source needs from the config.
pub struct AmiSettings {
    pub name: String,
    pub address: String,
    pub username: String,
    /// Keyring entry holding the manager password.
    pub secret: String,
    pub extension: String,
    /// Dialplan context for Originate and Redirect.
    pub context: String,
}

impl AmiSource {
    /// The source and its call control.
    pub fn new(
        settings: AmiSettings,
        secrets: Arc<dyn SecretStore>,
    ) -> (Arc<Self>, Arc<control::AmiControl>) {
        let link = Arc::new(Link::default());
        let control = Arc::new(control::AmiControl::new(
            settings.name.clone(),
            Arc::clone(&link),
        ));
        let source = Arc::new(Self {
            id: SourceId(settings.name),
            address: tcp::with_default_port(&settings.address, DEFAULT_PORT),
            username: settings.username,
            secret: settings.secret,
            extension: settings.extension,
            context: settings.context,
            secrets,
            link,
        });
        (source, control)
    }

    /// The manager password, read afresh at each connect (off the async workers).
    async fn secret(&self) -> Result<String, SourceError> {
        crate::secrets::require(&self.secrets, &self.secret)
            .await
            .map_err(|e| SourceError::Login(e.to_string()))
    }
}

/// One logged-in session's state.
struct Session {
    stream: TcpStream,
    decoder: Decoder,
    next_id: u64,
    /// Requests waiting for their response, by ActionID; the call to mark on success.
    waiting: HashMap<String, (Reply, Option<String>)>,
}

impl Session {
    async fn send(&mut self, name: &str, fields: &[(&str, &str)]) -> Result<String, SourceError> {
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
    async fn next(&mut self, source: &SourceId) -> Result<Message, SourceError> {
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
    async fn read_more(&mut self) -> Result<(), SourceError> {
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

#[async_trait]
impl Source for AmiSource {
    fn id(&self) -> SourceId {
        self.id.clone()
    }

    async fn run(&self, sink: &mut EventSink) -> Result<(), SourceError> {
        let secret = self.secret().await?;
        let mut session = self.login(&secret).await?;
        sink.up().await;
        tracing::info!(source = %self.id, address = %self.address, extension = %self.extension, "logged in to Asterisk");
        let mut requests = self.link.open();
        let result = self.serve(&mut session, sink, &mut requests).await;
        self.link.close();
        for (_, (reply, _)) in session.waiting.drain() {
            let _ = reply.send(Err(ControlError::NotConnected(
                "the AMI connection dropped".into(),
            )));
        }
        result
    }
}

impl AmiSource {
    async fn login(&self, secret: &str) -> Result<Session, SourceError> {
        let stream = tcp::connect(&self.address, "").await?;
        let mut session = Session {
            stream,
            decoder: Decoder::new(),
            next_id: 0,
            waiting: HashMap::new(),
        };
        tokio::time::timeout(HANDSHAKE_TIMEOUT, self.handshake(&mut session, secret))
            .await
            .map_err(|_| {
                SourceError::Protocol(format!(
                    "no AMI banner and login answer from {} within {}s",
                    self.address,
                    HANDSHAKE_TIMEOUT.as_secs()
                ))
            })??;
        Ok(session)
    }

    async fn handshake(&self, session: &mut Session, secret: &str) -> Result<(), SourceError> {
        let banner = loop {
            if let Some(frame) = session.decoder.next_frame() {
                break frame;
            }
            session.read_more().await?;
        };
        match banner {
            Frame::Banner(b) if b.starts_with("Asterisk Call Manager") => {}
            other => {
                return Err(SourceError::Protocol(format!(
                    "{} is not an Asterisk manager interface (first line: {other:?})",
                    self.address
                )))
            }
        }
        let fields = [
            ("Username", self.username.as_str()),
            ("Secret", secret),
            ("Events", "call"),
        ];
        let login_id = session.send("Login", &fields).await?;
        loop {
            let msg = session.next(&self.id).await?;
            let Some(response) = msg.response() else {
                continue;
            };
            if msg.action_id().is_some_and(|id| id != login_id) {
                continue;
            }
            return if response.eq_ignore_ascii_case("Success") {
                Ok(())
            } else {
                Err(SourceError::Login(
                    msg.get("Message").unwrap_or(response).to_string(),
                ))
            };
        }
    }

    async fn serve(
        &self,
        session: &mut Session,
        sink: &mut EventSink,
        requests: &mut tokio::sync::mpsc::Receiver<(Request, Reply)>,
    ) -> Result<(), SourceError> {
        let mut tracker = Tracker::new(self.id.clone(), Extension::parse(&self.extension));
        session.send("CoreShowChannels", &[]).await?;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut last_heard = tokio::time::Instant::now();
        let mut ping_out: Option<tokio::time::Instant> = None;
        let mut out = Vec::new();
        loop {
            tokio::select! {
                msg = session.next(&self.id) => {
                    let msg = msg?;
                    last_heard = tokio::time::Instant::now();
                    ping_out = None;
                    if msg.response().is_some() {
                        self.answered(&msg, session, &mut tracker);
                    } else {
                        tracker.on_message(&msg, chrono::Utc::now(), &mut out);
                    }
                }
                Some((request, reply)) = requests.recv() => {
                    self.request(request, reply, session, &tracker).await?;
                }
                _ = tick.tick() => {
                    tracker.tick(chrono::Utc::now(), &mut out);
                    if let Some(sent) = ping_out {
                        if sent.elapsed() >= PING_EVERY {
                            return Err(SourceError::Lost(format!("no answer to Ping for {}s", PING_EVERY.as_secs())));
                        }
                    } else if last_heard.elapsed() >= PING_EVERY {
                        session.send("Ping", &[]).await?;
                        ping_out = Some(tokio::time::Instant::now());
                    }
                }
                () = sink.stopped() => {
                    let _ = session.send("Logoff", &[]).await;
                    return Ok(());
                }
            }
            for event in out.drain(..) {
                if !sink.send(event).await {
                    return Ok(());
                }
            }
        }
    }

    /// A response to one of our actions: settle the request waiting for it.
    fn answered(&self, msg: &Message, session: &mut Session, tracker: &mut Tracker) {
        let Some((reply, transferred)) = msg.action_id().and_then(|id| session.waiting.remove(id))
        else {
            return;
        };
        let ok = msg
            .response()
            .is_some_and(|r| r.eq_ignore_ascii_case("Success"));
        let result = if ok {
            if let Some(call) = transferred {
                tracker.mark_transferred(&call);
            }
            Ok(())
        } else {
            let why = msg.get("Message").unwrap_or("no reason given");
            Err(ControlError::Refused(format!("Asterisk: {why}")))
        };
        let _ = reply.send(result);
    }

    async fn request(
        &self,
        request: Request,
        reply: Reply,
        session: &mut Session,
        tracker: &Tracker,
    ) -> Result<(), SourceError> {
        let no_call = |id: &Option<String>| {
            ControlError::NoCall(id.clone().unwrap_or_else(|| "a live call".into()))
        };
        let (id, transferred) = match request {
            Request::Dial(target) => {
                let device = tracker.device();
                let fields = [
                    ("Channel", device.as_str()),
                    ("Exten", target.as_str()),
                    ("Context", self.context.as_str()),
                    ("Priority", "1"),
                    ("Async", "true"),
                    ("Timeout", "30000"),
                ];
                tracing::info!(source = %self.id, device = %device, "Originate");
                (session.send("Originate", &fields).await?, None)
            }
            Request::Transfer { call_id, target } => {
                let Some((call, peer)) = tracker.peer_channel(call_id.as_deref()) else {
                    let _ = reply.send(Err(no_call(&call_id)));
                    return Ok(());
                };
                let fields = [
                    ("Channel", peer.as_str()),
                    ("Exten", target.as_str()),
                    ("Context", self.context.as_str()),
                    ("Priority", "1"),
                ];
                tracing::info!(source = %self.id, call_id = %call, "Redirect");
                (session.send("Redirect", &fields).await?, Some(call))
            }
            Request::Hangup(call_id) => {
                let Some(channel) = tracker.agent_channel(call_id.as_deref()) else {
                    let _ = reply.send(Err(no_call(&call_id)));
                    return Ok(());
                };
                (
                    session
                        .send("Hangup", &[("Channel", channel.as_str())])
                        .await?,
                    None,
                )
            }
        };
        session.waiting.insert(id, (reply, transferred));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_targets_become_dialplan_extensions() {
        use control::dialplan_exten;
        assert_eq!(dialplan_exten("sip:200@pbx.local").unwrap(), "200");
        assert_eq!(dialplan_exten("tel:+4930123").unwrap(), "+4930123");
        assert_eq!(dialplan_exten(" 200 ").unwrap(), "200");
        assert_eq!(dialplan_exten("+1 (555) 555-0113").unwrap(), "+15555550113");
        assert!(dialplan_exten("sip:").is_err());
        assert!(dialplan_exten("bob smith").is_err());
        assert!(dialplan_exten("sip:a/b@pbx").is_err());
    }
}
