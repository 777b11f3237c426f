//! `screenpop`: the command-line face of the core — the headless daemon (`run`) and the tools
//! around it (contacts, lookup, call log, config, secrets, simulated events, call control).
//!
//! Each verb lives in its own module; this file is the argument grammar and dispatch.
//! Exit codes: 0 ok, 1 nothing found / daemon not reachable, 2 bad input or config.

mod calls;
mod client;
mod connect;
mod contacts;
mod inspect;
mod output;
mod relay;
mod rules;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use screenpop::config::{Paths, Settings};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "screenpop",
    version,
    about = "Recognise callers, greet the agent, pop the CRM profile, log every call"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the headless daemon (sources, lookup, notifications, call log) until SIGINT/SIGTERM.
    Run,
    /// The call-center floor's PBX side: one PBX connection published per extension to an
    /// MQTT broker (foreground, until SIGINT/SIGTERM); `relay acl` prints the broker's ACL.
    Relay {
        #[command(subcommand)]
        command: Option<relay::RelayCommand>,
    },
    /// Post a simulated call event to the running daemon's webhook.
    Event {
        #[command(subcommand)]
        kind: client::EventKind,
    },
    /// Look a number up through the directory chain (no daemon needed).
    Lookup(inspect::LookupArgs),
    /// Manage the local directory.
    Contacts {
        #[command(subcommand)]
        command: contacts::ContactsCommand,
    },
    /// Show the call log, newest first.
    Log(inspect::LogArgs),
    /// Show the journaling outbox (pending and failed CRM deliveries).
    Outbox {
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        command: Option<inspect::OutboxCommand>,
    },
    #[command(flatten)]
    Calls(calls::CallCommand),
    /// Show the running daemon's sources (and their health), directories and live calls.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Routing rules (VIP transfer, urgent, auto-open, silent, tags).
    Rules {
        #[command(subcommand)]
        command: rules::RulesCommand,
    },
    /// Sign in to the OAuth 2 provider of the [[directory]] called NAME (tokens go to the keyring).
    Connect {
        /// The directory's name (`screenpop config check` lists them).
        name: String,
        /// Use the device-code flow (enter a code on another device) instead of the browser.
        #[arg(long)]
        device: bool,
    },
    /// Store or delete secrets in the OS keyring (values are read from stdin, never argv).
    Secret {
        #[command(subcommand)]
        command: inspect::SecretCommand,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the configuration (file and SCREENPOP_* environment).
    Check {
        /// Print every problem as `[{"field": "directory.1.base_url", "message": …}]`
        /// (zero-based entry indexes; `[]` when all is well); exit 2 if any.
        #[arg(long)]
        json: bool,
    },
    /// Print the config file path screenpop reads (with --data: the data directory).
    Path {
        #[arg(long)]
        data: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let daemon = matches!(cli.command, Command::Run | Command::Relay { command: None });
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| {
        if daemon {
            "screenpop=info".into()
        } else {
            "screenpop=warn".into()
        }
    });
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("screenpop: {e:#}");
            ExitCode::from(output::exit_code_of(&e))
        }
    }
}

/// Config problems are exit 2; they carry this marker through anyhow.
fn load() -> Result<(Paths, Settings)> {
    let paths = Paths::from_env().map_err(output::usage)?;
    let settings = screenpop::check::load(&paths).map_err(output::usage)?;
    Ok((paths, settings))
}

/// The verbs that talk to the daemon (and the keyring and config tools) are plain blocking
/// code: they read the config only when they need it and start no async runtime.
fn dispatch(command: Command) -> Result<ExitCode> {
    let paths = || Paths::from_env().map_err(output::usage);
    match command {
        Command::Event { kind } => client::post_event(&paths()?, kind),
        Command::Calls(command) => calls::run(&paths()?, command),
        Command::Status { json } => client::status(&paths()?, json),
        Command::Secret { command } => inspect::secret(command),
        Command::Config { command } => config(command),
        Command::Run => {
            // Before the runtime's threads exist: they would each get an arena otherwise.
            screenpop::memory::limit_arenas();
            runtime()?.block_on(async {
                let (paths, settings) = load()?;
                run(paths, settings).await
            })
        }
        Command::Relay { command } => runtime()?.block_on(async {
            let (paths, settings) = load()?;
            relay::run(paths, settings, command).await
        }),
        Command::Lookup(args) => runtime()?.block_on(async {
            let (paths, settings) = load()?;
            inspect::lookup(paths, settings, args).await
        }),
        Command::Contacts { command } => runtime()?.block_on(async {
            let (paths, settings) = load()?;
            contacts::run(paths, settings, command).await
        }),
        Command::Log(args) => runtime()?.block_on(async {
            let (paths, _) = load()?;
            inspect::log(paths, args).await
        }),
        Command::Outbox { json, command } => runtime()?.block_on(async {
            let (paths, _) = load()?;
            inspect::outbox(paths, json, command).await
        }),
        Command::Connect { name, device } => runtime()?.block_on(async {
            let (_, settings) = load()?;
            connect::run(&settings, &name, device).await
        }),
        Command::Rules { command } => runtime()?.block_on(async {
            let (paths, settings) = load()?;
            rules::run(paths, settings, command).await
        }),
    }
}

/// The runtime for the verbs that use the store or the directories (the daemon's size).
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn run(paths: Paths, settings: Settings) -> Result<ExitCode> {
    let secrets = std::sync::Arc::new(screenpop::secrets::Keyring);
    let data_dir: PathBuf = paths.data_dir.clone();
    let app = screenpop::daemon::App::open(paths, settings, secrets)
        .await
        .with_context(|| format!("cannot open screenpop's data in {}", data_dir.display()))?;
    app.serve(screenpop::daemon::signals()).await?;
    Ok(ExitCode::SUCCESS)
}

fn config(command: ConfigCommand) -> Result<ExitCode> {
    let paths = Paths::from_env().map_err(output::usage)?;
    match command {
        ConfigCommand::Path { data } => {
            let path = if data {
                &paths.data_dir
            } else {
                &paths.config_file
            };
            println!("{}", path.display());
        }
        ConfigCommand::Check { json: true } => {
            let problems = screenpop::check::file_problems(&paths);
            println!("{}", serde_json::to_string_pretty(&problems)?);
            if !problems.is_empty() {
                return Ok(ExitCode::from(2));
            }
        }
        ConfigCommand::Check { json: false } => {
            let settings = screenpop::check::load(&paths).map_err(output::usage)?;
            let origin = if paths.config_file.exists() {
                "file"
            } else {
                "no file, defaults"
            };
            println!("ok: {} ({origin})", paths.config_file.display());
            println!(
                "  region {}, webhook {}, pop on {:?}, budget {} ms",
                settings.phone.default_region,
                if settings.webhook.enabled {
                    format!("127.0.0.1:{}", settings.webhook.port)
                } else {
                    "off".into()
                },
                settings.notify.pop_on,
                settings.lookup.budget_ms
            );
            let chain: Vec<String> = settings
                .directory_chain()
                .iter()
                .map(|d| d.name())
                .collect();
            println!("  directories: {}", chain.join(" → "));
            let rules = screenpop::rules::Rulebook::new(&settings.rules, &settings.rule_list);
            println!(
                "  rules (match = {}): {}",
                settings.rules.mode.as_str(),
                rules.describe().join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
