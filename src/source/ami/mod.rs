//! The Asterisk Manager Interface source: a TCP client that logs in (secret from the
//! keyring), asks for `call` events only, and turns them into calls per extension.
//!
//! [`wire`] knows the bytes, [`channel`] what a channel name says (whose device it is),
//! [`calls`] what channels mean (one call per `Linkedid` per extension), [`control`] carries
//! `Originate`/`Redirect`/`Hangup` requests into this connection. After every (re)connect the
//! source lists the channels already up (`CoreShowChannels`), so a call that was ringing while
//! the link was down pops; the tracker outlives the connection, so a call it already announced
//! is not announced again (and is ended if its channels went away meanwhile). When the link
//! drops while calls are live, the source logs in again at once (within 3 s)
//! before reporting the loss, so a blink does not cut those calls short; a silent link is
//! found by `Ping`.
//!
//! Two modes, one connection each:
//! - **desk** ([`AmiSource::new`] with `extension = "201"`): the events of that extension go to
//!   the engine through the supervisor's sink, like any source's.
//! - **floor** ([`AmiSource::floor`], `[[source]] kind = "ami"` without `extension`): the tracker
//!   follows every extension ([`channel::Follow::Every`]) and every event comes out tagged with
//!   its extension ([`calls::ExtensionEvent`]) on the receiver `floor` returns; health still
//!   goes through the sink. Call control names the extension ([`control::AmiControl::at`]).

pub mod calls;
pub mod channel;
pub mod control;
mod session;
pub mod wire;

use crate::config::AmiConfig;
use crate::control::ControlError;
use crate::event::SourceId;
use crate::secrets::SecretStore;
use crate::source::supervisor::{EventSink, Source, SourceError};
use crate::source::tcp;
use async_trait::async_trait;
use calls::{ExtensionEvent, Tracker};
use channel::Follow;
use control::{resolve, Link, Reply, Request};
use session::Session;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use wire::{Decoder, Frame, Message};

/// Asterisk's manager port.
pub const DEFAULT_PORT: u16 = 5038;
/// Connect, banner and login must each finish within this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// A Ping goes out after this much silence; no answer by the next one means the link is dead.
const PING_EVERY: Duration = Duration::from_secs(20);

/// How long the one immediate re-login after a dropped link (with calls live) may take.
const RESUME_WITHIN: Duration = Duration::from_secs(3);
/// How many floor events may wait for the relay before the AMI reader waits for it.
const FLOOR_QUEUE: usize = 4096;

/// One `[[source]] kind = "ami"` entry, ready to run.
pub struct AmiSource {
    id: SourceId,
    address: String,
    username: String,
    secret: String,
    context: String,
    secrets: Arc<dyn SecretStore>,
    link: Arc<Link>,
    /// The calls, kept across reconnects (see the module docs).
    tracker: Mutex<Tracker>,
    delivery: Delivery,
}

/// Where a connection's events go.
enum Delivery {
    /// The engine, through the supervisor's sink (the extension tag dropped).
    Desk,
    /// Whoever holds the floor receiver (the relay), tagged with the extension.
    Floor(mpsc::Sender<ExtensionEvent>),
}

/// A desk's AMI source needs its extension.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the ami source {0:?} has no `extension`: only `screenpop relay` follows every extension; a desk sets `extension = \"201\"`")]
pub struct NoExtension(pub String);

/// A source, its call control and (floor mode) the receiver of its events.
type Built = (Arc<AmiSource>, Arc<control::AmiControl>);

impl AmiSource {
    /// A desk's source (its extension's calls go to the engine) and its call control.
    pub fn new(settings: &AmiConfig, secrets: Arc<dyn SecretStore>) -> Result<Built, NoExtension> {
        if Follow::from_config(settings.extension.as_deref()).is_every() {
            return Err(NoExtension(settings.name()));
        }
        Ok(Self::build(settings, secrets, Delivery::Desk))
    }

    /// A floor's source: every extension (or only `extension`, when set), each event tagged
    /// with its extension on the returned receiver; control per extension with
    /// [`control::AmiControl::at`].
    pub fn floor(
        settings: &AmiConfig,
        secrets: Arc<dyn SecretStore>,
    ) -> (
        Arc<Self>,
        Arc<control::AmiControl>,
        mpsc::Receiver<ExtensionEvent>,
    ) {
        let (tx, rx) = mpsc::channel(FLOOR_QUEUE);
        let (source, control) = Self::build(settings, secrets, Delivery::Floor(tx));
        (source, control, rx)
    }

    fn build(settings: &AmiConfig, secrets: Arc<dyn SecretStore>, delivery: Delivery) -> Built {
        let link = Arc::new(Link::default());
        let control = Arc::new(control::AmiControl::new(settings.name(), Arc::clone(&link)));
        let id = SourceId(settings.name());
        let follow = Follow::from_config(settings.extension.as_deref());
        let source = Arc::new(Self {
            tracker: Mutex::new(Tracker::new(id.clone(), follow)),
            id,
            address: tcp::with_default_port(&settings.address, DEFAULT_PORT),
            username: settings.username.clone(),
            secret: settings.secret.clone(),
            context: settings.context(),
            secrets,
            link,
            delivery,
        });
        (source, control)
    }

    fn tracker(&self) -> std::sync::MutexGuard<'_, Tracker> {
        crate::sync::lock(&self.tracker)
    }

    /// Hands events on; false when nobody listens any more (stop reading).
    async fn deliver(&self, sink: &EventSink, events: &mut Vec<ExtensionEvent>) -> bool {
        for tagged in events.drain(..) {
            let delivered = match &self.delivery {
                Delivery::Desk => sink.send(tagged.event).await,
                Delivery::Floor(tx) => tx.send(tagged).await.is_ok(),
            };
            if !delivered {
                return false;
            }
        }
        true
    }

    /// The manager password, read afresh at each connect (off the async workers).
    async fn secret(&self) -> Result<String, SourceError> {
        crate::secrets::require(&self.secrets, &self.secret)
            .await
            .map_err(|e| SourceError::Login(e.to_string()))
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
        loop {
            sink.up().await;
            tracing::info!(source = %self.id, address = %self.address, "logged in to Asterisk");
            let mut requests = self.link.open();
            let result = self.serve(&mut session, sink, &mut requests).await;
            self.link.close();
            for (_, (reply, _)) in session.waiting.drain() {
                let _ = reply.send(Err(ControlError::NotConnected(
                    "the AMI connection dropped".into(),
                )));
            }
            let Err(SourceError::Lost(why)) = &result else {
                return result;
            };
            // Calls are live: one immediate try to resume before anyone hears the link
            // blinked, so they go on (and are logged) as the calls they are.
            if self.tracker().live_calls() == 0 || sink.is_stopping() {
                return result;
            }
            match tokio::time::timeout(RESUME_WITHIN, self.login(&secret)).await {
                Ok(Ok(resumed)) => {
                    tracing::warn!(source = %self.id, reason = %why, "AMI link dropped with calls live; resumed");
                    session = resumed;
                }
                _ => return result,
            }
        }
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
        self.tracker().listing_begins();
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
                        self.answered(&msg, session);
                    } else {
                        self.tracker().on_message(&msg, chrono::Utc::now(), &mut out);
                    }
                }
                Some((request, reply)) = requests.recv() => {
                    self.request(request, reply, session).await?;
                }
                _ = tick.tick() => {
                    self.tracker().tick(chrono::Utc::now(), &mut out);
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
            if !self.deliver(sink, &mut out).await {
                return Ok(());
            }
        }
    }

    /// A response to one of our actions: settle the request waiting for it.
    fn answered(&self, msg: &Message, session: &mut Session) {
        let Some((reply, transferred)) = msg.action_id().and_then(|id| session.waiting.remove(id))
        else {
            return;
        };
        let ok = msg
            .response()
            .is_some_and(|r| r.eq_ignore_ascii_case("Success"));
        let result = if ok {
            if let Some((ext, call)) = transferred {
                self.tracker().mark_transferred(&ext, &call);
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
    ) -> Result<(), SourceError> {
        let Request { extension, action } = request;
        let resolved = {
            let tracker = self.tracker();
            let ext = tracker.scope(extension.as_deref()).map(str::to_string);
            ext.map(|ext| resolve(&tracker, ext, action))
        };
        let (name, fields, transferred) = match resolved {
            None => {
                let why = match extension {
                    Some(e) => format!("this AMI source does not control extension {e}"),
                    None => "say which extension (this AMI source follows every extension)".into(),
                };
                let _ = reply.send(Err(ControlError::Refused(why)));
                return Ok(());
            }
            Some(Err(e)) => {
                let _ = reply.send(Err(e));
                return Ok(());
            }
            Some(Ok(resolved)) => resolved,
        };
        let mut fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if name != "Hangup" {
            fields.push(("Context", self.context.as_str()));
            fields.push(("Priority", "1"));
        }
        if name == "Originate" {
            fields.extend([("Async", "true"), ("Timeout", "30000")]);
        }
        tracing::info!(source = %self.id, action = name, "AMI action");
        let id = session.send(name, &fields).await?;
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
