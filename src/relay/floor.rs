//! The floor's calls as the relay sees them: per-extension events from the PBX tracker in,
//! what to publish out. Pure (events and clock in, [`Out`] actions out), so every rule here
//! is tested without a broker:
//! - one lookup per PBX call (Linkedid), not per extension; an extension's events wait for
//!   it up to the budget, then go without `caller` and a repeated `ringing` carries it later;
//! - when one extension answers, every other extension still ringing for that call gets
//!   `ended` with "answered by <ext>" at once (the tracker's own later end is dropped);
//! - each extension's live calls, for the retained `current` topic;
//! - one call-log record per PBX call when its last extension is done, for the journal.

use crate::event::{CallEvent, CallEventKind, Direction, EndReason, Timestamp, Upstream};
use crate::model::Customer;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

/// After a call's last extension is done, how long the call may still ring someone new (a
/// blind transfer) before it is journaled as finished.
pub const FINISH_GRACE: Duration = Duration::from_secs(3);

/// One call event as one extension sees it: what any PBX feed gives the relay (the AMI
/// tracker's floor mode today; another PBX kind would produce the same).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtensionEvent {
    /// The extension (`201`): names the topics.
    pub extension: String,
    /// The event, call id = the PBX's id for the whole call (Asterisk's Linkedid).
    pub event: CallEvent,
}

/// What the relay should do.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    /// Publish `event` on `<prefix>/<extension>/events`.
    Event { extension: String, event: CallEvent },
    /// Publish the extension's retained `current` list again.
    Current { extension: String },
    /// Look `number` up for call `call` (answer with [`Floor::looked_up`]).
    Lookup { call: String, number: String },
    /// The PBX call is over: this is its one journal-worthy record.
    Finished(Box<Finished>),
}

/// A finished PBX call (all extensions done).
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub call: String,
    pub source: String,
    pub direction: Direction,
    pub number: String,
    pub remote_name: Option<String>,
    pub matches: Vec<Customer>,
    pub started_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Timestamp,
    /// The extension that answered.
    pub answered_by: Option<String>,
    /// Every extension that rang, in order.
    pub extensions: Vec<String>,
    /// How the last extension's part ended.
    pub reason: EndReason,
}

#[derive(Debug, Clone, PartialEq)]
enum Lookup {
    /// Lookups off, or nothing to look up.
    Off,
    /// Asked; events wait (up to the budget).
    Waiting,
    /// Past the budget: events went without `caller`.
    Late,
    Done(Vec<Customer>),
}

#[derive(Debug)]
struct Leg {
    /// The ringing event as last published (re-published with `caller` / in `current`).
    ringing: Option<CallEvent>,
    answered: bool,
    ended: bool,
    /// Ended by the relay (answered elsewhere): the tracker's own end is dropped.
    closed_by_relay: bool,
}

#[derive(Debug)]
struct Call {
    source: String,
    direction: Direction,
    number: String,
    remote_name: Option<String>,
    lookup: Lookup,
    held: Vec<ExtensionEvent>,
    legs: BTreeMap<String, Leg>,
    order: Vec<String>,
    started_at: Timestamp,
    answered_at: Option<Timestamp>,
    answered_by: Option<String>,
    last_reason: EndReason,
    /// When the last leg ended (the call finishes [`FINISH_GRACE`] later).
    idle_since: Option<Timestamp>,
}

/// Every live PBX call on the floor; see the module docs.
#[derive(Debug)]
pub struct Floor {
    lookup: bool,
    journal: bool,
    calls: HashMap<String, Call>,
    /// Live calls per extension (for `current`).
    by_extension: HashMap<String, BTreeSet<String>>,
    /// Every extension that ever had a call (for status).
    seen: BTreeSet<String>,
}

impl Floor {
    /// A floor that looks callers up (`lookup`) and marks events as journaled (`journal`).
    pub fn new(lookup: bool, journal: bool) -> Self {
        Self {
            lookup,
            journal,
            calls: HashMap::new(),
            by_extension: HashMap::new(),
            seen: BTreeSet::new(),
        }
    }

    /// One event from the PBX tracker.
    pub fn on_event(&mut self, tagged: ExtensionEvent, out: &mut Vec<Out>) {
        let call_id = tagged.event.call.0.clone();
        if !self.calls.contains_key(&call_id) {
            let CallEventKind::Ringing {
                direction,
                remote,
                remote_name,
                ..
            } = &tagged.event.kind
            else {
                tracing::debug!(call_id = %call_id, extension = %tagged.extension, "event for a call the relay never saw ring");
                return;
            };
            let number = remote.0.clone();
            let lookup = if self.lookup && !number.trim().is_empty() {
                out.push(Out::Lookup {
                    call: call_id.clone(),
                    number: number.clone(),
                });
                Lookup::Waiting
            } else {
                Lookup::Off
            };
            self.calls.insert(
                call_id.clone(),
                Call {
                    source: tagged.event.source.0.clone(),
                    direction: *direction,
                    number,
                    remote_name: remote_name.clone(),
                    lookup,
                    held: Vec::new(),
                    legs: BTreeMap::new(),
                    order: Vec::new(),
                    started_at: tagged.event.at,
                    answered_at: None,
                    answered_by: None,
                    last_reason: EndReason::Hangup,
                    idle_since: None,
                },
            );
        }
        let call = self.calls.get_mut(&call_id).expect("inserted above");
        if call.lookup == Lookup::Waiting {
            call.held.push(tagged);
            return;
        }
        self.apply(&call_id, tagged, out);
    }

    /// The lookup for `call` answered (`None`: it is past the budget, go without it).
    pub fn looked_up(&mut self, call_id: &str, matches: Option<Vec<Customer>>, out: &mut Vec<Out>) {
        let Some(call) = self.calls.get_mut(call_id) else {
            return;
        };
        let was_late = call.lookup == Lookup::Late;
        call.lookup = match matches {
            Some(m) => Lookup::Done(m),
            None => Lookup::Late,
        };
        let held = std::mem::take(&mut call.held);
        for tagged in held {
            self.apply(call_id, tagged, out);
        }
        // The answer came after the pops: ring again with it, the desks update in place.
        let Some(call) = self.calls.get_mut(call_id) else {
            return;
        };
        let upstream = upstream(&call.lookup, self.journal);
        if was_late && upstream.as_ref().is_some_and(|u| u.looked_up) {
            for (extension, leg) in &mut call.legs {
                if leg.ended {
                    continue;
                }
                if let Some(ringing) = &mut leg.ringing {
                    set_upstream(ringing, upstream.clone());
                    out.push(Out::Event {
                        extension: extension.clone(),
                        event: ringing.clone(),
                    });
                    out.push(Out::Current {
                        extension: extension.clone(),
                    });
                }
            }
        }
    }

    fn apply(&mut self, call_id: &str, tagged: ExtensionEvent, out: &mut Vec<Out>) {
        let journal = self.journal;
        let Some(call) = self.calls.get_mut(call_id) else {
            return;
        };
        let ExtensionEvent {
            extension,
            mut event,
        } = tagged;
        match &event.kind {
            CallEventKind::Ringing { .. } => {
                self.seen.insert(extension.clone());
                let leg = call.legs.entry(extension.clone()).or_insert_with(|| Leg {
                    ringing: None,
                    answered: false,
                    ended: false,
                    closed_by_relay: false,
                });
                if leg.closed_by_relay {
                    return;
                }
                if leg.ended {
                    // Rung again after its part was over (a transfer back): a fresh leg.
                    leg.ended = false;
                    leg.answered = false;
                }
                if !call.order.contains(&extension) {
                    call.order.push(extension.clone());
                }
                call.idle_since = None;
                set_upstream(&mut event, upstream(&call.lookup, journal));
                leg.ringing = Some(event.clone());
                self.by_extension
                    .entry(extension.clone())
                    .or_default()
                    .insert(call_id.to_string());
                out.push(Out::Event {
                    extension: extension.clone(),
                    event,
                });
                out.push(Out::Current { extension });
            }
            CallEventKind::Answered => {
                let Some(leg) = call.legs.get_mut(&extension) else {
                    return;
                };
                if leg.ended || leg.answered {
                    return;
                }
                leg.answered = true;
                if call.answered_by.is_none() {
                    call.answered_by = Some(extension.clone());
                    call.answered_at = Some(event.at);
                }
                let at = event.at;
                out.push(Out::Event {
                    extension: extension.clone(),
                    event: event.clone(),
                });
                out.push(Out::Current {
                    extension: extension.clone(),
                });
                // Everyone else ringing for this call: answered by this extension, now.
                for (other, leg) in &mut call.legs {
                    if *other == extension || leg.ended || leg.answered {
                        continue;
                    }
                    leg.ended = true;
                    leg.closed_by_relay = true;
                    if let Some(set) = self.by_extension.get_mut(other) {
                        set.remove(call_id);
                    }
                    out.push(Out::Event {
                        extension: other.clone(),
                        event: CallEvent {
                            at,
                            kind: CallEventKind::Ended {
                                reason: EndReason::AnsweredBy(extension.clone()),
                            },
                            ..event.clone()
                        },
                    });
                    out.push(Out::Current {
                        extension: other.clone(),
                    });
                }
            }
            CallEventKind::PartyChanged {
                remote: party,
                remote_name: party_name,
            } => {
                // A transfer or connected-line update: that extension's pop follows the party,
                // and so does its entry in the retained `current` list (a desk that reconnects
                // must not resurrect the old party). The relay's lookup was for the old number:
                // the entry goes without `caller`, the desk looks the new party up itself.
                let Some(leg) = call.legs.get_mut(&extension).filter(|l| !l.ended) else {
                    return;
                };
                if let Some(CallEventKind::Ringing {
                    remote,
                    remote_name,
                    upstream,
                    ..
                }) = leg.ringing.as_mut().map(|r| &mut r.kind)
                {
                    *remote = party.clone();
                    *remote_name = party_name.clone();
                    *upstream = upstream_of(Vec::new(), false, journal).map(Box::new);
                }
                out.push(Out::Event {
                    extension: extension.clone(),
                    event,
                });
                out.push(Out::Current { extension });
            }
            CallEventKind::Ended { reason } => {
                let Some(leg) = call.legs.get_mut(&extension) else {
                    return;
                };
                if leg.closed_by_relay {
                    leg.closed_by_relay = false;
                    return;
                }
                if leg.ended {
                    return;
                }
                leg.ended = true;
                call.last_reason = reason.clone();
                if let Some(set) = self.by_extension.get_mut(&extension) {
                    set.remove(call_id);
                }
                let at = event.at;
                out.push(Out::Event {
                    extension: extension.clone(),
                    event,
                });
                out.push(Out::Current { extension });
                if call.legs.values().all(|l| l.ended) {
                    call.idle_since = Some(at);
                }
            }
        }
    }

    /// Time passing: calls idle past [`FINISH_GRACE`] are finished.
    pub fn tick(&mut self, now: Timestamp, out: &mut Vec<Out>) {
        let grace = chrono::Duration::from_std(FINISH_GRACE).unwrap_or_default();
        let done: Vec<String> = self
            .calls
            .iter()
            .filter(|(_, c)| c.idle_since.is_some_and(|t| now - t >= grace))
            .map(|(id, _)| id.clone())
            .collect();
        for id in done {
            if let Some(call) = self.calls.remove(&id) {
                out.push(Out::Finished(Box::new(record::finished(id, call))));
            }
        }
    }
}

fn upstream(lookup: &Lookup, journal: bool) -> Option<Upstream> {
    match lookup {
        Lookup::Done(m) => upstream_of(m.clone(), true, journal),
        _ => upstream_of(Vec::new(), false, journal),
    }
}

fn upstream_of(matches: Vec<Customer>, looked_up: bool, journal: bool) -> Option<Upstream> {
    (journal || looked_up).then_some(Upstream {
        matches,
        looked_up,
        journaled: journal,
    })
}

fn set_upstream(event: &mut CallEvent, value: Option<Upstream>) {
    if let CallEventKind::Ringing { upstream, .. } = &mut event.kind {
        *upstream = value.map(Box::new);
    }
}

mod record;
mod view;

#[cfg(test)]
mod tests;
