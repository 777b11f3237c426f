//! The Fritz!Box call monitor source: a TCP client for the router's tcp/1012 feed.
//!
//! [`wire`] parses lines; [`Monitor`] turns them into calls: `RING` to one of the agent's
//! numbers (`own_numbers`; empty = all) rings inbound, `CALL` from one of them rings outbound,
//! `CONNECT` answers, `DISCONNECT` ends — without a `CONNECT` an inbound call was missed. The
//! router reuses connection ids, so a call's id is the connection id plus the time it began.
//! Timestamps are the router's local time; one far from our clock is replaced by ours.

pub mod wire;

use crate::event::{
    CallEvent, CallEventKind, CallId, Direction, EndReason, RawNumber, SourceId, Timestamp,
};
use crate::source::supervisor::{EventSink, Source, SourceError};
use async_trait::async_trait;
use chrono::{Local, NaiveDateTime, TimeZone};
use std::collections::HashMap;
use tokio::io::AsyncReadExt;
use wire::{Line, LineReader};

/// The call monitor's port.
pub const DEFAULT_PORT: u16 = 1012;
/// A router clock further off than this is ignored in favour of ours.
const MAX_CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// Fewer digits than this never match an own number by suffix alone.
const MIN_SUFFIX_DIGITS: usize = 5;

/// One `[[source]] kind = "fritz"` entry, ready to run.
pub struct FritzSource {
    id: SourceId,
    address: String,
    own_numbers: Vec<String>,
}

impl FritzSource {
    /// A source named `name` reading `address`, showing calls of `own_numbers` (empty = all).
    pub fn new(name: String, address: &str, own_numbers: Vec<String>) -> Self {
        Self {
            id: SourceId(name),
            address: super::tcp::with_default_port(address, DEFAULT_PORT),
            own_numbers,
        }
    }
}

#[async_trait]
impl Source for FritzSource {
    fn id(&self) -> SourceId {
        self.id.clone()
    }

    async fn run(&self, sink: &mut EventSink) -> Result<(), SourceError> {
        let hint = " (is the call monitor on? dial #96*5* on a phone)";
        let mut stream = super::tcp::connect(&self.address, hint).await?;
        sink.up().await;
        tracing::info!(source = %self.id, address = %self.address, "connected to the Fritz!Box call monitor");
        let mut monitor = Monitor::new(self.id.clone(), self.own_numbers.clone());
        let mut reader = LineReader::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = tokio::select! {
                n = stream.read(&mut buf) => n.map_err(|e| SourceError::Lost(e.to_string()))?,
                () = sink.stopped() => return Ok(()),
            };
            if n == 0 {
                return Err(SourceError::Lost("the router closed the connection".into()));
            }
            for parsed in reader.feed(&buf[..n]) {
                match parsed {
                    Ok(line) => {
                        for event in monitor.on_line(&line, chrono::Utc::now()) {
                            if !sink.send(event).await {
                                return Ok(());
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(source = %self.id, error = %e, "skipped a call monitor line")
                    }
                }
            }
        }
    }
}

#[derive(Debug)]
struct Open {
    call: CallId,
    connected: bool,
}

/// Connection ids → calls, for one set of own numbers. Pure; see the module docs.
#[derive(Debug)]
pub struct Monitor {
    source: SourceId,
    own: Vec<String>,
    open: HashMap<String, Open>,
}

impl Monitor {
    /// A monitor reporting as `source`, for calls of `own_numbers` (empty = all).
    pub fn new(source: SourceId, own_numbers: Vec<String>) -> Self {
        Self {
            source,
            own: own_numbers
                .iter()
                .map(|n| digits(n))
                .filter(|d| !d.is_empty())
                .collect(),
            open: HashMap::new(),
        }
    }

    /// Whether `number` is one of ours.
    pub fn is_own(&self, number: &str) -> bool {
        if self.own.is_empty() {
            return true;
        }
        let d = digits(number);
        self.own.iter().any(|own| same_number(own, &d))
    }

    /// The events one line means, stamped with the router's time (or `now` if it is off).
    pub fn on_line(&mut self, line: &Line, now: Timestamp) -> Vec<CallEvent> {
        let at = router_time(line.at(), now);
        let mut out = Vec::new();
        let id = line.id().to_string();
        let ring = |direction, remote: &str, own: &str| CallEventKind::Ringing {
            direction,
            remote: RawNumber(remote.to_string()),
            remote_name: None,
            line: Some(own.to_string()).filter(|s| !s.is_empty()),
            upstream: None,
        };
        let kind = match line {
            Line::Ring { caller, callee, .. } if self.is_own(callee) => {
                Some(ring(Direction::Inbound, caller, callee))
            }
            Line::Call { own, callee, .. } if self.is_own(own) => {
                Some(ring(Direction::Outbound, callee, own))
            }
            Line::Ring { .. } | Line::Call { .. } => None,
            Line::Connect { .. } => {
                if let Some(open) = self.open.get_mut(&id) {
                    open.connected = true;
                    out.extend(self.event(&id, at, CallEventKind::Answered));
                }
                return out;
            }
            Line::Disconnect { .. } => {
                if let Some(open) = self.open.remove(&id) {
                    let reason = if open.connected {
                        EndReason::Hangup
                    } else {
                        EndReason::Cancelled
                    };
                    out.push(self.ended(open.call, at, reason));
                }
                return out;
            }
        };
        if let Some(stale) = self.open.remove(&id) {
            // The router never said DISCONNECT for the id it is reusing.
            out.push(self.ended(
                stale.call,
                at,
                EndReason::Other("no DISCONNECT from the router".into()),
            ));
        }
        if let Some(kind) = kind {
            let call = CallId(format!("{id}@{}", line.at().format("%Y%m%dT%H%M%S")));
            self.open.insert(
                id.clone(),
                Open {
                    call,
                    connected: false,
                },
            );
            out.extend(self.event(&id, at, kind));
        }
        out
    }

    fn event(&self, id: &str, at: Timestamp, kind: CallEventKind) -> Option<CallEvent> {
        let open = self.open.get(id)?;
        Some(CallEvent {
            source: self.source.clone(),
            call: open.call.clone(),
            at,
            kind,
        })
    }

    fn ended(&self, call: CallId, at: Timestamp, reason: EndReason) -> CallEvent {
        CallEvent {
            source: self.source.clone(),
            call,
            at,
            kind: CallEventKind::Ended { reason },
        }
    }
}

fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// `030123456` and `4930123456` and `123456` are one number when one ends with the other.
fn same_number(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let trunk_free = short.trim_start_matches('0');
    short == long || (trunk_free.len() >= MIN_SUFFIX_DIGITS && long.ends_with(trunk_free))
}

/// The router's local time as UTC, unless it is missing (DST gap) or far from `now`.
fn router_time(local: NaiveDateTime, now: Timestamp) -> Timestamp {
    match Local.from_local_datetime(&local).earliest() {
        Some(t) if (t.with_timezone(&chrono::Utc) - now).abs() <= MAX_CLOCK_SKEW => {
            t.with_timezone(&chrono::Utc)
        }
        _ => now,
    }
}

#[cfg(test)]
mod tests;
