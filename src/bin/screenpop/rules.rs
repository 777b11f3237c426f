//! `screenpop rules test NUMBER [--json]`: which routing rules would fire for a caller, and
//! why — each condition with its reason, then the combined decision. Looks the number up
//! through the configured directories like a real call would (no daemon needed).

use crate::inspect::{chain, open_reindexed};
use crate::output::usage;
use anyhow::Result;
use chrono::{Local, NaiveDateTime};
use clap::{Args, Subcommand};
use screenpop::config::{Paths, Settings};
use screenpop::event::Direction;
use screenpop::rules::{Facts, Rulebook, Verdict};
use serde_json::json;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Explain which rules would fire for a call from NUMBER, and why.
    Test(TestArgs),
}

#[derive(Args)]
pub struct TestArgs {
    /// The caller's number, in any format ("anonymous" for a withheld number).
    number: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Pretend the call comes at this local time ("2025-01-06 10:00"); default: now.
    #[arg(long)]
    at: Option<String>,
    /// Test an outgoing call to NUMBER instead of an incoming one.
    #[arg(long)]
    outbound: bool,
}

/// Runs `screenpop rules …`.
pub async fn run(paths: Paths, settings: Settings, command: RulesCommand) -> Result<ExitCode> {
    let RulesCommand::Test(args) = command;
    let local_time = match &args.at {
        Some(text) => NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M")
            .map_err(|_| usage(format!("--at {text:?}: expected \"YYYY-MM-DD HH:MM\"")))?,
        None => Local::now().naive_local(),
    };
    let phone = settings.phone_rules().map_err(usage)?;
    let remote = phone.normalise(&args.number);
    let outcome = match remote.number() {
        Some(number) => {
            let store = open_reindexed(&paths, &settings).await?;
            Some(chain(&settings, &store, &phone).lookup(number).await)
        }
        None => None,
    };
    let customer = outcome.as_ref().and_then(|o| o.matches.first());
    let facts = Facts {
        direction: if args.outbound {
            Direction::Outbound
        } else {
            Direction::Inbound
        },
        number: &args.number,
        remote: &remote,
        customer,
        local_time,
    };
    let book = Rulebook::new(&settings.rules, &settings.rule_list);
    let verdicts = book.explain(&facts);
    let routing = book.decide(&facts);
    if args.json {
        let doc = json!({
            "number": args.number,
            "remote": remote,
            "customer": customer,
            "at": local_time.format("%Y-%m-%d %H:%M").to_string(),
            "match": settings.rules.mode,
            "rules": verdicts,
            "decision": { "log": routing.log_line(), "routing": routing },
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(ExitCode::SUCCESS);
    }
    let who = match customer {
        Some(c) => format!(
            "{}{} [{}]",
            c.name,
            if c.vip { " ★VIP" } else { "" },
            c.directory
        ),
        None => "unknown caller".into(),
    };
    println!("{} — {who}", remote.display());
    println!(
        "{} call at {} (local), match = \"{}\"",
        facts.direction.as_str(),
        local_time.format("%a %Y-%m-%d %H:%M"),
        settings.rules.mode.as_str()
    );
    for verdict in &verdicts {
        print_verdict(verdict);
    }
    let decision = routing.log_line();
    if decision.is_empty() {
        println!("decision: nothing (no rule fires)");
    } else {
        println!("decision: {decision}");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_verdict(v: &Verdict) {
    let state = match (v.fires, v.enabled, v.matched) {
        (true, _, _) => "FIRES",
        (false, false, _) => "off",
        (false, true, true) => "matches, not applied",
        (false, true, false) => "no match",
    };
    let actions = if v.actions.is_empty() {
        "no actions".to_string()
    } else {
        v.actions.join(", ")
    };
    println!("rule {:?}: {state} → {actions}", v.rule);
    if let Some(note) = &v.note {
        println!("    ({note})");
    }
    for c in &v.checks {
        let mark = if c.holds { "yes" } else { "no " };
        println!("    {mark} {}: {}", c.condition, c.why);
    }
}
