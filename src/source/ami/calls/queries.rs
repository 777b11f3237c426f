//! What the source asks the Tracker about calls in progress: which extension a control
//! request concerns, the devices and channels to Originate, Redirect and Hang up, and the
//! live-call count for status.

use super::{Call, Tracker};
use crate::source::ami::channel::Follow;
use std::collections::BTreeMap;

impl Tracker {
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
}
