//! The foundation slice end to end against real components: the real `screenpop run` daemon,
//! a real dunst on a private D-Bus session under Xvfb, gnome-keyring for the webhook token,
//! and a capture script as `BROWSER`. Ring → greeting on the bus → click → profile opened →
//! end → call-log row.

use screenpop_testkit as support;

use serde_json::Value;
use std::time::Duration;
use support::daemon::Daemon;
use support::desktop::Desktop;
use support::ports::free_port;
use support::process::wait_until;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo-contacts.csv");

fn start(extra_config: &str) -> (Desktop, Daemon) {
    let desktop = Desktop::start().expect("start a headless desktop");
    let port = free_port();
    let config = format!("[webhook]\nport = {port}\n{extra_config}");
    let daemon = Daemon::start(&desktop, &config, port, &[]);
    let out = daemon.cli(&["contacts", "import", FIXTURE]);
    assert!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (desktop, daemon)
}

fn cli_ok(daemon: &Daemon, args: &[&str]) -> String {
    let out = daemon.cli(args);
    assert!(
        out.status.success(),
        "screenpop {args:?} failed: {}\n--- daemon log ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log()
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn log_rows(daemon: &Daemon, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["log", "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&cli_ok(daemon, &args)).expect("log --json is JSON")
}

fn wait_rows(daemon: &Daemon, n: usize) -> Vec<Value> {
    let mut rows = Vec::new();
    wait_until(Duration::from_secs(10), || {
        rows = log_rows(daemon, &[]);
        rows.len() >= n
    });
    rows
}

#[test]
fn known_vip_caller_is_greeted_and_click_opens_profile_and_call_is_logged() {
    let (desktop, daemon) = start("");
    let id = cli_ok(
        &daemon,
        &[
            "event",
            "ringing",
            "--from",
            "555-1234",
            "--call-id",
            "lisa-1",
        ],
    );
    assert_eq!(id, "lisa-1");
    assert!(
        desktop.wait_displayed(1, Duration::from_secs(10)),
        "no notification shown\n{}",
        daemon.log()
    );
    desktop
        .dunstctl(&["action", "0"])
        .expect("click the notification");
    let profile = "https://crm.example.com/customers/lisa";
    assert!(
        wait_until(Duration::from_secs(10), || desktop
            .browser()
            .read_urls()
            .iter()
            .any(|u| u == profile)),
        "profile not opened; opened: {:?}\n{}",
        desktop.browser().read_urls(),
        daemon.log()
    );
    desktop.dunstctl(&["close-all"]).ok();
    let shown = desktop.history_summaries();
    let (summary, body, urgency, app) = shown
        .iter()
        .find(|s| s.0.starts_with("Welcome back"))
        .expect("greeting in history")
        .clone();
    assert_eq!(summary, "Welcome back Lisa");
    assert!(body.contains("Last order: 2 pepperoni pizzas"), "{body}");
    assert!(body.contains("VIP"), "{body}");
    assert_eq!(urgency, "CRITICAL");
    assert_eq!(app, "screenpop");

    cli_ok(&daemon, &["event", "answered", "--call-id", "lisa-1"]);
    cli_ok(&daemon, &["event", "ended", "--call-id", "lisa-1"]);
    let rows = wait_rows(&daemon, 1);
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["call_id"], "lisa-1");
    assert_eq!(row["name"], "Lisa Simpson");
    assert_eq!(row["missed"], false);
    assert_eq!(row["direction"], "inbound");
    assert!(row["answered_at"].is_string() && row["ended_at"].is_string());
}

#[test]
fn sticky_vip_greeting_stays_on_screen_while_answered_and_goes_at_the_end() {
    let (desktop, daemon) = start("[notify]\nsticky_vip = true\n");
    cli_ok(
        &daemon,
        &[
            "event",
            "ringing",
            "--from",
            "555-1234",
            "--call-id",
            "vip-1",
        ],
    );
    assert!(
        desktop.wait_displayed(1, Duration::from_secs(10)),
        "no notification shown\n{}",
        daemon.log()
    );
    cli_ok(&daemon, &["event", "answered", "--call-id", "vip-1"]);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(desktop.displayed_count(), 1, "the VIP pop went on answer");
    cli_ok(&daemon, &["event", "ended", "--call-id", "vip-1"]);
    assert!(
        wait_until(Duration::from_secs(10), || desktop.displayed_count() == 0),
        "the VIP pop outlived the call\n{}",
        daemon.log()
    );
}

#[test]
fn unknown_caller_gets_new_caller_pop_with_create_contact_and_a_missed_call() {
    let (desktop, daemon) = start("");
    cli_ok(
        &daemon,
        &[
            "event",
            "ringing",
            "--from",
            "+1 555 987 6543",
            "--call-id",
            "u-1",
        ],
    );
    assert!(
        desktop.wait_displayed(1, Duration::from_secs(10)),
        "{}",
        daemon.log()
    );
    cli_ok(&daemon, &["event", "ended", "--call-id", "u-1"]);
    let rows = wait_rows(&daemon, 1);
    assert_eq!(rows[0]["missed"], true);
    assert_eq!(rows[0]["number"], "+1 555 987 6543");
    // The ringing pop was replaced in place by one "Missed call" pop.
    assert!(wait_until(Duration::from_secs(5), || desktop
        .displayed_count()
        == 1));
    desktop.dunstctl(&["close-all"]).ok();
    let shown = desktop.history_summaries();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].0.starts_with("Missed call: (555) 987-6543"),
        "{shown:?}"
    );
    let missed = log_rows(&daemon, &["--missed"]);
    assert_eq!(missed.len(), 1);
}

#[test]
fn unknown_caller_pop_says_new_caller_and_click_creates_contact() {
    let (desktop, daemon) = start("[[directory]]\nkind = \"local\"\ncreate_contact_url = \"https://crm.example.com/new?phone={e164}\"\n");
    cli_ok(
        &daemon,
        &[
            "event",
            "ringing",
            "--from",
            "+1 555 987 6543",
            "--name",
            "Jane Doe",
        ],
    );
    assert!(
        desktop.wait_displayed(1, Duration::from_secs(10)),
        "{}",
        daemon.log()
    );
    desktop.dunstctl(&["action", "0"]).expect("click");
    let wanted = "https://crm.example.com/new?phone=%2B15559876543";
    assert!(
        wait_until(Duration::from_secs(10), || desktop
            .browser()
            .read_urls()
            .iter()
            .any(|u| u == wanted)),
        "{:?}\n{}",
        desktop.browser().read_urls(),
        daemon.log()
    );
    desktop.dunstctl(&["close-all"]).ok();
    let shown = desktop.history_summaries();
    assert_eq!(shown[0].0, "(555) 987-6543");
    assert!(shown[0].1.starts_with("New caller · Jane Doe"), "{shown:?}");
}

#[test]
fn markup_in_a_callers_name_is_shown_escaped() {
    let (desktop, daemon) = start("");
    cli_ok(
        &daemon,
        &[
            "contacts",
            "add",
            "--id",
            "evil",
            "--name",
            "<img src=x onerror=alert(1)>",
            "--phone",
            "555-6666",
            "--note",
            "<b>bold</b> & co",
        ],
    );
    cli_ok(&daemon, &["event", "ringing", "--from", "555-6666"]);
    assert!(
        desktop.wait_displayed(1, Duration::from_secs(10)),
        "{}",
        daemon.log()
    );
    desktop.dunstctl(&["close-all"]).ok();
    let (_, body, _, _) = desktop.history_summaries().remove(0);
    assert!(
        body.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{body}"
    );
    assert!(body.contains("&lt;b&gt;bold&lt;/b&gt; &amp; co"), "{body}");
    assert!(!body.contains("<img"), "{body}");
}

#[test]
fn javascript_profile_url_is_refused() {
    let (desktop, daemon) = start("");
    // The CLI refuses such a URL, so plant it the way a CRM or a hand-edited file would.
    let csv = desktop.dir().join("evil.csv");
    std::fs::write(
        &csv,
        "id,name,phone,url\nbad,Mallory,555-7777,https://ok.example.com/x\n",
    )
    .unwrap();
    cli_ok(&daemon, &["contacts", "import", csv.to_str().unwrap()]);
    let db = daemon.data_dir().join("screenpop.db");
    let status = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("UPDATE contacts SET url = 'javascript:alert(1)' WHERE id = 'bad';")
        .status()
        .expect("sqlite3");
    assert!(status.success());
    cli_ok(&daemon, &["event", "ringing", "--from", "555-7777"]);
    assert!(
        desktop.wait_displayed(1, Duration::from_secs(10)),
        "{}",
        daemon.log()
    );
    desktop.dunstctl(&["action", "0"]).ok();
    assert!(
        wait_until(Duration::from_secs(5), || daemon
            .log()
            .contains("only http and https")),
        "{}",
        daemon.log()
    );
    assert!(
        desktop.browser().read_urls().is_empty(),
        "{:?}",
        desktop.browser().read_urls()
    );
}

#[test]
fn auto_open_opens_the_profile_without_a_click() {
    let (desktop, daemon) = start("[notify]\nauto_open = true\n");
    cli_ok(&daemon, &["event", "ringing", "--from", "(555) 123-9876"]);
    assert!(
        wait_until(Duration::from_secs(10), || desktop.browser().read_urls()
            == ["https://crm.example.com/customers/lisa"]),
        "{:?}\n{}",
        desktop.browser().read_urls(),
        daemon.log()
    );
}

#[test]
fn cli_reaches_the_daemon_without_a_keyring_and_an_agent_can_pick_the_match() {
    let (_desktop, daemon) = start("");
    cli_ok(
        &daemon,
        &[
            "contacts",
            "add",
            "--id",
            "bart",
            "--name",
            "Bart Simpson",
            "--phone",
            "555-1234",
        ],
    );
    // No session bus at all: the owner-only socket still carries the event.
    let out = daemon.cli_with_env(
        &["event", "ringing", "--from", "555-1234", "--call-id", "two"],
        &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    cli_ok(&daemon, &["event", "ended", "--call-id", "two"]);
    let rows = wait_rows(&daemon, 1);
    assert_eq!(rows[0]["matches"], 2, "Lisa and Bart share 555-1234");
    let row = rows[0]["id"].as_i64().expect("row id").to_string();
    cli_ok(&daemon, &["log", "pick", &row, "bart"]);
    assert_eq!(log_rows(&daemon, &[])[0]["name"], "Bart Simpson");
}

#[test]
fn event_without_daemon_fails_clearly() {
    let desktop = Desktop::start().expect("desktop");
    let port = free_port();
    let daemon = Daemon::start(&desktop, &format!("[webhook]\nport = {port}\n"), port, &[]);
    let out = daemon.cli(&["event", "ringing", "--from", "555-1234"]);
    assert!(out.status.success());
    drop(daemon);
    // Same keyring, no daemon: a clear message and a non-zero exit.
    let out = support::desktop::command_in(&desktop.env(), env!("CARGO_BIN_EXE_screenpop"))
        .args(["event", "ringing", "--from", "555-1234"])
        .env("SCREENPOP_WEBHOOK__PORT", port.to_string())
        .output()
        .expect("run screenpop");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no screenpop daemon is listening"), "{err}");
}

#[test]
fn webhook_rejects_bad_requests_with_clear_errors() {
    let (desktop, daemon) = start("");
    let port = daemon.port();
    let post = |auth: Option<&str>, body: &str| -> (u16, String) {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let auth = auth
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(s, "POST /v1/events HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let code = out
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (code, out)
    };
    let (code, _) = post(None, r#"{"type":"ringing","from":"1"}"#);
    assert_eq!(code, 401);
    let (code, _) = post(Some("wrong"), r#"{"type":"ringing","from":"1"}"#);
    assert_eq!(code, 401);
    // The real token, as the daemon stored it in the keyring on first run.
    let token = desktop.webhook_token();
    assert_eq!(token.len(), 64, "a 256-bit hex token is in the keyring");
    let (code, body) = post(Some(&token), "{not json");
    assert_eq!(code, 422, "{body}");
    assert!(body.contains("not a valid event"), "{body}");
    let (code, body) = post(Some(&token), r#"{"type":"answered"}"#);
    assert_eq!(code, 422);
    assert!(body.contains("call_id"), "{body}");
    let big = format!(r#"{{"type":"ringing","from":"{}"}}"#, "9".repeat(20_000));
    let (code, _) = post(Some(&token), &big);
    assert_eq!(code, 413);
    let (code, body) = post(
        Some(&token),
        r#"{"type":"ringing","from":"555-1234","call_id":"ok-1"}"#,
    );
    assert_eq!(code, 202, "{body}");
    assert!(body.contains("ok-1"));
    // Nothing secret lands in the config, the log or the database.
    let db = std::fs::read(daemon.data_dir().join("screenpop.db")).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&db).contains(&token));
    assert!(!daemon.log().contains(&token));
}
