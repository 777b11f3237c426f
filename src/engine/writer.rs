//! The engine's one writer: group commits for intake and for effects.
//!
//! Sources' events come in as [`Input`]s; the writer commits whatever is queued in one
//! transaction (no artificial wait: while one batch commits, the next one gathers), then
//! acknowledges each event and hands it, with its intake id, to the dispatcher. Call tasks
//! send [`Effect`]s back — open a live call, mark it answered, log it — each carrying the
//! intake id of the event that caused it, deleted (marked done) in the same transaction.
//! A crash therefore leaves every committed event either done with its effects, or still in
//! `intake` to be replayed at the next start. Sources' health passes through in order.

use super::{Engine, EngineEvent, Input};
use crate::event::{CallEvent, Health, SourceId};
use crate::store::calls::{CallLog, CallRecord};
use crate::store::intake::{self, Committed, LiveCall};
use crate::store::{Store, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most operations one transaction takes.
const MAX_BATCH: usize = 512;

/// What the writer hands the dispatcher, in commit order.
pub(super) enum Routed {
    /// Calls logged before this start, oldest first.
    Logged(Vec<(String, String)>),
    /// A call that was live when screenpop last stopped.
    Recovered(LiveCall),
    Event(Committed),
    Health {
        source: SourceId,
        health: Health,
    },
}

/// What processing one committed event changes in the store.
pub(super) enum Change {
    /// Nothing but "done" (a repeated ringing, an event for an unknown call).
    Nothing,
    /// A new call rang: it becomes a live-call row.
    Open(CallEvent),
    /// The remote party changed: the live-call row's ringing event now names the new one.
    Party(CallEvent),
    Answer {
        source: String,
        call_id: String,
        at: crate::event::Timestamp,
    },
    /// The call ended: log it (once), drop its live row.
    Close {
        record: Box<CallRecord>,
        journal_to: Vec<String>,
    },
}

/// One call task's (or the dispatcher's) write, with the intake ids it completes.
pub(super) struct Effect {
    pub done: Vec<i64>,
    pub change: Change,
}

enum Op {
    Intake {
        event: CallEvent,
        ack: Option<oneshot::Sender<bool>>,
    },
    Health {
        source: SourceId,
        health: Health,
    },
    Effect(Effect),
}

/// Runs until the inputs are closed and every effect sender is gone.
pub(super) async fn run(
    engine: Arc<Engine>,
    store: Store,
    mut inputs: mpsc::Receiver<Input>,
    mut effects: mpsc::UnboundedReceiver<Effect>,
    routed: mpsc::Sender<Routed>,
) {
    match intake::recently_logged(&store, super::dispatch::RECENT_ENDED as i64).await {
        Ok(keys) => {
            let _ = routed.send(Routed::Logged(keys)).await;
        }
        Err(e) => tracing::error!(error = %e, "cannot read the call log's last calls"),
    }
    match intake::pending(&store).await {
        Ok((calls, events)) => {
            if !calls.is_empty() || !events.is_empty() {
                tracing::info!(
                    live_calls = calls.len(),
                    events = events.len(),
                    "resuming what the last run left"
                );
            }
            for call in calls {
                let _ = routed.send(Routed::Recovered(call)).await;
            }
            for event in events {
                let _ = routed.send(Routed::Event(event)).await;
            }
        }
        Err(e) => tracing::error!(error = %e, "cannot read the live calls and pending events"),
    }
    let mut routed = Some(routed);
    let mut inputs_open = true;
    let mut effects_open = true;
    let mut batch: Vec<Op> = Vec::with_capacity(MAX_BATCH);
    while inputs_open || effects_open {
        tokio::select! {
            input = inputs.recv(), if inputs_open => match input {
                Some(input) => batch.push(op_of(input)),
                None => {
                    inputs_open = false;
                    // The dispatcher ends when this goes; its call tasks then drop their
                    // effect senders, which ends us.
                    routed = None;
                }
            },
            effect = effects.recv(), if effects_open => match effect {
                Some(effect) => batch.push(Op::Effect(effect)),
                None => effects_open = false,
            },
        }
        while batch.len() < MAX_BATCH {
            if let Ok(effect) = effects.try_recv() {
                batch.push(Op::Effect(effect));
            } else if let Ok(input) = inputs.try_recv() {
                batch.push(op_of(input));
            } else {
                break;
            }
        }
        if batch.is_empty() {
            continue;
        }
        // Intake first, in its own transaction: an acknowledgement never waits for the
        // effects (lookups' outcomes, log rows) that happen to share the batch.
        let (effects_now, intake_now): (Vec<Op>, Vec<Op>) =
            batch.drain(..).partition(|op| matches!(op, Op::Effect(_)));
        for part in [intake_now, effects_now] {
            if part.is_empty() {
                continue;
            }
            let results = commit(&engine, &store, &part).await;
            for (op, result) in part.into_iter().zip(results) {
                finish(&engine, op, result, routed.as_ref()).await;
            }
        }
    }
}

fn op_of(input: Input) -> Op {
    match input {
        Input::Event(event) => Op::Intake { event, ack: None },
        Input::Acked { event, ack } => Op::Intake {
            event,
            ack: Some(ack),
        },
        Input::Health { source, health } => Op::Health { source, health },
    }
}

/// What one operation came to: an intake id, a call-log row (or `None`: already logged).
enum Outcome {
    Intake(i64),
    Logged(Option<i64>),
    Nothing,
}

/// Commits the batch in one transaction; if that fails, each operation on its own, so one
/// bad operation costs only itself.
async fn commit(engine: &Engine, store: &Store, batch: &[Op]) -> Vec<Result<Outcome, StoreError>> {
    match apply_all(engine, store, batch).await {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        Err(e) if batch.len() > 1 => {
            tracing::warn!(error = %e, ops = batch.len(), "batch commit failed; committing one by one");
            let mut results = Vec::with_capacity(batch.len());
            for op in batch {
                results.push(
                    apply_all(engine, store, std::slice::from_ref(op))
                        .await
                        .map(|mut o| o.remove(0)),
                );
            }
            results
        }
        Err(e) => vec![Err(e)],
    }
}

async fn apply_all(
    engine: &Engine,
    store: &Store,
    batch: &[Op],
) -> Result<Vec<Outcome>, StoreError> {
    let events: Vec<&CallEvent> = batch
        .iter()
        .filter_map(|op| match op {
            Op::Intake { event, .. } => Some(event),
            _ => None,
        })
        .collect();
    let mut conn = store.pool().acquire().await?;
    // An acknowledgement promises that the event survives a power cut, not only a crash of
    // the process: intake commits wait for the disk (the store's NORMAL reaches the OS only).
    // Effects need not: one lost with the tail of the log leaves its events to be replayed.
    let durable = !events.is_empty();
    if durable {
        intake::synchronous_full(&mut conn, true).await?;
    }
    let result = apply_on(engine, &mut conn, batch, &events).await;
    if durable {
        if let Err(e) = intake::synchronous_full(&mut conn, false).await {
            tracing::warn!(error = %e, "a store connection stays on synchronous = FULL");
        }
    }
    result
}

async fn apply_on(
    engine: &Engine,
    conn: &mut sqlx::SqliteConnection,
    batch: &[Op],
    events: &[&CallEvent],
) -> Result<Vec<Outcome>, StoreError> {
    let mut tx = sqlx::Connection::begin_with(conn, "BEGIN IMMEDIATE").await?;
    let mut ids = intake::insert_many(&mut tx, events).await?.into_iter();
    let mut outcomes = Vec::with_capacity(batch.len());
    for op in batch {
        outcomes.push(match op {
            Op::Intake { .. } => Outcome::Intake(ids.next().ok_or(StoreError::Corrupt {
                table: "intake",
                message: "fewer ids than events".into(),
            })?),
            Op::Health { .. } => Outcome::Nothing,
            Op::Effect(effect) => apply(engine, &mut tx, effect).await?,
        });
    }
    tx.commit().await?;
    Ok(outcomes)
}

async fn apply(
    engine: &Engine,
    tx: &mut sqlx::SqliteConnection,
    effect: &Effect,
) -> Result<Outcome, StoreError> {
    let outcome = match &effect.change {
        Change::Nothing => Outcome::Nothing,
        Change::Open(ringing) => {
            intake::open_call(tx, ringing).await?;
            Outcome::Nothing
        }
        Change::Party(ringing) => {
            intake::set_party(tx, ringing).await?;
            Outcome::Nothing
        }
        Change::Answer {
            source,
            call_id,
            at,
        } => {
            intake::answer_call(tx, source, call_id, *at).await?;
            Outcome::Nothing
        }
        Change::Close { record, journal_to } => {
            intake::close_call(tx, &record.source, &record.call_id).await?;
            let window = engine.timing.stale_call.as_millis() as i64;
            if intake::already_logged(
                tx,
                &record.source,
                &record.call_id,
                record.started_at,
                window,
            )
            .await?
            {
                tracing::info!(call_id = %record.call_id, source = %record.source, "call already logged; not logging it twice");
                Outcome::Logged(None)
            } else {
                Outcome::Logged(Some(CallLog::record_in(tx, record, journal_to).await?))
            }
        }
    };
    for id in &effect.done {
        intake::done(tx, *id).await?;
    }
    Ok(outcome)
}

async fn finish(
    engine: &Engine,
    op: Op,
    result: Result<Outcome, StoreError>,
    routed: Option<&mpsc::Sender<Routed>>,
) {
    match (op, result) {
        (Op::Intake { event, ack }, Ok(Outcome::Intake(id))) => {
            if let Some(ack) = ack {
                let _ = ack.send(true);
            }
            if let Some(routed) = routed {
                let _ = routed.send(Routed::Event(Committed { id, event })).await;
            }
        }
        (Op::Intake { event, ack }, result) => {
            let error = result.err().map(|e| e.to_string()).unwrap_or_default();
            tracing::error!(call_id = %event.call, source = %event.source, error = %error, "event could not be committed; not acknowledged");
            if let Some(ack) = ack {
                let _ = ack.send(false);
            }
        }
        (Op::Health { source, health }, _) => {
            if let Some(routed) = routed {
                let _ = routed.send(Routed::Health { source, health }).await;
            }
        }
        (Op::Effect(effect), Ok(Outcome::Logged(Some(id)))) => {
            if let Change::Close { record, .. } = effect.change {
                let record = CallRecord { id, ..*record };
                let _ = engine.events.send(EngineEvent::Logged {
                    record: Arc::new(record),
                });
            }
        }
        (Op::Effect(_), Ok(_)) => {}
        (Op::Effect(effect), Err(e)) => {
            let what = match &effect.change {
                Change::Close { record, .. } => {
                    format!("call {} could not be logged", record.call_id)
                }
                _ => "a call's state could not be saved".to_string(),
            };
            tracing::error!(error = %e, ids = ?effect.done, "{what}; its events are replayed at the next start");
        }
    }
}
