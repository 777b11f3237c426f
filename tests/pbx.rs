//! PBX sources end to end: the real `screenpop run` daemon (in a headless desktop with dunst
//! and gnome-keyring) connected to a loopback AMI server or Fritz!Box call monitor. A call
//! pops once, ring-group calls a colleague took are not missed, the VIP rule transfers the
//! caller through AMI `Redirect` and the call log says so.

use screenpop_testkit as support;

use serde_json::Value;
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;
use support::ami::{AmiServer, Transcript};
use support::daemon::Daemon;
use support::desktop::{command_in, Desktop};
use support::fritz::{now_stamp, CallMonitor};
use support::ports::free_port;
use support::process::wait_until;

const SCREENPOP: &str = env!("CARGO_BIN_EXE_screenpop");
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo-contacts.csv");
const AMI_PASSWORD: &str = "ami-password-for-tests";

/// Stores the AMI password in the desktop's keyring, then starts the daemon with `extra`.
fn start(extra: &str) -> (Desktop, Daemon) {
    let desktop = Desktop::start().expect("start a headless desktop");
    let mut set = command_in(&desktop.env(), SCREENPOP)
        .args(["secret", "set", "ami-password"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("run screenpop secret set");
    set.stdin
        .take()
        .expect("stdin")
        .write_all(AMI_PASSWORD.as_bytes())
        .expect("write the secret");
    assert!(set.wait().expect("secret set").success());
    let port = free_port();
    let daemon = Daemon::start(
        &desktop,
        &format!("[webhook]\nport = {port}\n{extra}"),
        port,
        &[],
    );
    let out = daemon.cli(&["contacts", "import", FIXTURE]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (desktop, daemon)
}

fn ami_source(server: &AmiServer) -> String {
    format!(
        "[[source]]\nkind = \"ami\"\naddress = \"127.0.0.1:{}\"\nusername = \"screenpop\"\nsecret = \"ami-password\"\nextension = \"201\"\n",
        server.port()
    )
}

fn json(daemon: &Daemon, args: &[&str]) -> Value {
    let out = daemon.cli(args);
    assert!(
        out.status.success(),
        "screenpop {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log()
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// The call log (oldest first) once it has `n` rows.
fn rows(daemon: &Daemon, n: usize) -> Vec<Value> {
    let mut rows = Vec::new();
    let found = wait_until(Duration::from_secs(15), || {
        rows = json(daemon, &["log", "--json"])
            .as_array()
            .cloned()
            .unwrap_or_default();
        rows.len() >= n
    });
    assert!(found, "{} rows, wanted {n}\n{}", rows.len(), daemon.log());
    rows.reverse();
    rows
}

fn shown(desktop: &Desktop, daemon: &Daemon) {
    assert!(
        desktop.wait_displayed(1, Duration::from_secs(10)),
        "no pop\n{}",
        daemon.log()
    );
}

#[test]
fn ami_calls_pop_once_and_ring_group_pickups_by_colleagues_are_not_missed() {
    let server = AmiServer::start("screenpop", AMI_PASSWORD);
    let (desktop, daemon) = start(&ami_source(&server));
    assert!(server.wait_sessions(1), "no AMI login\n{}", daemon.log());

    let t = Transcript::load("inbound_answered.ami");
    server.play(&t, "ring");
    shown(&desktop, &daemon);
    server.play(&t, "answer");
    server.play(&t, "hangup");
    rows(&daemon, 1);

    let t = Transcript::load("ring_group_elsewhere.ami");
    server.play(&t, "ring");
    assert!(wait_until(Duration::from_secs(10), || desktop
        .history_summaries()
        .len()
        == 1
        && desktop.displayed_count() == 1));
    server.play(&t, "taken");
    server.play(&t, "hangup");
    let all = rows(&daemon, 2);
    assert!(
        wait_until(Duration::from_secs(5), || desktop.displayed_count() == 0),
        "a call a colleague answered leaves no missed-call pop"
    );

    let t = Transcript::load("inbound_unanswered.ami");
    server.play(&t, "ring");
    server.play(&t, "give up");
    let all3 = rows(&daemon, 3);
    assert_eq!(all3.len(), 3, "one row per call, no duplicates: {all3:#?}");
    let (answered, elsewhere, missed) = (&all3[0], &all3[1], &all3[2]);
    assert_eq!(answered["name"], "Marge Simpson");
    assert_eq!(answered["source"], "ami:201");
    assert_eq!(answered["call_id"], "1700000100.1");
    assert_eq!(answered["missed"], false);
    assert!(answered["answered_at"].is_string());
    assert_eq!(elsewhere["end_reason"], "answered elsewhere");
    assert_eq!(elsewhere["missed"], false);
    assert_eq!(missed["missed"], true);
    assert_eq!(all[1]["call_id"], "1700000500.1");

    desktop.dunstctl(&["close-all"]).ok();
    let pops = desktop.history_summaries();
    let welcome: Vec<_> = pops
        .iter()
        .filter(|p| p.0 == "Welcome back Marge")
        .collect();
    assert_eq!(welcome.len(), 1, "one pop for a call: {pops:?}");
    assert!(
        pops.iter().any(|p| p.0.starts_with("Missed call:")),
        "{pops:?}"
    );
    let status = json(&daemon, &["status", "--json"]);
    let ami = status["sources"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == "ami:201"))
        .cloned()
        .expect("ami source in status");
    assert_eq!(ami["health"]["state"], "up");
    assert!(
        !daemon.log().contains(AMI_PASSWORD),
        "the secret leaked into the log"
    );
}

#[test]
fn vip_rule_transfers_the_caller_through_ami_and_the_call_log_says_so() {
    let server = AmiServer::start("screenpop", AMI_PASSWORD);
    let config = format!("{}[rules]\nmanager = \"200\"\n", ami_source(&server));
    let (desktop, daemon) = start(&config);
    assert!(server.wait_sessions(1), "no AMI login\n{}", daemon.log());
    let t = Transcript::load("vip_redirect.ami");
    server.play(&t, "ring");
    let redirect = server.wait_action("Redirect");
    let redirect = redirect.unwrap_or_else(|| panic!("no Redirect\n{}", daemon.log()));
    assert_eq!(redirect.get("Channel"), "PJSIP/provider-00080001");
    assert_eq!(redirect.get("Exten"), "200");
    assert_eq!(redirect.get("Context"), "from-internal");
    server.play(&t, "redirected");
    let row = &rows(&daemon, 1)[0];
    assert_eq!(row["name"], "Lisa Simpson");
    assert_eq!(
        row["decisions"],
        "transferred to 200 by rule VIP; urgent, tag vip by rule VIP"
    );
    assert_eq!(row["tags"], "vip");
    assert_eq!(row["end_reason"], "transferred");
    assert_eq!(row["missed"], false);
    desktop.dunstctl(&["close-all"]).ok();
    let pops = desktop.history_summaries();
    let vip = pops
        .iter()
        .find(|p| p.0 == "Welcome back Lisa")
        .unwrap_or_else(|| panic!("{pops:?}"));
    assert_eq!(vip.2, "CRITICAL");
    assert!(vip.1.contains("transferr"), "{vip:?}");

    let explained = json(&daemon, &["rules", "test", "555-1234", "--json"]);
    assert_eq!(explained["rules"][0]["rule"], "VIP");
    assert_eq!(explained["rules"][0]["fires"], true);
    let stranger = json(&daemon, &["rules", "test", "+1 555 987 6543", "--json"]);
    assert_eq!(stranger["rules"][0]["fires"], false);
    assert_eq!(stranger["decision"]["log"], "");
}

#[test]
fn fritz_call_monitor_lines_become_calls() {
    let monitor = CallMonitor::start();
    let config = format!(
        "[[source]]\nkind = \"fritz\"\naddress = \"127.0.0.1:{}\"\nown_numbers = [\"030 555100\"]\n",
        monitor.port()
    );
    let (desktop, daemon) = start(&config);
    assert!(monitor.wait_clients(1), "no client\n{}", daemon.log());
    let s = now_stamp();
    monitor.send(&[&format!("{s};RING;0;5555550113;555100;SIP0;")]);
    shown(&desktop, &daemon);
    monitor.send(&[
        &format!("{s};CONNECT;0;10;5555550113;"),
        &format!("{s};DISCONNECT;0;42;"),
        // Malformed and other people's calls are skipped.
        "this is not a call monitor line",
        &format!("{s};RING;1;5555550114;999999;SIP1;"),
        &format!("{s};DISCONNECT;1;0;"),
        // An anonymous caller who gives up: missed.
        &format!("{s};RING;2;;555100;SIP0;"),
        &format!("{s};DISCONNECT;2;0;"),
        // The agent dials out.
        &format!("{s};CALL;3;10;030555100;5555550140;SIP0;"),
        &format!("{s};CONNECT;3;10;5555550140;"),
        &format!("{s};DISCONNECT;3;7;"),
    ]);
    let all = rows(&daemon, 3);
    assert_eq!(all.len(), 3, "{all:#?}");
    // The router's clock has one-second steps: find each call by its connection id.
    let call = |id: &str| {
        all.iter()
            .find(|r| r["call_id"].as_str().is_some_and(|c| c.starts_with(id)))
            .unwrap_or_else(|| panic!("no call {id}: {all:#?}"))
    };
    assert_eq!(call("0@")["name"], "Homer Simpson");
    assert_eq!(call("0@")["missed"], false);
    assert_eq!(call("0@")["source"], "fritz");
    assert_eq!(call("2@")["missed"], true);
    assert_eq!(call("2@")["number_display"], "Withheld number");
    assert_eq!(call("3@")["direction"], "outbound");
    assert_eq!(call("3@")["name"], "Moe Szyslak");
    assert!(daemon.log().contains("skipped a call monitor line"));
}

#[test]
fn vip_rule_transfers_a_real_baresip_call_to_the_manager_which_rings() {
    use support::baresip::{Answer, Softphone};
    let caller = Softphone::start("5551234", Some("Lisa Simpson"), Answer::Manual);
    let agent = Softphone::start("agent", Some("Agent 201"), Answer::Auto);
    let manager = Softphone::start("manager", Some("Manager"), Answer::Manual);
    let config = format!(
        "[[source]]\nkind = \"baresip\"\naddress = \"127.0.0.1:{}\"\n[rules]\nmanager = \"{}\"\n",
        agent.ctrl_port,
        manager.uri()
    );
    let (desktop, daemon) = start(&config);
    let mut watch_manager = manager.control();
    let mut dial = caller.control();
    let up = wait_until(Duration::from_secs(10), || {
        json(&daemon, &["status", "--json"])["sources"]
            .as_array()
            .is_some_and(|s| {
                s.iter()
                    .any(|s| s["name"] == "baresip" && s["health"]["state"] == "up")
            })
    });
    assert!(
        up,
        "screenpop never connected to the agent's baresip\n{}",
        daemon.log()
    );

    dial.command("dial", Some(&agent.uri()));
    let rang = watch_manager.wait_event("CALL_INCOMING", Duration::from_secs(20));
    assert!(
        rang["peeruri"]
            .as_str()
            .is_some_and(|p| p.contains("5551234")),
        "the manager rang for someone else: {rang}\n{}",
        daemon.log()
    );
    // The manager picks up; the blind transfer completes and the agent's leg closes.
    watch_manager.command("accept", None);
    let row = &rows(&daemon, 1)[0];
    assert_eq!(row["name"], "Lisa Simpson");
    assert_eq!(
        row["decisions"],
        format!(
            "transferred to {} by rule VIP; urgent, tag vip by rule VIP",
            manager.uri()
        )
    );
    assert_eq!(row["end_reason"], "transferred");
    assert_eq!(row["missed"], false);
    desktop.dunstctl(&["close-all"]).ok();
    let pops = desktop.history_summaries();
    assert!(
        pops.iter()
            .any(|p| p.0 == "Welcome back Lisa" && p.2 == "CRITICAL"),
        "{pops:?}"
    );
}

/// A desk for `extension` on the AMI server, with Edna (the outside caller of the captured
/// transfers) in the contacts.
fn desk(server: &AmiServer, extension: &str) -> (Desktop, Daemon) {
    let config = ami_source(server).replace(
        "extension = \"201\"",
        &format!("extension = \"{extension}\""),
    );
    let (desktop, daemon) = start(&config);
    let csv = desktop.dir().join("edna.csv");
    std::fs::write(
        &csv,
        "id,name,company,phone,vip,note,url\nedna,Edna Krabappel,Springfield Elementary,+31 26 001 0001,false,Wants a callback about grades,\n",
    )
    .expect("write a contacts file");
    let out = daemon.cli(&["contacts", "import", csv.to_str().expect("utf-8 path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(server.wait_sessions(1), "no AMI login\n{}", daemon.log());
    (desktop, daemon)
}

#[test]
fn blonde_transfer_pops_the_customer_at_the_target_and_logs_one_answered_row() {
    // Real captured traffic: an outside caller (+31 26 001 0001) reaches 201, who consults
    // 202 (extension 150010002) and completes while 202 still rings. A correct pop at 202:
    // it rings as the colleague, then shows the customer in place; one row, inbound, the
    // customer's number and name, answered, not missed, ended by hangup.
    let server = AmiServer::start("screenpop", AMI_PASSWORD);
    let (desktop, daemon) = desk(&server, "150010002");
    let t = Transcript::load("captured/xfer_blonde_abbcac.ami");
    server.play(&t, "capture");
    // Still ringing at 202, the transfer done: the live call is the customer, looked up.
    let customer = wait_until(Duration::from_secs(10), || {
        let status = json(&daemon, &["status", "--json"]);
        status["calls"][0]["lookup"]["matches"][0]["name"] == "Edna Krabappel"
            && status["calls"][0]["number"] == "+31260010001"
    });
    assert!(
        customer,
        "the live call never showed the customer\n{}",
        daemon.log()
    );
    server.play(&t, "answered");
    let all = rows(&daemon, 1);
    let row = &all[0];
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(row["call_id"], "f29ea68048f6-1530024939.2753");
    assert_eq!(row["direction"], "inbound");
    assert_eq!(row["number"], "+31260010001");
    assert_eq!(row["name"], "Edna Krabappel");
    assert_eq!(row["missed"], false);
    assert_eq!(row["end_reason"], "hangup");
    assert!(row["answered_at"].is_string());
    desktop.dunstctl(&["close-all"]).ok();
    let pops = desktop.history_summaries();
    assert!(
        pops.iter().any(|p| p.0 == "Welcome back Edna"),
        "the pop follows the customer: {pops:?}\n{}",
        daemon.log()
    );
    assert!(
        !pops.iter().any(|p| p.0.starts_with("Missed call")),
        "no false missed call: {pops:?}"
    );
}

#[test]
fn sip_pickup_is_an_answered_inbound_call_at_the_picking_desk_and_nothing_stays_live() {
    // Real captured traffic: 201 calls 202; 203 (extension 150010003) picks it up with a
    // SIP Replaces INVITE. A correct pop at 203: inbound from 201, answered, one row, and no
    // call left live once the channels are gone.
    let server = AmiServer::start("screenpop", AMI_PASSWORD);
    let (_desktop, daemon) = desk(&server, "150010003");
    let t = Transcript::load("captured/sip_pickup.ami");
    server.play(&t, "capture");
    let all = rows(&daemon, 1);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0]["direction"], "inbound");
    assert_eq!(all[0]["number"], "201");
    assert_eq!(all[0]["missed"], false);
    assert_eq!(all[0]["end_reason"], "hangup");
    let status = json(&daemon, &["status", "--json"]);
    assert_eq!(
        status["calls"].as_array().map_or(0, Vec::len),
        0,
        "no call stays live: {status:#}"
    );
}

#[test]
fn an_ami_reconnect_mid_call_does_not_log_the_call_twice() {
    let server = AmiServer::start("screenpop", AMI_PASSWORD);
    let (desktop, daemon) = start(&ami_source(&server));
    assert!(server.wait_sessions(1), "no AMI login\n{}", daemon.log());
    let t = Transcript::load("reconnect_mid_call.ami");
    server.play(&t, "ring");
    shown(&desktop, &daemon);
    server.set_listing(t.act("listing"));
    server.drop_sessions();
    assert!(
        wait_until(Duration::from_secs(15), || server.logins().0 >= 2),
        "no second login\n{}",
        daemon.log()
    );
    assert!(server.wait_sessions(1));
    server.play(&t, "answer");
    server.play(&t, "hangup");
    // A later call marks the point where everything before it has been handled.
    let next = Transcript::load("inbound_unanswered.ami");
    server.play(&next, "ring");
    server.play(&next, "give up");
    let all = rows(&daemon, 2);
    let first: Vec<_> = all
        .iter()
        .filter(|r| r["call_id"] == "1700000700.1")
        .collect();
    assert_eq!(
        first.len(),
        1,
        "one row for the call across the reconnect: {all:#?}"
    );
    assert_eq!(all.len(), 2, "{all:#?}");
}
