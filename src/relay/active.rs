//! The active relay: its broker connection carries the last will, it holds the PBX
//! connection, and one loop owns the [`Floor`] — PBX events, lookups, desks' commands and
//! time in; events, retained `current` lists, replies and journal records out.
//!
//! On taking the floor it reads the retained `current` lists the previous relay left and,
//! once the PBX has listed its channels, ends (as "source lost") every call in them the PBX no
//! longer has, so no desk keeps a call that ended during the handover. Calls still live are
//! announced again by the tracker; desks take a repeated `ringing` as the same call.

use super::floor::{Finished, Floor, Out};
use super::{broker, commands, status, Relay};
use crate::directory::Customer;
use crate::engine::{EngineEvent, Input};
use crate::event::{CallEvent, CallEventKind, CallId, EndReason, Health, SourceId, Timestamp};
use crate::phone::Remote;
use crate::source::schema::floor::{Current, RelayInfo};
use crate::source::schema::{self};
use crate::store::calls::CallRecord;
use crate::topics::{OFFLINE, ONLINE};
use futures::StreamExt;
use rumqttc::{AsyncClient, QoS};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// After the PBX connection is up, how long its channel listing may take before calls left
/// in the previous relay's `current` lists are ended.
const RECONCILE_AFTER: Duration = Duration::from_millis(1500);

/// How the active phase ended.
pub(super) enum Ended {
    Stopped,
    /// Another relay claimed the floor after us (we were cut off): stand by again.
    Superseded,
}

type CommandDone = (String, Option<String>, Result<(), String>);

/// Serves the floor until stopped or superseded.
pub(super) async fn serve(
    relay: &Relay,
    since: Timestamp,
    shutdown: &CancellationToken,
    wake: &broadcast::Sender<EngineEvent>,
) -> Result<Ended, super::RelayError> {
    let options = broker::options(
        &relay.settings,
        &relay.client_id,
        &relay.topics,
        relay.secrets.as_ref(),
        true,
    )?;
    let stop = shutdown.child_token();
    let (client, mut incoming, poller) = broker::connect(options, stop.clone());
    let mut pbx = relay.pbx.lock().await;
    let (health_tx, mut health_rx) = mpsc::channel::<Input>(64);
    let stop_pbx = CancellationToken::new();
    let supervised =
        crate::source::supervisor::supervise(Arc::clone(&pbx.source), health_tx, stop_pbx.clone());
    let mut this = Active {
        relay,
        client: client.clone(),
        floor: Floor::new(relay.settings.lookup, relay.settings.journal),
        since,
        pbx_health: Health::Connecting,
        stale: HashMap::new(),
        reconcile_at: None,
        reconciled: false,
        wake: wake.clone(),
        out: Vec::new(),
    };
    status::update(&relay.status, |s| {
        s.role = "active".into();
        s.active_relay = Some(relay.client_id.clone());
        s.pbx_health = Health::Connecting;
    });
    let (looked_tx, mut looked_rx) = mpsc::channel::<(String, Option<Vec<Customer>>)>(1024);
    let mut lookups = JoinSet::new();
    let mut commands: JoinSet<CommandDone> = JoinSet::new();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let ended = loop {
        tokio::select! {
            () = shutdown.cancelled() => break Ended::Stopped,
            Some(message) = incoming.recv() => {
                if let Some(h) = broker::health(&message) {
                    status::update(&relay.status, |s| s.broker_health = h);
                }
                match message {
                    broker::Incoming::Connected => this.connected().await,
                    broker::Incoming::Down(why) => {
                        tracing::warn!(error = %why, "broker link down; retrying");
                    }
                    broker::Incoming::Message(p) => {
                        if p.topic == relay.topics.active() {
                            if let Ok(info) = serde_json::from_slice::<RelayInfo>(&p.payload) {
                                if info.relay != relay.client_id && info.since > since {
                                    tracing::warn!(other = %info.relay, "another relay took the floor; standing by");
                                    break Ended::Superseded;
                                }
                            }
                            continue;
                        }
                        let Some((ext, leaf)) = relay.topics.split(&p.topic) else { continue };
                        match leaf {
                            "commands" => {
                                let (token, work) = commands::prepare(ext, &p.payload, &this.floor, &pbx.control);
                                let ext = ext.to_string();
                                match work {
                                    Ok(work) => {
                                        commands.spawn(async move {
                                            let result = work.await.map_err(|e| e.to_string());
                                            (ext, token, result)
                                        });
                                    }
                                    Err(refused) => this.reply(&ext, token, Err(refused)).await,
                                }
                            }
                            "current" if p.retain && !this.reconciled => {
                                if let Ok(current) = serde_json::from_slice::<Current>(&p.payload) {
                                    if !current.calls.is_empty() {
                                        this.stale.insert(ext.to_string(), current);
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            Some(event) = pbx.events.next() => this.floor.on_event(event, &mut this.out),
            Some(input) = health_rx.recv() => {
                if let Input::Health { health, .. } = input {
                    if health == Health::Up && this.pbx_health != Health::Up {
                        this.reconcile_at = Some(Instant::now() + RECONCILE_AFTER);
                    }
                    this.pbx_health = health.clone();
                    status::update(&relay.status, |s| s.pbx_health = health);
                    this.publish_info().await;
                }
            }
            Some((call, matches)) = looked_rx.recv() => this.floor.looked_up(&call, matches, &mut this.out),
            Some(_) = lookups.join_next(), if !lookups.is_empty() => {}
            Some(done) = commands.join_next(), if !commands.is_empty() => {
                if let Ok((ext, token, result)) = done {
                    this.reply(&ext, token, result).await;
                }
            }
            _ = tick.tick() => {
                this.floor.tick(chrono::Utc::now(), &mut this.out);
                if this.reconcile_at.is_some_and(|t| Instant::now() >= t) {
                    this.reconcile();
                }
                this.report();
            }
        }
        for out in std::mem::take(&mut this.out) {
            if let Out::Lookup { call, number } = out {
                this.lookup(call, number, &looked_tx, &mut lookups);
            } else {
                this.publish(out).await;
            }
        }
    };
    // Stop the PBX first so nothing new comes in; then say so and go.
    stop_pbx.cancel();
    let _ = supervised.await;
    drop(pbx);
    lookups.abort_all();
    commands.abort_all();
    if matches!(ended, Ended::Stopped) {
        let _ = client
            .publish(relay.topics.status(), QoS::AtLeastOnce, true, OFFLINE)
            .await;
    }
    let _ = client.disconnect().await;
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(m) = incoming.recv().await {
            if matches!(m, broker::Incoming::Down(_)) {
                break;
            }
        }
    })
    .await;
    stop.cancel();
    let _ = poller.await;
    status::update(&relay.status, |s| {
        s.role = "standby".into();
        s.pbx_health = Health::Down("standby: not connected".into());
    });
    Ok(ended)
}

/// The active phase's state.
struct Active<'a> {
    relay: &'a Relay,
    client: AsyncClient,
    floor: Floor,
    since: Timestamp,
    pbx_health: Health,
    /// The previous relay's retained `current` lists, until reconciled.
    stale: HashMap<String, Current>,
    reconcile_at: Option<Instant>,
    reconciled: bool,
    wake: broadcast::Sender<EngineEvent>,
    out: Vec<Out>,
}

impl Active<'_> {
    /// (Re)connected to the broker: subscribe, say online, publish the state again.
    async fn connected(&mut self) {
        let t = &self.relay.topics;
        for topic in [
            format!("{}/+/commands", t.prefix()),
            format!("{}/+/current", t.prefix()),
            t.active(),
        ] {
            if let Err(e) = self.client.subscribe(topic, QoS::AtLeastOnce).await {
                tracing::warn!(error = %e, "cannot subscribe");
            }
        }
        let _ = self
            .client
            .publish(t.status(), QoS::AtLeastOnce, true, ONLINE)
            .await;
        self.publish_info().await;
        let extensions: Vec<String> = self.floor.extensions_seen().cloned().collect();
        for extension in extensions {
            self.publish(Out::Current { extension }).await;
        }
        tracing::info!(relay = %self.relay.client_id, broker = %self.relay.settings.broker, "relay online");
    }

    async fn publish_info(&self) {
        let info = RelayInfo {
            relay: self.relay.client_id.clone(),
            since: self.since,
            pbx: self.pbx_health.clone(),
            journal: self.relay.settings.journal,
            lookup: self.relay.settings.lookup,
        };
        let body = serde_json::to_vec(&info).unwrap_or_default();
        let _ = self
            .client
            .publish(self.relay.topics.active(), QoS::AtLeastOnce, true, body)
            .await;
    }

    async fn publish(&mut self, out: Out) {
        let t = &self.relay.topics;
        let (topic, retain, body) = match out {
            Out::Event { extension, event } => {
                tracing::debug!(extension = %extension, call_id = %event.call, kind = ?kind_name(&event.kind), "publishing");
                (
                    t.events(&extension),
                    false,
                    serde_json::to_vec(&schema::to_wire(&event)).unwrap_or_default(),
                )
            }
            Out::Current { extension } => {
                let current = self.floor.current(&extension, chrono::Utc::now());
                (
                    t.current(&extension),
                    true,
                    serde_json::to_vec(&current).unwrap_or_default(),
                )
            }
            Out::Finished(done) => {
                self.finish(*done).await;
                return;
            }
            Out::Lookup { .. } => return,
        };
        match self
            .client
            .publish(topic, QoS::AtLeastOnce, retain, body)
            .await
        {
            Ok(()) => status::update(&self.relay.status, |s| s.published += 1),
            Err(e) => tracing::warn!(error = %e, "cannot publish"),
        }
    }

    async fn reply(&mut self, extension: &str, token: Option<String>, result: Result<(), String>) {
        if let Err(why) = &result {
            tracing::info!(extension, error = %why, "command refused");
        }
        let ok = result.is_ok();
        status::update(&self.relay.status, |s| {
            if ok {
                s.commands_ok += 1
            } else {
                s.commands_refused += 1
            }
        });
        let body = serde_json::to_vec(&commands::reply(token, result)).unwrap_or_default();
        let _ = self
            .client
            .publish(
                self.relay.topics.replies(extension),
                QoS::AtLeastOnce,
                false,
                body,
            )
            .await;
    }

    /// Starts the one lookup of a call; its answer (or "past the budget") comes back on `tx`.
    fn lookup(
        &self,
        call: String,
        number: String,
        tx: &mpsc::Sender<(String, Option<Vec<Customer>>)>,
        tasks: &mut JoinSet<()>,
    ) {
        let tx = tx.clone();
        let Remote::Number(n) = self.relay.rules.normalise(&number) else {
            tasks.spawn(async move {
                let _ = tx.send((call, Some(Vec::new()))).await;
            });
            return;
        };
        let chain = Arc::clone(&self.relay.chain);
        let budget = self.relay.budget;
        tasks.spawn(async move {
            let lookup = async move { chain.lookup(&n).await };
            tokio::pin!(lookup);
            let outcome = match tokio::time::timeout(budget, &mut lookup).await {
                Ok(o) => o,
                Err(_) => {
                    tracing::info!(call_id = %call, "lookup past budget; publishing without caller");
                    let _ = tx.send((call.clone(), None)).await;
                    lookup.await
                }
            };
            let _ = tx.send((call, Some(outcome.matches.clone()))).await;
        });
    }

    /// Ends calls the previous relay left in `current` that the PBX no longer has.
    fn reconcile(&mut self) {
        self.reconcile_at = None;
        self.reconciled = true;
        let now = chrono::Utc::now();
        for (extension, current) in std::mem::take(&mut self.stale) {
            let mut gone = false;
            for call in current.calls {
                let Some(id) = call.ringing.call_id.clone() else {
                    continue;
                };
                if self.floor.live_at(&extension, &id) {
                    continue;
                }
                tracing::info!(extension = %extension, call_id = %id, "call left by the previous relay is gone: ending it");
                gone = true;
                self.out.push(Out::Event {
                    extension: extension.clone(),
                    event: CallEvent {
                        source: SourceId(self.relay.client_id.clone()),
                        call: CallId(id),
                        at: now,
                        kind: CallEventKind::Ended {
                            reason: EndReason::SourceLost,
                        },
                    },
                });
            }
            if gone {
                self.out.push(Out::Current { extension });
            }
        }
    }

    /// Writes the PBX call's one record (and its outbox rows: journaled once, here).
    async fn finish(&mut self, done: Finished) {
        let record = done.record(&self.relay.rules);
        match self.relay.log.record(&record, &self.relay.journal_to).await {
            Ok(id) => {
                tracing::info!(call_id = %done.call, journal = !self.relay.journal_to.is_empty(), "call finished");
                let _ = self.wake.send(EngineEvent::Logged {
                    record: Arc::new(CallRecord { id, ..record }),
                });
            }
            Err(e) => tracing::error!(call_id = %done.call, error = %e, "call could not be logged"),
        }
    }

    fn report(&self) {
        let seen: Vec<String> = self.floor.extensions_seen().cloned().collect();
        let calls = self
            .floor
            .live()
            .into_iter()
            .map(|(call_id, extensions)| status::LiveCall {
                call_id,
                extensions,
            })
            .collect();
        status::update(&self.relay.status, |s| {
            s.extensions_seen = seen;
            s.calls = calls;
        });
    }
}

fn kind_name(kind: &CallEventKind) -> &'static str {
    match kind {
        CallEventKind::Ringing { .. } => "ringing",
        CallEventKind::Answered => "answered",
        CallEventKind::PartyChanged { .. } => "party_changed",
        CallEventKind::Ended { .. } => "ended",
    }
}
