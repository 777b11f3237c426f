//! `screenpop relay` (the floor's PBX side, foreground) and `screenpop relay acl`.

use anyhow::Result;
use clap::Subcommand;
use screenpop::config::{Paths, Settings};
use std::process::ExitCode;

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
pub async fn run(_paths: Paths, settings: Settings, command: RelayCommand) -> Result<ExitCode> {
    match command {
        RelayCommand::Acl { prefix, relay_user } => {
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
    }
}
