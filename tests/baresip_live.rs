//! screenpop against real softphones: baresip processes on 127.0.0.1 calling each other,
//! one of them (the agent, extension 201) watched and driven by the real `screenpop run`
//! over ctrl_tcp, inside a headless desktop with dunst. Ring → pop → `screenpop answer` →
//! far side hangs up → one call-log row; missed calls; dialling out; blind transfer; a
//! softphone crash mid-call and its return.

use screenpop_testkit as support;

use serde_json::Value;
use std::time::Duration;
use support::baresip::{Answer, Ctrl, Softphone};
use support::daemon::Daemon;
use support::desktop::Desktop;
use support::ports::free_port;

const CALLER: &str = "+4930123456";
const WAIT: Duration = Duration::from_secs(10);

/// A desktop, the agent's phone watched by screenpop, and a customer's phone.
struct Rig {
    desktop: Desktop,
    agent: Softphone,
    customer: Softphone,
    daemon: Daemon,
}

fn rig() -> Rig {
    let desktop = Desktop::start().expect("start a headless desktop");
    let customer = Softphone::start(CALLER, Some("Jane Doe"), Answer::Manual);
    // Numbers the agent dials go to the customer's phone, as a PBX would route them.
    let agent = Softphone::start_with(
        "201",
        Some("Agent 201"),
        Answer::Manual,
        "",
        &format!(";outbound=\"sip:127.0.0.1:{}\"", customer.sip_port),
    );
    let port = free_port();
    let config = format!(
        "[webhook]\nport = {port}\n[phone]\ndefault_region = \"DE\"\n\
         [[source]]\nkind = \"baresip\"\naddress = \"127.0.0.1:{}\"\n",
        agent.ctrl_port
    );
    let daemon = Daemon::start(&desktop, &config, port, &[]);
    daemon.wait_status("baresip up", WAIT, |s| {
        Daemon::source_state(s, "baresip") == "up"
    });
    Rig {
        desktop,
        agent,
        customer,
        daemon,
    }
}

fn live_call(status: &Value) -> Option<Value> {
    status["calls"].as_array().and_then(|c| c.first()).cloned()
}

fn call_state(daemon: &Daemon, state: &str) -> Value {
    let status = daemon.wait_status(&format!("a live call {state}"), WAIT, |s| {
        live_call(s).is_some_and(|c| c["state"] == state)
    });
    live_call(&status).unwrap_or_default()
}

/// The customer's phone rings with a call from the agent, and screenpop shows it outbound.
fn agent_call_rings_at_customer(rig: &Rig, customer: &mut Ctrl) -> Value {
    let incoming = customer.wait_event("CALL_INCOMING", WAIT);
    assert!(
        incoming["peeruri"]
            .as_str()
            .unwrap_or_default()
            .contains("201@"),
        "{incoming}"
    );
    let call = call_state(&rig.daemon, "ringing");
    assert_eq!(call["direction"], "outbound");
    call
}

/// Runs a CLI verb that must fail; returns its stderr.
fn cli_fails(daemon: &Daemon, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let out = daemon.cli_with_env(args, env);
    assert!(!out.status.success(), "screenpop {args:?} should fail");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn inbound_call_pops_is_answered_from_the_cli_and_logged_once_when_the_caller_hangs_up() {
    let rig = rig();
    let mut customer = rig.customer.control();
    customer.command("dial", Some(&rig.agent.uri()));
    let call = call_state(&rig.daemon, "ringing");
    assert_eq!(call["number"], CALLER);
    assert_eq!(call["remote_name"], "Jane Doe");
    assert_eq!(call["direction"], "inbound");
    assert!(
        rig.desktop.wait_displayed(1, WAIT),
        "no pop\n{}",
        rig.daemon.log()
    );

    assert!(rig.daemon.cli_ok(&["answer"]).contains("answered"));
    customer.wait_event("CALL_ESTABLISHED", WAIT);
    call_state(&rig.daemon, "answered");
    std::thread::sleep(Duration::from_millis(1100));
    customer.command("hangup", None);

    let rows = rig.daemon.wait_rows(1, WAIT);
    std::thread::sleep(Duration::from_millis(300));
    let rows_again = rig.daemon.call_log();
    assert_eq!(rows_again.len(), 1, "one row per call: {rows_again:#?}");
    let row = &rows[0];
    assert_eq!(row["call_id"], call["key"]["call_id"]);
    assert_eq!(row["source"], "baresip");
    assert_eq!(row["direction"], "inbound");
    assert_eq!(row["number"], CALLER);
    assert_eq!(row["name"], "Jane Doe");
    assert_eq!(row["missed"], false);
    assert_eq!(row["end_reason"], "hangup");
    let duration = row["duration_s"].as_i64().expect("duration_s");
    assert!((1..=5).contains(&duration), "duration {duration}: {row:#}");
    let at = |k: &str| {
        chrono::DateTime::parse_from_rfc3339(row[k].as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{k}: {e} in {row:#}"))
    };
    assert!(at("started_at") <= at("answered_at") && at("answered_at") < at("ended_at"));
}

#[test]
fn a_call_nobody_answers_is_logged_as_missed_with_a_missed_call_pop() {
    let rig = rig();
    let mut customer = rig.customer.control();
    customer.command("dial", Some(&rig.agent.uri()));
    call_state(&rig.daemon, "ringing");
    customer.command("hangup", None);
    let rows = rig.daemon.wait_rows(1, WAIT);
    assert_eq!(rows[0]["missed"], true, "{:#}", rows[0]);
    assert!(rows[0]["answered_at"].is_null());
    assert_eq!(rows[0]["name"], "Jane Doe");
    assert_eq!(rows[0]["duration_s"], 0);
    rig.desktop.dunstctl(&["close-all"]).ok();
    let shown = rig.desktop.history_summaries();
    assert!(
        shown
            .iter()
            .any(|(summary, body, ..)| summary.contains("Missed") || body.contains("Missed")),
        "no missed-call pop: {shown:?}"
    );
}

#[test]
fn screenpop_call_dials_the_other_phone_and_hangup_ends_it() {
    let rig = rig();
    let mut customer = rig.customer.control();
    let said = rig.daemon.cli_ok(&["call", &rig.customer.uri()]);
    assert!(said.contains("calling"), "{said}");
    agent_call_rings_at_customer(&rig, &mut customer);
    customer.command("accept", None);
    call_state(&rig.daemon, "answered");
    rig.daemon.cli_ok(&["hangup"]);
    customer.wait_event("CALL_CLOSED", WAIT);
    let rows = rig.daemon.wait_rows(1, WAIT);
    assert_eq!(rows[0]["direction"], "outbound");
    assert_eq!(rows[0]["missed"], false);
    assert_eq!(
        rows[0]["number"],
        rig.customer
            .uri()
            .replace("sip:", "")
            .split('@')
            .next()
            .unwrap_or_default()
    );
}

#[test]
fn a_control_request_delivered_twice_is_carried_out_once() {
    let rig = rig();
    let mut customer = rig.customer.control();
    let token = rig.desktop.webhook_token();
    assert!(!token.is_empty(), "no webhook token in the keyring");
    let dial = format!(
        r#"{{"target": "{}", "request_id": "dial-once-1"}}"#,
        rig.customer.uri()
    );
    let post = || {
        support::http::post_json(rig.daemon.port(), "/v1/control/dial", &token, &dial)
            .expect("post a dial")
    };
    assert_eq!(post(), 200, "{}", rig.daemon.log());
    agent_call_rings_at_customer(&rig, &mut customer);
    // The same request again (a retry, a proxy): refused before it reaches the softphone.
    assert_eq!(post(), 409, "{}", rig.daemon.log());
    assert!(
        rig.daemon
            .log()
            .contains("duplicate control request refused"),
        "{}",
        rig.daemon.log()
    );
    customer.command("accept", None);
    call_state(&rig.daemon, "answered");
    rig.daemon.cli_ok(&["hangup"]);
    customer.wait_event("CALL_CLOSED", WAIT);
    let rows = rig.daemon.wait_rows(1, WAIT);
    assert_eq!(rows.len(), 1, "one call placed: {rows:?}");
    let status = rig.daemon.status();
    assert!(live_call(&status).is_none(), "no second call: {status}");
}

#[test]
fn transfer_moves_the_call_to_a_third_phone() {
    let rig = rig();
    let manager = Softphone::start("manager", Some("Manager"), Answer::Auto);
    let mut manager_ctrl = manager.control();
    let mut customer = rig.customer.control();
    customer.command("dial", Some(&rig.agent.uri()));
    call_state(&rig.daemon, "ringing");
    rig.daemon.cli_ok(&["answer"]);
    customer.wait_event("CALL_ESTABLISHED", WAIT);
    call_state(&rig.daemon, "answered");
    let said = rig.daemon.cli_ok(&["transfer", &manager.uri()]);
    assert!(said.contains("transferred"), "{said}");
    let at_manager = manager_ctrl.wait_event("CALL_ESTABLISHED", WAIT);
    assert!(
        at_manager["peeruri"]
            .as_str()
            .unwrap_or_default()
            .contains(CALLER),
        "the manager should now talk to the customer: {at_manager}"
    );
    let rows = rig.daemon.wait_rows(1, WAIT);
    assert_eq!(rows[0]["end_reason"], "transferred");
    assert_eq!(rows[0]["missed"], false);
}

#[test]
fn control_errors_are_clear_and_exit_non_zero() {
    let rig = rig();
    let (code, err) = cli_fails(&rig.daemon, &["answer"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("no inbound call is ringing"), "{err}");
    let (_, err) = cli_fails(&rig.daemon, &["transfer", "202"], &[]);
    assert!(err.contains("no call is connected"), "{err}");
    let (code, err) = cli_fails(&rig.daemon, &["call", "bob smith"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot dial"), "{err}");
    // No daemon: neither its socket (another data dir) nor its port answers.
    let nobody = free_port().to_string();
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let elsewhere = elsewhere.path().display().to_string();
    let (code, err) = cli_fails(
        &rig.daemon,
        &["call", "202"],
        &[
            ("SCREENPOP_WEBHOOK__PORT", &nobody),
            ("SCREENPOP_DATA_DIR", &elsewhere),
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("no screenpop daemon is listening"), "{err}");

    // A daemon with no softphone configured says so.
    let port = free_port();
    let bare = Daemon::start(
        &rig.desktop,
        &format!("[webhook]\nport = {port}\n"),
        port,
        &[],
    );
    let (code, err) = cli_fails(&bare, &["hangup"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("no call-control source"), "{err}");
    assert!(bare.cli_ok(&["status"]).contains("control    none"));
}

#[test]
fn a_softphone_crash_mid_call_logs_source_lost_and_screenpop_reconnects_when_it_returns() {
    let mut rig = rig();
    let mut customer = rig.customer.control();
    customer.command("dial", Some(&rig.agent.uri()));
    call_state(&rig.daemon, "ringing");
    rig.daemon.cli_ok(&["answer"]);
    call_state(&rig.daemon, "answered");

    rig.agent.kill();
    let status = rig.daemon.wait_status("baresip down", WAIT, |s| {
        Daemon::source_state(s, "baresip") != "up"
    });
    // A live call waits a few seconds for its source to come back (a reconnect that
    // re-announces it continues the same call); baresip stays dead here, so it then closes.
    let _ = status;
    let rows = rig.daemon.wait_rows(1, WAIT);
    assert_eq!(rows[0]["end_reason"], "source lost", "{:#}", rows[0]);
    assert_eq!(rows[0]["missed"], false);
    let human = rig.daemon.cli_ok(&["status"]);
    let line = human
        .lines()
        .find(|l| l.starts_with("source") && l.contains("baresip"))
        .unwrap_or_default();
    assert!(
        line.contains("DOWN: ") || line.contains("connecting"),
        "status should show baresip down:\n{human}"
    );
    let (code, err) = cli_fails(&rig.daemon, &["call", "202"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("not connected"), "{err}");
    customer.command("hangup", None);

    rig.agent.restart();
    rig.daemon
        .wait_status("baresip up again", Duration::from_secs(40), |s| {
            Daemon::source_state(s, "baresip") == "up"
        });
    let human = rig.daemon.cli_ok(&["status"]);
    assert!(human.contains("control    baresip"), "{human}");
    assert!(
        rig.daemon.log().contains("source down"),
        "{}",
        rig.daemon.log()
    );
    customer.clear();
    customer.command("dial", Some(&rig.agent.uri()));
    call_state(&rig.daemon, "ringing");
    rig.daemon.cli_ok(&["hangup"]);
    let rows = rig.daemon.wait_rows(2, WAIT);
    assert_eq!(rows.len(), 2);
}

#[test]
fn call_back_on_a_missed_call_pop_dials_the_caller() {
    let rig = rig();
    let mut customer = rig.customer.control();
    customer.command("dial", Some(&rig.agent.uri()));
    call_state(&rig.daemon, "ringing");
    customer.command("hangup", None);
    rig.daemon.wait_rows(1, WAIT);
    customer.clear();
    // The missed-call pop for an unknown caller: its default action is "Call back".
    assert!(
        rig.desktop.wait_displayed(1, WAIT),
        "no missed-call pop\n{}",
        rig.daemon.log()
    );
    rig.desktop
        .dunstctl(&["action", "0"])
        .expect("click the missed-call pop");
    let call = agent_call_rings_at_customer(&rig, &mut customer);
    assert_eq!(call["number"], CALLER);
}
