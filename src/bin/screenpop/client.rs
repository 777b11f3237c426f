//! Talking to the running daemon: `screenpop event …` and `screenpop status` (call control,
//! `screenpop call/answer/hangup/transfer`, is in `calls.rs`).
//!
//! First over the daemon's owner-only Unix socket in the data directory (no token, works
//! without a keyring); if nothing accepts there, over the webhook on 127.0.0.1 with the bearer
//! token from the keyring (the daemon created it on first run). The choice is made before the
//! request is sent, and a request is sent at most once ([`transport`]).
//!
//! `screenpop event …` is a softphone's hook, run for every call: when the socket answers it
//! reads no config file, no phone metadata and no keyring, and starts no async runtime.

use crate::output::{print_json, usage, Unavailable};
use anyhow::{Context, Result};
use clap::Subcommand;
use screenpop::config::{Paths, Settings};
use screenpop::secrets::{Keyring, SecretStore};
use serde_json::{json, Value};
use std::process::ExitCode;
use transport::{ExchangeError, Transport};

pub mod transport;

#[derive(Subcommand)]
pub enum EventKind {
    /// A call rings (prints the call id to use with answered/ended).
    Ringing {
        /// The caller's number (any format, SIP/tel URI, or "anonymous").
        #[arg(long)]
        from: String,
        /// The caller's display name, as a phone would send it.
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "call-id")]
        call_id: Option<String>,
        /// inbound (default) or outbound.
        #[arg(long, default_value = "inbound")]
        direction: String,
        /// Which line or queue it came in on.
        #[arg(long)]
        line: Option<String>,
    },
    /// The call was answered.
    Answered {
        #[arg(long = "call-id")]
        call_id: String,
    },
    /// The call ended (unanswered inbound calls become missed calls).
    Ended {
        #[arg(long = "call-id")]
        call_id: String,
        /// hangup (default), cancelled, answered_elsewhere, transferred, or free text.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// Loads the settings (config problems are exit 2), for the TCP fallback and `status`.
pub fn settings(paths: &Paths) -> Result<Settings> {
    Settings::load(paths).map_err(usage)
}

fn token(settings: &Settings) -> Result<String> {
    Keyring
        .get(&settings.webhook.token_secret)
        .context("cannot read the webhook token from the keyring")?
        .ok_or_else(|| anyhow::Error::new(Unavailable(format!(
            "no webhook token in the keyring yet (entry {:?}): start the daemon once with `screenpop run`",
            settings.webhook.token_secret
        ))))
}

/// The socket if the daemon accepts there, else the webhook on 127.0.0.1 with its token.
fn connect(paths: &Paths) -> Result<Transport> {
    Transport::choose(&paths.socket(), || {
        let settings = settings(paths)?;
        let port = settings.webhook.port;
        let stream = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|_| {
            anyhow::Error::new(Unavailable(format!(
                "no screenpop daemon is listening on http://127.0.0.1:{port} — start it with `screenpop run` (or `make run`)"
            )))
        })?;
        Ok(Transport::Tcp {
            stream,
            token: token(&settings)?,
        })
    })
}

/// Sends `method path` with an optional JSON body to the daemon and returns its JSON answer.
pub fn request(paths: &Paths, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
    let (status, answer) = exchange(paths, method, path, body)?;
    check(status, answer)
}

/// Like [`request`], but any HTTP status comes back with its JSON body; only "no daemon"
/// and transport problems are errors. Sent at most once.
pub fn exchange(
    paths: &Paths,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Value)> {
    connect(paths)?
        .exchange(method, path, body)
        .map_err(|e| match e {
            ExchangeError::Garbled(_) => anyhow::Error::new(e),
            other => anyhow::Error::new(Unavailable(other.to_string())),
        })
}

fn check(status: u16, body: Value) -> Result<Value> {
    if (200..300).contains(&status) {
        return Ok(body);
    }
    let message = body
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or("no details");
    Err(usage(format!(
        "the daemon refused the request ({status}): {message}"
    )))
}

/// `screenpop event …`
pub fn post_event(paths: &Paths, kind: EventKind) -> Result<ExitCode> {
    let body = match &kind {
        EventKind::Ringing {
            from,
            name,
            call_id,
            direction,
            line,
        } => json!({
            "version": 1, "type": "ringing", "from": from, "name": name, "call_id": call_id,
            "direction": direction, "line": line,
        }),
        EventKind::Answered { call_id } => {
            json!({ "version": 1, "type": "answered", "call_id": call_id })
        }
        EventKind::Ended { call_id, reason } => {
            json!({ "version": 1, "type": "ended", "call_id": call_id, "reason": reason })
        }
    };
    let answer = request(paths, "POST", "/v1/events", Some(&body))?;
    if let Some(id) = answer.get("call_id").and_then(Value::as_str) {
        println!("{id}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `screenpop status`
pub fn status(paths: &Paths, json: bool) -> Result<ExitCode> {
    // On the relay host, the relay answers on its own socket.
    if let Some(shown) = crate::relay::status(paths, json) {
        return shown;
    }
    let status = request(paths, "GET", "/v1/status", None)?;
    if json {
        print_json(&status)?;
        return Ok(ExitCode::SUCCESS);
    }
    let settings = settings(paths)?;
    println!("webhook    127.0.0.1:{}  up", settings.webhook.port);
    for (title, key) in [("source", "sources"), ("directory", "directories")] {
        let items: Vec<&Value> = status
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        let width = items
            .iter()
            .filter_map(|i| i.get("name").and_then(Value::as_str))
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0);
        for item in items {
            let name = item.get("name").and_then(Value::as_str).unwrap_or("?");
            let health = &item["health"];
            let state = match health.get("state").and_then(Value::as_str).unwrap_or("?") {
                "down" => "DOWN",
                other => other,
            };
            let reason = health
                .get("reason")
                .and_then(Value::as_str)
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            println!("{title:<10} {name:<width$}  {state}{reason}");
        }
    }
    match status.get("control").and_then(Value::as_str) {
        Some(name) => println!("control    {name} (screenpop call/answer/hangup/transfer)"),
        None => println!("control    none (add a [[source]] such as baresip to place calls)"),
    }
    let calls = status
        .get("calls")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    println!("calls      {} live", calls.len());
    for call in calls {
        println!(
            "  {} {} {}",
            call["key"]["call_id"].as_str().unwrap_or("?"),
            call["state"].as_str().unwrap_or("?"),
            call["number"].as_str().unwrap_or("?")
        );
    }
    Ok(ExitCode::SUCCESS)
}
