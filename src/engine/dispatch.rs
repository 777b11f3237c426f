//! The dispatcher: routes committed events to a task per live call, in order per call.
//!
//! It owns the call tasks (a `JoinSet`, awaited at the end) and the map from call key to task.
//! An event nobody acts on (for an unknown call, or a ringing for a call just logged) is
//! marked done right away. Recently ended calls are remembered (a bounded set), so a source
//! re-announcing a call it already ended does not open it again.

use super::call::{self, CallMsg, Start};
use super::writer::{Change, Effect, Routed};
use super::{CallKey, Engine, EngineEvent};
use crate::event::{CallEventKind, Health, SourceId};
use crate::store::intake::Committed;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// How many ended calls the dispatcher remembers.
pub(super) const RECENT_ENDED: usize = 4096;

type Calls = HashMap<CallKey, mpsc::UnboundedSender<CallMsg>>;

pub(super) async fn run(
    engine: Arc<Engine>,
    mut routed: mpsc::Receiver<Routed>,
    effects: mpsc::UnboundedSender<Effect>,
) {
    let mut calls = Calls::new();
    let mut recent = Recent::default();
    let mut tasks: JoinSet<CallKey> = JoinSet::new();
    loop {
        tokio::select! {
            next = routed.recv() => match next {
                Some(Routed::Logged(keys)) => {
                    for (source, call_id) in keys {
                        recent.insert(CallKey { source, call_id });
                    }
                }
                Some(Routed::Recovered(live)) => {
                    let key = CallKey {
                        source: live.ringing.source.0.clone(),
                        call_id: live.ringing.call.0.clone(),
                    };
                    let (tx, rx) = mpsc::unbounded_channel();
                    calls.insert(key, tx);
                    tasks.spawn(call::run(Arc::clone(&engine), Start::Recovered(live), rx, effects.clone()));
                }
                Some(Routed::Event(committed)) => route(&engine, committed, &mut calls, &mut recent, &mut tasks, &effects),
                Some(Routed::Health { source, health }) => on_health(&engine, source, health, &calls),
                None => break,
            },
            Some(done) = tasks.join_next(), if !tasks.is_empty() => match done {
                Ok(key) => {
                    if calls.get(&key).is_some_and(|tx| tx.is_closed()) {
                        calls.remove(&key);
                        recent.insert(key);
                    }
                }
                Err(e) => tracing::error!(error = %e, "call task failed"),
            }
        }
    }
    // Shutdown: the call tasks stop where they are; their live rows wait for the next start.
    drop(calls);
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done {
            tracing::error!(error = %e, "call task failed");
        }
    }
}

fn route(
    engine: &Arc<Engine>,
    committed: Committed,
    calls: &mut Calls,
    recent: &mut Recent,
    tasks: &mut JoinSet<CallKey>,
    effects: &mpsc::UnboundedSender<Effect>,
) {
    let Committed { id, event } = committed;
    let key = CallKey {
        source: event.source.0.clone(),
        call_id: event.call.0.clone(),
    };
    let ends = matches!(event.kind, CallEventKind::Ended { .. });
    let event = match calls.get(&key) {
        Some(tx) => match tx.send(CallMsg::Event { id, event }) {
            Ok(()) => {
                if ends {
                    calls.remove(&key);
                    recent.insert(key);
                }
                return;
            }
            // The call closed itself (stale, or its source never came back).
            Err(mpsc::error::SendError(CallMsg::Event { event, .. })) => {
                calls.remove(&key);
                recent.insert(key.clone());
                event
            }
            Err(_) => return,
        },
        None => event,
    };
    if matches!(event.kind, CallEventKind::Ringing { .. }) && !recent.contains(&key) {
        let (tx, rx) = mpsc::unbounded_channel();
        calls.insert(key, tx);
        tasks.spawn(call::run(
            Arc::clone(engine),
            Start::Fresh { id, event },
            rx,
            effects.clone(),
        ));
        return;
    }
    tracing::info!(source = %event.source, call_id = %event.call, kind = ?event.kind, "event for an unknown or finished call ignored");
    let _ = effects.send(Effect {
        done: vec![id],
        change: Change::Nothing,
    });
}

fn on_health(engine: &Engine, source: SourceId, health: Health, calls: &Calls) {
    let changed = engine
        .health
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(source.0.clone(), health.clone())
        .as_ref()
        != Some(&health);
    if changed {
        tracing::info!(source = %source, health = ?health, "source health changed");
        let _ = engine.events.send(EngineEvent::SourceHealth {
            source: source.0.clone(),
            health: health.clone(),
        });
    }
    if matches!(health, Health::Down(_)) {
        for (key, tx) in calls {
            if key.source == source.0 {
                let _ = tx.send(CallMsg::SourceLost);
            }
        }
    }
}

/// A bounded set of recently ended calls (oldest forgotten first).
#[derive(Default)]
struct Recent {
    order: VecDeque<CallKey>,
    set: HashSet<CallKey>,
}

impl Recent {
    fn insert(&mut self, key: CallKey) {
        if self.set.insert(key.clone()) {
            self.order.push_back(key);
            if self.order.len() > RECENT_ENDED {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }

    fn contains(&self, key: &CallKey) -> bool {
        self.set.contains(key)
    }
}
