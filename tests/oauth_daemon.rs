//! OAuth through the real `screenpop` binary in a headless desktop (gnome-keyring on a
//! private bus, the opener's `BROWSER` captured): `screenpop connect salesforce` signs in
//! through the loopback redirect and says where the tokens went, the running daemon then
//! greets and journals with them, a Salesforce Task is created once per call even when the
//! daemon is killed -9 between the insert and the outbox update, and no token reaches the
//! config, the database or the log.

use screenpop_testkit as support;

use serde_json::Value;
use std::time::Duration;
use support::crm::{Crm, Person, Shape};
use support::daemon::Daemon;
use support::desktop::Desktop;
use support::oauth::{approve_in_browser, AuthServer, Flavour};
use support::ports::free_port;
use support::process::wait_until;

const CLIENT_ID: &str = "3MVG9screenpopTEST";
const CLIENT_SECRET: &str = "sf-client-secret-6d1f0c";
const CALLS: usize = 40;

fn contacts() -> Vec<Person> {
    (0..CALLS)
        .map(|i| {
            Person::new(
                &format!("003{i:012}"),
                "Caller",
                &format!("No{i}"),
                &format!("+1 555 300 {i:04}"),
            )
        })
        .collect()
}

fn outbox(daemon: &Daemon) -> Vec<Value> {
    serde_json::from_str(&daemon.cli_ok(&["outbox", "--json"])).expect("outbox --json")
}

#[test]
fn connect_then_tasks_once_per_call_across_kill_9_and_no_token_leaks() {
    let desktop = Desktop::start().expect("desktop");
    let crm = Crm::start(Shape::Salesforce, "unused", contacts());
    let mut server = AuthServer::new(Flavour::Salesforce, CLIENT_ID, Some(CLIENT_SECRET));
    server.api_base = Some(format!("http://127.0.0.1:{}", crm.port));
    let crm = crm.with_oauth(server);
    let port = free_port();
    let config = format!(
        "[webhook]\nport = {port}\n[journal]\nretry_base_ms = 200\nretry_max_s = 2\nconcurrency = 2\n\n\
         [[directory]]\nkind = \"http\"\npreset = \"salesforce\"\njournal = true\njournal_unknown = true\ntimeout_ms = 5000\n\
         [directory.oauth]\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"salesforce-client\"\nauth_url = \"{}\"\ntoken_url = \"{}\"\n",
        crm.oauth_url("authorize"),
        crm.oauth_url("token"),
    );
    let mut daemon = Daemon::start(&desktop, &config, port, &[]);
    let out = daemon.cli_with_stdin(
        &["secret", "set", "salesforce-client"],
        &format!("{CLIENT_SECRET}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Not signed in yet: the lookup says how to.
    let out = daemon.cli(&["lookup", "+1 555 300 0001", "--explain"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("screenpop connect salesforce"), "{text}");

    // `screenpop connect`: the opener gets the authorize URL, the "browser" approves.
    let connect = daemon.cli_spawn(&["connect", "salesforce"]);
    let opened = wait_until(Duration::from_secs(20), || {
        desktop
            .browser()
            .read_urls()
            .iter()
            .any(|u| u.contains("/oauth/authorize"))
    });
    assert!(opened, "the browser was never opened");
    let url = desktop
        .browser()
        .read_urls()
        .into_iter()
        .find(|u| u.contains("/oauth/authorize"))
        .unwrap();
    assert_eq!(approve_in_browser(&url), 200);
    let out = connect.wait_with_output().expect("connect finished");
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "connect failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("keyring") && said.contains("oauth:salesforce"),
        "{said}"
    );

    let found = daemon.cli_ok(&["lookup", "+1 555 300 0007", "--json"]);
    assert!(found.contains("Caller No7"), "{found}");

    // Calls journaled as Tasks while the daemon is killed in the middle of a delivery.
    crm.with(|st| st.journal_delay = Duration::from_millis(400));
    let token = desktop.webhook_token();
    for i in 0..CALLS {
        for body in [
            format!(
                r#"{{"version":1,"type":"ringing","from":"+1 555 300 {i:04}","call_id":"sf-{i:03}"}}"#
            ),
            format!(r#"{{"version":1,"type":"ended","call_id":"sf-{i:03}"}}"#),
        ] {
            let status =
                support::http::post_json(daemon.port(), "/v1/events", &token, &body).expect("post");
            assert!((200..300).contains(&status), "{status}");
        }
    }
    // Every call is in the log (and its outbox row committed) before the kill.
    let logged = daemon.wait_rows(CALLS, Duration::from_secs(60));
    assert_eq!(logged.len(), CALLS);
    let mid = wait_until(Duration::from_secs(60), || {
        crm.with(|st| st.journal_in_flight > 0 && st.journal_applied.len() < CALLS)
    });
    assert!(
        mid,
        "never caught a Task insert in flight\n{}",
        daemon.log()
    );
    daemon.kill_9();
    crm.with(|st| st.journal_delay = Duration::ZERO);
    daemon.restart();
    let drained = wait_until(Duration::from_secs(90), || outbox(&daemon).is_empty());
    assert!(
        drained,
        "still pending: {:?}\n{}",
        outbox(&daemon),
        daemon.log()
    );
    crm.with(|st| {
        let mut per_call = std::collections::HashMap::new();
        for task in &st.journal_applied {
            assert_eq!(task["TaskSubtype"], "Call");
            assert_eq!(task["CallType"], "Inbound");
            *per_call
                .entry(task["CallObject"].as_str().unwrap_or_default().to_string())
                .or_insert(0) += 1;
        }
        assert_eq!(
            per_call.len(),
            CALLS,
            "a call never became a Task: {per_call:?} {}",
            st.journal_applied.len()
        );
        assert!(
            per_call.values().all(|n| *n == 1),
            "a Task was created twice: {per_call:?}"
        );
        assert!(
            st.journal_checks > 0,
            "the in-doubt delivery was not checked first"
        );
    });

    // No token anywhere but the keyring.
    let tokens = crm.auth(|a| a.issued());
    assert!(!tokens.is_empty());
    let mut haystacks = vec![
        std::fs::read_to_string(daemon.config_path()).unwrap(),
        daemon.log(),
        said,
    ];
    for entry in std::fs::read_dir(daemon.data_dir()).unwrap().flatten() {
        if let Ok(bytes) = std::fs::read(entry.path()) {
            haystacks.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    for t in tokens.iter().map(String::as_str).chain([CLIENT_SECRET]) {
        for h in &haystacks {
            assert!(!h.contains(t), "a token or the client secret leaked");
        }
    }
}

/// A daemon signed in to Zoho (the browser played by `approve_in_browser`), with `extra`
/// appended to its config.
fn signed_in_to_zoho(desktop: &Desktop, extra: &str) -> (Crm, Daemon) {
    let crm = Crm::start(
        Shape::Zoho,
        "unused",
        vec![Person::new("101", "Lisa", "Simpson", "+1 555 123 4567")],
    );
    let mut server = AuthServer::new(Flavour::Zoho, CLIENT_ID, Some(CLIENT_SECRET));
    server.api_base = Some(format!("http://127.0.0.1:{}", crm.port));
    let crm = crm.with_oauth(server);
    let port = free_port();
    let config = format!(
        "[webhook]\nport = {port}\n{extra}\n[[directory]]\nkind = \"http\"\npreset = \"zoho\"\ntimeout_ms = 5000\n\
         [directory.oauth]\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"zoho-client\"\nauth_url = \"{}\"\ntoken_url = \"{}\"\n",
        crm.oauth_url("authorize"),
        crm.oauth_url("token"),
    );
    let daemon = Daemon::start(desktop, &config, port, &[]);
    let out = daemon.cli_with_stdin(
        &["secret", "set", "zoho-client"],
        &format!("{CLIENT_SECRET}\n"),
    );
    assert!(out.status.success());
    let connect = daemon.cli_spawn(&["connect", "zoho"]);
    assert!(wait_until(Duration::from_secs(20), || !desktop
        .browser()
        .read_urls()
        .is_empty()));
    let url = desktop.browser().read_urls().remove(0);
    assert_eq!(approve_in_browser(&url), 200);
    assert!(connect.wait_with_output().unwrap().status.success());
    (crm, daemon)
}

#[test]
fn a_revoked_grant_offers_sign_in_in_a_notification_that_starts_the_sign_in() {
    let desktop = Desktop::start().expect("desktop");
    let (crm, daemon) = signed_in_to_zoho(&desktop, "");
    crm.auth(AuthServer::revoke);
    let token = desktop.webhook_token();
    let ring = r#"{"version":1,"type":"ringing","from":"+1 555 123 4567","call_id":"z-1"}"#;
    assert_eq!(
        support::http::post_json(daemon.port(), "/v1/events", &token, ring).unwrap(),
        202
    );
    // The call still pops (as an unknown caller) and the directory reports why.
    let degraded = wait_until(Duration::from_secs(20), || {
        daemon.status()["directories"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| d["name"] == "zoho" && d["health"].to_string().contains("sign in again"))
    });
    assert!(degraded, "{}\n{}", daemon.status(), daemon.log());
    assert!(
        desktop.wait_displayed(2, Duration::from_secs(10)),
        "pop + sign-in notification\n{}",
        daemon.log()
    );

    // Clicking Sign in starts the browser sign-in again.
    desktop.choose_in_menu("Sign in").unwrap();
    let before = desktop.browser().read_urls().len();
    let _ = desktop.dunstctl(&["context"]);
    let reopened = wait_until(Duration::from_secs(20), || {
        desktop.browser().read_urls().len() > before
    });
    assert!(
        reopened,
        "Sign in did not open the browser\n{}",
        daemon.log()
    );
}

#[test]
fn a_slow_token_refresh_does_not_hold_the_pop_past_the_lookup_budget() {
    let desktop = Desktop::start().expect("desktop");
    let (crm, daemon) = signed_in_to_zoho(&desktop, "[lookup]\nbudget_ms = 300\n");
    // The access token dies at the provider, and its token endpoint takes 4 s to answer:
    // the lookup needs a refresh that outlasts the budget many times over.
    crm.auth(|a| {
        a.expire_access();
        a.delay = Duration::from_secs(4);
    });
    let token = desktop.webhook_token();
    let ring = r#"{"version":1,"type":"ringing","from":"+1 555 123 4567","call_id":"z-slow"}"#;
    assert_eq!(
        support::http::post_json(daemon.port(), "/v1/events", &token, ring).unwrap(),
        202
    );
    // The pop comes while the refresh is still out: it says it is still looking.
    assert!(
        desktop.wait_displayed(1, Duration::from_secs(10)),
        "no pop\n{}",
        daemon.log()
    );
    desktop.dunstctl(&["close-all"]).unwrap();
    let first = desktop.history_summaries();
    assert!(
        first
            .iter()
            .any(|(_, body, ..)| body.starts_with("Looking up")),
        "{first:?}"
    );
    // The refresh lands and the greeting replaces the pop.
    assert!(
        desktop.wait_displayed(1, Duration::from_secs(20)),
        "the greeting never came after the refresh\n{}",
        daemon.log()
    );
    desktop.dunstctl(&["close-all"]).unwrap();
    let all = desktop.history_summaries();
    assert!(
        all.iter()
            .any(|(summary, ..)| summary == "Welcome back Lisa"),
        "{all:?}"
    );
    assert_eq!(crm.auth(|a| a.refreshes()), 1);
}
