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

mod legs;

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
    linkedid: String,
    /// The extension whose device this is, when it is one we follow.
    owner: Option<String>,
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
    /// Its channels went away while we were not connected: we cannot say how it ended.
    lost: bool,
    /// When the agent's last leg went away unanswered (waiting for a retry or the end).
    idle_since: Option<Timestamp>,
    /// The agent's newest channel (for Hangup).
    agent_channel: String,
    /// The other party's channel (for Redirect).
    peer_channel: Option<String>,
}

/// The calls of the extensions a tracker follows, by Linkedid then extension.
type Calls = HashMap<String, BTreeMap<String, Call>>;

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

    /// The extension a request is about: the desk's own, or the one named (floor mode).
    pub fn scope<'a>(&'a self, named: Option<&'a str>) -> Option<&'a str> {
        match (&self.follow, named) {
            (Follow::One(ext), None) => Some(ext.resource.as_str()),
            (Follow::One(ext), Some(n)) => (n == ext.resource).then_some(n),
            (Follow::Every, n) => n,
        }
    }

    /// The device of `extension` for Originate (`PJSIP/201`).
    pub fn device(&self, extension: &str) -> String {
        let tech = self
            .device_tech
            .get(extension)
            .map_or("PJSIP", String::as_str);
        format!("{tech}/{extension}")
    }

    /// Calls in progress (per extension), for tests and status.
    pub fn live_calls(&self) -> usize {
        self.calls
            .values()
            .flat_map(BTreeMap::values)
            .filter(|c| c.announced)
            .count()
    }

    /// `extension`'s call `call_id`, or its newest live call when `None`.
    fn find(&self, extension: &str, call_id: Option<&str>) -> Option<(&String, &Call)> {
        let mut live = self.calls.iter().filter_map(|(id, group)| {
            let call = group.get(extension)?;
            call.announced.then_some((id, call))
        });
        match call_id {
            Some(want) => live.find(|(id, _)| id.as_str() == want),
            None => live.max_by_key(|(_, c)| c.started),
        }
    }

    /// The channel to Redirect for a transfer of `extension`'s call `call_id` (the party
    /// talking to the agent), with the call's id.
    pub fn peer_channel(&self, extension: &str, call_id: Option<&str>) -> Option<(String, String)> {
        let (id, call) = self.find(extension, call_id)?;
        Some((id.clone(), call.peer_channel.clone()?))
    }

    /// The agent's channel in `extension`'s call `call_id` (for Hangup).
    pub fn agent_channel(&self, extension: &str, call_id: Option<&str>) -> Option<String> {
        self.find(extension, call_id)
            .map(|(_, c)| c.agent_channel.clone())
    }

    /// Records that `extension`'s call was handed on (by us or a rule), so its end is not
    /// "missed".
    pub fn mark_transferred(&mut self, extension: &str, call_id: &str) {
        if let Some(call) = self
            .calls
            .get_mut(call_id)
            .and_then(|g| g.get_mut(extension))
        {
            call.transferred = true;
        }
    }

    /// Applies one AMI message at time `at`, appending any resulting events to `out`.
    pub fn on_message(&mut self, msg: &Message, at: Timestamp, out: &mut Vec<ExtensionEvent>) {
        let Some(event) = msg.event() else {
            return;
        };
        match event {
            "Newchannel" | "NewCallerid" | "NewConnectedLine" => {
                self.upsert(msg, "", at);
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

    /// Records the channel described by `prefix` fields (`""` or `"Dest"`); returns its Uniqueid.
    fn upsert(&mut self, msg: &Message, prefix: &str, at: Timestamp) -> Option<String> {
        let field = |name: &str| msg.get(&format!("{prefix}{name}"));
        let uid = field("Uniqueid")?.to_string();
        let name = field("Channel")?.to_string();
        let linkedid = field("Linkedid").unwrap_or(&uid).to_string();
        let owner = self.follow.owner(&name).map(str::to_string);
        if let Some(seen) = &mut self.listing {
            seen.insert(uid.clone());
        }
        if let Some(ext) = &owner {
            if !self.device_tech.contains_key(ext) {
                if let Some((tech, _)) = name.split_once('/') {
                    self.device_tech.insert(ext.clone(), tech.to_string());
                }
            }
        }
        if self.channels.len() >= MAX_CHANNELS && !self.channels.contains_key(&uid) {
            tracing::warn!(source = %self.source, "too many AMI channels without Hangup; forgetting them");
            self.channels.clear();
            for group in self.calls.values_mut() {
                group.retain(|_, c| c.announced);
            }
            self.calls.retain(|_, g| !g.is_empty());
        }
        let caller = Party::from(msg, prefix, "CallerID");
        let connected = Party::from(msg, prefix, "ConnectedLine");
        self.channels.insert(
            uid.clone(),
            Channel {
                name: name.clone(),
                linkedid: linkedid.clone(),
                owner: owner.clone(),
                caller,
                connected,
            },
        );
        if let Some(ext) = owner {
            let direction = if uid == linkedid {
                Direction::Outbound
            } else {
                Direction::Inbound
            };
            let call = self
                .calls
                .entry(linkedid)
                .or_default()
                .entry(ext)
                .or_insert_with(|| Call {
                    direction,
                    started: at,
                    legs: Vec::new(),
                    announced: false,
                    answered: false,
                    remote: Party::default(),
                    elsewhere: false,
                    transferred: false,
                    lost: false,
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

    /// The call that the followed device channel `uid` is a leg of, with its extension.
    fn call_of_mut(&mut self, uid: &str) -> Option<&mut Call> {
        let channel = self.channels.get(uid)?;
        let ext = channel.owner.as_ref()?;
        self.calls.get_mut(&channel.linkedid)?.get_mut(ext)
    }

    /// The direction of the call of followed device channel `uid`.
    fn direction_of(&mut self, uid: &str) -> Option<Direction> {
        self.call_of_mut(uid).map(|c| c.direction)
    }

    /// The caller as best known for the agent's inbound leg `uid`.
    fn remote_for(&self, uid: &str) -> Party {
        let Some(leg) = self.channels.get(uid) else {
            return Party::default();
        };
        let ext = leg.owner.as_deref().unwrap_or_default();
        let origin = self.channels.get(&leg.linkedid);
        if let Some(call) = self.calls.get(&leg.linkedid).and_then(|g| g.get(ext)) {
            if call.remote.known() {
                return call.remote.clone();
            }
        }
        if leg.connected.known() && leg.connected.number != ext {
            return leg.connected.clone();
        }
        origin.map(|o| o.caller.clone()).unwrap_or_default()
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
            if let Some(ext) = &channel.owner {
                out.push(self.event(ext, &channel.linkedid, at, kind));
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

    /// Closes every extension's call `linkedid`.
    fn end_all(&mut self, linkedid: &str, at: Timestamp, out: &mut Vec<ExtensionEvent>) {
        let exts: Vec<String> = self
            .calls
            .get(linkedid)
            .map(|g| g.keys().cloned().collect())
            .unwrap_or_default();
        for ext in exts {
            self.end(linkedid, &ext, at, out);
        }
    }
}

#[cfg(test)]
mod tests;
