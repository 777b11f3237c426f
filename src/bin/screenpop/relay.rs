//! `screenpop relay` (the floor's PBX side, foreground until SIGINT/SIGTERM), `screenpop relay
//! acl`, and the relay's part of `screenpop status`.

use crate::output::print_json;
use anyhow::{Context, Result};
use clap::Subcommand;
use screenpop::config::{Paths, Settings};
use serde_json::Value;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Subcommand)]
pub enum RelayCommand {
    /// Print a mosquitto acl_file: each agent user (named after its extension) may read only
    /// its own events/current/replies and write only its own commands; the relay user may do
    /// everything under the prefix.
    Acl {
        /// Topic prefix (default: `[relay] topic_prefix`, "screenpop").
        #[arg(long)]
        prefix: Option<String>,
        /// The relay's broker user (default: `[relay] username`, "relay").
        #[arg(long)]
        relay_user: Option<String>,
    },
}

/// Dispatches `screenpop relay …`.
pub async fn run(
    paths: Paths,
    settings: Settings,
    command: Option<RelayCommand>,
) -> Result<ExitCode> {
    match command {
        Some(RelayCommand::Acl { prefix, relay_user }) => {
            let prefix = prefix.unwrap_or_else(|| settings.relay.topic_prefix.clone());
            let user = relay_user
                .or_else(|| settings.relay.username.clone())
                .unwrap_or_else(|| "relay".into());
            if prefix.trim().is_empty() || prefix.contains(['+', '#']) {
                return Err(crate::output::usage(format!(
                    "--prefix {prefix:?}: must be a plain topic (no wildcards)"
                )));
            }
            print!("{}", screenpop::relay::acl::mosquitto_acl(&prefix, &user));
            Ok(ExitCode::SUCCESS)
        }
        None => serve(paths, settings).await,
    }
}

async fn serve(paths: Paths, settings: Settings) -> Result<ExitCode> {
    let secrets = Arc::new(screenpop::secrets::Keyring);
    let data_dir = paths.data_dir.clone();
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let relay = screenpop::relay::Relay::open(paths, settings, secrets)
        .await
        .map_err(crate::output::usage)?;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let run = Arc::new(relay).run(shutdown.clone());
    tokio::pin!(run);
    tokio::select! {
        result = &mut run => result?,
        () = screenpop::daemon::signals() => {
            shutdown.cancel();
            run.await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The relay's status when one runs with this data directory (`None`: no relay here).
pub fn status(paths: &Paths, json: bool) -> Option<Result<ExitCode>> {
    use crate::client::transport::Transport;
    let socket = paths.data_dir.join(screenpop::relay::status::SOCKET);
    let stream = std::os::unix::net::UnixStream::connect(socket).ok()?;
    let (_, answer) = Transport::Socket(stream)
        .exchange("GET", "/v1/status", None)
        .ok()?;
    if json {
        return Some(print_json(&answer).map(|()| ExitCode::SUCCESS));
    }
    let r = &answer["relay"];
    let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
    let health = |v: &Value| match v["state"].as_str() {
        Some("down") => format!("DOWN: {}", v["reason"].as_str().unwrap_or("")),
        Some(s) => s.to_string(),
        None => "?".into(),
    };
    println!(
        "relay      {} ({}; active: {})",
        text(&r["relay"]),
        text(&r["role"]),
        r["active_relay"].as_str().unwrap_or("none")
    );
    println!(
        "pbx        {}  {}",
        text(&r["pbx"]),
        health(&r["pbx_health"])
    );
    println!(
        "broker     {}  {}",
        text(&r["broker"]),
        health(&r["broker_health"])
    );
    println!(
        "floor      prefix {}/, lookup {}, journal {}",
        text(&r["topic_prefix"]),
        r["lookup"],
        r["journal"]
    );
    let seen: Vec<String> = r["extensions_seen"]
        .as_array()
        .into_iter()
        .flatten()
        .map(text)
        .collect();
    println!("extensions {} seen: {}", seen.len(), seen.join(", "));
    let calls = r["calls"].as_array().cloned().unwrap_or_default();
    println!("calls      {} live", calls.len());
    for call in calls {
        let exts: Vec<String> = call["extensions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(text)
            .collect();
        println!("  {}  {}", text(&call["call_id"]), exts.join(", "));
    }
    println!(
        "published  {} messages; commands {} ok, {} refused",
        r["published"], r["commands_ok"], r["commands_refused"]
    );
    Some(Ok(ExitCode::SUCCESS))
}
