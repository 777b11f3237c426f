//! Read-side verbs that need no daemon: `lookup`, `log`, `outbox`, and `secret`.

use crate::output::{duration, print_json, usage, when};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use screenpop::config::{Paths, Settings};
use screenpop::directory::chain::{Chain, StepResult};
use screenpop::phone::{PhoneRules, Remote};
use screenpop::secrets::{Keyring, SecretStore};
use screenpop::store::calls::{CallLog, LogQuery};
use screenpop::store::contacts::Contacts;
use screenpop::store::outbox::Outbox;
use screenpop::store::Store;
use serde_json::json;
use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Args)]
pub struct LookupArgs {
    /// The number to look up, in any format.
    number: String,
    /// Ask only this directory (by its configured name).
    #[arg(long)]
    via: Option<String>,
    #[arg(long)]
    json: bool,
    /// Show each directory asked, its result and how long it took.
    #[arg(long)]
    explain: bool,
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LogArgs {
    /// Only missed calls.
    #[arg(long)]
    missed: bool,
    /// Only calls whose name, number or note contains TEXT.
    #[arg(long)]
    search: Option<String>,
    #[arg(long)]
    json: bool,
    /// At most this many rows.
    #[arg(long, default_value_t = 50)]
    limit: i64,
    /// Skip this many rows (paging).
    #[arg(long, default_value_t = 0)]
    offset: i64,
    #[command(subcommand)]
    command: Option<LogCommand>,
}

#[derive(Subcommand)]
pub enum LogCommand {
    /// Attribute a logged call to a local contact (when several matched, or none did).
    Pick {
        /// The call's row id (`id` in `screenpop log --json`).
        row: i64,
        /// The local contact's id (`screenpop contacts list`).
        contact: String,
    },
}

#[derive(Subcommand)]
pub enum OutboxCommand {
    /// Make every undelivered entry due now.
    Retry,
}

#[derive(Subcommand)]
pub enum SecretCommand {
    /// Store a secret; the value is read from stdin (or a hidden prompt), never from argv.
    Set { name: String },
    /// Delete a secret.
    Delete { name: String },
}

async fn open(paths: &Paths) -> Result<Store> {
    Store::open(&paths.database())
        .await
        .with_context(|| format!("cannot open the database in {}", paths.data_dir.display()))
}

/// The configured directory chain, with secrets from the OS keyring.
pub fn chain(settings: &Settings, store: &Store, rules: &PhoneRules) -> Arc<Chain> {
    let ctx = screenpop::directory::BuildContext {
        store: store.clone(),
        secrets: Arc::new(Keyring),
        rules: rules.clone(),
    };
    Arc::new(Chain::configured(settings, &ctx))
}

/// Opens the database and brings contact match keys up to the configured region.
pub async fn open_reindexed(paths: &Paths, settings: &Settings) -> Result<Store> {
    let store = open(paths).await?;
    let rules = settings.phone_rules().map_err(usage)?;
    Contacts::new(store.clone())
        .reindex(&rules, &settings.phone.default_region)
        .await?;
    Ok(store)
}

/// `screenpop lookup NUMBER`
pub async fn lookup(paths: Paths, settings: Settings, args: LookupArgs) -> Result<ExitCode> {
    let store = open_reindexed(&paths, &settings).await?;
    let rules = settings.phone_rules().map_err(usage)?;
    let remote = rules.normalise(&args.number);
    let Remote::Number(number) = &remote else {
        return Err(usage(format!(
            "{:?} is not a number that can be looked up ({})",
            args.number,
            remote.display()
        )));
    };
    let chain = chain(&settings, &store, &rules);
    let outcome = match &args.via {
        Some(via) => chain.lookup_via(number, via).await.ok_or_else(|| {
            usage(format!(
                "no directory named {via:?} (see `screenpop config check`)"
            ))
        })?,
        None => (*chain.lookup(number).await).clone(),
    };
    let found = !outcome.matches.is_empty();
    if args.json {
        let mut doc =
            json!({ "number": number, "matches": outcome.matches, "directory": outcome.directory });
        if args.explain {
            doc["steps"] = json!(outcome.steps);
        }
        print_json(&doc)?;
    } else {
        if args.explain {
            for step in &outcome.steps {
                let result = match &step.result {
                    StepResult::Hit(n) => format!("hit ({n})"),
                    StepResult::Miss => "miss".into(),
                    StepResult::CachedHit { count, stale } => format!(
                        "cached hit ({count}){}",
                        if *stale { ", stale: refreshing" } else { "" }
                    ),
                    StepResult::CachedMiss { stale } => format!(
                        "cached miss{}",
                        if *stale { ", stale: refreshing" } else { "" }
                    ),
                    StepResult::Failed(e) => format!("FAILED: {e}"),
                };
                eprintln!("{:<12} {:>8.2} ms  {result}", step.directory, step.took_ms);
            }
        }
        if !found {
            println!("no match for {}", number.display);
        }
        for c in &outcome.matches {
            let vip = if c.vip { " ★VIP" } else { "" };
            let company = c
                .company
                .as_deref()
                .map(|s| format!(" — {s}"))
                .unwrap_or_default();
            println!("{}{vip}{company}  [{}]", c.name, c.directory);
            if let Some(note) = &c.note {
                println!("  {note}");
            }
            if let Some(url) = &c.url {
                println!("  {url}");
            }
        }
    }
    Ok(if found {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `screenpop log`
pub async fn log(paths: Paths, args: LogArgs) -> Result<ExitCode> {
    let store = open(&paths).await?;
    if let Some(LogCommand::Pick { row, contact }) = args.command {
        let mut customer = Contacts::new(store.clone())
            .get(&contact)
            .await?
            .ok_or_else(|| usage(format!("no contact with id {contact:?}")))?;
        customer.directory = "local".into();
        if !CallLog::new(store).assign(row, &customer).await? {
            return Err(usage(format!("no call with row id {row}")));
        }
        println!("call {row} is now {}", customer.name);
        return Ok(ExitCode::SUCCESS);
    }
    let rows = CallLog::new(store)
        .list(&LogQuery {
            missed_only: args.missed,
            search: args.search,
            limit: args.limit,
            offset: args.offset,
        })
        .await?;
    if args.json {
        print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    for r in &rows {
        let arrow = if r.direction == "outbound" {
            "→"
        } else {
            "←"
        };
        let state = if r.missed {
            "MISSED".to_string()
        } else if r.answered_at.is_some() {
            duration(r.duration_s)
        } else {
            r.end_reason.clone()
        };
        let vip = if r.vip { " ★" } else { "" };
        println!(
            "{:<11} {arrow} {:<18} {:<24} {state}",
            when(r.started_at),
            r.number_display,
            format!("{}{vip}", r.name.as_deref().unwrap_or("—"))
        );
    }
    if rows.is_empty() && std::io::stdout().is_terminal() {
        eprintln!("no calls");
    }
    Ok(ExitCode::SUCCESS)
}

/// `screenpop outbox [retry]`
pub async fn outbox(paths: Paths, json: bool, command: Option<OutboxCommand>) -> Result<ExitCode> {
    let outbox = Outbox::new(open(&paths).await?);
    if let Some(OutboxCommand::Retry) = command {
        let n = outbox.retry_all().await?;
        println!("{n} entries due for delivery now");
        return Ok(ExitCode::SUCCESS);
    }
    let pending = outbox.pending().await?;
    if json {
        print_json(&pending)?;
    } else if pending.is_empty() {
        println!("outbox empty: every call has been journaled");
    } else {
        let now = chrono::Utc::now().timestamp_millis();
        for e in &pending {
            let wait_s = (e.next_attempt_at - now).max(0) / 1000;
            let next = if wait_s == 0 {
                "due now".to_string()
            } else {
                format!("next try in {}", duration(wait_s))
            };
            println!(
                "{:<24} {:<12} attempts {:<3} {next:<18} {}",
                e.call_id,
                e.directory,
                e.attempts,
                e.last_error.as_deref().unwrap_or("waiting")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `screenpop secret set|delete NAME`
pub fn secret(command: SecretCommand) -> Result<ExitCode> {
    match command {
        SecretCommand::Set { name } => {
            let value = if std::io::stdin().is_terminal() {
                rpassword::prompt_password(format!("value for {name}: "))
                    .context("cannot read the secret")?
            } else {
                let mut buf = String::new();
                std::io::stdin()
                    .read_to_string(&mut buf)
                    .context("cannot read the secret from stdin")?;
                buf.trim_end_matches(['\n', '\r']).to_string()
            };
            if value.is_empty() {
                return Err(usage("empty secret; nothing stored"));
            }
            Keyring.set(&name, &value)?;
            eprintln!("stored {name:?} in the keyring");
        }
        SecretCommand::Delete { name } => {
            if !Keyring.delete(&name)? {
                eprintln!("screenpop: no secret named {name:?}");
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
