//! The soak rig (`tests/soak.rs`): a real daemon in a headless desktop fed over the webhook
//! (two feeders) and MQTT (one feeder, through a real mosquitto), a seed-API CRM stand-in
//! behind it, and the means to account for every call afterwards (the daemon's database read
//! with `sqlite3`, its RSS from `/proc`). It only feeds and reads; the tests decide what
//! chaos to add and what to check.

use super::crm::{Crm, Mode, Shape};
use super::daemon::Daemon;
use super::desktop::Desktop;
use super::mosquitto::Broker;
use super::ports::free_port;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "soak-crm-token";
/// The lookup budget; the CRM's slow answers come 100 ms past it.
pub const BUDGET_MS: u64 = 200;
pub const TOPIC: &str = "screenpop/201/events";

/// The events of call `i`: even calls are answered, odd ones missed.
pub fn events(i: usize) -> Vec<String> {
    let id = format!("soak-{i}");
    let mut out = vec![format!(
        r#"{{"version":1,"type":"ringing","call_id":"{id}","from":"+1 555 7{:02} {:04}"}}"#,
        i / 10000 % 100,
        i % 10000
    )];
    if i % 2 == 0 {
        out.push(format!(
            r#"{{"version":1,"type":"answered","call_id":"{id}"}}"#
        ));
    }
    out.push(format!(
        r#"{{"version":1,"type":"ended","call_id":"{id}"}}"#
    ));
    out
}

/// Whether call `i` goes over MQTT (the others over the webhook).
pub fn via_mqtt(i: usize) -> bool {
    i % 3 == 2
}

/// Posts until the webhook answers 202 (a kill -9 in between means "not acknowledged").
fn post_until_acked(port: u16, token: &str, body: &str) {
    loop {
        if let Ok(202) = super::http::post_json(port, "/v1/events", token, body) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Publishes lines at QoS 1 through one `mosquitto_pub -l`; true when it exited cleanly
/// (the broker acknowledged every message).
fn publish_lines(port: u16, lines: &[String]) -> bool {
    let child = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1"])
        .args(["-t", TOPIC, "-l"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else { return false };
    if let Some(mut stdin) = child.stdin.take() {
        for line in lines {
            if writeln!(stdin, "{line}").is_err() {
                break;
            }
        }
    }
    child.wait().is_ok_and(|s| s.success())
}

/// The rows `sqlite3 db query` prints (read while the daemon runs: the database is in WAL).
pub fn sql(db: &Path, query: &str) -> Vec<String> {
    Command::new("sqlite3")
        .arg(db)
        .arg(query)
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The one number `query` selects (0 when it cannot be read).
pub fn count(db: &Path, query: &str) -> usize {
    sql(db, query)
        .first()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Resident memory of `pid` in kB.
pub fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Everything one soak runs against.
pub struct Rig {
    pub daemon: Daemon,
    pub broker: Broker,
    pub crm: Crm,
    pub token: String,
    pub port: u16,
    // Dropped last: the daemon and its notifications live on this desktop.
    pub desktop: Desktop,
}

impl Rig {
    /// Desktop, broker, a CRM failing 20 % of requests and answering 10 % past the budget,
    /// and the daemon (webhook + one MQTT source, the CRM as a journaling directory), up.
    pub fn start() -> Rig {
        let desktop = Desktop::start().expect("start a headless desktop");
        // The feeders publish far faster than a desk takes calls, and the daemon is down
        // for a moment at each kill: mosquitto's default queue (1,000 messages per client)
        // would drop what it already acknowledged to the publisher. A floor's broker needs
        // the same setting (README, "MQTT").
        let broker = Broker::start_queueing(100_000);
        let crm = Crm::start(Shape::Seed, TOKEN, Vec::new());
        crm.set_mode(Mode::Flaky {
            slow: Duration::from_millis(BUDGET_MS + 100),
        });
        let port = free_port();
        let config = format!(
            "[webhook]\nport = {port}\n[lookup]\nbudget_ms = {BUDGET_MS}\n\
             [journal]\nretry_base_ms = 100\nretry_max_s = 1\n\n\
             [[directory]]\nkind = \"http\"\nname = \"shop\"\npreset = \"seed\"\nbase_url = \"{}\"\njournal = true\ntimeout_ms = 2000\n\n\
             [[source]]\nkind = \"mqtt\"\nurl = \"{}\"\ntopic = \"{TOPIC}\"\n",
            crm.base_url(),
            broker.url()
        );
        let daemon = Daemon::start(&desktop, &config, port, &[]);
        let out = daemon.cli_with_stdin(&["secret", "set", "shop"], &format!("{TOKEN}\n"));
        assert!(
            out.status.success(),
            "secret set: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        daemon.wait_status("mqtt up", Duration::from_secs(30), |s| {
            Daemon::source_state(s, "mqtt") == "up"
        });
        let token = desktop.webhook_token();
        assert!(!token.is_empty(), "no webhook token");
        Rig {
            daemon,
            broker,
            crm,
            token,
            port,
            desktop,
        }
    }

    /// The daemon's database.
    pub fn db(&self) -> PathBuf {
        self.daemon.data_dir().join("screenpop.db")
    }

    /// Rows in the call log.
    pub fn logged(&self) -> usize {
        count(&self.db(), "SELECT count(*) FROM calls")
    }

    /// Undelivered outbox rows.
    pub fn undelivered(&self) -> usize {
        count(
            &self.db(),
            "SELECT count(*) FROM outbox WHERE delivered_at IS NULL",
        )
    }

    /// Feeds calls `range` (webhook feeders ×2, MQTT in chunks of 50) and returns once every
    /// one is acknowledged: each webhook event answered 202, each MQTT message PUBACKed by
    /// the broker. Meanwhile `during(rig, sent)` runs every 10 ms on this thread with the
    /// number of calls sent so far (to kill the daemon, restart the broker, sample memory).
    pub fn feed(&mut self, range: Range<usize>, mut during: impl FnMut(&mut Rig, usize)) {
        let sent = AtomicUsize::new(0);
        let total = range.len();
        let (port, broker_port, token) = (self.port, self.broker.port, self.token.clone());
        std::thread::scope(|scope| {
            for feeder in 0..2 {
                let (token, sent, range) = (&token, &sent, range.clone());
                scope.spawn(move || {
                    for i in range.filter(|i| i % 3 == feeder) {
                        for body in events(i) {
                            post_until_acked(port, token, &body);
                        }
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            let (sent_mqtt, range) = (&sent, range.clone());
            scope.spawn(move || {
                let mine: Vec<usize> = range.filter(|i| via_mqtt(*i)).collect();
                for chunk in mine.chunks(50) {
                    let lines: Vec<String> = chunk.iter().flat_map(|&i| events(i)).collect();
                    // A broker restart mid-chunk: publish it again (repeats are the same call).
                    while !publish_lines(broker_port, &lines) {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    sent_mqtt.fetch_add(chunk.len(), Ordering::Relaxed);
                }
            });
            loop {
                let now = sent.load(Ordering::Relaxed);
                during(self, now);
                if now >= total {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
    }

    /// Waits until the log has `calls` rows, or nothing moved for `stall` (then what is
    /// missing is lost or stuck), or `limit` passed; returns the rows logged.
    pub fn wait_logged(&self, calls: usize, stall: Duration, limit: Duration) -> usize {
        let started = Instant::now();
        let (mut last, mut moved) = (0, Instant::now());
        loop {
            let logged = self.logged();
            if logged != last {
                (last, moved) = (logged, Instant::now());
            }
            if logged >= calls || moved.elapsed() > stall || started.elapsed() > limit {
                return logged;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until the outbox has no undelivered row, at most `limit`; says whether it did.
    pub fn wait_outbox_empty(&self, limit: Duration) -> bool {
        let started = Instant::now();
        while self.undelivered() > 0 {
            if started.elapsed() > limit {
                return false;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        true
    }
}
