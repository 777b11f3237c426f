//! From AMI channel events to one agent's calls: legs grouped by `Linkedid`, one call each.
//!
//! Asterisk reports channels (legs), not calls. A ring group, a queue, `Local/` helper
//! channels, a queue ringing the agent twice, a transfer — all are several channels sharing
//! one `Linkedid` (the Uniqueid of the oldest channel in the call). The [`Tracker`] keeps the
//! channels it has heard of and, for the ones that belong to the configured extension, one
//! call per Linkedid: `Ringing` once (however many legs ring), `Answered` once, `Ended` when
//! the agent's part is over — answered elsewhere when a colleague picked up, transferred when
//! the agent (or a rule) moved it on, missed otherwise. It is pure: messages and clock in,
//! [`CallEvent`]s out, so it can be tested and benchmarked without a socket.

mod legs;

use super::channel::{Extension, Party};
use super::wire::Message;
use crate::event::{
    CallEvent, CallEventKind, CallId, Direction, EndReason, RawNumber, SourceId, Timestamp,
};
use std::collections::HashMap;
use std::time::Duration;

/// How long an unanswered call waits, after the agent's last leg stopped ringing, for the
/// PBX to ring the agent again (queue retry) before it counts as over.
pub const RETRY_WINDOW: Duration = Duration::from_secs(20);
/// More channels than this in memory means Hangups were lost; start over.
const MAX_CHANNELS: usize = 50_000;

#[derive(Debug, Clone)]
struct Channel {
    name: String,
    linkedid: String,
    ours: bool,
    caller: Party,
    connected: Party,
}

#[derive(Debug)]
struct Call {
    direction: Direction,
    started: Timestamp,
    /// Uniqueids of the agent's legs still up.
    legs: Vec<String>,
    announced: bool,
    answered: bool,
    remote: Party,
    elsewhere: bool,
    transferred: bool,
    /// When the agent's last leg went away unanswered (waiting for a retry or the end).
    idle_since: Option<Timestamp>,
    /// The agent's newest channel (for Hangup).
    agent_channel: String,
    /// The other party's channel (for Redirect).
    peer_channel: Option<String>,
}

/// One extension's view of an Asterisk: see the module docs.
#[derive(Debug)]
pub struct Tracker {
    source: SourceId,
    extension: Extension,
    channels: HashMap<String, Channel>,
    calls: HashMap<String, Call>,
    /// The technology the agent's phone was last seen on (`PJSIP`), for Originate.
    device_tech: Option<String>,
}

impl Tracker {
    /// A tracker reporting calls of `extension` as `source`.
    pub fn new(source: SourceId, extension: Extension) -> Self {
        Self {
            source,
            device_tech: extension.tech.clone(),
            extension,
            channels: HashMap::new(),
            calls: HashMap::new(),
        }
    }

    /// Forgets every channel and call (a new connection starts from what the PBX says).
    pub fn reset(&mut self) {
        self.channels.clear();
        self.calls.clear();
    }

    /// The agent's device for Originate (`PJSIP/201`).
    pub fn device(&self) -> String {
        format!(
            "{}/{}",
            self.device_tech.as_deref().unwrap_or("PJSIP"),
            self.extension.resource
        )
    }

    /// Calls in progress (Linkedids), for tests and status.
    pub fn live_calls(&self) -> usize {
        self.calls.values().filter(|c| c.announced).count()
    }

    /// The call `call_id`, or the newest live call when `None`.
    fn find(&self, call_id: Option<&str>) -> Option<(&String, &Call)> {
        match call_id {
            Some(id) => self.calls.get_key_value(id),
            None => self
                .calls
                .iter()
                .filter(|(_, c)| c.announced)
                .max_by_key(|(_, c)| c.started),
        }
    }

    /// The channel to Redirect for a transfer of `call_id` (the party talking to the agent).
    pub fn peer_channel(&self, call_id: Option<&str>) -> Option<(String, String)> {
        let (id, call) = self.find(call_id)?;
        Some((id.clone(), call.peer_channel.clone()?))
    }

    /// The agent's channel in `call_id` (for Hangup).
    pub fn agent_channel(&self, call_id: Option<&str>) -> Option<String> {
        self.find(call_id).map(|(_, c)| c.agent_channel.clone())
    }

    /// Records that the call was handed on (by us or a rule), so its end is not "missed".
    pub fn mark_transferred(&mut self, call_id: &str) {
        if let Some(call) = self.calls.get_mut(call_id) {
            call.transferred = true;
        }
    }

    /// Applies one AMI message at time `at`, appending any resulting events to `out`.
    pub fn on_message(&mut self, msg: &Message, at: Timestamp, out: &mut Vec<CallEvent>) {
        let Some(event) = msg.event() else {
            return;
        };
        match event {
            "Newchannel" => {
                self.upsert(msg, "", at);
            }
            "CoreShowChannel" => self.on_listed(msg, at, out),
            "NewCallerid" | "NewConnectedLine" => {
                self.upsert(msg, "", at);
            }
            "Newstate" => {
                if let Some(uid) = self.upsert(msg, "", at) {
                    match msg.get("ChannelState") {
                        Some("5") => self.ringing_leg(&uid, at, out),
                        Some("6") => self.answered_leg(&uid, at, out),
                        _ => {}
                    }
                }
            }
            "DialBegin" => self.on_dial_begin(msg, at, out),
            "DialEnd" => self.on_dial_end(msg, at, out),
            "BridgeEnter" => self.on_bridge_enter(msg, at, out),
            "Hangup" => self.on_hangup(msg, at, out),
            "BlindTransfer" => self.on_transfer(msg, &["Transferer"]),
            "AttendedTransfer" => {
                self.on_transfer(msg, &["OrigTransferer", "SecondTransferer"]);
            }
            _ => {}
        }
    }

    /// Ends calls whose agent legs stopped ringing more than [`RETRY_WINDOW`] ago.
    pub fn tick(&mut self, now: Timestamp, out: &mut Vec<CallEvent>) {
        let expired: Vec<String> = self
            .calls
            .iter()
            .filter(|(_, c)| {
                c.idle_since
                    .is_some_and(|t| (now - t).to_std().unwrap_or_default() >= RETRY_WINDOW)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            self.end(&id, now, out);
        }
    }

    /// Records the channel described by `prefix` fields (`""` or `"Dest"`); returns its Uniqueid.
    fn upsert(&mut self, msg: &Message, prefix: &str, at: Timestamp) -> Option<String> {
        let field = |name: &str| msg.get(&format!("{prefix}{name}"));
        let uid = field("Uniqueid")?.to_string();
        let name = field("Channel")?.to_string();
        let linkedid = field("Linkedid").unwrap_or(&uid).to_string();
        let ours = self.extension.owns(&name);
        if ours && self.device_tech.is_none() {
            self.device_tech = name.split_once('/').map(|(t, _)| t.to_string());
        }
        if self.channels.len() >= MAX_CHANNELS && !self.channels.contains_key(&uid) {
            tracing::warn!(source = %self.source, "too many AMI channels without Hangup; forgetting them");
            self.channels.clear();
            self.calls.retain(|_, c| c.announced);
        }
        let caller = Party::from(msg, prefix, "CallerID");
        let connected = Party::from(msg, prefix, "ConnectedLine");
        self.channels.insert(
            uid.clone(),
            Channel {
                name: name.clone(),
                linkedid: linkedid.clone(),
                ours,
                caller,
                connected,
            },
        );
        if ours {
            let direction = if uid == linkedid {
                Direction::Outbound
            } else {
                Direction::Inbound
            };
            let call = self.calls.entry(linkedid).or_insert_with(|| Call {
                direction,
                started: at,
                legs: Vec::new(),
                announced: false,
                answered: false,
                remote: Party::default(),
                elsewhere: false,
                transferred: false,
                idle_since: None,
                agent_channel: name.clone(),
                peer_channel: None,
            });
            if !call.legs.contains(&uid) {
                call.legs.push(uid.clone());
            }
            call.agent_channel = name;
            call.idle_since = None;
        }
        Some(uid)
    }

    fn call_of_mut(&mut self, uid: &str) -> Option<&mut Call> {
        let linkedid = &self.channels.get(uid)?.linkedid;
        self.calls.get_mut(linkedid)
    }

    /// The caller as best known for the agent's inbound leg `uid`.
    fn remote_for(&self, uid: &str) -> Party {
        let Some(leg) = self.channels.get(uid) else {
            return Party::default();
        };
        let origin = self.channels.get(&leg.linkedid);
        if let Some(call) = self.calls.get(&leg.linkedid) {
            if call.remote.known() {
                return call.remote.clone();
            }
        }
        if leg.connected.known() && leg.connected.number != self.extension.resource {
            return leg.connected.clone();
        }
        origin.map(|o| o.caller.clone()).unwrap_or_default()
    }

    fn ringing_leg(&mut self, uid: &str, at: Timestamp, out: &mut Vec<CallEvent>) {
        let inbound = self
            .call_of_mut(uid)
            .is_some_and(|c| c.direction == Direction::Inbound);
        if inbound && self.channels.get(uid).is_some_and(|c| c.ours) {
            self.announce_with(uid, None, at, out);
        }
    }

    fn answered_leg(&mut self, uid: &str, at: Timestamp, out: &mut Vec<CallEvent>) {
        let Some(channel) = self.channels.get(uid) else {
            return;
        };
        let inbound = self
            .calls
            .get(&channel.linkedid)
            .is_some_and(|c| c.direction == Direction::Inbound);
        if channel.ours && inbound {
            self.answer(uid, at, out);
        }
    }

    fn answer(&mut self, uid: &str, at: Timestamp, out: &mut Vec<CallEvent>) {
        self.announce_with(uid, None, at, out);
        let Some(call) = self.call_of_mut(uid) else {
            return;
        };
        if call.answered || call.elsewhere {
            return;
        }
        call.answered = true;
        self.emit(uid, CallEventKind::Answered, at, out);
    }

    /// Emits `Ringing` for the call of leg `uid` once; `remote` overrides what is known.
    fn announce_with(
        &mut self,
        uid: &str,
        remote: Option<Party>,
        at: Timestamp,
        out: &mut Vec<CallEvent>,
    ) {
        let remote = match remote {
            Some(r) if r.known() => r,
            _ => self.remote_for(uid),
        };
        let Some(call) = self.call_of_mut(uid) else {
            return;
        };
        if remote.known() || !call.remote.known() {
            call.remote = remote;
        }
        if call.announced {
            return;
        }
        call.announced = true;
        let kind = CallEventKind::Ringing {
            direction: call.direction,
            remote: RawNumber(call.remote.number.clone()),
            remote_name: call.remote.name.clone(),
            line: None,
            upstream: None,
        };
        self.emit(uid, kind, at, out);
    }

    fn emit(&self, uid: &str, kind: CallEventKind, at: Timestamp, out: &mut Vec<CallEvent>) {
        if let Some(channel) = self.channels.get(uid) {
            out.push(CallEvent {
                source: self.source.clone(),
                call: CallId(channel.linkedid.clone()),
                at,
                kind,
            });
        }
    }

    /// Closes call `linkedid` (if it was announced) with the reason its state implies.
    fn end(&mut self, linkedid: &str, at: Timestamp, out: &mut Vec<CallEvent>) {
        let Some(call) = self.calls.remove(linkedid) else {
            return;
        };
        if !call.announced {
            return;
        }
        let reason = if call.transferred {
            EndReason::Transferred
        } else if call.answered {
            EndReason::Hangup
        } else if call.elsewhere {
            EndReason::AnsweredElsewhere
        } else {
            EndReason::Cancelled
        };
        out.push(CallEvent {
            source: self.source.clone(),
            call: CallId(linkedid.to_string()),
            at,
            kind: CallEventKind::Ended { reason },
        });
    }
}

#[cfg(test)]
mod tests;
