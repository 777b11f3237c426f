//! The engine: sources' [`CallEvent`]s in, per-call state machines, [`EngineEvent`]s out.
//!
//! One dispatcher task routes events by `(source, call id)` to a task per live call, so a
//! call's events are handled in order while calls run in parallel. Repeated `Ringing` is one
//! call; `Answered`/`Ended` for a call we never saw are logged and ignored; when a source goes
//! down its live calls are closed as "source lost". The engine stops when every input sender
//! is dropped, closing calls still live as ended by shutdown.

mod call;
pub mod view;

pub use view::{CallKey, CallView, EngineEvent, LookupState};

use crate::control::CallControl;
use crate::directory::chain::Chain;
use crate::event::{CallEvent, CallEventKind, EndReason, Health, SourceId};
use crate::phone::PhoneRules;
use crate::rules::Rulebook;
use crate::store::calls::CallLog;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinSet;

/// What sources hand the engine.
#[derive(Debug, Clone)]
pub enum Input {
    Event(CallEvent),
    Health { source: SourceId, health: Health },
}

/// The shared parts every call task uses.
pub struct Engine {
    rules: PhoneRules,
    chain: Arc<Chain>,
    log: CallLog,
    budget: Duration,
    journal_to: Vec<String>,
    events: broadcast::Sender<EngineEvent>,
    live: Mutex<HashMap<CallKey, Arc<CallView>>>,
    health: Mutex<HashMap<String, Health>>,
    /// Routing rules applied when a caller's lookup lands.
    rulebook: RwLock<Arc<Rulebook>>,
    /// Call control by source name (a rule's transfer goes through the call's own source).
    controls: RwLock<HashMap<String, Arc<dyn CallControl>>>,
}

impl Engine {
    /// An engine looking callers up in `chain` within `budget`, logging to `log`.
    pub fn new(rules: PhoneRules, chain: Arc<Chain>, log: CallLog, budget: Duration) -> Arc<Self> {
        let journal_to = chain
            .directories()
            .iter()
            .filter(|d| d.journals())
            .map(|d| d.name().to_string())
            .collect();
        let (events, _) = broadcast::channel(1024);
        Arc::new(Self {
            rules,
            chain,
            log,
            budget,
            journal_to,
            events,
            live: Mutex::new(HashMap::new()),
            health: Mutex::new(HashMap::new()),
            rulebook: RwLock::default(),
            controls: RwLock::default(),
        })
    }

    /// Replaces the routing rules (calls already decided keep their decision).
    pub fn set_rules(&self, rulebook: Rulebook) {
        *self.rulebook.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(rulebook);
    }

    /// The routing rules in force.
    pub fn rulebook(&self) -> Arc<Rulebook> {
        Arc::clone(&self.rulebook.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Registers a source's call control; its `name()` must be the source's id.
    pub fn add_control(&self, control: Arc<dyn CallControl>) {
        self.controls
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(control.name().to_string(), control);
    }

    /// The call control of source `source`, if it has one.
    pub fn control(&self, source: &str) -> Option<Arc<dyn CallControl>> {
        self.controls
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(source)
            .cloned()
    }

    /// A receiver of everything the engine announces from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    /// The calls in progress, oldest first.
    pub fn live_calls(&self) -> Vec<Arc<CallView>> {
        let mut calls: Vec<_> = self
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        calls.sort_by_key(|c| c.started_at);
        calls
    }

    /// Each source's last reported health.
    pub fn source_health(&self) -> Vec<(String, Health)> {
        let mut all: Vec<_> = self
            .health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// The lookup chain (for `lookup` commands and health).
    pub fn chain(&self) -> &Arc<Chain> {
        &self.chain
    }

    /// Starts the dispatcher; feed it through the returned sender. The task ends when every
    /// clone of the sender is dropped and all calls are closed and logged.
    pub fn start(self: &Arc<Self>) -> (mpsc::Sender<Input>, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(1024);
        let handle = tokio::spawn(Arc::clone(self).dispatch(rx));
        (tx, handle)
    }

    async fn dispatch(self: Arc<Self>, mut rx: mpsc::Receiver<Input>) {
        let mut calls: HashMap<CallKey, mpsc::UnboundedSender<CallEvent>> = HashMap::new();
        let mut tasks = JoinSet::new();
        loop {
            tokio::select! {
                input = rx.recv() => match input {
                    Some(Input::Event(event)) => self.route(event, &mut calls, &mut tasks),
                    Some(Input::Health { source, health }) => self.on_health(source, health, &mut calls),
                    None => break,
                },
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Err(e) = done {
                        tracing::error!(error = %e, "call task failed");
                    }
                }
            }
            calls.retain(|_, tx| !tx.is_closed());
        }
        let now = chrono::Utc::now();
        for (key, tx) in calls.drain() {
            let _ = tx.send(CallEvent {
                source: SourceId(key.source.clone()),
                call: crate::event::CallId(key.call_id.clone()),
                at: now,
                kind: CallEventKind::Ended {
                    reason: EndReason::Stopped,
                },
            });
        }
        while let Some(done) = tasks.join_next().await {
            if let Err(e) = done {
                tracing::error!(error = %e, "call task failed");
            }
        }
    }

    fn route(
        self: &Arc<Self>,
        event: CallEvent,
        calls: &mut HashMap<CallKey, mpsc::UnboundedSender<CallEvent>>,
        tasks: &mut JoinSet<()>,
    ) {
        let key = CallKey {
            source: event.source.0.clone(),
            call_id: event.call.0.clone(),
        };
        let ends = matches!(event.kind, CallEventKind::Ended { .. });
        if let Some(tx) = calls.get(&key) {
            if tx.send(event).is_ok() {
                if ends {
                    calls.remove(&key);
                }
                return;
            }
            calls.remove(&key);
            return;
        }
        match event.kind {
            CallEventKind::Ringing { .. } => {
                let (tx, rx) = mpsc::unbounded_channel();
                calls.insert(key, tx);
                tasks.spawn(call::run(Arc::clone(self), event, rx));
            }
            _ => {
                tracing::info!(source = %event.source, call_id = %event.call, kind = ?event.kind, "event for an unknown call ignored")
            }
        }
    }

    fn on_health(
        &self,
        source: SourceId,
        health: Health,
        calls: &mut HashMap<CallKey, mpsc::UnboundedSender<CallEvent>>,
    ) {
        let changed = self
            .health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(source.0.clone(), health.clone())
            .as_ref()
            != Some(&health);
        if changed {
            tracing::info!(source = %source, health = ?health, "source health changed");
            let _ = self.events.send(EngineEvent::SourceHealth {
                source: source.0.clone(),
                health: health.clone(),
            });
        }
        if matches!(health, Health::Down(_)) {
            let now = chrono::Utc::now();
            calls.retain(|key, tx| {
                if key.source != source.0 {
                    return true;
                }
                let _ = tx.send(CallEvent {
                    source: source.clone(),
                    call: crate::event::CallId(key.call_id.clone()),
                    at: now,
                    kind: CallEventKind::Ended {
                        reason: EndReason::SourceLost,
                    },
                });
                false
            });
        }
    }

    fn publish(&self, view: CallView) {
        let view = Arc::new(view);
        {
            let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
            if view.state == crate::event::CallState::Ended {
                live.remove(&view.key);
            } else {
                live.insert(view.key.clone(), Arc::clone(&view));
            }
        }
        let _ = self.events.send(EngineEvent::Call { view });
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod upstream_tests;
