//! Watching notifications arrive on the session bus: `dbus-monitor` on the private test
//! bus, every `Notify` call with the time the bus delivered it and its summary. Both the
//! pipeline and the `notify-send` floor are timed against these same timestamps.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use crate::support::desktop::Desktop;
use crate::support::process::terminate;

/// One `Notify` seen on the bus.
#[derive(Debug, Clone)]
pub struct Notify {
    /// Seconds since the epoch, as dbus-monitor stamped it.
    pub at: f64,
    pub summary: String,
}

/// A running dbus-monitor and what it has seen.
pub struct Monitor {
    child: Child,
    rx: Receiver<Notify>,
}

impl Monitor {
    /// Starts monitoring `desktop`'s bus for `Notify` calls.
    pub fn start(desktop: &Desktop) -> Monitor {
        let mut child = desktop
            .command("dbus-monitor")
            .arg("--session")
            .arg("type='method_call',interface='org.freedesktop.Notifications',member='Notify'")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-monitor");
        let stdout = child.stdout.take().expect("dbus-monitor stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut at = None;
            let mut strings = 0;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let line = line.trim();
                if let Some(rest) = line.strip_prefix("method call time=") {
                    at = rest
                        .split_whitespace()
                        .next()
                        .and_then(|t| t.parse::<f64>().ok());
                    strings = 0;
                } else if let (Some(time), Some(text)) = (at, line.strip_prefix("string \"")) {
                    // app_name, app_icon, summary: the summary is the third string.
                    strings += 1;
                    if strings == 3 {
                        let summary = text.trim_end_matches('"').to_string();
                        if tx.send(Notify { at: time, summary }).is_err() {
                            return;
                        }
                        at = None;
                    }
                }
            }
        });
        let mut monitor = Monitor { child, rx };
        // dbus-monitor needs a moment to become a monitor: wait until it sees one.
        for attempt in 0..50 {
            let _ = desktop
                .command("notify-send")
                .args(["warm-up", &attempt.to_string()])
                .status();
            if monitor
                .next(|n| n.summary == "warm-up", Duration::from_millis(200))
                .is_some()
            {
                break;
            }
        }
        monitor.drain();
        monitor
    }

    /// The next `Notify` `matches` accepts, skipping others; `None` after `timeout`.
    pub fn next(&mut self, matches: impl Fn(&Notify) -> bool, timeout: Duration) -> Option<Notify> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(std::time::Instant::now())?;
            match self.rx.recv_timeout(left) {
                Ok(n) if matches(&n) => return Some(n),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Forgets what was seen so far.
    pub fn drain(&mut self) {
        while self.rx.try_recv().is_ok() {}
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(1));
    }
}
