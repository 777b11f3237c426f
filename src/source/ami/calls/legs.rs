//! The Tracker's handling of the events that link legs into one call: the channel listing
//! after a (re)connect, DialBegin/DialEnd, BridgeEnter and Hangup.

use super::super::channel::{duration_secs, local_target, outbound_target};
use super::super::wire::Message;
use super::{ExtensionEvent, Tracker};
use crate::event::{Direction, Timestamp};

/// Asterisk hangup cause 26: "Answered elsewhere".
const CAUSE_ANSWERED_ELSEWHERE: &str = "26";

impl Tracker {
    /// A channel listed by CoreShowChannels after (re)connecting: pick up calls in progress.
    pub(super) fn on_listed(
        &mut self,
        msg: &Message,
        now: Timestamp,
        out: &mut Vec<ExtensionEvent>,
    ) {
        let Some(uid) = self.upsert(msg, "", now) else {
            return;
        };
        let age = msg.get("Duration").map_or(0, duration_secs);
        let at = now - chrono::Duration::seconds(age);
        if let Some(call) = self.call_of_mut(&uid).filter(|c| !c.announced) {
            call.started = at;
        }
        match msg.get("ChannelState") {
            Some("5") => self.ringing_leg(&uid, at, out),
            Some("6") => {
                if self.direction_of(&uid) == Some(Direction::Outbound) {
                    // What it dialled is gone from the listing; the connected line says.
                    self.announce_with(&uid, None, at, out);
                    self.answer(&uid, at, out);
                } else {
                    self.answered_leg(&uid, at, out);
                }
            }
            _ => {}
        }
    }

    pub(super) fn owner_of(&self, uid: &str) -> Option<String> {
        self.channels.get(uid)?.owner.clone()
    }

    pub(super) fn on_dial_begin(
        &mut self,
        msg: &Message,
        at: Timestamp,
        out: &mut Vec<ExtensionEvent>,
    ) {
        // A device that started its own call before it was dialled is picking this one up.
        let dest_uid = msg.get("DestUniqueid").map(str::to_string);
        let picked = dest_uid.as_deref().is_some_and(|d| {
            self.channels.get(d).is_some_and(|c| {
                c.owner.is_some()
                    && c.call.as_deref() == Some(d)
                    && msg.get("Linkedid").is_some_and(|l| l != c.linkedid)
            })
        });
        let src = self.upsert(msg, "", at);
        let Some(dest) = self.upsert(msg, "Dest", at) else {
            return;
        };
        if picked {
            if let Some(linkedid) = msg.get("Linkedid").map(str::to_string) {
                self.picked_up(&dest, &linkedid, src.as_deref(), at, out);
            }
        } else if self.owner_of(&dest).is_some() {
            let peer = self.peer_of(&dest, msg.get("Channel"));
            if let Some(call) = self.call_of_mut(&dest) {
                call.peer_channel = peer;
            }
        }
        if let Some(src) = src.filter(|s| self.owner_of(s).is_some()) {
            let origin = self.channels.get(&src).and_then(|c| c.call.clone()) == Some(src.clone());
            if origin && self.direction_of(&src) == Some(Direction::Outbound) {
                let target = outbound_target(msg);
                let dest_name = msg.get("DestChannel").map(str::to_string);
                if let Some(call) = self.call_of_mut(&src) {
                    call.peer_channel = dest_name;
                }
                self.announce_with(&src, Some(target), at, out);
            }
        }
    }

    /// The channel a Redirect should move: the call's origin when it is a real outside
    /// channel, else whoever dialled the agent.
    fn peer_of(&self, agent_leg: &str, dialer: Option<&str>) -> Option<String> {
        let leg = self.channels.get(agent_leg)?;
        match self.channels.get(&leg.linkedid) {
            Some(origin) if origin.owner.is_none() && !origin.name.starts_with("Local/") => {
                Some(origin.name.clone())
            }
            _ => dialer.map(str::to_string),
        }
    }

    pub(super) fn on_dial_end(
        &mut self,
        msg: &Message,
        at: Timestamp,
        out: &mut Vec<ExtensionEvent>,
    ) {
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
        if dest_channel.owner.is_some() {
            self.answered_leg(&dest, at, out);
        }
        if let Some(src) = src.filter(|s| self.owner_of(s).is_some()) {
            if self.direction_of(&src) == Some(Direction::Outbound)
                && self.call_of(&src).is_some_and(|c| c.announced)
            {
                self.answer(&src, at, out);
            }
        }
        let taker = dest_channel
            .owner
            .as_deref()
            .or_else(|| local_target(&dest_channel.name));
        let group = msg
            .get("Linkedid")
            .unwrap_or(&dest_channel.linkedid)
            .to_string();
        self.answered_elsewhere(&group, taker, at, out);
    }

    pub(super) fn on_bridge_enter(
        &mut self,
        msg: &Message,
        at: Timestamp,
        out: &mut Vec<ExtensionEvent>,
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
        if channel.owner.is_some() {
            // An outbound call counts once it dialled someone (a pickup's own channel never
            // does: it was picked into the call it took).
            if self.call_of(&uid).is_some_and(|c| c.announced) {
                self.answer(&uid, at, out);
            }
        } else if uid != channel.linkedid
            && msg
                .get("BridgeNumChannels")
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n >= 2)
        {
            let taker = local_target(&channel.name);
            self.answered_elsewhere(&channel.linkedid, taker, at, out);
        }
    }

    /// Someone other than `taker` (an extension, when known) picked up call `linkedid`:
    /// every other extension's inbound call still ringing for it is answered elsewhere.
    pub(super) fn answered_elsewhere(
        &mut self,
        linkedid: &str,
        taker: Option<&str>,
        at: Timestamp,
        out: &mut Vec<ExtensionEvent>,
    ) {
        let Some(group) = self.calls.get_mut(linkedid) else {
            return;
        };
        let mut over = Vec::new();
        for (ext, call) in group.iter_mut() {
            let ringing =
                call.direction == Direction::Inbound && !call.answered && !call.transferred;
            if ringing && Some(ext.as_str()) != taker {
                call.elsewhere = true;
                over.push(ext.clone());
            }
        }
        for ext in over {
            self.end(linkedid, &ext, at, out);
        }
    }

    /// The end of a listing: what it did not confirm is gone.
    pub(super) fn listing_complete(&mut self, at: Timestamp, out: &mut Vec<ExtensionEvent>) {
        let Some(seen) = self.listing.take() else {
            return;
        };
        let gone: Vec<String> = self
            .channels
            .keys()
            .filter(|uid| !seen.contains(*uid))
            .cloned()
            .collect();
        for uid in &gone {
            if let Some(call) = self.call_of_mut(uid) {
                call.lost = true;
            }
        }
        for uid in gone {
            self.gone(&uid, None, true, at, out);
        }
    }

    pub(super) fn on_hangup(
        &mut self,
        msg: &Message,
        at: Timestamp,
        out: &mut Vec<ExtensionEvent>,
    ) {
        if let Some(uid) = msg.get("Uniqueid") {
            self.gone(uid, msg.get("Cause"), false, at, out);
        }
    }

    /// Channel `uid` hung up (with `cause`, when Asterisk said; `lost`: while we were away).
    fn gone(
        &mut self,
        uid: &str,
        cause: Option<&str>,
        lost: bool,
        at: Timestamp,
        out: &mut Vec<ExtensionEvent>,
    ) {
        let uid = uid.to_string();
        let Some(channel) = self.channels.remove(&uid) else {
            return;
        };
        if let (Some(ext), Some(call_id)) = (channel.owner.clone(), channel.call.clone()) {
            let Some(call) = self.calls.get_mut(&call_id).and_then(|g| g.get_mut(&ext)) else {
                return;
            };
            call.legs.retain(|l| l != &uid);
            if cause == Some(CAUSE_ANSWERED_ELSEWHERE) {
                call.elsewhere = true;
            }
            if !call.legs.is_empty() {
                return;
            }
            let origin_gone = !self.channels.contains_key(&call_id);
            let call = self.calls.get_mut(&call_id).and_then(|g| g.get_mut(&ext));
            let Some(call) = call else { return };
            let settled = call.answered
                || call.elsewhere
                || call.transferred
                || !call.announced
                || call.direction == Direction::Outbound
                || origin_gone
                || lost;
            if settled {
                self.end(&call_id, &ext, at, out);
            } else {
                call.idle_since = Some(at);
            }
        }
        if (channel.owner.is_none() && uid == channel.linkedid)
            || channel.call.as_deref() == Some(uid.as_str())
        {
            // The call's first channel is gone: calls waiting for a retry are over.
            self.end_idle(&uid, at, out);
        }
    }

    /// Ends the calls under id `call_id` that have no legs left (waiting for a retry).
    fn end_idle(&mut self, call_id: &str, at: Timestamp, out: &mut Vec<ExtensionEvent>) {
        let idle: Vec<String> = self
            .calls
            .get(call_id)
            .map(|g| {
                g.iter()
                    .filter(|(_, c)| c.legs.is_empty())
                    .map(|(e, _)| e.clone())
                    .collect()
            })
            .unwrap_or_default();
        for ext in idle {
            self.end(call_id, &ext, at, out);
        }
    }
}
