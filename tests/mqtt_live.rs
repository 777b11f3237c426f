//! screenpop against a real mosquitto on 127.0.0.1: one broker, several extensions, the
//! daemon for extension 201 pops only 201's calls; broker restarts and daemon downtime lose
//! no QoS 1 event (persistent session); and baresip's own mqtt module as the event source,
//! answered through the broker.

use screenpop_testkit as support;

use serde_json::json;
use std::time::Duration;
use support::baresip::{Answer, Softphone};
use support::daemon::Daemon;
use support::desktop::Desktop;
use support::mosquitto::Broker;
use support::ports::free_port;

const WAIT: Duration = Duration::from_secs(15);

fn config(broker: &Broker, source: &str) -> (String, u16) {
    let port = free_port();
    (
        format!(
            "[webhook]\nport = {port}\n[[source]]\nkind = \"mqtt\"\nurl = \"{}\"\n{source}\n",
            broker.url()
        ),
        port,
    )
}

fn start(desktop: &Desktop, broker: &Broker, source: &str, name: &str) -> Daemon {
    let (config, port) = config(broker, source);
    let daemon = Daemon::start(desktop, &config, port, &[]);
    daemon.wait_status("mqtt up", WAIT, |s| Daemon::source_state(s, name) == "up");
    daemon
}

fn ringing(call_id: &str, from: &str, name: &str) -> String {
    json!({"version": 1, "type": "ringing", "call_id": call_id, "from": from, "name": name})
        .to_string()
}

fn ended(call_id: &str) -> String {
    json!({"version": 1, "type": "ended", "call_id": call_id}).to_string()
}

#[test]
fn the_daemon_for_extension_201_pops_only_201s_calls() {
    let desktop = Desktop::start().expect("start a headless desktop");
    let broker = Broker::start();
    let daemon = start(
        &desktop,
        &broker,
        "topic = \"screenpop/201/events\"\nformat = \"screenpop\"",
        "mqtt",
    );
    broker.publish(
        "screenpop/202/events",
        &ringing("c-202", "+1 555 0202", "For Two-O-Two"),
    );
    broker.publish(
        "screenpop/201/events",
        &ringing("c-201", "+1 555 0201", "For Two-O-One"),
    );
    assert!(desktop.wait_displayed(1, WAIT), "no pop\n{}", daemon.log());
    broker.publish("screenpop/202/events", &ended("c-202"));
    broker.publish("screenpop/201/events", &ended("c-201"));
    let rows = daemon.wait_rows(1, WAIT);
    std::thread::sleep(Duration::from_millis(300));
    let rows_again = daemon.call_log();
    assert_eq!(rows_again.len(), 1, "only 201's call: {rows_again:#?}");
    assert_eq!(rows[0]["call_id"], "c-201");
    assert_eq!(rows[0]["source"], "mqtt");
    assert_eq!(rows[0]["name"], "For Two-O-One");
    desktop.dunstctl(&["close-all"]).ok();
    let shown = desktop.history_summaries();
    assert!(
        shown
            .iter()
            .all(|(s, b, ..)| !s.contains("Two-O-Two") && !b.contains("0202")),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .any(|(s, b, ..)| s.contains("Two-O-One") || b.contains("0201")),
        "{shown:?}"
    );
}

#[test]
fn broker_restarts_and_daemon_downtime_lose_no_event_at_qos_1() {
    let desktop = Desktop::start().expect("start a headless desktop");
    let mut broker = Broker::start();
    let source = "extension = \"201\"";
    let mut daemon = start(&desktop, &broker, source, "mqtt:201");

    broker.restart();
    daemon.wait_status(
        "mqtt back up after the broker restart",
        Duration::from_secs(20),
        |s| Daemon::source_state(s, "mqtt:201") == "up",
    );
    assert!(daemon.log().contains("source down"), "{}", daemon.log());
    broker.publish(
        "screenpop/201/events",
        &ringing("after-restart", "+1 555 0100", "Ann"),
    );
    broker.publish("screenpop/201/events", &ended("after-restart"));
    let rows = daemon.wait_rows(1, WAIT);
    assert_eq!(rows[0]["call_id"], "after-restart");

    // Screenpop is off (logout) while calls come in, and the broker restarts meanwhile.
    daemon.stop();
    let at = "2026-11-26T09:30:00Z";
    let mut event: serde_json::Value =
        serde_json::from_str(&ringing("while-away", "+1 555 0111", "Bea")).unwrap_or_default();
    event["at"] = json!(at);
    broker.publish("screenpop/201/events", &event.to_string());
    broker.publish("screenpop/201/events", &ended("while-away"));
    broker.restart();
    let back = start(&desktop, &broker, source, "mqtt:201");
    let rows = back.wait_rows(1, WAIT);
    assert_eq!(rows[0]["call_id"], "while-away", "{rows:#?}");
    assert_eq!(rows[0]["missed"], true);
    assert_eq!(
        rows[0]["started_at"]
            .as_str()
            .map(|s| s.starts_with("2026-11-26T09:30:00")),
        Some(true),
        "{:#}",
        rows[0]
    );
}

#[test]
fn baresip_mqtt_module_events_pop_and_answer_goes_back_through_the_broker() {
    let desktop = Desktop::start().expect("start a headless desktop");
    let broker = Broker::start();
    let agent = Softphone::start_with(
        "201",
        Some("Agent 201"),
        Answer::Manual,
        &format!(
            "module_app\tmqtt.so\nmqtt_broker_host\t127.0.0.1\nmqtt_broker_port\t{}\n\
             mqtt_broker_clientid\tbaresip-201\nmqtt_basetopic\tbaresip\n",
            broker.port
        ),
        "",
    );
    let customer = Softphone::start("+4930123456", Some("Jane Doe"), Answer::Manual);
    let daemon = start(
        &desktop,
        &broker,
        "format = \"baresip\"\nextension = \"201\"",
        "mqtt:201",
    );
    let mut ctrl = customer.control();
    ctrl.command("dial", Some(&agent.uri()));
    let status = daemon.wait_status("a ringing call", WAIT, |s| {
        s["calls"][0]["state"] == "ringing"
    });
    assert_eq!(status["calls"][0]["number"], "+4930123456");
    assert_eq!(status["calls"][0]["remote_name"], "Jane Doe");
    assert!(desktop.wait_displayed(1, WAIT), "no pop\n{}", daemon.log());
    daemon.cli_ok(&["answer"]);
    ctrl.wait_event("CALL_ESTABLISHED", WAIT);
    daemon.wait_status("answered", WAIT, |s| s["calls"][0]["state"] == "answered");
    ctrl.command("hangup", None);
    let rows = daemon.wait_rows(1, WAIT);
    assert_eq!(rows[0]["missed"], false);
    assert_eq!(rows[0]["source"], "mqtt:201");
    assert_eq!(rows[0]["end_reason"], "hangup");
}

#[test]
fn tls_and_a_password_from_the_keyring_reach_a_locked_down_broker() {
    let desktop = Desktop::start().expect("start a headless desktop");
    let broker = Broker::start_secure("agent201", "s3cret pass");
    let port = free_port();
    let config = format!(
        "[webhook]\nport = {port}\n[[source]]\nkind = \"mqtt\"\nurl = \"mqtts://127.0.0.1:{}\"\n\
         extension = \"201\"\nusername = \"agent201\"\nsecret = \"mqtt-pw\"\nca_file = \"{}\"\n",
        broker.port,
        broker.ca_file().display()
    );
    let daemon = Daemon::start(&desktop, &config, port, &[]);
    // No password in the keyring yet: the source is down and says what to do.
    let status = daemon.wait_status("mqtt down without a password", WAIT, |s| {
        Daemon::source_state(s, "mqtt:201") == "down"
    });
    let reason = status["sources"].to_string();
    assert!(reason.contains("screenpop secret set mqtt-pw"), "{reason}");
    let out = daemon.cli_with_stdin(&["secret", "set", "mqtt-pw"], "s3cret pass");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    daemon.wait_status("mqtt up over TLS", Duration::from_secs(40), |s| {
        Daemon::source_state(s, "mqtt:201") == "up"
    });
    assert!(
        !daemon.log().contains("s3cret"),
        "the password must never be logged"
    );
    let publish = std::process::Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &broker.port.to_string(), "-q", "1"])
        .args(["--cafile", &broker.ca_file().display().to_string()])
        .args([
            "-u",
            "agent201",
            "-P",
            "s3cret pass",
            "-t",
            "screenpop/201/events",
        ])
        .args(["-m", &ringing("tls-1", "+1 555 0142", "Over TLS")])
        .output()
        .expect("run mosquitto_pub");
    assert!(
        publish.status.success(),
        "{}",
        String::from_utf8_lossy(&publish.stderr)
    );
    daemon.wait_status("the call over TLS", WAIT, |s| {
        s["calls"][0]["key"]["call_id"] == "tls-1"
    });
}
