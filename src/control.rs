//! Call control: what screenpop can ask a softphone or PBX to do.
//!
//! Sources that can control calls (baresip over ctrl_tcp, Asterisk over AMI) implement
//! [`CallControl`]; the daemon routes `screenpop call/answer/hangup/transfer` and the
//! "Call back" click to the first source that offers it.

use async_trait::async_trait;

/// Why a control request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ControlError {
    #[error("no call-control source is configured (add a [[source]] such as baresip)")]
    NoControl,
    #[error("the softphone is not connected: {0}")]
    NotConnected(String),
    #[error("the softphone refused: {0}")]
    Refused(String),
    #[error("no call to {0}")]
    NoCall(String),
}

/// Dial, answer, hang up, transfer.
#[async_trait]
pub trait CallControl: Send + Sync {
    /// The source's name.
    fn name(&self) -> &str;
    /// Places a call to a number or SIP URI.
    async fn dial(&self, target: &str) -> Result<(), ControlError>;
    /// Answers a ringing call (the newest when `call_id` is `None`).
    async fn answer(&self, call_id: Option<&str>) -> Result<(), ControlError>;
    /// Hangs up a call (the current one when `call_id` is `None`).
    async fn hangup(&self, call_id: Option<&str>) -> Result<(), ControlError>;
    /// Blind-transfers a call to `target`.
    async fn transfer(&self, call_id: Option<&str>, target: &str) -> Result<(), ControlError>;
}
