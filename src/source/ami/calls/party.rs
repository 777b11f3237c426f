//! Who the agent is talking to, as it changes: connected-line updates on the agent's device,
//! attended and blind transfers (the customer moved onto the target's call, also when the
//! transfer completes while the target still rings) and pickups (a device that takes a call
//! ringing elsewhere: inbound, answered at the picking extension).

use super::super::channel::Party;
use super::super::wire::Message;
use super::{ExtensionEvent, Tracker};
use crate::event::{CallEventKind, Direction, RawNumber, Timestamp};

impl Tracker {
    /// Device channel `uid`'s connected line changed: the party of its call follows, once
    /// the call is announced.
    pub(super) fn follow_party(&mut self, uid: &str, at: Timestamp, out: &mut Vec<ExtensionEvent>) {
        let Some(party) = self.connected_party(uid) else {
            return;
        };
        let Some(channel) = self.channels.get(uid) else {
            return;
        };
        if let (Some(ext), Some(call)) = (channel.owner.clone(), channel.call.clone()) {
            self.set_party(&call, &ext, party, at, out);
        }
    }

    /// Sets `ext`'s call `call_id`'s party; reports it when it is news to an announced call.
    pub(super) fn set_party(
        &mut self,
        call_id: &str,
        ext: &str,
        party: Party,
        at: Timestamp,
        out: &mut Vec<ExtensionEvent>,
    ) {
        if !party.known() || party.number == ext {
            return;
        }
        let Some(call) = self.calls.get_mut(call_id).and_then(|g| g.get_mut(ext)) else {
            return;
        };
        let news = party.number != call.remote.number
            || (party.name.is_some() && party.name != call.remote.name);
        if !news {
            return;
        }
        let name = party.name.clone().or_else(|| {
            (party.number == call.remote.number)
                .then(|| call.remote.name.clone())
                .flatten()
        });
        call.remote = Party {
            number: party.number,
            name,
        };
        if !call.announced {
            return;
        }
        let kind = CallEventKind::PartyChanged {
            remote: RawNumber(call.remote.number.clone()),
            remote_name: call.remote.name.clone(),
        };
        out.push(self.event(ext, call_id, at, kind));
    }

    /// The call id and extension of a followed device named by `prefix` fields of `msg`.
    fn pinned(&self, msg: &Message, prefix: &str) -> Option<(String, String)> {
        let uid = msg.get(&format!("{prefix}Uniqueid"))?;
        if let Some(c) = self.channels.get(uid) {
            return Some((c.call.clone()?, c.owner.clone()?));
        }
        let ext = self.follow.owner(msg.get(&format!("{prefix}Channel"))?)?;
        let linkedid = msg.get(&format!("{prefix}Linkedid")).unwrap_or(uid);
        Some((linkedid.to_string(), ext.to_string()))
    }

    /// The calls under `call_id` of extensions other than `but` that still have a leg.
    fn others(&self, call_id: &str, but: Option<&str>) -> Vec<String> {
        self.calls
            .get(call_id)
            .map(|g| {
                g.iter()
                    .filter(|(e, c)| Some(e.as_str()) != but && !c.legs.is_empty())
                    .map(|(e, _)| e.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The other party of `ext`'s call `call_id`: another extension's device in it, else the
    /// channel that started it (when that is not `ext`'s own).
    fn party_in(&self, call_id: &str, ext: &str) -> Option<Party> {
        let group = self.calls.get(call_id)?;
        let device = group
            .iter()
            .filter(|(e, _)| e.as_str() != ext)
            .flat_map(|(_, c)| c.legs.iter())
            .filter_map(|uid| self.channels.get(uid))
            .map(|c| c.caller.clone())
            .find(Party::known);
        device.or_else(|| {
            let origin = self.channels.get(call_id)?;
            (origin.owner.as_deref() != Some(ext) && origin.caller.known())
                .then(|| origin.caller.clone())
        })
    }

    /// `AttendedTransfer`: the transferer's two calls are handed on; the target's call now
    /// carries the transferee (the customer), and the transferee's the target.
    pub(super) fn on_attended_transfer(
        &mut self,
        msg: &Message,
        at: Timestamp,
        out: &mut Vec<ExtensionEvent>,
    ) {
        if msg.get("Result").is_some_and(|r| r != "Success") {
            return;
        }
        let first = self.pinned(msg, "OrigTransferer");
        let second = self.pinned(msg, "SecondTransferer");
        for (call, ext) in first.iter().chain(second.iter()) {
            self.mark_transferred(ext, call);
        }
        // Who was on each side: as the event says, else the other party of that call.
        let known = |p: Party| Some(p).filter(Party::known);
        let transferee = known(Party::from(msg, "Transferee", "CallerID"))
            .or_else(|| known(Party::from(msg, "OrigTransferer", "ConnectedLine")))
            .or_else(|| first.as_ref().and_then(|(c, e)| self.party_in(c, e)))
            .unwrap_or_default();
        let target = known(Party::from(msg, "SecondTransferer", "ConnectedLine"))
            .or_else(|| second.as_ref().and_then(|(c, e)| self.party_in(c, e)))
            .unwrap_or_default();
        if let Some((call, ext)) = &second {
            for other in self.others(call, Some(ext)) {
                self.set_party(call, &other, transferee.clone(), at, out);
            }
        }
        if let Some((call, ext)) = &first {
            for other in self.others(call, Some(ext)) {
                self.set_party(call, &other, target.clone(), at, out);
            }
        }
    }

    /// `BlindTransfer`: the transferer's call is handed on; a followed transferee now talks
    /// to the dialled extension (its connected line may name them better later).
    pub(super) fn on_blind_transfer(
        &mut self,
        msg: &Message,
        at: Timestamp,
        out: &mut Vec<ExtensionEvent>,
    ) {
        if msg.get("Result").is_some_and(|r| r != "Success") {
            return;
        }
        if let Some((call, ext)) = self.pinned(msg, "Transferer") {
            self.mark_transferred(&ext, &call);
        }
        let dialable =
            |e: &&str| !e.is_empty() && e.chars().all(|c| c.is_ascii_digit() || c == '+');
        let target = msg.get("Extension").filter(dialable);
        if let (Some(target), Some((call, ext))) = (target, self.pinned(msg, "Transferee")) {
            let party = Party {
                number: target.to_string(),
                name: None,
            };
            self.set_party(&call, &ext, party, at, out);
        }
    }

    /// `Pickup` (the `Pickup()` application or a `*8` feature code): the picking device takes
    /// the call ringing at the target channel.
    pub(super) fn on_pickup(
        &mut self,
        msg: &Message,
        at: Timestamp,
        out: &mut Vec<ExtensionEvent>,
    ) {
        let Some(picker) = self.upsert(msg, "", at) else {
            return;
        };
        let Some(target) = msg.get("TargetLinkedid").or(msg.get("TargetUniqueid")) else {
            return;
        };
        let target = target.to_string();
        if self.owner_of(&picker).is_some() {
            self.picked_up(&picker, &target, None, at, out);
        }
    }

    /// Device channel `uid` picked up call `linkedid`: its own (never announced) call is
    /// dropped and it becomes an inbound leg of that call, answered now.
    pub(super) fn picked_up(
        &mut self,
        uid: &str,
        linkedid: &str,
        _dialer: Option<&str>,
        at: Timestamp,
        out: &mut Vec<ExtensionEvent>,
    ) {
        let Some(channel) = self.channels.get(uid) else {
            return;
        };
        let (Some(ext), Some(own)) = (channel.owner.clone(), channel.call.clone()) else {
            return;
        };
        if own == linkedid {
            return;
        }
        if let Some(group) = self.calls.get_mut(&own) {
            if group.get(&ext).is_some_and(|c| c.announced) {
                return;
            }
            group.remove(&ext);
            if group.is_empty() {
                self.calls.remove(&own);
            }
        }
        let call_id = self.call_id_for(linkedid, &ext);
        self.join(uid, &ext, &call_id, Direction::Inbound, at);
        self.announce_with(uid, None, at, out);
        if self.channels.get(uid).is_some_and(|c| c.state == 6) {
            self.answer(uid, at, out);
        }
        self.answered_elsewhere(linkedid, Some(&ext), at, out);
    }
}
