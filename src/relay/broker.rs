//! The relay's broker link: connection options (credentials from the keyring, TLS, the last
//! will on `<prefix>/relay/status`), and a task that polls the connection and hands incoming
//! packets to the relay, so publishing never waits on the task that reads.
//!
//! Sessions are clean: a command sent while no relay was listening is not carried out minutes
//! later; the desk's control times out instead and says so.

use crate::config::RelaySettings;
use crate::event::Health;
use crate::secrets::SecretStore;
use crate::topics::{Topics, OFFLINE};
use rumqttc::{
    AsyncClient, ConnectReturnCode, Event, EventLoop, LastWill, MqttOptions, Packet, Publish, QoS,
    Transport,
};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Largest packet sent or accepted (a `current` list of a busy extension fits easily).
const MAX_PACKET: usize = 256 * 1024;
/// Requests the client may queue before `publish` waits.
const QUEUE: usize = 4096;

/// Why the broker link could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("[relay] broker: {0}")]
    Config(String),
    #[error("broker password: {0}")]
    Secret(String),
}

/// What the poller hands the relay.
#[derive(Debug)]
pub enum Incoming {
    /// (Re)connected: subscribe and publish the state again.
    Connected,
    Message(Publish),
    /// The link failed (it is retried); the reason, for status.
    Down(String),
}

/// The relay's MQTT options: `will` sets the last will (the active relay's connection).
pub fn options(
    settings: &RelaySettings,
    client_id: &str,
    topics: &Topics,
    secrets: &dyn SecretStore,
    will: bool,
) -> Result<MqttOptions, BrokerError> {
    let broker = settings
        .broker_address()
        .map_err(|p| BrokerError::Config(p.message))?;
    let mut options = MqttOptions::new(client_id, broker.host, broker.port);
    options
        .set_clean_session(true)
        .set_keep_alive(Duration::from_secs(settings.keepalive_s.max(1)))
        .set_max_packet_size(MAX_PACKET, MAX_PACKET)
        .set_inflight(1000);
    if will {
        options.set_last_will(LastWill::new(
            topics.status(),
            OFFLINE,
            QoS::AtLeastOnce,
            true,
        ));
    }
    if let Some(user) = &settings.username {
        let password = match &settings.secret {
            None => String::new(),
            Some(name) => secrets
                .get(name)
                .map_err(|e| BrokerError::Secret(e.to_string()))?
                .ok_or_else(|| {
                    BrokerError::Secret(format!(
                        "nothing in the keyring under {name:?}: store it with `screenpop secret set {name}`"
                    ))
                })?,
        };
        options.set_credentials(user.clone(), password);
    }
    if broker.tls {
        let tls = crate::source::mqtt::tls::client_config(settings.ca_file.as_deref())
            .map_err(BrokerError::Config)?;
        options.set_transport(Transport::tls_with_config(tls.into()));
    }
    Ok(options)
}

/// A client and the task polling its connection until `stop`; incoming packets on the
/// receiver. The caller owns the handle and awaits it.
pub fn connect(
    options: MqttOptions,
    stop: CancellationToken,
) -> (
    AsyncClient,
    mpsc::Receiver<Incoming>,
    tokio::task::JoinHandle<()>,
) {
    let (client, eventloop) = AsyncClient::new(options, QUEUE);
    let (tx, rx) = mpsc::channel(QUEUE);
    let task = tokio::spawn(poll(eventloop, tx, stop));
    (client, rx, task)
}

async fn poll(mut eventloop: EventLoop, tx: mpsc::Sender<Incoming>, stop: CancellationToken) {
    let mut failures = 0u32;
    loop {
        let event = tokio::select! {
            e = eventloop.poll() => e,
            () = stop.cancelled() => return,
        };
        let incoming = match event {
            Ok(Event::Incoming(Packet::ConnAck(ack))) if ack.code == ConnectReturnCode::Success => {
                failures = 0;
                Incoming::Connected
            }
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                Incoming::Down(format!("the broker refused the login ({:?})", ack.code))
            }
            Ok(Event::Incoming(Packet::Publish(p))) => Incoming::Message(p),
            Ok(Event::Incoming(Packet::SubAck(ack)))
                if ack
                    .return_codes
                    .contains(&rumqttc::SubscribeReasonCode::Failure) =>
            {
                Incoming::Down(
                    "the broker refused a subscription (check the relay user's ACL)".into(),
                )
            }
            Ok(_) => continue,
            Err(e) => Incoming::Down(e.to_string()),
        };
        let down = matches!(incoming, Incoming::Down(_));
        if tx.send(incoming).await.is_err() {
            return;
        }
        if down {
            failures = failures.saturating_add(1);
            let wait = crate::source::supervisor::backoff(failures.saturating_sub(1))
                .min(Duration::from_secs(5));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = stop.cancelled() => return,
            }
        }
    }
}

/// The health a poller report stands for.
pub fn health(incoming: &Incoming) -> Option<Health> {
    match incoming {
        Incoming::Connected => Some(Health::Up),
        Incoming::Down(why) => Some(Health::Down(why.clone())),
        Incoming::Message(_) => None,
    }
}
