//! Desks' call control, authorised per extension: a command on `<prefix>/<ext>/commands`
//! (the broker's ACL lets only that extension's user write there) is carried out for that
//! extension only — dial from its own device, answer/hang up/transfer only a call live at it —
//! and answered on `<prefix>/<ext>/replies` with `{"token", "ok", "error"}`.

use super::floor::Floor;
use super::pbx::ExtensionControl;
use crate::control::ControlError;
use crate::source::schema::floor::{Command, Reply};
use futures::future::BoxFuture;
use futures::FutureExt;
use std::sync::Arc;

/// A command ready to run: the future carries it out; `None` = refused at once.
pub(super) type Pending = BoxFuture<'static, Result<(), ControlError>>;

/// Reads and authorises one command of `extension`; the reply's token and either the work
/// to do or the refusal.
pub(super) fn prepare(
    extension: &str,
    payload: &[u8],
    floor: &Floor,
    control: &Arc<dyn ExtensionControl>,
) -> (Option<String>, Result<Pending, String>) {
    let command: Command = match serde_json::from_slice(payload) {
        Ok(c) => c,
        Err(e) => {
            let token = serde_json::from_slice::<serde_json::Value>(payload)
                .ok()
                .and_then(|v| v.get("token").and_then(|t| t.as_str()).map(String::from));
            return (token, Err(format!("not a command: {e}")));
        }
    };
    let token = command.token.clone();
    if let Some(id) = &command.call_id {
        if !floor.live_at(extension, id) {
            return (
                token,
                Err(format!("call {id} is not live at extension {extension}")),
            );
        }
    }
    let at = control.at(extension);
    let call_id = command.call_id.clone();
    let target = command.target.clone().filter(|t| !t.trim().is_empty());
    let work: Pending = match (command.command.as_str(), target) {
        ("dial", Some(target)) => async move { at.dial(&target).await }.boxed(),
        ("answer", _) => async move { at.answer(call_id.as_deref()).await }.boxed(),
        ("hangup", _) => async move { at.hangup(call_id.as_deref()).await }.boxed(),
        ("transfer", Some(target)) => {
            async move { at.transfer(call_id.as_deref(), &target).await }.boxed()
        }
        ("dial" | "transfer", None) => {
            return (token, Err(format!("{} needs a target", command.command)))
        }
        (other, _) => {
            return (
                token,
                Err(format!(
                    "unknown command {other:?}: expected dial, answer, hangup or transfer"
                )),
            )
        }
    };
    tracing::info!(extension, command = %command.command, "command from a desk");
    (token, Ok(work))
}

/// The reply for a finished (or refused) command.
pub(super) fn reply(token: Option<String>, result: Result<(), String>) -> Reply {
    match result {
        Ok(()) => Reply {
            token,
            ok: true,
            error: None,
        },
        Err(e) => Reply {
            token,
            ok: false,
            error: Some(e),
        },
    }
}
