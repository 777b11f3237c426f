//! Writing a finished call to the CRM through the template (`journal_request`), and asking
//! the CRM whether it already has it (`journal_check`) — the outbox asks before re-sending a
//! delivery whose outcome is unknown (the process died between the request and marking it
//! delivered), so a retry does not create a second activity. The call id travels in every
//! journal entry (an `Idempotency-Key` header, and a field the check can search for).

use super::call_vars;
use super::response::select;
use super::template::Request;
use super::transport::Failure;
use super::HttpDirectory;
use crate::directory::JournalError;
use crate::store::calls::CallRecord;
use serde_json::Value;

impl HttpDirectory {
    /// Whether this directory journals `call` at all (callers it knows, unless configured).
    fn journals_call(&self, call: &CallRecord) -> bool {
        let ours =
            call.directory.as_deref() == Some(self.name.as_str()) && call.customer_id.is_some();
        ours || self.template.journal_unknown
    }

    /// Sends the journal request for `call`.
    pub(super) async fn deliver(&self, call: &CallRecord) -> Result<(), JournalError> {
        let Some(req) = &self.template.journal else {
            return Err(JournalError::Unsupported);
        };
        if !self.journals_call(call) {
            tracing::info!(directory = %self.name, call_id = %call.call_id, "not journaled: the caller is not a contact here");
            return Ok(());
        }
        match self
            .exchange(req, &call_vars::of_call(call), Some(&call.call_id))
            .await
        {
            Ok(_) => Ok(()),
            Err(Failure::Rejected(m)) if m.starts_with("HTTP 409") => Ok(()),
            Err(f) => Err(journal_error(f)),
        }
    }

    /// Asks the CRM whether `call` is already journaled; `None` when the template cannot ask.
    pub(super) async fn already_journaled(
        &self,
        call: &CallRecord,
    ) -> Result<Option<bool>, JournalError> {
        let Some(req) = &self.template.journal_check else {
            return Ok(None);
        };
        if self.template.journal.is_none() || !self.journals_call(call) {
            return Ok(None);
        }
        let answer = match self.exchange(req, &call_vars::of_call(call), None).await {
            // Asked by key (Dataverse): "no such record" is a clear no.
            Err(Failure::Rejected(m)) if m.starts_with("HTTP 404") => return Ok(Some(false)),
            other => other.map_err(journal_error)?,
        };
        Ok(Some(
            answer.json.as_ref().is_some_and(|doc| found(doc, req)),
        ))
    }
}

/// Whether a check's answer says "yes, it is there": a positive count, a non-empty list.
fn found(doc: &Value, req: &Request) -> bool {
    select(doc, req.result.as_deref().unwrap_or(""))
        .into_iter()
        .any(|v| match v {
            Value::Number(n) => n.as_f64().is_some_and(|n| n > 0.0),
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => !o.is_empty(),
            Value::String(s) => !s.trim().is_empty(),
            Value::Bool(b) => *b,
            Value::Null => false,
        })
}

fn journal_error(f: Failure) -> JournalError {
    match f {
        Failure::Timeout(ms) => JournalError::Failed(format!("timed out after {ms} ms")),
        Failure::Unreachable(m) | Failure::SignIn(m) => JournalError::Failed(m),
        Failure::Auth(m) | Failure::Rejected(m) | Failure::Bad(m) => JournalError::Rejected(m),
        Failure::Throttled(w) => JournalError::Throttled {
            retry_after_s: w.as_secs().max(1),
        },
    }
}
