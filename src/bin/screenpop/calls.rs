//! `screenpop call|answer|hangup|transfer`: call control through the running daemon, which
//! hands the request to its first call-control source (a softphone such as baresip).
//!
//! Failures are worded for the agent and exit non-zero: 1 when the daemon, the softphone
//! or the call is not there (or the softphone refused), 2 for a bad target or when no
//! control source is configured.

use crate::client::exchange;
use crate::output::{usage, Unavailable};
use anyhow::Result;
use clap::Subcommand;
use screenpop::config::Paths;
use serde_json::{json, Value};
use std::process::ExitCode;

/// The call-control verbs.
#[derive(Subcommand)]
pub enum CallCommand {
    /// Place a call through the softphone: a number or a SIP URI.
    Call {
        /// e.g. `+49 30 123456`, `201`, `sip:bob@pbx.example`.
        target: String,
    },
    /// Answer the ringing call.
    Answer {
        /// Which call (default: the newest ringing one).
        #[arg(long = "call-id")]
        call_id: Option<String>,
    },
    /// Hang up (or reject) a call.
    Hangup {
        /// Which call (default: the newest one).
        #[arg(long = "call-id")]
        call_id: Option<String>,
    },
    /// Blind-transfer the connected call to another number or SIP URI.
    Transfer {
        target: String,
        /// Which call (default: the newest connected one).
        #[arg(long = "call-id")]
        call_id: Option<String>,
    },
}

/// Sends one control request (at most once, with a fresh request id the daemon uses to
/// refuse a duplicate) and reports what happened.
pub fn run(paths: &Paths, command: CallCommand) -> Result<ExitCode> {
    let (verb, body, done) = match &command {
        CallCommand::Call { target } => (
            "dial",
            json!({ "target": target }),
            format!("calling {target}"),
        ),
        CallCommand::Answer { call_id } => (
            "answer",
            json!({ "call_id": call_id }),
            "answered".to_string(),
        ),
        CallCommand::Hangup { call_id } => (
            "hangup",
            json!({ "call_id": call_id }),
            "hung up".to_string(),
        ),
        CallCommand::Transfer { target, call_id } => (
            "transfer",
            json!({ "target": target, "call_id": call_id }),
            format!("transferred to {target}"),
        ),
    };
    let mut body = body;
    body["request_id"] = json!(uuid::Uuid::new_v4().to_string());
    let path = format!("/v1/control/{verb}");
    let (status, answer) = exchange(paths, "POST", &path, Some(&body))?;
    if (200..300).contains(&status) {
        let via = answer
            .get("control")
            .and_then(Value::as_str)
            .unwrap_or("softphone");
        println!("{done} (via {via})");
        return Ok(ExitCode::SUCCESS);
    }
    let message = answer
        .get("error")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("the daemon answered {status}"));
    match answer.get("code").and_then(Value::as_str) {
        Some("invalid_target" | "no_control") => Err(usage(message)),
        _ if (400..500).contains(&status) && status != 409 => Err(usage(message)),
        _ => Err(anyhow::Error::new(Unavailable(message))),
    }
}
