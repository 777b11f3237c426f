//! One call's life: ringing → (lookup within the budget) → routing rules → answered → ended →
//! logged.
//!
//! When the lookup lands the rules decide (urgent, silent, auto-open, tags) and the view
//! carries the decision; a rule's transfer goes out through the call's own source's
//! [`crate::control::CallControl`] and its outcome is published and logged with the call.
//!
//! The task owns the call's [`CallView`], publishes it whenever it changes, and writes the
//! call-log row (plus outbox rows) once when the call ends — through the writer, as an
//! [`Effect`] that also marks the call's events done. A lookup slower than the budget
//! is published as `Pending` first ("Looking up…") and replaced when it lands. The plain
//! functions of the view (rules, the log row, …) are in [`parts`].

use super::writer::{Change, Effect};
use super::{CallKey, CallView, Engine, LookupState};
use crate::control::ControlError;
use crate::directory::chain::LookupOutcome;
use crate::event::{CallEvent, CallEventKind, CallState, Direction, EndReason};
use crate::store::intake::LiveCall;
use futures::future::BoxFuture;
use futures::FutureExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// After the call ends, how long a still-running lookup may take to name the log row.
const LATE_LOOKUP_GRACE: Duration = Duration::from_secs(5);
/// After the call ends, how long a rule's transfer may take to report how it went.
const LATE_TRANSFER_GRACE: Duration = Duration::from_secs(5);

mod parts;

use parts::{
    logged_already, lookup_done, record_of, route, transferred, upstream_answer, with_party,
};

type Transferring = BoxFuture<'static, Result<(), ControlError>>;

/// How a call task starts.
pub(super) enum Start {
    /// A committed ringing event (intake id `id`) opened the call.
    Fresh { id: i64, event: CallEvent },
    /// The call was live when screenpop last stopped; its row is in the store.
    Recovered(LiveCall),
}

/// What the dispatcher tells a call task.
pub(super) enum CallMsg {
    /// A committed event for this call.
    Event { id: i64, event: CallEvent },
    /// The call's source went down: wait for it to come back and say more, or close.
    SourceLost,
}

/// Runs one call to its end; returns its key (the dispatcher forgets it then).
pub(super) async fn run(
    engine: Arc<Engine>,
    start: Start,
    mut rx: mpsc::UnboundedReceiver<CallMsg>,
    effects: mpsc::UnboundedSender<Effect>,
) -> CallKey {
    let (first, answered_at, recovered) = match start {
        Start::Fresh { id, event } if logged_already(&engine, &event).await => {
            // A source delivering a finished call again (an MQTT broker re-sending what it
            // never saw acknowledged, long after): no second pop, no live row.
            tracing::info!(call_id = %event.call, source = %event.source, "ringing for a call already logged; not opening it again");
            let mut done = vec![id];
            rx.close();
            while let Ok(msg) = rx.try_recv() {
                if let CallMsg::Event { id, .. } = msg {
                    done.push(id);
                }
            }
            let _ = effects.send(Effect {
                done,
                change: Change::Nothing,
            });
            return CallKey {
                source: event.source.0,
                call_id: event.call.0,
            };
        }
        Start::Fresh { id, event } => {
            let _ = effects.send(Effect {
                done: vec![id],
                change: Change::Open(event.clone()),
            });
            (event, None, false)
        }
        Start::Recovered(live) => (live.ringing, live.answered_at, true),
    };
    let key = CallKey {
        source: first.source.0.clone(),
        call_id: first.call.0.clone(),
    };
    // The ringing event as the live-call row keeps it (a party change rewrites it).
    let mut opened = first.clone();
    let CallEventKind::Ringing {
        direction,
        remote,
        remote_name,
        line,
        upstream,
    } = first.kind
    else {
        return key;
    };
    let parsed = engine.rules.normalise(&remote.0);
    // A relay upstream already asked the CRMs for the whole floor: greet with its answer.
    let upstream = upstream.map(|u| *u).unwrap_or_default();
    let mut journaled = upstream.journaled;
    let mut lookup: Option<BoxFuture<'static, Arc<LookupOutcome>>> = parsed
        .number()
        .filter(|_| !upstream.looked_up)
        .cloned()
        .map(|n| {
            let chain = Arc::clone(&engine.chain);
            async move { chain.lookup(&n).await }.boxed()
        });
    let mut view = CallView {
        key: key.clone(),
        direction,
        state: if answered_at.is_some() {
            CallState::Answered
        } else {
            CallState::Ringing
        },
        number: remote.0.clone(),
        remote: parsed,
        remote_name: remote_name.filter(|n| !n.trim().is_empty()),
        line,
        lookup: if upstream.looked_up {
            upstream_answer(upstream.matches)
        } else if lookup.is_some() {
            LookupState::Pending
        } else {
            LookupState::NotApplicable
        },
        started_at: first.at,
        answered_at,
        ended_at: None,
        missed: false,
        end_reason: None,
        routing: Default::default(),
    };
    tracing::info!(call_id = %view.key.call_id, source = %view.key.source, direction = direction.as_str(), recovered, "call ringing");
    let timing = engine.timing;
    let budget = tokio::time::sleep(timing.budget);
    tokio::pin!(budget);
    // A recovered call has been live since it rang; a fresh one since now, even when its
    // ringing is old (a broker delivering what queued while the desk was off: its end is
    // right behind it, and closing it as stale first would log a missed call as taken).
    let now = chrono::Utc::now();
    let live_since = if recovered {
        first.at
    } else {
        first.at.max(now)
    };
    let stale_in = (live_since
        + chrono::Duration::from_std(timing.stale_call).unwrap_or(chrono::Duration::MAX))
    .signed_duration_since(now)
    .to_std()
    .unwrap_or(Duration::ZERO);
    let stale = tokio::time::sleep(stale_in);
    tokio::pin!(stale);
    let mut lost: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
    let mut published = lookup.is_none();
    let mut transfer: Option<Transferring> = None;
    // The lookup of a party that replaced the first one mid-call (a transfer).
    let mut relookup: Option<BoxFuture<'static, Arc<LookupOutcome>>> = None;
    if published {
        let live = !recovered;
        transfer = route(&engine, &mut view, live);
        engine.publish(view.clone());
    }
    let mut done = Vec::new();
    let reason = loop {
        tokio::select! {
            outcome = async { lookup.as_mut().expect("guarded").await }, if lookup.is_some() => {
                lookup = None;
                view.lookup = lookup_done(&outcome);
                let live = !recovered;
                transfer = route(&engine, &mut view, live);
                published = true;
                engine.publish(view.clone());
            }
            outcome = async { relookup.as_mut().expect("guarded").await }, if relookup.is_some() => {
                relookup = None;
                view.lookup = lookup_done(&outcome);
                engine.publish(view.clone());
            }
            result = async { transfer.as_mut().expect("guarded").await }, if transfer.is_some() => {
                transfer = None;
                transferred(&mut view, result);
                engine.publish(view.clone());
            }
            () = &mut budget, if !published => {
                published = true;
                tracing::info!(call_id = %view.key.call_id, budget_ms = timing.budget.as_millis() as u64, "lookup past budget; popping without it");
                engine.publish(view.clone());
            }
            () = &mut stale => {
                tracing::warn!(call_id = %view.key.call_id, stale_call_s = timing.stale_call.as_secs(), "no end came for this call; closing it");
                view.ended_at = Some(chrono::Utc::now());
                break EndReason::Stopped;
            }
            () = async { lost.as_mut().expect("guarded").await }, if lost.is_some() => {
                view.ended_at = Some(chrono::Utc::now());
                break EndReason::SourceLost;
            }
            msg = rx.recv() => match msg {
                // Every failed reconnect reports the source down again: the grace runs from the
                // first report, or a source retrying faster than the grace would keep the call forever.
                Some(CallMsg::SourceLost) if lost.is_none() => {
                    lost = Some(Box::pin(tokio::time::sleep(timing.source_lost_grace)));
                }
                Some(CallMsg::SourceLost) => {}
                Some(CallMsg::Event { id, event }) => {
                    lost = None;
                    match event.kind {
                        CallEventKind::Ringing { remote_name, upstream, .. } => {
                            if view.remote_name.is_none() {
                                view.remote_name = remote_name.filter(|n| !n.trim().is_empty());
                            }
                            let upstream = upstream.map(|u| *u).unwrap_or_default();
                            journaled |= upstream.journaled;
                            // The relay's lookup landed after its first ringing: replace in place.
                            let better = if upstream.matches.is_empty() {
                                view.lookup == LookupState::Pending
                            } else {
                                view.customer().is_none()
                            };
                            if upstream.looked_up && better {
                                lookup = None;
                                view.lookup = upstream_answer(upstream.matches);
                                let live = !recovered;
                                transfer = route(&engine, &mut view, live);
                                published = true;
                                engine.publish(view.clone());
                            }
                            let _ = effects.send(Effect { done: vec![id], change: Change::Nothing });
                        }
                        CallEventKind::PartyChanged { remote, remote_name } => {
                            // A transfer moved the customer onto this call: look them up like
                            // any caller and update the pop in place (no routing rules: already
                            // routed).
                            view.number = remote.0.clone();
                            view.remote = engine.rules.normalise(&remote.0);
                            view.remote_name = remote_name.filter(|n| !n.trim().is_empty());
                            lookup = None;
                            relookup = view.remote.number().cloned().map(|n| {
                                let chain = Arc::clone(&engine.chain);
                                async move { chain.lookup(&n).await }.boxed()
                            });
                            view.lookup = if relookup.is_some() { LookupState::Pending } else { LookupState::NotApplicable };
                            published = true;
                            tracing::info!(call_id = %view.key.call_id, "remote party changed");
                            engine.publish(view.clone());
                            // A restart resumes the call with the new party, not the first.
                            with_party(&mut opened, remote, view.remote_name.clone());
                            let _ = effects.send(Effect { done: vec![id], change: Change::Party(opened.clone()) });
                        }
                        CallEventKind::Answered => {
                            let mut change = Change::Nothing;
                            if view.state == CallState::Ringing {
                                view.state = CallState::Answered;
                                view.answered_at = Some(event.at);
                                published = true;
                                tracing::info!(call_id = %view.key.call_id, "call answered");
                                engine.publish(view.clone());
                                change = Change::Answer {
                                    source: view.key.source.clone(),
                                    call_id: view.key.call_id.clone(),
                                    at: event.at,
                                };
                            }
                            let _ = effects.send(Effect { done: vec![id], change });
                        }
                        CallEventKind::Ended { reason } => {
                            view.ended_at = Some(event.at);
                            done.push(id);
                            break reason;
                        }
                    }
                }
                // screenpop is stopping: the call stays in the store for the next start.
                None => return key,
            },
        }
    };
    // Nothing more reaches this call; what was already on its way is done with it.
    rx.close();
    while let Ok(msg) = rx.try_recv() {
        if let CallMsg::Event { id, .. } = msg {
            done.push(id);
        }
    }
    if let Some(pending) = lookup.take() {
        if let Ok(outcome) = tokio::time::timeout(LATE_LOOKUP_GRACE, pending).await {
            view.lookup = lookup_done(&outcome);
            route(&engine, &mut view, false);
        }
    }
    if let Some(pending) = relookup.take() {
        if let Ok(outcome) = tokio::time::timeout(LATE_LOOKUP_GRACE, pending).await {
            view.lookup = lookup_done(&outcome);
        }
    }
    if let Some(pending) = transfer.take() {
        match tokio::time::timeout(LATE_TRANSFER_GRACE, pending).await {
            Ok(result) => transferred(&mut view, result),
            Err(_) => transferred(
                &mut view,
                Err(ControlError::NotConnected(
                    "no answer from the source".into(),
                )),
            ),
        }
    }
    // A rule handed the call on: however the source words the end, it was a transfer.
    let reason = if view.routing.transferred() {
        EndReason::Transferred
    } else {
        reason
    };
    view.state = CallState::Ended;
    view.missed = view.direction == Direction::Inbound
        && view.answered_at.is_none()
        && !matches!(
            reason,
            EndReason::AnsweredElsewhere
                | EndReason::AnsweredBy(_)
                | EndReason::Transferred
                | EndReason::SourceLost
                | EndReason::Stopped
        );
    view.end_reason = Some(reason.label());
    tracing::info!(call_id = %view.key.call_id, missed = view.missed, reason = %reason.label(), "call ended");
    engine.publish(view.clone());
    // Journaled once, upstream, for the whole floor: not again from this desk.
    let journal_to = if journaled {
        Vec::new()
    } else {
        engine.journal_to.clone()
    };
    let _ = effects.send(Effect {
        done,
        change: Change::Close {
            record: Box::new(record_of(&view)),
            journal_to,
        },
    });
    key
}
