//! The Tracker's channel table: recording what each message says about a channel, pinning a
//! followed device to its call when it first appears, and the call ids (never one announced
//! twice for an extension).

use super::super::channel::Party;
use super::super::wire::Message;
use super::{Call, Channel, Tracker, MAX_CHANNELS};
use crate::event::{Direction, Timestamp};

impl Tracker {
    /// Records the channel described by `prefix` fields (`""` or `"Dest"`); returns its Uniqueid.
    pub(super) fn upsert(&mut self, msg: &Message, prefix: &str, at: Timestamp) -> Option<String> {
        let field = |name: &str| msg.get(&format!("{prefix}{name}"));
        let uid = field("Uniqueid")?.to_string();
        let name = field("Channel")?.to_string();
        let linkedid = field("Linkedid").unwrap_or(&uid).to_string();
        let state = field("ChannelState").and_then(|s| s.parse().ok());
        if let Some(seen) = &mut self.listing {
            seen.insert(uid.clone());
        }
        let caller = Party::from(msg, prefix, "CallerID");
        let connected = Party::from(msg, prefix, "ConnectedLine");
        if let Some(channel) = self.channels.get_mut(&uid) {
            channel.linkedid = linkedid;
            channel.caller = caller;
            channel.connected = connected;
            if let Some(state) = state {
                channel.state = state;
            }
            return Some(uid);
        }
        if self.channels.len() >= MAX_CHANNELS {
            tracing::warn!(source = %self.source, "too many AMI channels without Hangup; forgetting them");
            self.channels.clear();
            for group in self.calls.values_mut() {
                group.retain(|_, c| c.announced);
            }
            self.calls.retain(|_, g| !g.is_empty());
        }
        let owner = self.follow.owner(&name).map(str::to_string);
        let call = owner.as_ref().map(|ext| {
            if !self.device_tech.contains_key(ext) {
                if let Some((tech, _)) = name.split_once('/') {
                    self.device_tech.insert(ext.clone(), tech.to_string());
                }
            }
            self.call_id_for(&linkedid, ext)
        });
        let direction = if uid == linkedid {
            Direction::Outbound
        } else {
            Direction::Inbound
        };
        self.channels.insert(
            uid.clone(),
            Channel {
                name: name.clone(),
                linkedid,
                owner: owner.clone(),
                call: call.clone(),
                caller,
                connected,
                state: state.unwrap_or(0),
            },
        );
        if let (Some(ext), Some(call_id)) = (owner, call) {
            self.join(&uid, &ext, &call_id, direction, at);
        }
        Some(uid)
    }

    /// The call id an extension's new leg under `linkedid` belongs to: the Linkedid, unless
    /// that id already ended for the extension (then a fresh suffix).
    pub(super) fn call_id_for(&self, linkedid: &str, ext: &str) -> String {
        let mut id = linkedid.to_string();
        let mut n = 1;
        while self.finished.contains(&(id.clone(), ext.to_string())) {
            n += 1;
            id = format!("{linkedid}~{n}");
        }
        id
    }

    /// Makes device channel `uid` a leg of `ext`'s call `call_id` (creating the call).
    pub(super) fn join(
        &mut self,
        uid: &str,
        ext: &str,
        call_id: &str,
        direction: Direction,
        at: Timestamp,
    ) {
        let Some(name) = self.channels.get(uid).map(|c| c.name.clone()) else {
            return;
        };
        if let Some(channel) = self.channels.get_mut(uid) {
            channel.call = Some(call_id.to_string());
        }
        let call = self
            .calls
            .entry(call_id.to_string())
            .or_default()
            .entry(ext.to_string())
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
        if !call.legs.iter().any(|l| l == uid) {
            call.legs.push(uid.to_string());
        }
        call.agent_channel = name;
        call.idle_since = None;
    }
}
