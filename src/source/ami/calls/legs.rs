//! The Tracker's handling of the events that link legs into one call: the channel listing
//! after a (re)connect, DialBegin/DialEnd, BridgeEnter, Hangup and the transfer events.

use super::super::channel::{duration_secs, outbound_target, Party};
use super::super::wire::Message;
use super::Tracker;
use crate::event::{CallEvent, CallEventKind, Direction, Timestamp};

/// Asterisk hangup cause 26: "Answered elsewhere".
const CAUSE_ANSWERED_ELSEWHERE: &str = "26";

impl Tracker {
    /// A channel listed by CoreShowChannels after (re)connecting: pick up calls in progress.
    pub(super) fn on_listed(&mut self, msg: &Message, now: Timestamp, out: &mut Vec<CallEvent>) {
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

    pub(super) fn on_dial_begin(&mut self, msg: &Message, at: Timestamp, out: &mut Vec<CallEvent>) {
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

    pub(super) fn on_dial_end(&mut self, msg: &Message, at: Timestamp, out: &mut Vec<CallEvent>) {
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

    pub(super) fn on_bridge_enter(
        &mut self,
        msg: &Message,
        at: Timestamp,
        out: &mut Vec<CallEvent>,
    ) {
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

    pub(super) fn on_hangup(&mut self, msg: &Message, at: Timestamp, out: &mut Vec<CallEvent>) {
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

    pub(super) fn on_transfer(&mut self, msg: &Message, prefixes: &[&str]) {
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
}
