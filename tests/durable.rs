//! Durable intake against the real daemon: every call the webhook answered 202 (or the
//! broker got a PUBACK for) is in the call log exactly once after `kill -9` and a restart,
//! and a call live at the kill is resumed and logged once when it ends.

use screenpop_testkit as support;

use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;
use support::daemon::Daemon;
use support::desktop::Desktop;
use support::mosquitto::Broker;
use support::ports::free_port;
use support::process::wait_until;

const WAIT: Duration = Duration::from_secs(60);

fn log(daemon: &Daemon) -> Vec<Value> {
    serde_json::from_str(&daemon.cli_ok(&["log", "--json", "--limit", "100000"]))
        .expect("log --json is JSON")
}

/// Waits until the log holds `n` rows; returns call id → rows with that id.
fn wait_logged(daemon: &Daemon, n: usize) -> HashMap<String, Vec<Value>> {
    let mut rows = Vec::new();
    let done = wait_until(WAIT, || {
        rows = log(daemon);
        rows.len() >= n
    });
    assert!(done, "{} of {n} calls logged\n{}", rows.len(), daemon.log());
    let mut by_id: HashMap<String, Vec<Value>> = HashMap::new();
    for row in rows {
        let id = row["call_id"].as_str().unwrap_or_default().to_string();
        by_id.entry(id).or_default().push(row);
    }
    by_id
}

fn post(daemon: &Daemon, token: &str, body: &str) -> u16 {
    support::http::post_json(daemon.port(), "/v1/events", token, body).expect("post an event")
}

#[test]
fn every_call_answered_202_survives_kill_9_and_is_logged_once() {
    let desktop = Desktop::start().expect("start a headless desktop");
    let port = free_port();
    let mut daemon = Daemon::start(&desktop, &format!("[webhook]\nport = {port}\n"), port, &[]);
    let token = desktop.webhook_token();
    assert!(!token.is_empty(), "no webhook token in the keyring");

    // A call live at the kill: rang and answered, its end comes after the restart.
    assert_eq!(
        post(
            &daemon,
            &token,
            r#"{"type":"ringing","call_id":"live-1","from":"+1 555 400 0001"}"#
        ),
        202
    );
    assert_eq!(
        post(&daemon, &token, r#"{"type":"answered","call_id":"live-1"}"#),
        202
    );

    const FEEDERS: usize = 4;
    const CALLS: usize = 50;
    std::thread::scope(|scope| {
        for feeder in 0..FEEDERS {
            let (daemon, token) = (&daemon, &token);
            scope.spawn(move || {
                for i in 0..CALLS {
                    let id = format!("f{feeder}-{i}");
                    let from = format!("+1 555 5{feeder:02} {i:04}");
                    let mut events = vec![format!(
                        r#"{{"type":"ringing","call_id":"{id}","from":"{from}"}}"#
                    )];
                    if i % 2 == 0 {
                        events.push(format!(r#"{{"type":"answered","call_id":"{id}"}}"#));
                    }
                    events.push(format!(r#"{{"type":"ended","call_id":"{id}"}}"#));
                    for body in events {
                        assert_eq!(post(daemon, token, &body), 202, "{body}");
                    }
                }
            });
        }
    });
    // Right after the last 202: whatever the engine had not processed yet is in the store.
    daemon.kill_9();
    daemon.restart();

    let status = daemon.wait_status("the live call resumed", WAIT, |s| {
        s["calls"]
            .as_array()
            .is_some_and(|calls| calls.iter().any(|c| c["key"]["call_id"] == "live-1"))
    });
    let live = status["calls"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["key"]["call_id"] == "live-1"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(live["state"], "answered", "{live:#}");
    assert_eq!(
        post(&daemon, &token, r#"{"type":"ended","call_id":"live-1"}"#),
        202
    );

    let by_id = wait_logged(&daemon, FEEDERS * CALLS + 1);
    assert_eq!(
        by_id.len(),
        FEEDERS * CALLS + 1,
        "no call missing, none extra"
    );
    for (id, rows) in &by_id {
        assert_eq!(rows.len(), 1, "{id} logged {} times", rows.len());
    }
    let live = &by_id["live-1"][0];
    assert_eq!(live["missed"], false);
    assert!(live["answered_at"].is_string(), "{live:#}");
    assert_eq!(live["end_reason"], "hangup");
    for feeder in 0..FEEDERS {
        for i in 0..CALLS {
            let row = &by_id[&format!("f{feeder}-{i}")][0];
            assert_eq!(row["missed"], i % 2 == 1, "{row:#}");
        }
    }
}

#[test]
fn mqtt_messages_acknowledged_after_commit_are_logged_once_across_kill_9() {
    let desktop = Desktop::start().expect("start a headless desktop");
    let broker = Broker::start();
    let port = free_port();
    let config = format!(
        "[webhook]\nport = {port}\n[[source]]\nkind = \"mqtt\"\nurl = \"{}\"\ntopic = \"screenpop/201/events\"\n",
        broker.url()
    );
    let mut daemon = Daemon::start(&desktop, &config, port, &[]);
    daemon.wait_status("mqtt up", WAIT, |s| Daemon::source_state(s, "mqtt") == "up");
    let topic = "screenpop/201/events";
    let publish = |from: usize, to: usize| {
        for i in from..to {
            let id = format!("m-{i}");
            broker.publish(
                topic,
                &format!(r#"{{"version":1,"type":"ringing","call_id":"{id}","from":"+1 555 600 {i:04}"}}"#),
            );
            broker.publish(
                topic,
                &format!(r#"{{"version":1,"type":"ended","call_id":"{id}"}}"#),
            );
        }
    };
    publish(0, 20);
    daemon.kill_9();
    // Published while the desk is down: the broker keeps them for its persistent session.
    publish(20, 40);
    daemon.restart();
    let by_id = wait_logged(&daemon, 40);
    assert_eq!(by_id.len(), 40, "{:?}", by_id.keys().collect::<Vec<_>>());
    for (id, rows) in &by_id {
        assert_eq!(rows.len(), 1, "{id} logged {} times", rows.len());
        assert_eq!(rows[0]["missed"], true, "{id}");
    }
}

/// Each notification up holds a task and a D-Bus connection in the daemon: missed-call pops
/// nobody dismisses must not pile up without end (10,000 calls would mean 5,000 sockets).
#[test]
fn at_most_twenty_call_notifications_stay_up() {
    const KEPT: usize = 20;
    const MISSED: usize = 26;
    let desktop = Desktop::start().expect("start a headless desktop");
    let port = free_port();
    let daemon = Daemon::start(&desktop, &format!("[webhook]\nport = {port}\n"), port, &[]);
    let token = desktop.webhook_token();
    for i in 0..MISSED {
        let id = format!("m-{i}");
        let ringing =
            format!(r#"{{"type":"ringing","call_id":"{id}","from":"+1 555 600 {i:04}"}}"#);
        assert_eq!(post(&daemon, &token, &ringing), 202);
        assert_eq!(
            post(
                &daemon,
                &token,
                &format!(r#"{{"type":"ended","call_id":"{id}"}}"#)
            ),
            202
        );
    }
    let rows = wait_logged(&daemon, MISSED);
    assert!(rows.values().all(|r| r[0]["missed"] == true));
    // The newest call's pop went up (the daemon logs each Notify reply); the older ones were
    // pushed out before it.
    let newest = format!("call_id=m-{} ", MISSED - 1);
    assert!(
        wait_until(WAIT, || daemon
            .log()
            .lines()
            .any(|l| l.contains("notification shown") && l.contains(&newest))),
        "{}",
        daemon.log()
    );
    // Up = displayed + waiting (dunst displays at most `notification_limit` at once).
    let up = || {
        let count = |what: &str| {
            desktop
                .dunstctl(&["count", what])
                .ok()
                .and_then(|n| n.trim().parse::<usize>().ok())
                .unwrap_or(0)
        };
        count("displayed") + count("waiting")
    };
    assert!(
        wait_until(WAIT, || up() == KEPT),
        "{} notifications up, want {KEPT}\n{}",
        up(),
        daemon.log()
    );
    // The oldest went first.
    let log = daemon.log();
    let closed: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("closing the oldest notification"))
        .collect();
    assert_eq!(closed.len(), MISSED - KEPT, "{closed:#?}");
    for i in 0..MISSED - KEPT {
        let id = format!("call_id=m-{i} ");
        assert!(closed.iter().any(|l| l.contains(&id)), "{id}: {closed:#?}");
    }
}
