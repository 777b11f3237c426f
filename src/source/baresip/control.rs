//! [`CallControl`] over baresip's ctrl_tcp, on the source's own connection (baresip takes
//! one ctrl_tcp client only). baresip 1.0 acts on its *current* call and answers `ok` even
//! when there is nothing to act on, so screenpop checks its own view of the live calls
//! first, selects the call with `callfind` when several are live, and reads refusals from
//! `ok: false`.

use super::events::CallTracker;
use super::Baresip;
use crate::control::{dial_target, CallControl, ControlError};
use crate::event::{Direction, SourceId};
use async_trait::async_trait;

impl Baresip {
    /// Runs `command` and turns `ok: false` into a refusal.
    async fn checked(
        &self,
        command: &'static str,
        params: Option<String>,
    ) -> Result<String, ControlError> {
        let response = self.command(command, params).await?;
        if response.ok {
            Ok(response.data)
        } else {
            Err(ControlError::Refused(format!(
                "{command}: {}",
                response.data.trim()
            )))
        }
    }

    /// The live call `call_id` names, or the one `choose` picks; makes it baresip's current
    /// call when there is more than one.
    async fn select(
        &self,
        call_id: Option<&str>,
        what: &str,
        choose: fn(&CallTracker) -> Option<&str>,
    ) -> Result<String, ControlError> {
        self.sender()?;
        let (id, several) = {
            let calls = self.tracker();
            (calls.resolve(call_id, choose), calls.len() > 1)
        };
        let id = id.ok_or_else(|| no_call(what, call_id, &self.id))?;
        if several {
            let data = self.checked("callfind", Some(id.clone())).await?;
            if data.contains("not found") {
                return Err(no_call(what, Some(&id), &self.id));
            }
        }
        Ok(id)
    }
}

/// "no call to answer (…) on baresip", naming the id when one was asked for.
pub(crate) fn no_call(what: &str, call_id: Option<&str>, source: &SourceId) -> ControlError {
    match call_id {
        Some(id) => ControlError::NoCall(format!("{what}: no live call {id:?} on {source}")),
        None => ControlError::NoCall(format!("{what} on {source}")),
    }
}

#[async_trait]
impl CallControl for Baresip {
    fn name(&self) -> &str {
        &self.id.0
    }

    async fn dial(&self, target: &str) -> Result<(), ControlError> {
        let target = dial_target(target)?;
        self.checked("dial", Some(target)).await.map(drop)
    }

    async fn answer(&self, call_id: Option<&str>) -> Result<(), ControlError> {
        let id = self
            .select(
                call_id,
                "answer (no inbound call is ringing)",
                CallTracker::ringing_inbound,
            )
            .await?;
        let ringing = self
            .tracker()
            .calls()
            .any(|(c, call)| c == id && call.direction == Direction::Inbound && !call.established);
        if !ringing {
            return Err(ControlError::NoCall(format!(
                "answer: call {id:?} is not ringing"
            )));
        }
        self.checked("accept", None).await.map(drop)
    }

    async fn hangup(&self, call_id: Option<&str>) -> Result<(), ControlError> {
        self.select(call_id, "hang up (no call is live)", CallTracker::newest)
            .await?;
        self.checked("hangup", None).await.map(drop)
    }

    async fn transfer(&self, call_id: Option<&str>, target: &str) -> Result<(), ControlError> {
        let target = dial_target(target)?;
        self.select(
            call_id,
            "transfer (no call is connected)",
            CallTracker::newest_established,
        )
        .await?;
        self.checked("transfer", Some(target)).await.map(drop)
    }
}
