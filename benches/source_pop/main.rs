//! Pop latency from real sources, beside the `notify-send` floor, measured side by side in
//! one run inside a private headless desktop (Xvfb, D-Bus, dunst):
//!
//! - baresip: a real softphone calls the agent's baresip, which the real `screenpop run`
//!   watches over ctrl_tcp; latency = the daemon reading `CALL_INCOMING` (its debug log) →
//!   the greeting's `Notify` on the bus (dbus-monitor), and dial → `Notify` end to end;
//! - mqtt: 100 agents subscribed on one mosquitto (99 simulated MQTT clients + the real
//!   daemon for extension 201); each round rings every agent at once; latency = publishing
//!   201's event → its `Notify` on the bus.
//!
//! Floor: `notify-send` started → its `Notify` on the bus, interleaved with the calls.
//! Run: `scripts/bench-sources.sh` (or `cargo bench --bench source_pop -- [baresip|mqtt]`);
//! `SCREENPOP_BENCH_CALLS` sets the number of calls (default 100). Under `cargo test` it
//! does nothing.

use screenpop_testkit as support;

mod bus;
mod mqtt;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::baresip::{Answer, Softphone};
use support::daemon::Daemon;
use support::desktop::Desktop;
use support::ports::free_port;

/// Seconds since the epoch, now.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Latencies in milliseconds, summarised.
pub fn summary(name: &str, mut ms: Vec<f64>) -> String {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1];
    format!(
        "| {name} | {} | {:.1} | {:.1} | {:.1} |",
        ms.len(),
        at(0.50),
        at(0.99),
        ms[ms.len() - 1]
    )
}

/// One `notify-send` → its `Notify` on the bus, in milliseconds.
pub fn floor_once(desktop: &Desktop, monitor: &mut bus::Monitor, i: usize) -> f64 {
    let summary = format!("floor {i}");
    let started = now();
    let status = desktop
        .command("notify-send")
        .args([summary.as_str(), "the floor"])
        .status()
        .expect("run notify-send");
    assert!(status.success(), "notify-send failed");
    let seen = monitor
        .next(|n| n.summary == summary, Duration::from_secs(10))
        .expect("notify-send's Notify on the bus");
    (seen.at - started) * 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("source_pop: a benchmark; run `cargo bench --bench source_pop` (nothing to do under cargo test)");
        return;
    }
    let missing: Vec<&str> = [
        "baresip",
        "mosquitto",
        "dunst",
        "Xvfb",
        "dbus-monitor",
        "notify-send",
    ]
    .into_iter()
    .filter(|p| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {p}")])
            .output()
            .map_or(true, |o| !o.status.success())
    })
    .collect();
    if !missing.is_empty() {
        println!(
            "source_pop: skipped, not installed: {} (run `scripts/deps.sh test`)",
            missing.join(", ")
        );
        return;
    }
    let calls = std::env::var("SCREENPOP_BENCH_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100usize);
    let only: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let wants = |name: &str| only.is_empty() || only.iter().any(|a| a.as_str() == name);
    println!("| path | n | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|");
    if wants("baresip") {
        baresip(calls);
    }
    if wants("mqtt") {
        mqtt::run(calls);
    }
}

fn baresip(calls: usize) {
    let desktop = Desktop::start().expect("start a headless desktop");
    let mut monitor = bus::Monitor::start(&desktop);
    let agent = Softphone::start("201", Some("Agent 201"), Answer::Manual);
    let customer = Softphone::start("+4930123456", Some("Bench Caller"), Answer::Manual);
    let port = free_port();
    let config = format!(
        "[webhook]\nport = {port}\n[notify]\nmissed = false\n\
         [[source]]\nkind = \"baresip\"\naddress = \"127.0.0.1:{}\"\n",
        agent.ctrl_port
    );
    let daemon = Daemon::start(&desktop, &config, port, &[]);
    daemon.wait_status("baresip up", Duration::from_secs(10), |s| {
        Daemon::source_state(s, "baresip") == "up"
    });
    let mut ctrl = customer.control();
    let (mut floor, mut dialled, mut busy) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..calls {
        floor.push(floor_once(&desktop, &mut monitor, i));
        let started = now();
        ctrl.command("dial", Some(&agent.uri()));
        let pop = monitor
            .next(|n| !n.summary.starts_with("floor"), Duration::from_secs(10))
            .unwrap_or_else(|| panic!("no pop for call {i}\n{}", daemon.log()));
        dialled.push((pop.at - started) * 1000.0);
        busy.push(pop.at);
        ctrl.command("hangup", None);
        wait_idle(&daemon);
    }
    let reads = event_reads(&daemon.log());
    assert_eq!(reads.len(), calls, "one CALL_INCOMING read per call");
    let pipeline = reads
        .iter()
        .zip(&busy)
        .map(|(read, bus)| (bus - read) * 1000.0)
        .collect();
    println!(
        "{}",
        summary("baresip: CALL_INCOMING read → Notify on the bus", pipeline)
    );
    println!(
        "{}",
        summary(
            "baresip: dial (SIP on loopback) → Notify on the bus",
            dialled
        )
    );
    println!(
        "{}",
        summary("floor: notify-send → Notify on the bus", floor)
    );
}

/// Waits until the daemon has no live call (the last one ended).
pub fn wait_idle(daemon: &Daemon) {
    daemon.wait_status("no live call", Duration::from_secs(10), |s| {
        s["calls"].as_array().is_some_and(Vec::is_empty)
    });
}

/// When the daemon read each `CALL_INCOMING` (its debug log, UTC timestamps), in order.
fn event_reads(log: &str) -> Vec<f64> {
    log.lines()
        .map(strip_ansi)
        .filter(|l| l.contains("baresip event read") && l.contains("kind=CALL_INCOMING"))
        .filter_map(|l| {
            let stamp = l.split_whitespace().next()?.to_string();
            let t = chrono::DateTime::parse_from_rfc3339(&stamp).ok()?;
            Some(t.timestamp_micros() as f64 / 1e6)
        })
        .collect()
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
