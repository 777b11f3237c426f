//! A call-center floor end to end, every part real on 127.0.0.1: the loopback AMI server
//! replaying a whole floor's transcripts, the real `screenpop relay` (its keyring on a private
//! bus), a real mosquitto with a password file and the ACL `screenpop relay acl` prints, a
//! loopback CRM (the seed API) counting lookups and journal deliveries, and real `screenpop
//! run` desks, each in its own headless desktop with dunst. Every desk also has the CRM in its
//! own chain (journaling on), so "asked once, journaled once" is the relay's doing.

use screenpop_testkit as support;

use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};
use support::ami::{AmiServer, Transcript};
use support::crm::{Crm, Person, Shape};
use support::daemon::Daemon;
use support::desktop::Desktop;
use support::mosquitto::Broker;
use support::ports::free_port;
use support::relay::{set_secret, RelayProcess};

const WAIT: Duration = Duration::from_secs(20);
const TOKEN: &str = "seed-token-1";
const SCREENPOP: &str = env!("CARGO_BIN_EXE_screenpop");

fn password(user: &str) -> String {
    format!("pw-{user}")
}

/// mosquitto with the relay's user, agents 201–203, and the generated ACL.
fn floor_broker() -> Broker {
    let out = Command::new(SCREENPOP)
        .args(["relay", "acl"])
        .env("SCREENPOP_CONFIG", "/nonexistent/screenpop.toml")
        .output()
        .expect("run screenpop relay acl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let acl = String::from_utf8(out.stdout).expect("utf-8 acl");
    let users: Vec<(String, String)> = ["relay", "201", "202", "203"]
        .iter()
        .map(|u| (u.to_string(), password(u)))
        .collect();
    let users: Vec<(&str, &str)> = users
        .iter()
        .map(|(u, p)| (u.as_str(), p.as_str()))
        .collect();
    Broker::start_floor(&users, &acl)
}

fn crm() -> Crm {
    let mut lisa = Person::new("lisa", "Lisa", "Simpson", "+1 555 555 0142");
    lisa.vip = true;
    lisa.note = Some("Saxophone lessons".into());
    Crm::start(Shape::Seed, TOKEN, vec![lisa])
}

fn directory(crm: &Crm) -> String {
    format!(
        "[[directory]]\nkind = \"http\"\nname = \"shop\"\npreset = \"seed\"\nbase_url = \"{}\"\njournal = true\n",
        crm.base_url()
    )
}

/// The relay host: its desktop (keyring) and one relay process.
fn relay(desktop: &Desktop, broker: &Broker, ami: &AmiServer, crm: &Crm, id: &str) -> RelayProcess {
    let config = format!(
        "[webhook]\nenabled = false\n[relay]\nbroker = \"{}\"\nusername = \"relay\"\nsecret = \"relay-mqtt\"\nclient_id = \"{id}\"\n\n\
         [[source]]\nkind = \"ami\"\naddress = \"127.0.0.1:{}\"\nusername = \"screenpop\"\nsecret = \"ami\"\n\n{}",
        broker.url(),
        ami.port(),
        directory(crm)
    );
    RelayProcess::start(desktop, &config)
}

fn relay_desktop() -> Desktop {
    let desktop = Desktop::start().expect("the relay host's session");
    set_secret(&desktop, "relay-mqtt", &password("relay"));
    set_secret(&desktop, "ami", "ami-secret");
    set_secret(&desktop, "shop", TOKEN);
    desktop
}

/// A desk for `ext`: the README's three lines (plus the password in the keyring).
fn desk(broker: &Broker, crm: &Crm, ext: &str) -> (Desktop, Daemon) {
    let desktop = Desktop::start().expect("a desk's session");
    set_secret(&desktop, "mqtt", &password(ext));
    set_secret(&desktop, "shop", TOKEN);
    let port = free_port();
    let config = format!(
        "[webhook]\nport = {port}\n[notify]\nmissed = false\n[[source]]\nkind = \"mqtt\"\nurl = \"{}\"\nextension = \"{ext}\"\n\
         username = \"{ext}\"\nsecret = \"mqtt\"\n\n{}",
        broker.url(),
        directory(crm)
    );
    let daemon = Daemon::start(&desktop, &config, port, &[]);
    let source = format!("mqtt:{ext}");
    daemon.wait_status("the desk's broker link and the relay", WAIT, |s| {
        Daemon::source_state(s, &source) == "up"
            && Daemon::source_state(s, &format!("{source}/relay")) == "up"
    });
    (desktop, daemon)
}

fn live_calls(daemon: &Daemon) -> Vec<Value> {
    daemon.status()["calls"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn journal_count(crm: &Crm, key: &str) -> usize {
    crm.with(|s| s.journal_requests.get(key).copied().unwrap_or(0))
}

#[test]
fn a_floor_of_three_desks_one_pop_each_answered_elsewhere_one_lookup_one_journal_and_acls() {
    let broker = floor_broker();
    let ami = AmiServer::start("screenpop", "ami-secret");
    let crm = crm();
    let host = relay_desktop();
    let relay = relay(&host, &broker, &ami, &crm, "relay-a");
    relay.wait_status("the relay active with the PBX up", WAIT, |s| {
        s["role"] == "active" && s["pbx_health"]["state"] == "up"
    });
    let desks: Vec<(Desktop, Daemon)> = ["201", "202", "203"]
        .iter()
        .map(|ext| desk(&broker, &crm, ext))
        .collect();

    // A ring-all group of three: one pop per desk, greeted with the CRM's answer.
    let ring_all = Transcript::load("floor_ring_all.ami");
    ami.play(&ring_all, "ring");
    for (desktop, daemon) in &desks {
        assert!(desktop.wait_displayed(1, WAIT), "no pop\n{}", daemon.log());
        let calls = live_calls(daemon);
        assert_eq!(calls.len(), 1, "{calls:#?}");
        assert_eq!(
            calls[0]["lookup"]["matches"][0]["name"], "Lisa Simpson",
            "{calls:#?}"
        );
        assert_eq!(calls[0]["lookup"]["directory"], "shop");
    }
    // 202 answers: the other two pops close at once, and they are not missed calls.
    ami.play(&ring_all, "taken");
    for i in [0, 2] {
        let (desktop, daemon) = &desks[i];
        wait_for("the answered-elsewhere pop to close", || {
            desktop.displayed_count() == 0
        });
        let rows = daemon.wait_rows(1, WAIT);
        assert_eq!(rows[0]["end_reason"], "answered by 202", "{rows:#?}");
        assert_eq!(rows[0]["missed"], false);
        assert_eq!(rows[0]["name"], "Lisa Simpson");
    }
    ami.play(&ring_all, "hangup");
    let rows = desks[1].1.wait_rows(1, WAIT);
    assert!(rows[0]["answered_at"].is_string(), "{rows:#?}");
    // The relay asked the CRM once for the whole floor and journals the call once.
    wait_for("the relay's journal delivery", || {
        journal_count(&crm, "1700001000.1") == 1
    });

    // A queue through Local/ helpers rings 201 and 202; 201 answers.
    let queue = Transcript::load("floor_queue.ami");
    ami.play(&queue, "ring");
    assert!(desks[0].0.wait_displayed(1, WAIT));
    assert!(desks[1].0.wait_displayed(1, WAIT));
    ami.play(&queue, "taken");
    wait_for("202's queue pop to close", || {
        desks[1].0.displayed_count() == 0
    });
    let rows = desks[1].1.wait_rows(2, WAIT);
    assert_eq!(rows[0]["end_reason"], "answered by 201", "{rows:#?}");
    ami.play(&queue, "hangup");
    desks[0].1.wait_rows(2, WAIT);
    wait_for("the queue call journaled", || {
        journal_count(&crm, "1700002000.1") == 1
    });

    // A call to 209, which no desk watches: the relay sees it, no desk pops.
    let unwatched = Transcript::load("floor_unwatched.ami");
    ami.play(&unwatched, "ring");
    relay.wait_status("209 seen", WAIT, |s| {
        s["extensions_seen"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e == "209"))
    });
    ami.play(&unwatched, "give up");
    wait_for("the 209 call finished at the relay", || {
        relay.call_log().len() == 3
    });
    for (_, daemon) in &desks {
        assert!(live_calls(daemon).is_empty());
    }

    // Asked once per call, not once per desk; each call journaled once, desks journal nothing.
    let lookups = crm.with(|s| s.lookups);
    assert_eq!(lookups, 3, "one lookup per PBX call");
    for (_, daemon) in &desks {
        let out = daemon.cli_ok(&["outbox", "--json"]);
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap(),
            Value::Array(vec![]),
            "{out}"
        );
    }
    assert_eq!(desks[0].1.call_log().len(), 2);
    assert_eq!(desks[2].1.call_log().len(), 1);

    // ACLs: 201's broker user cannot read 202's topics (both keep a retained `current`; the
    // broker hands 201 only its own) …
    let (_, got, _) = broker.subscribe_as(
        "201",
        &password("201"),
        &[
            "screenpop/202/current",
            "screenpop/202/events",
            "screenpop/201/current",
        ],
        2,
    );
    assert!(
        got.contains("screenpop/201/current "),
        "201 reads its own: {got}"
    );
    assert!(
        !got.contains("screenpop/202/"),
        "201 read 202's topic: {got}"
    );
    // … nor make the relay dial from 202; dialling from its own desk works and waits for the
    // relay's reply.
    broker.publish_as(
        "201",
        &password("201"),
        "screenpop/202/commands",
        r#"{"version":1,"command":"dial","target":"5550100","token":"sneaky"}"#,
    );
    let called = desks[0].1.cli_ok(&["call", "+1 555 555 0101"]);
    assert!(called.contains("calling"), "{called}");
    let originates: Vec<_> = ami
        .actions()
        .into_iter()
        .filter(|a| a.name == "Originate")
        .collect();
    assert_eq!(originates.len(), 1, "{originates:#?}");
    assert_eq!(originates[0].get("Channel"), "PJSIP/201");
    // A command about a call not live at the desk's extension is refused with the reason.
    let out = desks[0].1.cli(&["hangup", "--call-id", "1700001000.1"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not live at extension 201"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // `screenpop status` on the relay host.
    let status = relay.status();
    assert_eq!(status["role"], "active");
    assert_eq!(status["broker_health"]["state"], "up");
    let seen: Vec<&str> = status["extensions_seen"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(seen, ["201", "202", "203", "209"]);
    let text = relay.cli(&["status"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("calls      0 live"), "{text}");
    // No desk ever logged in to the PBX or holds its secret.
    assert_eq!(ami.logins().0, 1, "only the relay logs in to Asterisk");
}

#[test]
fn the_standby_takes_over_without_a_second_pop_and_a_desk_started_mid_ring_pops_from_current() {
    let broker = floor_broker();
    let ami = AmiServer::start("screenpop", "ami-secret");
    let crm = crm();
    let host = relay_desktop();
    let mut first = relay(&host, &broker, &ami, &crm, "relay-a");
    first.wait_status("relay-a active", WAIT, |s| {
        s["role"] == "active" && s["pbx_health"]["state"] == "up"
    });
    let second = relay(&host, &broker, &ami, &crm, "relay-b");
    second.wait_status("relay-b standing by", WAIT, |s| {
        s["role"] == "standby" && s["active_relay"] == "relay-a"
    });
    let (desktop, daemon) = desk(&broker, &crm, "201");

    let floor = Transcript::load("floor_handover.ami");
    ami.play(&floor, "ring");
    assert!(desktop.wait_displayed(1, WAIT), "no pop\n{}", daemon.log());
    ami.set_listing(floor.act("listing"));
    let killed = Instant::now();
    first.kill_9();
    second.wait_status(
        "relay-b active with the PBX",
        Duration::from_secs(15),
        |s| s["role"] == "active" && s["pbx_health"]["state"] == "up",
    );
    eprintln!("standby took over {:?} after the kill", killed.elapsed());
    second.wait_status("the listed call back at the relay", WAIT, |s| {
        s["calls"].as_array().is_some_and(|c| c.len() == 1)
    });
    ami.play(&floor, "answer");
    daemon.wait_status("answered at the desk", WAIT, |s| {
        s["calls"][0]["state"] == "answered"
    });
    ami.play(&floor, "hangup");
    let rows = daemon.wait_rows(1, WAIT);
    assert_eq!(rows[0]["call_id"], "1700004000.1");
    // A later call still pops once.
    ami.play(&floor, "second");
    wait_for("the second call live at the desk", || {
        live_calls(&daemon).len() == 1
    });
    ami.play(&floor, "second gone");
    let rows = daemon.wait_rows(2, WAIT);
    assert_eq!(rows.len(), 2, "{rows:#?}");
    desktop.dunstctl(&["close-all"]).ok();
    let pops = desktop.history_summaries();
    assert_eq!(
        pops.len(),
        2,
        "one pop per call, none twice across the handover: {pops:#?}"
    );
    wait_for("both calls journaled", || {
        journal_count(&crm, "1700004000.1") == 1 && journal_count(&crm, "1700004100.1") == 1
    });

    // A desk that starts while its phone rings pops from the retained `current`.
    ami.play(&floor, "ring 202");
    second.wait_status("202 ringing at the relay", WAIT, |s| {
        s["calls"].as_array().is_some_and(|c| c.len() == 1)
    });
    let (desktop202, daemon202) = desk(&broker, &crm, "202");
    assert!(
        desktop202.wait_displayed(1, WAIT),
        "no pop from current\n{}",
        daemon202.log()
    );
    ami.play(&floor, "202 gone");
    let rows = daemon202.wait_rows(1, WAIT);
    assert_eq!(rows[0]["call_id"], "1700004200.1");
    assert_eq!(rows[0]["missed"], true);
    for (key, n) in crm.with(|s| s.journal_requests.clone()) {
        assert_eq!(n, 1, "{key} journaled {n} times");
    }
}
