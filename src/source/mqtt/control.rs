//! [`CallControl`] over MQTT: commands are published at QoS 1 to the command topic.
//!
//! `format = "screenpop"`: `{"version":1,"command":"dial","target":"…","call_id":…,"token":…}`
//! on e.g. `screenpop/201/commands`, for whatever bridges the broker to the phone system.
//! When a `screenpop relay` is online on the floor, the command waits (up to
//! [`REPLY_TIMEOUT`]) for its `{"token","ok","error"}` on `…/replies`, so success means the
//! PBX did it and a refusal carries the relay's reason.
//! `format = "baresip"`: baresip's mqtt module shape, `{"command","params","callid","token"}`
//! on `/baresip/command/<token>`. baresip answers every command with `ok: true`, so success
//! means "handed to the broker"; calls are checked against the events seen first.

use super::Mqtt;
use crate::config::MqttFormat;
use crate::control::{dial_target, CallControl, ControlError};
use crate::source::baresip::control::no_call;
use crate::source::baresip::events::CallTracker;
use async_trait::async_trait;
use rumqttc::QoS;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// How long a command waits for the relay's reply.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

impl Mqtt {
    /// Publishes one command; `verb` is screenpop's name, `baresip` baresip's.
    async fn publish_command(
        &self,
        verb: &str,
        baresip: &str,
        target: Option<String>,
        call_id: Option<String>,
    ) -> Result<(), ControlError> {
        let client = crate::sync::lock(&self.link).clone().ok_or_else(|| {
            ControlError::NotConnected(format!(
                "{} is not connected to {}",
                self.id,
                self.address()
            ))
        })?;
        // Distinct across desks sharing an extension: the client id is.
        let token = format!(
            "{}-{}",
            self.client_id,
            self.tokens.fetch_add(1, Ordering::Relaxed)
        );
        let reply = (self.config.format == MqttFormat::Screenpop
            && self.floor.is_some()
            && self.state().relay_online == Some(true))
        .then(|| {
            let (tx, rx) = tokio::sync::oneshot::channel();
            self.state().pending.insert(token.clone(), tx);
            rx
        });
        let (topic, body) = match self.config.format {
            MqttFormat::Screenpop => (
                self.command_topic.clone(),
                json!({"version": crate::source::schema::VERSION, "command": verb, "target": target, "call_id": call_id, "token": token}),
            ),
            MqttFormat::Baresip => {
                let mut body = json!({"command": baresip, "token": token});
                if let Some(t) = target {
                    body["params"] = Value::String(t);
                }
                if let Some(id) = call_id {
                    body["callid"] = Value::String(id);
                }
                (format!("{}{token}", self.command_topic), body)
            }
        };
        tracing::info!(source = %self.id, topic = %topic, command = verb, "publishing command");
        let published = client
            .publish(topic, QoS::AtLeastOnce, false, body.to_string())
            .await
            .map_err(|e| ControlError::NotConnected(format!("{}: {e}", self.id)));
        let Some(reply) = reply else {
            return published;
        };
        let outcome = match published {
            Err(e) => Err(e),
            Ok(()) => match tokio::time::timeout(REPLY_TIMEOUT, reply).await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err(ControlError::NoAnswer("the broker link closed".into())),
                Err(_) => Err(ControlError::NoAnswer(format!(
                    "the relay did not reply within {}s",
                    REPLY_TIMEOUT.as_secs()
                ))),
            },
        };
        self.state().pending.remove(&token);
        outcome
    }

    /// The call a command is about: checked against baresip events, passed on otherwise.
    fn pick(
        &self,
        call_id: Option<&str>,
        what: &str,
        choose: fn(&CallTracker) -> Option<&str>,
    ) -> Result<Option<String>, ControlError> {
        if self.config.format != MqttFormat::Baresip {
            return Ok(call_id.map(str::to_string));
        }
        self.tracker()
            .resolve(call_id, choose)
            .map(Some)
            .ok_or_else(|| no_call(what, call_id, &self.id))
    }
}

#[async_trait]
impl CallControl for Mqtt {
    fn name(&self) -> &str {
        &self.id.0
    }

    async fn dial(&self, target: &str) -> Result<(), ControlError> {
        let target = dial_target(target)?;
        self.publish_command("dial", "dial", Some(target), None)
            .await
    }

    async fn answer(&self, call_id: Option<&str>) -> Result<(), ControlError> {
        let id = self.pick(
            call_id,
            "answer (no inbound call is ringing)",
            CallTracker::ringing_inbound,
        )?;
        self.publish_command("answer", "accept", None, id).await
    }

    async fn hangup(&self, call_id: Option<&str>) -> Result<(), ControlError> {
        let id = self.pick(call_id, "hang up (no call is live)", CallTracker::newest)?;
        self.publish_command("hangup", "hangup", None, id).await
    }

    async fn transfer(&self, call_id: Option<&str>, target: &str) -> Result<(), ControlError> {
        let target = dial_target(target)?;
        let id = self.pick(
            call_id,
            "transfer (no call is connected)",
            CallTracker::newest_established,
        )?;
        self.publish_command("transfer", "transfer", Some(target), id)
            .await
    }
}
