//! The desk's side of a relay-fed floor: besides `<prefix>/<ext>/events` the MQTT source reads
//! the retained `…/current` (a desk started mid-ring pops at once), `…/replies` (the relay's
//! answers to this desk's commands) and `<prefix>/relay/status` + `…/active` (the relay's
//! state, reported as the health of `<source>/relay` so the tray can say "relay offline").
//!
//! `current` only ever starts calls the desk does not know yet; calls the desk saw end
//! recently are skipped, so a stale retained list cannot bring one back.

use super::Mqtt;
use crate::control::ControlError;
use crate::event::{CallEvent, CallEventKind, Health, SourceId};
use crate::source::schema::floor::{Current, RelayInfo, Reply};
use crate::source::schema::{self};
use crate::topics::{Topics, OFFLINE, ONLINE};
use std::collections::{HashMap, HashSet, VecDeque};
use tokio::sync::oneshot;

/// How many ended call ids are remembered against stale `current` lists.
const ENDED_MEMORY: usize = 512;

/// What the source knows about the floor.
#[derive(Default)]
pub(super) struct FloorState {
    live: HashSet<String>,
    ended: VecDeque<String>,
    /// Commands waiting for the relay's reply, by token.
    pub(super) pending: HashMap<String, oneshot::Sender<Result<(), ControlError>>>,
    /// `Some(true)` once a relay said `online` (commands then wait for replies).
    pub(super) relay_online: Option<bool>,
    info: Option<RelayInfo>,
}

impl FloorState {
    /// Notes an event the desk is about to hand on.
    pub(super) fn saw(&mut self, event: &CallEvent) {
        match event.kind {
            CallEventKind::Ringing { .. } => {
                self.live.insert(event.call.0.clone());
            }
            CallEventKind::Ended { .. } => {
                self.live.remove(&event.call.0);
                if self.ended.len() >= ENDED_MEMORY {
                    self.ended.pop_front();
                }
                self.ended.push_back(event.call.0.clone());
            }
            CallEventKind::Answered | CallEventKind::PartyChanged { .. } => {}
        }
    }

    fn known(&self, call: &str) -> bool {
        self.live.contains(call) || self.ended.iter().any(|c| c == call)
    }

    /// The relay's state as a health line.
    fn relay_health(&self) -> Option<Health> {
        Some(match (self.relay_online?, &self.info) {
            (false, _) => Health::Down("relay offline (no relay holds the PBX connection)".into()),
            (true, Some(info)) => match &info.pbx {
                Health::Up => Health::Up,
                Health::Connecting => {
                    Health::Down(format!("relay {} is connecting to the PBX", info.relay))
                }
                Health::Down(why) => {
                    Health::Down(format!("relay {}: PBX connection down: {why}", info.relay))
                }
            },
            (true, None) => Health::Up,
        })
    }
}

/// What one floor message means for the source.
pub(super) enum FloorMessage {
    /// Events to hand to the engine (from `current`).
    Events(Vec<CallEvent>),
    /// The relay's state changed: report this health for `<source>/relay`.
    Relay(Health),
    Nothing,
}

impl Mqtt {
    /// The floor topics to subscribe besides the events topic.
    pub(super) fn floor_topics(&self) -> Vec<String> {
        match &self.floor {
            Some((t, ext)) => vec![t.current(ext), t.replies(ext), t.status(), t.active()],
            None => Vec::new(),
        }
    }

    /// The health entry name for the relay's state.
    pub(super) fn relay_source(&self) -> SourceId {
        SourceId(format!("{}/relay", self.id))
    }

    pub(super) fn state(&self) -> std::sync::MutexGuard<'_, FloorState> {
        crate::sync::lock(&self.floor_state)
    }

    /// Reads a message on one of [`Mqtt::floor_topics`]; `None` if `topic` is not one.
    pub(super) fn on_floor(&self, topic: &str, payload: &[u8]) -> Option<FloorMessage> {
        let (t, ext): &(Topics, String) = self.floor.as_ref()?;
        if topic == t.current(ext) {
            return Some(FloorMessage::Events(self.current(payload)));
        }
        if topic == t.replies(ext) {
            self.reply(payload);
            return Some(FloorMessage::Nothing);
        }
        if topic == t.status() || topic == t.active() {
            let mut state = self.state();
            let before = state.relay_health();
            if topic == t.status() {
                let word = String::from_utf8_lossy(payload).trim().to_ascii_lowercase();
                state.relay_online = match word.as_str() {
                    ONLINE => Some(true),
                    OFFLINE => Some(false),
                    // An empty retained message clears the topic: no relay configured.
                    _ => None,
                };
            } else {
                state.info = serde_json::from_slice(payload).ok();
            }
            let after = state.relay_health();
            return Some(match after {
                Some(h) if after != before => FloorMessage::Relay(h),
                _ => FloorMessage::Nothing,
            });
        }
        None
    }

    /// The calls of a `current` list the desk has not seen: ringing (and answered).
    fn current(&self, payload: &[u8]) -> Vec<CallEvent> {
        if payload.is_empty() {
            return Vec::new();
        }
        let current: Current = match serde_json::from_slice(payload) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(source = %self.id, error = %e, "ignoring an unreadable current-calls list");
                return Vec::new();
            }
        };
        let mut events = Vec::new();
        for call in current.calls {
            let answered = call.state == "answered";
            let event = match schema::into_event(call.ringing, &self.id) {
                Ok(e) if matches!(e.kind, CallEventKind::Ringing { .. }) => self.trusted(e),
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(source = %self.id, error = %e, "ignoring a call in the current-calls list");
                    continue;
                }
            };
            if self.state().known(&event.call.0) {
                continue;
            }
            tracing::info!(source = %self.id, call_id = %event.call, answered, "call live at the relay: showing it");
            let answer = answered.then(|| CallEvent {
                kind: CallEventKind::Answered,
                ..event.clone()
            });
            events.push(event);
            events.extend(answer);
        }
        events
    }

    /// Drops the relay's caller answer when this desk is told not to trust it.
    pub(super) fn trusted(&self, mut event: CallEvent) -> CallEvent {
        if !self.config.trust_caller {
            if let CallEventKind::Ringing {
                upstream: Some(up), ..
            } = &mut event.kind
            {
                up.matches.clear();
                up.looked_up = false;
            }
        }
        event
    }

    fn reply(&self, payload: &[u8]) {
        let reply: Reply = match serde_json::from_slice(payload) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(source = %self.id, error = %e, "ignoring an unreadable command reply");
                return;
            }
        };
        let Some(token) = reply.token else { return };
        let Some(waiting) = self.state().pending.remove(&token) else {
            return;
        };
        let result = if reply.ok {
            Ok(())
        } else {
            Err(ControlError::Refused(format!(
                "the relay: {}",
                reply.error.as_deref().unwrap_or("no reason given")
            )))
        };
        let _ = waiting.send(result);
    }
}
