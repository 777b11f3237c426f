//! From AMI channel events to calls per extension: legs grouped by `Linkedid`, one call
//! each, for one agent's extension or for every extension at once.
//!
//! Asterisk reports channels (legs), not calls. A ring group, a queue, `Local/` helper
//! channels, a queue ringing the agent twice, a transfer — all are several channels sharing
//! one `Linkedid` (the Uniqueid of the oldest channel in the call). The [`Tracker`] keeps the
//! channels it has heard of once, and for every extension it follows ([`Follow`]) one call per
//! Linkedid: `Ringing` once (however many legs ring), `Answered` once, `Ended` when that
//! extension's part is over — answered elsewhere when a colleague picked up, transferred when
//! the agent (or a rule) moved it on, missed otherwise. Its output is [`ExtensionEvent`]s:
//! a [`CallEvent`] tagged with the extension it belongs to, so one AMI connection can feed a
//! whole floor (the relay) or one desk (which drops the tag). It is pure: messages and clock
//! in, events out, so it can be tested and benchmarked without a socket.
//!
//! The call model follows who the agent is talking to:
//! - **direction** by which side the agent's device is: its channel created by a dial is
//!   inbound, the channel that starts a call and dials is outbound; a device channel that
//!   starts its own call but never dials (a pickup, `*8` or a SIP `Replaces` INVITE) is
//!   *picked into* the call that then dials it: inbound, answered at once;
//! - **one call per extension per Linkedid**, pinned when the agent's channel first appears
//!   (Asterisk moves a channel's Linkedid when bridges merge; the row does not move with it),
//!   and a call id is never announced twice for an extension (a later leg under an ended id
//!   gets a fresh `~2` suffix);
//! - `Local/…;1`/`;2` helpers are nobody's legs: a ring group or queue member reached through
//!   them is the device channel at the end;
//! - a device **rings** only when its channel is `Ringing` (or answers straight away): a
//!   phone that answers BUSY/CONGESTION never pops;
//! - the **party** is the device channel's connected line, applied after the bridge too
//!   (`NewConnectedLine`, `NewCallerid`), and moved by `AttendedTransfer` (incl. a transfer
//!   completed while the target still rings, "blonde") and `BlindTransfer`: a change is
//!   reported as `PartyChanged` so the pop and greeting follow the customer;
//! - a call **ends** when the agent's legs are gone (an unanswered inbound one waits
//!   [`RETRY_WINDOW`] for a queue retry, unless the caller is gone too), so nothing stays live
//!   after its channels.

mod legs;
mod party;
mod queries;
mod table;

use super::channel::{Follow, Party};
use super::wire::Message;
use crate::event::{
    CallEvent, CallEventKind, CallId, Direction, EndReason, RawNumber, SourceId, Timestamp,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

/// How long an unanswered call waits, after the agent's last leg stopped ringing, for the
/// PBX to ring the agent again (queue retry) before it counts as over.
pub const RETRY_WINDOW: Duration = Duration::from_secs(20);
/// More channels than this in memory means Hangups were lost; start over.
const MAX_CHANNELS: usize = 50_000;

/// One extension's share of a PBX call: what the tracker hands on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionEvent {
    /// The extension's number (`201`), as in `PJSIP/201-…`.
    pub extension: String,
    /// The call event as that extension sees it (call id = the Linkedid).
    pub event: CallEvent,
}

#[derive(Debug, Clone)]
struct Channel {
    name: String,
    /// The Linkedid as Asterisk last reported it (it moves when bridges merge).
    linkedid: String,
    /// The extension whose device this is, when it is one we follow.
    owner: Option<String>,
    /// For a followed device: the id of the call it is a leg of (pinned at first sight).
    call: Option<String>,
    caller: Party,
    connected: Party,
    /// Asterisk's ChannelState (`5` ringing, `6` up).
    state: u8,
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
    /// Its channels went away while we were not connected: we cannot say how it ended.
    lost: bool,
    /// When the agent's last leg went away unanswered (waiting for a retry or the end).
    idle_since: Option<Timestamp>,
    /// The agent's newest channel (for Hangup).
    agent_channel: String,
    /// The other party's channel (for Redirect).
    peer_channel: Option<String>,
}

/// The calls of the extensions a tracker follows, by call id (the Linkedid) then extension.
type Calls = HashMap<String, BTreeMap<String, Call>>;
/// How many ended (call id, extension) pairs are remembered, so none is announced twice.
const FINISHED_MEMORY: usize = 20_000;

/// A PBX's calls as the followed extensions see them: see the module docs.
#[derive(Debug)]
pub struct Tracker {
    source: SourceId,
    follow: Follow,
    channels: HashMap<String, Channel>,
    calls: Calls,
    /// The technology each extension's phone was last seen on (`PJSIP`), for Originate.
    device_tech: HashMap<String, String>,
    /// While a channel listing is under way: the channels it (or a newer event) confirmed.
    listing: Option<HashSet<String>>,
    /// Ended (call id, extension) pairs, oldest first.
    finished: HashSet<(String, String)>,
    finished_order: std::collections::VecDeque<(String, String)>,
}

impl Tracker {
    /// A tracker reporting the calls of the extensions `follow` names as `source`.
    pub fn new(source: SourceId, follow: Follow) -> Self {
        let mut device_tech = HashMap::new();
        if let Follow::One(ext) = &follow {
            if let Some(tech) = &ext.tech {
                device_tech.insert(ext.resource.clone(), tech.clone());
            }
        }
        Self {
            source,
            follow,
            channels: HashMap::new(),
            calls: HashMap::new(),
            device_tech,
            listing: None,
            finished: HashSet::new(),
            finished_order: std::collections::VecDeque::new(),
        }
    }

    /// A new connection is about to list the channels up (CoreShowChannels): channels the
    /// listing does not confirm went away while we were not connected.
    pub fn listing_begins(&mut self) {
        self.listing = Some(HashSet::new());
    }

    /// Forgets every channel and call (a new connection starts from what the PBX says).
    pub fn reset(&mut self) {
        self.channels.clear();
        self.calls.clear();
    }

    /// Applies one AMI message at time `at`, appending any resulting events to `out`.
    pub fn on_message(&mut self, msg: &Message, at: Timestamp, out: &mut Vec<ExtensionEvent>) {
        let Some(event) = msg.event() else {
            return;
        };
        match event {
            "Newchannel" | "NewCallerid" | "NewConnectedLine" => {
                if let Some(uid) = self.upsert(msg, "", at) {
                    self.follow_party(&uid, at, out);
                }
            }
            "CoreShowChannel" => self.on_listed(msg, at, out),
            "CoreShowChannelsComplete" => self.listing_complete(at, out),
            "Newstate" => {
                if let Some(uid) = self.upsert(msg, "", at) {
                    match msg.get("ChannelState") {
                        Some("5") => self.ringing_leg(&uid, at, out),
                        Some("6") => self.answered_leg(&uid, at, out),
                        _ => {}
                    }
                    self.follow_party(&uid, at, out);
                }
            }
            "DialBegin" => self.on_dial_begin(msg, at, out),
            "DialEnd" => self.on_dial_end(msg, at, out),
            "BridgeEnter" => self.on_bridge_enter(msg, at, out),
            "Hangup" => self.on_hangup(msg, at, out),
            "BlindTransfer" => self.on_blind_transfer(msg, at, out),
            "AttendedTransfer" => self.on_attended_transfer(msg, at, out),
            "Pickup" => self.on_pickup(msg, at, out),
            _ => {}
        }
    }

    /// Ends calls whose agent legs stopped ringing more than [`RETRY_WINDOW`] ago.
    pub fn tick(&mut self, now: Timestamp, out: &mut Vec<ExtensionEvent>) {
        let expired: Vec<(String, String)> = self
            .calls
            .iter()
            .flat_map(|(id, group)| group.iter().map(move |(ext, c)| (id, ext, c)))
            .filter(|(_, _, c)| {
                c.idle_since
                    .is_some_and(|t| (now - t).to_std().unwrap_or_default() >= RETRY_WINDOW)
            })
            .map(|(id, ext, _)| (id.clone(), ext.clone()))
            .collect();
        for (id, ext) in expired {
            self.end(&id, &ext, now, out);
        }
    }

    /// The call that the followed device channel `uid` is a leg of, with its extension.
    fn call_of_mut(&mut self, uid: &str) -> Option<&mut Call> {
        let channel = self.channels.get(uid)?;
        let ext = channel.owner.as_ref()?;
        self.calls.get_mut(channel.call.as_ref()?)?.get_mut(ext)
    }

    fn call_of(&self, uid: &str) -> Option<&Call> {
        let channel = self.channels.get(uid)?;
        let ext = channel.owner.as_ref()?;
        self.calls.get(channel.call.as_ref()?)?.get(ext)
    }

    /// The direction of the call of followed device channel `uid`.
    fn direction_of(&mut self, uid: &str) -> Option<Direction> {
        self.call_of_mut(uid).map(|c| c.direction)
    }

    /// The other party as best known for the agent's leg `uid`: the call's party, else the
    /// device's connected line, else the caller id of the channel that started the call.
    fn remote_for(&self, uid: &str) -> Party {
        let Some(leg) = self.channels.get(uid) else {
            return Party::default();
        };
        if let Some(call) = self.call_of(uid) {
            if call.remote.known() {
                return call.remote.clone();
            }
        }
        if let Some(connected) = self.connected_party(uid) {
            return connected;
        }
        let origin = leg.call.as_ref().and_then(|id| self.channels.get(id));
        origin
            .or_else(|| self.channels.get(&leg.linkedid))
            .map(|o| o.caller.clone())
            .filter(|p| !self.is_self(uid, p))
            .unwrap_or_default()
    }

    /// Whether `party` is the agent of leg `uid` itself (its extension or own caller id).
    fn is_self(&self, uid: &str, party: &Party) -> bool {
        let Some(leg) = self.channels.get(uid) else {
            return false;
        };
        party.number == leg.owner.as_deref().unwrap_or_default()
            || (leg.caller.known() && party.number == leg.caller.number)
    }

    /// The device's connected line, when it names someone other than the agent.
    fn connected_party(&self, uid: &str) -> Option<Party> {
        let leg = self.channels.get(uid)?;
        (leg.connected.known() && !self.is_self(uid, &leg.connected)).then(|| leg.connected.clone())
    }

    fn ringing_leg(&mut self, uid: &str, at: Timestamp, out: &mut Vec<ExtensionEvent>) {
        if self.direction_of(uid) == Some(Direction::Inbound) {
            self.announce_with(uid, None, at, out);
        }
    }

    fn answered_leg(&mut self, uid: &str, at: Timestamp, out: &mut Vec<ExtensionEvent>) {
        if self.direction_of(uid) == Some(Direction::Inbound) {
            self.answer(uid, at, out);
        }
    }

    fn answer(&mut self, uid: &str, at: Timestamp, out: &mut Vec<ExtensionEvent>) {
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
        out: &mut Vec<ExtensionEvent>,
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

    fn emit(&self, uid: &str, kind: CallEventKind, at: Timestamp, out: &mut Vec<ExtensionEvent>) {
        if let Some(channel) = self.channels.get(uid) {
            if let (Some(ext), Some(call)) = (&channel.owner, &channel.call) {
                out.push(self.event(ext, call, at, kind));
            }
        }
    }

    fn event(
        &self,
        ext: &str,
        call_id: &str,
        at: Timestamp,
        kind: CallEventKind,
    ) -> ExtensionEvent {
        ExtensionEvent {
            extension: ext.to_string(),
            event: CallEvent {
                source: self.source.clone(),
                call: CallId(call_id.to_string()),
                at,
                kind,
            },
        }
    }

    /// Closes `ext`'s call `linkedid` (if it was announced) with the reason its state implies.
    fn end(&mut self, linkedid: &str, ext: &str, at: Timestamp, out: &mut Vec<ExtensionEvent>) {
        let Some(group) = self.calls.get_mut(linkedid) else {
            return;
        };
        let Some(call) = group.remove(ext) else {
            return;
        };
        if group.is_empty() {
            self.calls.remove(linkedid);
        }
        if !call.announced {
            return;
        }
        self.remember_finished(linkedid, ext);
        let reason = if call.transferred {
            EndReason::Transferred
        } else if call.answered {
            EndReason::Hangup
        } else if call.elsewhere {
            EndReason::AnsweredElsewhere
        } else if call.lost {
            EndReason::SourceLost
        } else {
            EndReason::Cancelled
        };
        out.push(self.event(ext, linkedid, at, CallEventKind::Ended { reason }));
    }

    fn remember_finished(&mut self, call_id: &str, ext: &str) {
        let key = (call_id.to_string(), ext.to_string());
        if self.finished.insert(key.clone()) {
            self.finished_order.push_back(key);
        }
        while self.finished_order.len() > FINISHED_MEMORY {
            if let Some(old) = self.finished_order.pop_front() {
                self.finished.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod captured;
#[cfg(test)]
mod tests;
