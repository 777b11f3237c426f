//! CRM connectors through the real `screenpop` binary in a headless desktop (gnome-keyring
//! unlocked on a private bus): a HubSpot setup from the README finds its contact, secrets
//! never reach config, log or database, and the journaling outbox delivers every call
//! exactly once — across a CRM outage and across `kill -9` of the daemon mid-delivery.

use screenpop_testkit as support;

use serde_json::Value;
use std::time::Duration;
use support::crm::{Crm, Person, Shape};
use support::daemon::Daemon;
use support::desktop::Desktop;
use support::ports::free_port;
use support::process::wait_until;

const TOKEN: &str = "pat-na1-7c0ffee0-5ecret-d00d";

fn lisa() -> Person {
    let mut p = Person::new("501", "Lisa", "Simpson", "+1 555 123 4567");
    p.vip = true;
    p
}

fn ok(daemon: &Daemon, args: &[&str]) -> String {
    let out = daemon.cli(args);
    assert!(
        out.status.success(),
        "screenpop {args:?} failed: {}\n--- daemon log ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log()
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn set_secret(daemon: &Daemon, name: &str, value: &str) {
    let out = daemon.cli_with_stdin(&["secret", "set", name], &format!("{value}\n"));
    assert!(
        out.status.success(),
        "secret set: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn wait_drained(daemon: &Daemon) {
    let drained = wait_until(Duration::from_secs(60), || outbox(daemon).is_empty());
    assert!(
        drained,
        "still pending: {:?}\n{}",
        outbox(daemon),
        daemon.log()
    );
}

/// Lisa's number rings through the CLI; waits until the pop is on screen.
fn ring_lisa(desktop: &Desktop, daemon: &Daemon, call_id: &str) {
    let args = [
        "event",
        "ringing",
        "--from",
        "555-123-4567",
        "--call-id",
        call_id,
    ];
    ok(daemon, &args);
    let shown = desktop.wait_displayed(1, Duration::from_secs(10));
    assert!(shown, "no pop\n{}", daemon.log());
}

fn outbox(daemon: &Daemon) -> Vec<Value> {
    serde_json::from_str(&ok(daemon, &["outbox", "--json"])).expect("outbox --json is JSON")
}

/// Posts `n` short calls straight to the webhook (the CLI would read the keyring per event).
fn ring_and_end(desktop: &Desktop, daemon: &Daemon, n: usize) {
    let token = desktop.webhook_token();
    assert!(!token.is_empty(), "no webhook token in the keyring");
    let post = |body: String| {
        let status = support::http::post_json(daemon.port(), "/v1/events", &token, &body)
            .expect("post an event");
        assert!(
            (200..300).contains(&status),
            "webhook answered {status} to {body}"
        );
    };
    for i in 0..n {
        let id = format!("call-{i:03}");
        post(format!(
            r#"{{"version":1,"type":"ringing","from":"+1 555 300 {i:04}","call_id":"{id}"}}"#
        ));
        post(format!(
            r#"{{"version":1,"type":"ended","call_id":"{id}"}}"#
        ));
    }
}

fn wait_logged(daemon: &Daemon, n: usize) {
    let logged = wait_until(Duration::from_secs(60), || {
        let rows: Vec<Value> =
            serde_json::from_str(&ok(daemon, &["log", "--json", "--limit", "500"]))
                .unwrap_or_default();
        rows.len() >= n
    });
    assert!(logged, "calls not logged\n{}", daemon.log());
}

#[test]
fn hubspot_from_the_readme_finds_the_contact_and_no_secret_leaks() {
    let desktop = Desktop::start().expect("desktop");
    let crm = Crm::start(Shape::Hubspot, TOKEN, vec![lisa()]);
    let port = free_port();
    // The README's setup; base_url only because HubSpot itself is not reachable from a test.
    let config = format!(
        "[webhook]\nport = {port}\n\n[[directory]]\nkind = \"http\"\npreset = \"hubspot\"\nbase_url = \"{}\"\n",
        crm.base_url()
    );
    let daemon = Daemon::start(&desktop, &config, port, &[]);
    set_secret(&daemon, "hubspot", TOKEN);

    let out = ok(&daemon, &["lookup", "555-123-4567", "--json", "--explain"]);
    let doc: Value = serde_json::from_str(&out).expect("lookup --json");
    assert_eq!(doc["directory"], "hubspot", "{doc}");
    assert_eq!(doc["matches"][0]["name"], "Lisa Simpson", "{doc}");
    assert_eq!(doc["matches"][0]["vip"], true, "{doc}");
    assert_eq!(doc["steps"][0]["directory"], "hubspot");
    assert_eq!(doc["steps"][0]["result"]["kind"], "hit", "{doc}");
    // Second time from the cache.
    let doc: Value = serde_json::from_str(&ok(
        &daemon,
        &["lookup", "555-123-4567", "--json", "--explain"],
    ))
    .unwrap();
    assert_eq!(doc["steps"][0]["result"]["kind"], "cached_hit", "{doc}");

    // The running daemon greets the caller from HubSpot.
    ring_lisa(&desktop, &daemon, "hs-1");
    desktop.dunstctl(&["close-all"]).ok();
    assert!(
        desktop
            .history_summaries()
            .iter()
            .any(|s| s.0 == "Welcome back Lisa"),
        "{:?}",
        desktop.history_summaries()
    );
    ok(&daemon, &["event", "answered", "--call-id", "hs-1"]);
    ok(&daemon, &["event", "ended", "--call-id", "hs-1"]);
    wait_logged(&daemon, 1);
    assert!(crm.with(|st| st.auth_seen.iter().any(|a| a == &format!("Bearer {TOKEN}"))));

    // Nothing secret on disk or in the log.
    let mut places = vec![daemon.config_path()];
    for entry in std::fs::read_dir(daemon.data_dir())
        .expect("data dir")
        .flatten()
    {
        places.push(entry.path());
    }
    for place in &places {
        let bytes = std::fs::read(place).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(TOKEN),
            "secret found in {}",
            place.display()
        );
    }
    assert!(!daemon.log().contains(TOKEN), "secret in the daemon log");
}

#[test]
fn a_hundred_calls_during_a_crm_outage_are_journaled_exactly_once_when_it_returns() {
    let desktop = Desktop::start().expect("desktop");
    let crm_port = free_port();
    let port = free_port();
    let config = format!(
        "[webhook]\nport = {port}\n[journal]\nretry_base_ms = 200\nretry_max_s = 2\n\n\
         [[directory]]\nkind = \"http\"\nname = \"shop\"\npreset = \"seed\"\nbase_url = \"http://127.0.0.1:{crm_port}\"\njournal = true\ntimeout_ms = 500\n"
    );
    let daemon = Daemon::start(&desktop, &config, port, &[]);
    set_secret(&daemon, "shop", TOKEN);
    ring_and_end(&desktop, &daemon, 100);
    wait_logged(&daemon, 100);
    let failing = wait_until(Duration::from_secs(20), || {
        let rows = outbox(&daemon);
        rows.len() == 100 && rows.iter().all(|r| r["attempts"].as_i64() >= Some(1))
    });
    let rows = outbox(&daemon);
    assert!(failing, "outbox: {rows:?}");
    assert!(rows.iter().all(|r| r["directory"] == "shop"
        && r["call_id"]
            .as_str()
            .is_some_and(|c| c.starts_with("call-"))));
    assert!(
        rows[0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("refused")),
        "{}",
        rows[0]
    );

    let crm = Crm::start_on(crm_port, Shape::Seed, TOKEN, Vec::new());
    ok(&daemon, &["outbox", "retry"]);
    wait_drained(&daemon);
    crm.with(|st| {
        assert_eq!(st.journal_requests.len(), 100);
        assert!(
            st.journal_requests.values().all(|n| *n == 1),
            "{:?}",
            st.journal_requests
        );
        assert_eq!(st.journal_applied.len(), 100);
        assert!(st
            .journal_applied
            .iter()
            .all(|b| b["CallId"].as_str().is_some_and(|c| c.starts_with("call-"))));
    });
}

#[test]
fn kill_9_mid_delivery_loses_nothing_and_doubles_nothing() {
    let desktop = Desktop::start().expect("desktop");
    let crm = Crm::start(Shape::Seed, TOKEN, Vec::new());
    crm.with(|st| st.journal_delay = Duration::from_millis(400));
    let port = free_port();
    let config = format!(
        "[webhook]\nport = {port}\n[journal]\nretry_base_ms = 200\nretry_max_s = 2\nconcurrency = 2\n\n\
         [[directory]]\nkind = \"http\"\nname = \"shop\"\npreset = \"seed\"\nbase_url = \"{}\"\njournal = true\ntimeout_ms = 5000\n",
        crm.base_url()
    );
    let mut daemon = Daemon::start(&desktop, &config, port, &[]);
    set_secret(&daemon, "shop", TOKEN);
    ring_and_end(&desktop, &daemon, 100);
    wait_logged(&daemon, 100);
    let mid = wait_until(Duration::from_secs(30), || {
        crm.with(|st| st.journal_in_flight > 0 && st.journal_applied.len() < 100)
    });
    assert!(mid, "never caught a delivery in flight");
    daemon.kill_9();
    let applied_at_kill = crm.with(|st| st.journal_applied.len());
    assert!(applied_at_kill < 100);

    crm.with(|st| st.journal_delay = Duration::ZERO);
    daemon.restart();
    wait_drained(&daemon);
    let rows: Vec<Value> =
        serde_json::from_str(&ok(&daemon, &["log", "--json", "--limit", "500"])).unwrap();
    assert_eq!(rows.len(), 100, "calls lost or doubled in the log");
    crm.with(|st| {
        assert_eq!(
            st.journal_requests.len(),
            100,
            "a call never reached the CRM"
        );
        assert_eq!(st.journal_applied.len(), 100, "a call was applied twice");
        let resent = st.journal_requests.values().filter(|n| **n > 1).count();
        // Only what was in flight at the kill (at most `concurrency`) is sent again.
        assert!(resent <= 2, "{resent} calls sent again");
    });
}

#[test]
fn crm_slower_than_budget_pops_then_updates_in_place() {
    let desktop = Desktop::start().expect("desktop");
    let crm = Crm::start(Shape::Seed, TOKEN, vec![lisa()]);
    crm.set_mode(support::crm::Mode::Slow(Duration::from_millis(1500)));
    let port = free_port();
    let config = format!(
        "[webhook]\nport = {port}\n[lookup]\nbudget_ms = 200\n\n[[directory]]\nkind = \"http\"\nname = \"shop\"\n\
         preset = \"seed\"\nbase_url = \"{}\"\ntimeout_ms = 5000\n",
        crm.base_url()
    );
    let daemon = Daemon::start(&desktop, &config, port, &[]);
    set_secret(&daemon, "shop", TOKEN);
    ring_lisa(&desktop, &daemon, "slow-1");
    assert_eq!(crm.with(|st| st.lookups), 0, "the pop waited for the CRM");
    assert!(wait_until(Duration::from_secs(10), || crm
        .with(|st| st.lookups)
        == 1));
    // The answer lands in the same notification: one bubble, now the greeting. The daemon
    // logs once the notification server has taken the replacement.
    assert!(
        wait_until(Duration::from_secs(10), || daemon
            .log()
            .lines()
            .any(|l| l.contains("notification shown")
                && l.contains("slow-1")
                && l.contains("replaced=true"))),
        "the greeting never replaced the pop\n{}",
        daemon.log()
    );
    desktop.dunstctl(&["close-all"]).ok();
    let shown = desktop.history_summaries();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].0, "Welcome back Lisa", "{shown:?}");
}
