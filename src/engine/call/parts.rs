//! The pieces of a call's life that are plain functions of its view: routing rules and their
//! transfer, how a lookup's answer reads, the call-log row, whether a ringing is for a call
//! already logged, a party change applied to the ringing event a live-call row keeps.

use super::Transferring;
use crate::control::ControlError;
use crate::directory::chain::LookupOutcome;
use crate::engine::{CallView, Engine, LookupState};
use crate::event::{CallEvent, CallEventKind};
use crate::phone::Remote;
use crate::rules::{Facts, TransferState};
use crate::store::calls::CallRecord;
use futures::FutureExt;

/// Whether the call `ringing` opens is in the call log already (within the stale-call window:
/// a call id a source reuses days later is a new call).
pub(super) async fn logged_already(engine: &Engine, ringing: &CallEvent) -> bool {
    let window = engine.timing.stale_call.as_millis() as i64;
    let (source, call) = (&ringing.source.0, &ringing.call.0);
    match crate::store::intake::logged(&engine.store, source, call, ringing.at, window).await {
        Ok(logged) => logged,
        Err(e) => {
            tracing::warn!(call_id = %call, error = %e, "cannot tell whether the call was logged already");
            false
        }
    }
}

/// `ringing` with `remote` as its party: an answer a relay gave for the old party no longer
/// holds (the new one is looked up here), whether the relay journals the call still does.
pub(super) fn with_party(
    ringing: &mut CallEvent,
    party: crate::event::RawNumber,
    name: Option<String>,
) {
    if let CallEventKind::Ringing {
        remote,
        remote_name,
        upstream,
        ..
    } = &mut ringing.kind
    {
        *remote = party;
        *remote_name = name;
        if let Some(up) = upstream.as_mut() {
            up.matches.clear();
            up.looked_up = false;
        }
    }
}

/// Applies the routing rules once the caller is known; starts a rule's transfer through the
/// call's own source when the call is still `live`.
pub(super) fn route(engine: &Engine, view: &mut CallView, live: bool) -> Option<Transferring> {
    let book = engine.rulebook();
    if !book.is_active() {
        return None;
    }
    let routing = book.decide(&Facts {
        direction: view.direction,
        number: &view.number,
        remote: &view.remote,
        customer: view.customer(),
        local_time: chrono::Local::now().naive_local(),
    });
    view.routing = routing;
    if !view.routing.rules.is_empty() {
        tracing::info!(call_id = %view.key.call_id, rules = ?view.routing.rules, decisions = %view.routing.log_line(), "rules fired");
    }
    let t = view.routing.transfer.as_mut()?;
    if !live {
        t.state = TransferState::Skipped("the call had already ended".into());
        return None;
    }
    let Some(control) = engine.control(&view.key.source) else {
        t.state =
            TransferState::Failed(format!("source {} cannot transfer calls", view.key.source));
        tracing::warn!(call_id = %view.key.call_id, source = %view.key.source, "rule wants a transfer but the source has no call control");
        return None;
    };
    let (call_id, target) = (view.key.call_id.clone(), t.target.clone());
    Some(async move { control.transfer(Some(&call_id), &target).await }.boxed())
}

/// Records how a rule's transfer went.
pub(super) fn transferred(view: &mut CallView, result: Result<(), ControlError>) {
    if let Some(t) = view.routing.transfer.as_mut() {
        t.state = match result {
            Ok(()) => TransferState::Done,
            Err(e) => TransferState::Failed(e.to_string()),
        };
        tracing::info!(call_id = %view.key.call_id, decision = %view.routing.log_line(), "rule transfer finished");
    }
}

/// A directory answer that arrived with the event (a relay's `caller`).
pub(super) fn upstream_answer(matches: Vec<crate::directory::Customer>) -> LookupState {
    LookupState::Done {
        directory: matches.first().map(|c| c.directory.clone()),
        matches,
        create_contact_url: None,
    }
}

pub(super) fn lookup_done(outcome: &LookupOutcome) -> LookupState {
    LookupState::Done {
        matches: outcome.matches.clone(),
        directory: outcome.directory.clone(),
        create_contact_url: outcome.create_contact_url.clone(),
    }
}

/// The call-log row for a finished call.
pub(super) fn record_of(view: &CallView) -> CallRecord {
    let ended_at = view.ended_at.unwrap_or(view.started_at);
    let customer = view.customer();
    let (e164, display) = match &view.remote {
        Remote::Number(n) => (n.e164.clone(), n.display.clone()),
        other => (None, other.display()),
    };
    CallRecord {
        id: 0,
        call_id: view.key.call_id.clone(),
        source: view.key.source.clone(),
        direction: view.direction.as_str().to_string(),
        number: view.number.clone(),
        number_e164: e164,
        number_display: display,
        remote_name: view.remote_name.clone(),
        name: customer
            .map(|c| c.name.clone())
            .or_else(|| view.remote_name.clone()),
        customer_id: customer.map(|c| c.id.clone()),
        directory: customer.map(|c| c.directory.clone()),
        matches: view.match_count() as i64,
        vip: customer.is_some_and(|c| c.vip),
        note: customer.and_then(|c| c.note.clone()),
        profile_url: customer.and_then(|c| c.url.clone()),
        started_at: view.started_at,
        answered_at: view.answered_at,
        ended_at,
        duration_s: view
            .answered_at
            .map_or(0, |a| (ended_at - a).num_seconds().max(0)),
        ring_s: (view.answered_at.unwrap_or(ended_at) - view.started_at)
            .num_seconds()
            .max(0),
        missed: view.missed,
        end_reason: view.end_reason.clone().unwrap_or_default(),
        tags: view.routing.tags.join(", "),
        decisions: view.routing.log_line(),
    }
}
