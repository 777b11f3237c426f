//! The soak and fault suite (`make soak` = `scripts/soak.sh`; `make test` runs 1,000 calls):
//! `SOAK_CALLS` calls (default 1000 here, 10000 from the script) over the webhook (two
//! feeders) and MQTT (one feeder), the daemon killed -9 three times and mosquitto restarted
//! once while they run, a CRM stand-in that fails 20 % of requests with 503 and answers 10 %
//! slower than the lookup budget. Then every call is accounted for: acknowledged vs logged
//! vs journaled, none lost, none doubled, nothing left in `intake`/`live_calls`, the outbox
//! empty. Prints `N passed, N failed` over its checks; RSS is sampled every 1,000 calls.
//!
//! `memory_levels_off` (ignored; `scripts/soak.sh memory`) feeds the same calls to one daemon
//! that is never killed and samples its RSS each time another 1,000 are logged and
//! journaled: the bound is RSS after 10,000 within +5 MB of RSS after 1,000.

use screenpop_testkit as support;

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use support::soak::{count, rss_kb, sql, via_mqtt, Rig};

fn soak_calls() -> usize {
    std::env::var("SOAK_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000)
}

struct Checks {
    passed: usize,
    failed: Vec<String>,
}

impl Checks {
    fn check(&mut self, ok: bool, what: String) {
        println!("{} {what}", if ok { "ok  " } else { "FAIL" });
        if ok {
            self.passed += 1;
        } else {
            self.failed.push(what);
        }
    }

    fn finish(self, rig: &Rig) {
        println!("{} passed, {} failed", self.passed, self.failed.len());
        assert!(
            self.failed.is_empty(),
            "soak checks failed: {:?}\n{}",
            self.failed,
            rig.daemon
                .log()
                .lines()
                .rev()
                .take(60)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn soak_every_acknowledged_call_is_logged_and_journaled_exactly_once_through_kills() {
    let calls = soak_calls();
    // The harness's "test … ..." has no newline of its own: start our lines on a fresh one.
    println!();
    let started = Instant::now();
    let mut rig = Rig::start();

    // Chaos: kill -9 at 25 %, 50 % and 75 % of the calls sent, mosquitto at 60 %.
    let mut kills = 0;
    let mut broker_restarts = 0;
    let mut rss: Vec<(usize, u64)> = Vec::new();
    let mut next_sample = 1000.min(calls);
    let mut kill_at = vec![calls * 3 / 4, calls / 2, calls / 4];
    let mut restart_broker_at = Some(calls * 3 / 5);
    rig.feed(0..calls, |rig, now| {
        if now >= next_sample {
            rss.push((now, rss_kb(rig.daemon.pid())));
            next_sample += 1000;
        }
        if kill_at.last().is_some_and(|&at| now >= at) {
            kill_at.pop();
            rig.daemon.kill_9();
            kills += 1;
            rig.daemon.restart();
        }
        if restart_broker_at.is_some_and(|at| now >= at) {
            restart_broker_at = None;
            rig.broker.restart();
            broker_restarts += 1;
        }
    });
    let fed = started.elapsed();

    // Accounting: wait until every call is logged, or nothing moved for a minute (then what
    // is missing is lost or stuck, and the figures below say where).
    let mut checks = Checks {
        passed: 0,
        failed: Vec::new(),
    };
    let limit = Duration::from_secs(120 + calls as u64 / 20);
    rig.wait_logged(calls, Duration::from_secs(60), limit);
    let drained = rig.wait_outbox_empty(limit);
    let text = rig.daemon.cli_ok(&["log", "--json", "--limit", "1000000"]);
    let rows: Vec<Value> = serde_json::from_str(&text).unwrap_or_default();
    let mut by_id: HashMap<String, Vec<&Value>> = HashMap::new();
    for row in &rows {
        by_id
            .entry(row["call_id"].as_str().unwrap_or_default().to_string())
            .or_default()
            .push(row);
    }
    let missing: Vec<usize> = (0..calls)
        .filter(|i| !by_id.contains_key(&format!("soak-{i}")))
        .collect();
    let doubled = by_id.values().filter(|r| r.len() > 1).count();
    let extra = by_id.keys().filter(|k| !k.starts_with("soak-")).count();
    let wrong_state = (0..calls)
        .filter(|i| {
            by_id
                .get(&format!("soak-{i}"))
                .is_some_and(|r| r[0]["missed"] != (i % 2 == 1))
        })
        .count();
    let db = rig.db();
    let intake_left = count(&db, "SELECT count(*) FROM intake");
    let live: HashSet<String> = sql(&db, "SELECT call_id FROM live_calls")
        .into_iter()
        .collect();
    let missing_mqtt = missing.iter().filter(|i| via_mqtt(**i)).count();
    let missing_live = missing
        .iter()
        .filter(|i| live.contains(&format!("soak-{i}")))
        .count();
    // mosquitto logs "Outgoing messages are being dropped for client …" when a client's
    // queue is full: such messages never reached screenpop, which never acknowledged them.
    let dropped_by_broker = rig
        .broker
        .log()
        .lines()
        .filter(|l| l.contains("being dropped"))
        .count();
    let (applied, keys_asked, repeats) = rig.crm.with(|st| {
        let keys: Vec<String> = st
            .journal_applied
            .iter()
            .map(|b| b["CallId"].as_str().unwrap_or_default().to_string())
            .collect();
        let repeats = st.journal_requests.values().filter(|&&n| n > 1).count();
        (keys, st.journal_requests.len(), repeats)
    });
    let distinct: HashSet<&String> = applied.iter().collect();
    let mqtt_calls = (0..calls).filter(|i| via_mqtt(*i)).count();
    println!(
        "soak: acknowledged {calls} calls ({} over the webhook, every event answered 202; {mqtt_calls} over MQTT, \
         every message PUBACKed by the broker) · logged {} · journaled {} ({} distinct) · lost {} \
         ({missing_mqtt} of them MQTT, {missing_live} still live) · left in intake {intake_left}, in live_calls {} · \
         broker queue-full warnings {dropped_by_broker}",
        calls - mqtt_calls,
        by_id.len(),
        applied.len(),
        distinct.len(),
        missing.len(),
        live.len()
    );
    // What is wrong, told by call: the daemon's own lines about the first few.
    let wrong: Vec<String> = (0..calls)
        .filter_map(|i| {
            let r = by_id.get(&format!("soak-{i}"))?;
            (r[0]["missed"] != (i % 2 == 1)).then(|| {
                format!(
                    "soak-{i} missed={} reason={}",
                    r[0]["missed"], r[0]["end_reason"]
                )
            })
        })
        .collect();
    let log = rig.daemon.log();
    for what in wrong.iter().take(3).chain(live.iter().take(3)) {
        let id = what.split_whitespace().next().unwrap_or_default();
        println!("soak: {what}:");
        let needle = format!("call_id={id}");
        for line in log.lines().filter(|l| {
            (l.contains(&format!("{needle} ")) || l.ends_with(&needle)) && !l.contains("DEBUG")
        }) {
            println!("soak:   {}", line.chars().take(300).collect::<String>());
        }
    }
    if !missing.is_empty() {
        println!(
            "soak: first lost calls: {:?}",
            missing.iter().take(20).collect::<Vec<_>>()
        );
    }
    checks.check(
        missing.is_empty(),
        format!(
            "every acknowledged call is in the log (lost = {} of {calls})",
            missing.len()
        ),
    );
    checks.check(
        intake_left == 0 && live.is_empty(),
        format!(
            "nothing left behind in intake or live_calls ({intake_left} events, {} live calls)",
            live.len()
        ),
    );
    checks.check(
        doubled == 0,
        format!("no call is logged twice ({doubled} doubled)"),
    );
    checks.check(
        extra == 0,
        format!("no call the feeders did not send ({extra})"),
    );
    checks.check(
        wrong_state == 0,
        format!("answered/missed state right ({wrong_state} wrong)"),
    );
    checks.check(drained, "the outbox is empty".into());
    checks.check(
        applied.len() == calls && distinct.len() == calls,
        format!(
            "the CRM got every call exactly once ({} applied, {} distinct, {keys_asked} keys asked)",
            applied.len(),
            distinct.len()
        ),
    );
    checks.check(
        dropped_by_broker == 0,
        format!("the broker dropped no message meant for screenpop ({dropped_by_broker} warnings)"),
    );
    checks.check(
        kills == 3,
        format!("the daemon was killed -9 three times ({kills})"),
    );
    checks.check(
        broker_restarts == 1,
        format!("mosquitto restarted once ({broker_restarts})"),
    );
    let flaky = rig.crm.with(|st| st.flaky_seen);
    println!(
        "soak: {calls} calls fed in {:.1} s, accounted after {:.1} s; CRM requests {flaky} (20 % 503, 10 % slow), \
         journal keys re-sent after an unknown outcome: {repeats}",
        fed.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    for (at, kb) in &rss {
        println!("soak: rss after {at} calls: {:.1} MB", *kb as f64 / 1024.0);
    }
    checks.finish(&rig);
}

#[test]
#[ignore = "a measurement: scripts/soak.sh memory"]
fn memory_levels_off() {
    let calls = soak_calls().max(2000);
    println!();
    let mut rig = Rig::start();
    let limit = Duration::from_secs(120 + 1000 / 20);
    let mut rss: Vec<(usize, u64)> = Vec::new();
    let mut checks = Checks {
        passed: 0,
        failed: Vec::new(),
    };
    let mut fed = 0;
    while fed < calls {
        let next = (fed + 1000).min(calls);
        rig.feed(fed..next, |_, _| {});
        fed = next;
        let logged = rig.wait_logged(fed, Duration::from_secs(60), limit);
        let drained = rig.wait_outbox_empty(limit);
        if logged < fed || !drained {
            checks.check(
                false,
                format!(
                    "{fed} calls logged and journaled ({logged} logged, outbox drained: {drained})"
                ),
            );
            break;
        }
        let kb = rss_kb(rig.daemon.pid());
        println!(
            "soak: rss after {fed} calls logged and journaled: {:.1} MB",
            kb as f64 / 1024.0
        );
        rss.push((fed, kb));
    }
    let first = rss.first().map_or(0, |r| r.1);
    let last = rss.last().map_or(0, |r| r.1);
    let grew_mb = (last as f64 - first as f64) / 1024.0;
    println!(
        "soak: rss {:.1} MB after {} calls, {:.1} MB after {} calls: {grew_mb:+.1} MB, ratio {:.3}",
        first as f64 / 1024.0,
        rss.first().map_or(0, |r| r.0),
        last as f64 / 1024.0,
        rss.last().map_or(0, |r| r.0),
        last as f64 / first.max(1) as f64
    );
    checks.check(
        rss.len() * 1000 >= calls && grew_mb <= 5.0,
        format!("RSS after {calls} calls within +5 MB of RSS after 1,000 ({grew_mb:+.1} MB)"),
    );
    checks.finish(&rig);
}
