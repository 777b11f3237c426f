//! The engine: sources' [`CallEvent`]s in, per-call state machines, [`EngineEvent`]s out.
//!
//! Every event is committed to the store before anything acts on it ([`writer`]: group
//! commits, then the source's acknowledgement); one dispatcher routes committed events by
//! `(source, call id)` to a task per live call, so a call's events are handled in order while
//! calls run in parallel. Each event is marked done in the transaction that writes its
//! effects, and live calls are rows, so a restart — even after `kill -9` — resumes both.
//! Repeated `Ringing` is one call; `Answered`/`Ended` for a call we never saw are logged and
//! ignored; a call id is logged once (a source re-announcing a call after it reconnects is
//! the same call). When a source goes down its live calls wait [`Timing::source_lost_grace`]
//! for it to come back and re-announce them, then close as "source lost"; a call whose end
//! never comes closes as "screenpop stopped" after [`Timing::stale_call`]. The engine stops
//! when every input sender is dropped; live calls stay in the store for the next start.

mod call;
mod dispatch;
pub mod view;
mod writer;

pub use view::{CallKey, CallView, EngineEvent, LookupState};

use crate::control::CallControl;
use crate::directory::chain::Chain;
use crate::event::{CallEvent, Health, SourceId};
use crate::phone::PhoneRules;
use crate::rules::Rulebook;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// What sources hand the engine.
#[derive(Debug)]
pub enum Input {
    /// An event, committed as it arrives (sources without acknowledgements).
    Event(CallEvent),
    /// An event whose source acknowledges it once `ack` says it is committed (`true`), or
    /// refuses it (`false`: the store failed; the source should not acknowledge).
    Acked {
        event: CallEvent,
        ack: tokio::sync::oneshot::Sender<bool>,
    },
    Health {
        source: SourceId,
        health: Health,
    },
}

/// The engine's clocks.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// The lookup budget: past it the call pops without the answer.
    pub budget: Duration,
    /// A call whose end never comes is closed as "screenpop stopped" this long after it rang.
    pub stale_call: Duration,
    /// How long a lost source's calls wait for it to come back before closing as "source lost".
    pub source_lost_grace: Duration,
}

impl Timing {
    /// `budget` with the default stale-call time (4 h) and source-lost grace (5 s).
    pub fn with_budget(budget: Duration) -> Self {
        Self {
            budget,
            stale_call: Duration::from_secs(crate::config::DEFAULT_STALE_CALL_S),
            source_lost_grace: Duration::from_secs(5),
        }
    }
}

/// The shared parts every call task uses.
pub struct Engine {
    rules: PhoneRules,
    chain: Arc<Chain>,
    store: Store,
    timing: Timing,
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
    /// An engine looking callers up in `chain`, committing events and logging calls in `store`.
    pub fn new(rules: PhoneRules, chain: Arc<Chain>, store: Store, timing: Timing) -> Arc<Self> {
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
            store,
            timing,
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

    /// Starts the writer and the dispatcher; feed them through the returned sender. Calls
    /// left live by the last run and committed events it did not finish are resumed first.
    /// The task ends when every clone of the sender is dropped and in-flight effects are
    /// written; calls still live stay in the store.
    pub fn start(self: &Arc<Self>) -> (mpsc::Sender<Input>, tokio::task::JoinHandle<()>) {
        let (tx, inputs) = mpsc::channel(1024);
        let (effects_tx, effects) = mpsc::unbounded_channel();
        let (routed_tx, routed) = mpsc::channel(1024);
        let writer = writer::run(
            Arc::clone(self),
            self.store.clone(),
            inputs,
            effects,
            routed_tx,
        );
        let dispatcher = dispatch::run(Arc::clone(self), routed, effects_tx);
        let handle = tokio::spawn(async move {
            tokio::join!(writer, dispatcher);
        });
        (tx, handle)
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
