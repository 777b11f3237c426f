//! The MQTT source: one topic on a broker (by default `screenpop/<extension>/events`), the
//! call-center path where one broker serves many agent desktops.
//!
//! Payloads are screenpop's own versioned schema ([`crate::source::schema`]) or baresip's
//! mqtt-module events (`format = "baresip"`, meaning shared with the ctrl_tcp source via
//! [`crate::source::baresip::events`]). Subscriptions are QoS 1 on a persistent session
//! (`clean_session = false`, a client id that stays the same across restarts), and messages
//! are acknowledged (PUBACK) only once their events are committed to the store, so events published while screenpop or
//! its link was down arrive once it is back. Control commands are published on the matching
//! command topic ([`control`]).

mod control;
mod floor;
pub(crate) mod tls;

use crate::config::{BrokerAddress, MqttConfig, MqttFormat};
use crate::event::SourceId;
use crate::secrets::SecretStore;
use crate::source::baresip::events::CallTracker;
use crate::source::baresip::wire;
use crate::source::schema;
use crate::source::supervisor::{EventSink, Source, SourceError};
use async_trait::async_trait;
use futures::StreamExt;
use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, MqttOptions, Packet, Publish, QoS,
    SubscribeReasonCode, Transport,
};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Largest MQTT packet accepted or sent.
const MAX_PACKET: usize = 64 * 1024;

/// An MQTT topic watched for call events.
pub struct Mqtt {
    id: SourceId,
    config: MqttConfig,
    broker: BrokerAddress,
    topic: String,
    command_topic: String,
    client_id: String,
    secrets: Arc<dyn SecretStore>,
    /// The client while connected (control publishes through it).
    link: Mutex<Option<AsyncClient>>,
    /// Live calls seen in baresip-format events (for answer/hangup/transfer).
    calls: Mutex<CallTracker>,
    tokens: AtomicU64,
    /// The floor's topics and this desk's extension, when fed by a relay.
    floor: Option<(crate::topics::Topics, String)>,
    floor_state: Mutex<floor::FloorState>,
}

impl Mqtt {
    /// A source for a checked `config`; the password is read from `secrets` at each connect.
    pub fn new(config: &MqttConfig, secrets: Arc<dyn SecretStore>) -> Result<Self, SourceError> {
        let invalid =
            |m: String| SourceError::Protocol(format!("[[source]] {}: {m}", config.name()));
        let broker = config.broker().map_err(|p| invalid(p.message))?;
        let topic = config
            .event_topic()
            .ok_or_else(|| invalid("no topic".into()))?;
        let command_topic = config
            .command_topic()
            .ok_or_else(|| invalid("no command topic".into()))?;
        let client_id = config
            .client_id
            .clone()
            .unwrap_or_else(|| default_client_id(config));
        Ok(Self {
            id: SourceId(config.name()),
            config: config.clone(),
            broker,
            topic,
            command_topic,
            client_id,
            secrets,
            link: Mutex::new(None),
            calls: Mutex::new(CallTracker::default()),
            tokens: AtomicU64::new(1),
            floor: config.floor(),
            floor_state: Mutex::default(),
        })
    }

    async fn options(&self) -> Result<MqttOptions, SourceError> {
        let mut options = MqttOptions::new(
            self.client_id.clone(),
            self.broker.host.clone(),
            self.broker.port,
        );
        options
            .set_clean_session(false)
            .set_keep_alive(Duration::from_secs(self.config.keepalive_s))
            .set_manual_acks(true)
            .set_max_packet_size(MAX_PACKET, MAX_PACKET);
        if let Some(user) = &self.config.username {
            let password = match &self.config.secret {
                None => String::new(),
                Some(name) => crate::secrets::require(&self.secrets, name)
                    .await
                    .map_err(|e| SourceError::Login(e.to_string()))?,
            };
            options.set_credentials(user.clone(), password);
        }
        if self.broker.tls {
            let config = tls::client_config(self.config.ca_file.as_deref()).map_err(|e| {
                SourceError::Connect {
                    address: self.address(),
                    reason: e,
                }
            })?;
            options.set_transport(Transport::tls_with_config(config.into()));
        }
        Ok(options)
    }

    fn address(&self) -> String {
        let scheme = if self.broker.tls { "mqtts" } else { "mqtt" };
        format!("{scheme}://{}:{}", self.broker.host, self.broker.port)
    }

    fn set_link(&self, client: Option<AsyncClient>) {
        *crate::sync::lock(&self.link) = client;
    }

    fn tracker(&self) -> std::sync::MutexGuard<'_, CallTracker> {
        crate::sync::lock(&self.calls)
    }

    /// Hands one message's events to the engine to commit; the answers say when each is in
    /// the store. `None` if the engine is gone.
    async fn deliver(
        &self,
        publish: &Publish,
        sink: &EventSink,
    ) -> Option<Vec<tokio::sync::oneshot::Receiver<bool>>> {
        let events = match self.config.format {
            MqttFormat::Screenpop => match schema::parse_tolerant(&publish.payload, &self.id) {
                Ok((event, unknown)) => {
                    if !unknown.is_empty() {
                        tracing::debug!(source = %self.id, fields = ?unknown, "fields this version does not know were ignored");
                    }
                    vec![self.trusted(event)]
                }
                Err(e) => {
                    tracing::warn!(source = %self.id, topic = %publish.topic, error = %e, "ignoring an MQTT message");
                    return Some(Vec::new());
                }
            },
            MqttFormat::Baresip => match wire::parse_event(&publish.payload) {
                Ok(event) if self.for_this_agent(&event) => {
                    self.tracker()
                        .on_event(&event, &self.id, chrono::Utc::now())
                }
                Ok(_) => Vec::new(),
                Err(e) => {
                    tracing::warn!(source = %self.id, topic = %publish.topic, error = %e, "ignoring an MQTT message");
                    return Some(Vec::new());
                }
            },
        };
        tracing::debug!(source = %self.id, topic = %publish.topic, events = events.len(), "MQTT message read");
        self.hand_on(events, sink).await
    }

    /// Hands events to the engine to commit, noting them for the floor; the answers say when
    /// each is in the store. `None` if the engine is gone.
    async fn hand_on(
        &self,
        events: Vec<crate::event::CallEvent>,
        sink: &EventSink,
    ) -> Option<Vec<tokio::sync::oneshot::Receiver<bool>>> {
        let mut committed = Vec::with_capacity(events.len());
        for event in events {
            self.state().saw(&event);
            committed.push(sink.commit(event).await?);
        }
        Some(committed)
    }

    /// With `extension` set, baresip events of other accounts on a shared topic are not ours.
    fn for_this_agent(&self, event: &wire::Event) -> bool {
        let Some(ext) = &self.config.extension else {
            return true;
        };
        match &event.account {
            Some(aor) => {
                let user = aor
                    .split_once(':')
                    .map_or(aor.as_str(), |(_, rest)| rest)
                    .split('@')
                    .next()
                    .unwrap_or_default();
                user == ext
            }
            None => true,
        }
    }

    fn lost(&self, e: ConnectionError, connected: bool) -> SourceError {
        match e {
            ConnectionError::ConnectionRefused(
                code @ (ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized),
            ) => SourceError::Login(format!("the broker refused the login ({code:?})")),
            other if connected => SourceError::Lost(other.to_string()),
            other => SourceError::Connect {
                address: self.address(),
                reason: other.to_string(),
            },
        }
    }
}

#[async_trait]
impl Source for Mqtt {
    fn id(&self) -> SourceId {
        self.id.clone()
    }

    async fn run(&self, sink: &mut EventSink) -> Result<(), SourceError> {
        let (client, mut eventloop) = AsyncClient::new(self.options().await?, 64);
        let _link = LinkGuard(self);
        let mut connected = false;
        // Messages whose events are on their way into the store, in arrival order: each is
        // acknowledged (PUBACK) only once all its events are committed, while reading goes on.
        let mut committing = futures::stream::FuturesOrdered::new();
        // Committed messages whose PUBACK is not yet in the client's request queue: when the
        // queue is full (a backlog arriving at once) they wait here, never dropped — a
        // dropped PUBACK leaves the message in the broker's in-flight window for good (it
        // stops sending past the window) and has it delivered again at every reconnect.
        let mut acks: std::collections::VecDeque<Publish> = std::collections::VecDeque::new();
        loop {
            while let Some(publish) = acks.front() {
                match client.try_ack(publish) {
                    Ok(()) => {
                        acks.pop_front();
                    }
                    Err(_) => break,
                }
            }
            let event = tokio::select! {
                event = eventloop.poll() => event,
                Some((publish, committed)) = committing.next(), if !committing.is_empty() => {
                    let (publish, committed): (Publish, bool) = (publish, committed);
                    if !committed {
                        // Not acknowledged: the broker sends it again once we reconnect.
                        return Err(SourceError::Lost("an event could not be saved; reconnecting so the broker sends it again".into()));
                    }
                    acks.push_back(publish);
                    continue;
                }
                () = sink.stopped() => {
                    let _ = client.try_disconnect();
                    return Ok(());
                }
            };
            match event.map_err(|e| self.lost(e, connected))? {
                Event::Incoming(Packet::ConnAck(ack)) => {
                    if ack.code != ConnectReturnCode::Success {
                        return Err(SourceError::Login(format!("{:?}", ack.code)));
                    }
                    // Subscribing again on a kept session is harmless and heals a lost one.
                    for topic in std::iter::once(self.topic.clone()).chain(self.floor_topics()) {
                        client
                            .try_subscribe(topic, QoS::AtLeastOnce)
                            .map_err(|e| SourceError::Lost(e.to_string()))?;
                    }
                    if self.config.format == MqttFormat::Baresip {
                        *self.tracker() = CallTracker::default();
                    }
                    connected = true;
                    self.set_link(Some(client.clone()));
                    tracing::info!(source = %self.id, broker = %self.address(), topic = %self.topic, client_id = %self.client_id, session_present = ack.session_present, "connected to MQTT broker");
                    sink.up().await;
                }
                Event::Incoming(Packet::SubAck(ack))
                    if ack.return_codes.contains(&SubscribeReasonCode::Failure) =>
                {
                    return Err(SourceError::Login(format!(
                        "the broker refused the subscription to {:?}",
                        self.topic
                    )));
                }
                Event::Incoming(Packet::Publish(publish)) => {
                    let handed = match self.on_floor(&publish.topic, &publish.payload) {
                        Some(floor::FloorMessage::Events(events)) => {
                            self.hand_on(events, sink).await
                        }
                        Some(floor::FloorMessage::Relay(health)) => {
                            tracing::info!(source = %self.id, relay = ?health, "relay state");
                            sink.report(self.relay_source(), health).await;
                            Some(Vec::new())
                        }
                        Some(floor::FloorMessage::Nothing) => Some(Vec::new()),
                        None => self.deliver(&publish, sink).await,
                    };
                    let Some(committed) = handed else {
                        return Ok(());
                    };
                    // Acknowledged once committed (above): unacked messages come again.
                    committing.push_back(async move {
                        let all = futures::future::join_all(committed).await;
                        (publish, all.into_iter().all(|c| c == Ok(true)))
                    });
                }
                _ => {}
            }
        }
    }
}

/// Clears the control link however `run` ends.
struct LinkGuard<'a>(&'a Mqtt);

impl Drop for LinkGuard<'_> {
    fn drop(&mut self) {
        self.0.set_link(None);
    }
}

/// `screenpop-<extension or name>-<hostname>`: stable across restarts, distinct per desk.
fn default_client_id(config: &MqttConfig) -> String {
    let who = config.extension.clone().unwrap_or_else(|| config.name());
    format!("screenpop-{}-{}", client_id_word(&who), hostname())
}

/// This machine's host name as a client-id word (what `screenpop relay` names itself by too).
pub fn hostname() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    client_id_word(&host)
}

/// `s` trimmed, every character but ASCII letters, digits and `-` made `_`.
fn client_id_word(s: &str) -> String {
    let keep = |c: char| c.is_ascii_alphanumeric() || c == '-';
    s.trim()
        .chars()
        .map(|c| if keep(c) { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests;
