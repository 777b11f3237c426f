//! What the floor shows back, read-only: an extension's retained `current` list, whether a
//! call is live at an extension (commands may touch only such calls), and the live calls for
//! status.

use super::Floor;
use crate::event::Timestamp;
use crate::source::schema::floor::{Current, CurrentCall};
use crate::source::schema::{self, VERSION};

impl Floor {
    /// The retained `current` list of `extension`.
    pub fn current(&self, extension: &str, at: Timestamp) -> Current {
        let calls = self
            .by_extension
            .get(extension)
            .into_iter()
            .flatten()
            .filter_map(|id| {
                let leg = self.calls.get(id)?.legs.get(extension)?;
                let ringing = leg.ringing.as_ref()?;
                Some(CurrentCall {
                    state: if leg.answered { "answered" } else { "ringing" }.into(),
                    ringing: schema::to_wire(ringing),
                })
            })
            .collect();
        Current {
            version: VERSION,
            extension: extension.to_string(),
            calls,
            at,
        }
    }

    /// Whether `call` is live at `extension` (commands may touch only such calls).
    pub fn live_at(&self, extension: &str, call: &str) -> bool {
        self.by_extension
            .get(extension)
            .is_some_and(|s| s.contains(call))
    }

    /// Extensions that had calls since start.
    pub fn extensions_seen(&self) -> impl Iterator<Item = &String> {
        self.seen.iter()
    }

    /// Live PBX calls: id and the extensions live in each.
    pub fn live(&self) -> Vec<(String, Vec<String>)> {
        let mut calls: Vec<_> = self
            .calls
            .iter()
            .filter(|(_, c)| c.idle_since.is_none())
            .map(|(id, c)| {
                let legs = c
                    .legs
                    .iter()
                    .filter(|(_, l)| !l.ended)
                    .map(|(e, l)| format!("{e}{}", if l.answered { " (answered)" } else { "" }))
                    .collect();
                (id.clone(), legs)
            })
            .collect();
        calls.sort();
        calls
    }
}
