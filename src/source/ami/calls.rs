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

/// Asterisk hangup cause 26: "Answered elsewhere".
const CAUSE_ANSWERED_ELSEWHERE: &str = "26";

/// Which channels are the agent's: `201` matches `PJSIP/201-…`, `SIP/201-…` (any technology);
/// `PJSIP/201` only that technology.
#[derive(Debug, Clone)]
pub struct Extension {
    tech: Option<String>,
    resource: String,
}

impl Extension {
    /// Reads the configured `extension`.
    pub fn parse(configured: &str) -> Self {
        let configured = configured.trim();
        match configured.split_once('/') {
            Some((tech, resource)) => Self {
                tech: Some(tech.to_string()),
                resource: resource.to_string(),
            },
            None => Self {
                tech: None,
                resource: configured.to_string(),
            },
        }
    }

    /// The extension's number (`201`).
    pub fn number(&self) -> &str {
        &self.resource
    }

    /// A device channel of this extension (not a `Local/` helper).
    pub fn owns(&self, channel: &str) -> bool {
        let Some((tech, rest)) = channel.split_once('/') else {
            return false;
        };
        if tech.eq_ignore_ascii_case("Local") {
            return false;
        }
        let resource = rest.rsplit_once('-').map_or(rest, |(r, _)| r);
        resource == self.resource
            && self
                .tech
                .as_deref()
                .is_none_or(|t| t.eq_ignore_ascii_case(tech))
    }

    /// A `Local/201@context` helper channel leading to this extension.
    fn local(&self, channel: &str) -> bool {
        channel
            .strip_prefix("Local/")
            .and_then(|rest| rest.strip_prefix(self.resource.as_str()))
            .is_some_and(|rest| rest.starts_with('@'))
    }
}

#[derive(Debug, Clone, Default)]
struct Party {
    number: String,
    name: Option<String>,
}

impl Party {
    fn from(msg: &Message, prefix: &str, which: &str) -> Self {
        let field = |suffix: &str| msg.get(&format!("{prefix}{which}{suffix}"));
        Party {
            number: clean(field("Num")).unwrap_or_default(),
            name: clean(field("Name")),
        }
    }

    fn known(&self) -> bool {
        !self.number.is_empty()
    }
}

/// Asterisk writes `<unknown>` (or nothing) where it has no caller id.
fn clean(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("<unknown>"))
        .map(str::to_string)
}

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

    /// A channel listed by CoreShowChannels after (re)connecting: pick up calls in progress.
    fn on_listed(&mut self, msg: &Message, now: Timestamp, out: &mut Vec<CallEvent>) {
        let Some(uid) = self.upsert(msg, "", now) else {
            return;
        };
        let age = msg.get("Duration").map_or(0, duration_secs);
        let at = now - chrono::Duration::seconds(age);
        if let Some(call) = self.call_of_mut(&uid) {
            call.started = at;
        }
        match msg.get("ChannelState") {
            Some("5") => self.ringing_leg(&uid, at, out),
            Some("6") => {
                let outbound = self
                    .call_of_mut(&uid)
                    .is_some_and(|c| c.direction == Direction::Outbound);
                if outbound {
                    self.announce_with(&uid, None, at, out);
                    if let Some(call) = self.call_of_mut(&uid) {
                        call.answered = true;
                    }
                    self.emit(&uid, CallEventKind::Answered, at, out);
                } else {
                    self.answered_leg(&uid, at, out);
                }
            }
            _ => {}
        }
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

    fn on_dial_begin(&mut self, msg: &Message, at: Timestamp, out: &mut Vec<CallEvent>) {
        let src = self.upsert(msg, "", at);
        let Some(dest) = self.upsert(msg, "Dest", at) else {
            return;
        };
        let dest_ours = self.channels.get(&dest).is_some_and(|c| c.ours);
        let src_ours = src
            .as_deref()
            .and_then(|s| self.channels.get(s))
            .is_some_and(|c| c.ours);
        if dest_ours {
            // A `Local/` hop may carry the extension itself as its caller id: not the caller.
            let caller = Some(Party::from(msg, "", "CallerID"))
                .filter(|c| c.number != self.extension.resource);
            let peer = self.peer_of(&dest, msg.get("Channel"));
            if let Some(call) = self.call_of_mut(&dest) {
                call.peer_channel = peer;
            }
            self.announce_with(&dest, caller, at, out);
        } else if let (true, Some(src)) = (src_ours, src) {
            let target = outbound_target(msg);
            let dest_name = msg.get("DestChannel").map(str::to_string);
            if let Some(call) = self.call_of_mut(&src) {
                if call.direction == Direction::Outbound {
                    call.peer_channel = dest_name;
                }
            }
            let outbound = self
                .call_of_mut(&src)
                .is_some_and(|c| c.direction == Direction::Outbound);
            if outbound {
                self.announce_with(&src, Some(target), at, out);
            }
        }
    }

    /// The channel a Redirect should move: the call's origin when it is a real outside
    /// channel, else whoever dialled the agent.
    fn peer_of(&self, agent_leg: &str, dialer: Option<&str>) -> Option<String> {
        let leg = self.channels.get(agent_leg)?;
        match self.channels.get(&leg.linkedid) {
            Some(origin) if !origin.ours && !origin.name.starts_with("Local/") => {
                Some(origin.name.clone())
            }
            _ => dialer.map(str::to_string),
        }
    }

    fn on_dial_end(&mut self, msg: &Message, at: Timestamp, out: &mut Vec<CallEvent>) {
        let src = self.upsert(msg, "", at);
        let Some(dest) = self.upsert(msg, "Dest", at) else {
            return;
        };
        if msg.get("DialStatus") != Some("ANSWER") {
            return;
        }
        let Some(dest_channel) = self.channels.get(&dest).cloned() else {
            return;
        };
        if dest_channel.ours {
            self.answered_leg(&dest, at, out);
            return;
        }
        if let Some(src) = src.filter(|s| self.channels.get(s).is_some_and(|c| c.ours)) {
            let outbound = self
                .call_of_mut(&src)
                .is_some_and(|c| c.direction == Direction::Outbound);
            if outbound {
                self.announce_with(&src, None, at, out);
                self.answer(&src, at, out);
            }
            return;
        }
        if !self.extension.local(&dest_channel.name) {
            self.answered_elsewhere(&dest_channel.linkedid, at, out);
        }
    }

    fn on_bridge_enter(&mut self, msg: &Message, at: Timestamp, out: &mut Vec<CallEvent>) {
        let Some(uid) = self.upsert(msg, "", at) else {
            return;
        };
        let talking = !matches!(
            msg.get("BridgeType")
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("holding" | "parking")
        );
        let Some(channel) = self.channels.get(&uid).cloned() else {
            return;
        };
        if !talking {
            return;
        }
        if channel.ours {
            self.answer(&uid, at, out);
        } else if uid != channel.linkedid
            && !self.extension.local(&channel.name)
            && msg
                .get("BridgeNumChannels")
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n >= 2)
        {
            let inbound = self
                .calls
                .get(&channel.linkedid)
                .is_some_and(|c| c.direction == Direction::Inbound);
            if inbound {
                self.answered_elsewhere(&channel.linkedid, at, out);
            }
        }
    }

    /// Someone else picked up call `linkedid` while it rang here.
    fn answered_elsewhere(&mut self, linkedid: &str, at: Timestamp, out: &mut Vec<CallEvent>) {
        let Some(call) = self.calls.get_mut(linkedid) else {
            return;
        };
        if call.answered || call.transferred {
            return;
        }
        call.elsewhere = true;
        self.end(linkedid, at, out);
    }

    fn on_hangup(&mut self, msg: &Message, at: Timestamp, out: &mut Vec<CallEvent>) {
        let Some(uid) = msg.get("Uniqueid").map(str::to_string) else {
            return;
        };
        let Some(channel) = self.channels.remove(&uid) else {
            return;
        };
        let linkedid = channel.linkedid.clone();
        if channel.ours {
            let Some(call) = self.calls.get_mut(&linkedid) else {
                return;
            };
            call.legs.retain(|l| l != &uid);
            if msg.get("Cause") == Some(CAUSE_ANSWERED_ELSEWHERE) {
                call.elsewhere = true;
            }
            if call.legs.is_empty() {
                if call.answered || call.elsewhere || call.transferred || !call.announced {
                    // Keep the channel long enough for `end` to name the call.
                    self.channels.insert(uid.clone(), channel);
                    self.end(&linkedid, at, out);
                    self.channels.remove(&uid);
                } else {
                    call.idle_since = Some(at);
                }
            }
        } else if uid == linkedid && self.calls.contains_key(&linkedid) {
            // The caller's side is gone: the whole call is over.
            self.end(&linkedid, at, out);
        }
    }

    fn on_transfer(&mut self, msg: &Message, prefixes: &[&str]) {
        for prefix in prefixes {
            let uid = msg.get(&format!("{prefix}Uniqueid"));
            let linkedid = msg.get(&format!("{prefix}Linkedid"));
            let ours = msg
                .get(&format!("{prefix}Channel"))
                .is_some_and(|c| self.extension.owns(c));
            if let (true, Some(linkedid)) = (ours, linkedid.or(uid)) {
                self.mark_transferred(linkedid);
            }
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

/// What the agent dialled: the dialplan extension when it is a number, else the dial string.
fn outbound_target(msg: &Message) -> Party {
    let dialable = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '*' | '#'))
    };
    let number = msg
        .get("Exten")
        .filter(|e| dialable(e))
        .map(str::to_string)
        .or_else(|| {
            let dial = msg.get("DialString")?;
            let tail = dial.rsplit('/').next().unwrap_or(dial);
            let user = tail.split('@').next().unwrap_or(tail);
            dialable(user).then(|| user.to_string())
        })
        .or_else(|| clean(msg.get("DestCallerIDNum")))
        .unwrap_or_default();
    Party {
        number,
        name: clean(msg.get("DestCallerIDName")),
    }
}

/// `Duration: 00:01:05` (or plain seconds) → seconds.
fn duration_secs(text: &str) -> i64 {
    text.split(':')
        .try_fold(0i64, |acc, part| {
            part.trim()
                .parse::<i64>()
                .ok()
                .map(|n| acc.saturating_mul(60).saturating_add(n))
        })
        .unwrap_or(0)
        .clamp(0, 86_400)
}

#[cfg(test)]
mod tests;
