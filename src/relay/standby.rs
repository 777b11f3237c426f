//! Waiting for the floor: a relay starts as standby and becomes active only when no other
//! relay is (`<prefix>/relay/status` is not `online`). It then claims the floor on the
//! retained `<prefix>/relay/active` topic and keeps it if its claim is still the newest
//! [`SETTLE`] after the broker echoed it — the broker hands every subscriber the claims in the
//! same order, so of two relays claiming at once exactly one sees its claim last and wins.
//!
//! The standby's connection has no last will: only the active relay's going away may say
//! `offline`. The broker fires the active relay's will when its connection drops, or after
//! 1.5 × keep-alive of silence; the standby claims at once, so the floor moves within
//! a few seconds (default keep-alive 3 s).

use super::Relay;
use crate::event::{Health, Timestamp};
use crate::source::schema::floor::RelayInfo;
use crate::topics::ONLINE;
use rumqttc::QoS;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Retained messages arrive right after the subscription; this long is "nothing retained".
const RETAINED_WAIT: Duration = Duration::from_millis(400);
/// How long a claim must stay the newest after its echo.
const SETTLE: Duration = Duration::from_millis(300);
/// Another relay's fresh claim is respected this long (it is connecting with its will).
const CLAIM_RESPECT: Duration = Duration::from_secs(3);

/// Waits until this relay holds the floor; `Some(claim time)`, or `None` when stopped.
pub(super) async fn wait_turn(
    relay: &Relay,
    shutdown: &CancellationToken,
) -> Result<Option<Timestamp>, super::RelayError> {
    let options = super::broker::options(
        &relay.settings,
        &relay.client_id,
        &relay.topics,
        relay.secrets.as_ref(),
        false,
    )?;
    let stop = shutdown.child_token();
    let (client, mut incoming, poller) = super::broker::connect(options, stop.clone());
    super::status::update(&relay.status, |s| {
        s.role = "standby".into();
        s.pbx_health = Health::Down("standby: not connected".into());
    });
    let mut subscribed: Option<Instant> = None;
    let mut online = false;
    let mut active: Option<RelayInfo> = None;
    let mut claim: Option<(Timestamp, Option<Instant>)> = None;
    let mut told = false;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let result = loop {
        tokio::select! {
            () = shutdown.cancelled() => break None,
            Some(message) = incoming.recv() => {
                if let Some(h) = super::broker::health(&message) {
                    super::status::update(&relay.status, |s| s.broker_health = h);
                }
                match message {
                    super::broker::Incoming::Connected => {
                        for topic in [relay.topics.status(), relay.topics.active()] {
                            let _ = client.subscribe(topic, QoS::AtLeastOnce).await;
                        }
                        subscribed = Some(Instant::now());
                    }
                    super::broker::Incoming::Message(p) if p.topic == relay.topics.status() => {
                        online = String::from_utf8_lossy(&p.payload).trim() == ONLINE;
                    }
                    super::broker::Incoming::Message(p) if p.topic == relay.topics.active() => {
                        active = serde_json::from_slice(&p.payload).ok();
                        if let (Some((since, echo @ None)), Some(info)) = (&mut claim, &active) {
                            if info.relay == relay.client_id && info.since == *since {
                                *echo = Some(Instant::now());
                            }
                        }
                        super::status::update(&relay.status, |s| {
                            s.active_relay = active.as_ref().map(|a| a.relay.clone());
                        });
                    }
                    _ => {}
                }
            }
            _ = tick.tick() => {
                let Some(at) = subscribed else { continue };
                if at.elapsed() < RETAINED_WAIT {
                    continue;
                }
                let mine = |info: &Option<RelayInfo>, since: &Timestamp| {
                    info.as_ref().is_some_and(|i| i.relay == relay.client_id && i.since == *since)
                };
                match &claim {
                    Some((since, Some(echoed))) if echoed.elapsed() >= SETTLE => {
                        if mine(&active, since) {
                            tracing::info!(relay = %relay.client_id, "this relay holds the floor now");
                            break Some(*since);
                        }
                        tracing::info!(relay = %relay.client_id, other = ?active.as_ref().map(|a| &a.relay), "another relay claimed the floor at the same time; standing by");
                        claim = None;
                    }
                    Some(_) => {}
                    None if online => {
                        if !told {
                            tracing::info!(relay = %relay.client_id, active = ?active.as_ref().map(|a| &a.relay), "standby: another relay is active");
                            told = true;
                        }
                    }
                    None => {
                        let fresh_other = active.as_ref().is_some_and(|i| {
                            i.relay != relay.client_id
                                && chrono::Utc::now() - i.since
                                    < chrono::Duration::from_std(CLAIM_RESPECT).unwrap_or_default()
                        });
                        if fresh_other {
                            continue;
                        }
                        let since = chrono::Utc::now();
                        let info = RelayInfo {
                            relay: relay.client_id.clone(),
                            since,
                            pbx: Health::Connecting,
                            journal: relay.settings.journal,
                            lookup: relay.settings.lookup,
                        };
                        let body = serde_json::to_vec(&info).unwrap_or_default();
                        tracing::info!(relay = %relay.client_id, "no relay is active: claiming the floor");
                        if client.publish(relay.topics.active(), QoS::AtLeastOnce, true, body).await.is_ok() {
                            claim = Some((since, None));
                        }
                    }
                }
            }
        }
    };
    let _ = client.disconnect().await;
    // Give the DISCONNECT a moment to leave before the poller stops.
    let _ = tokio::time::timeout(Duration::from_millis(200), async {
        while incoming.recv().await.is_some() {}
    })
    .await;
    stop.cancel();
    let _ = poller.await;
    Ok(result)
}
