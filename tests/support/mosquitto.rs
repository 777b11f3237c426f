//! A real mosquitto broker for tests: its own config, persistence file and log in a temp
//! dir, listening on a free 127.0.0.1 port, anonymous access. [`Broker::restart`] stops it
//! (SIGTERM, so it saves its sessions) and starts it again on the same port;
//! [`Broker::publish`] uses `mosquitto_pub` like any other publisher would.

use std::fs;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use super::process::{spawn, terminate, wait_until};

/// mosquitto listens within milliseconds; this is the ceiling.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// One running broker; see the module docs.
pub struct Broker {
    child: Option<Child>,
    dir: TempDir,
    pub port: u16,
}

impl Broker {
    /// Starts mosquitto on a free port with persistence on.
    pub fn start() -> Broker {
        let dir = tempfile::Builder::new()
            .prefix("screenpop-mosquitto-")
            .tempdir()
            .expect("create the broker's dir");
        let port = super::ports::free_port();
        // Started as root, mosquitto drops to user `mosquitto`, which cannot write our temp
        // dir (log, persistence): tell it to stay who we are.
        let user = Command::new("id")
            .arg("-un")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        fs::write(
            dir.path().join("mosquitto.conf"),
            format!(
                "user {user}\nlistener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n\
                 persistence_location {}/\nautosave_interval 1\nlog_dest file {}/mosquitto.log\n\
                 log_type all\n",
                dir.path().display(),
                dir.path().display()
            ),
        )
        .expect("write mosquitto.conf");
        let mut broker = Broker {
            child: None,
            dir,
            port,
        };
        broker.launch();
        broker
    }

    /// `mqtt://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Stops the broker (it saves sessions and queued messages).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child, Duration::from_secs(5));
        }
    }

    /// Stops it and starts it again on the same port with the same persistence file.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// Publishes `payload` on `topic` with QoS 1 via `mosquitto_pub`; panics if that fails.
    pub fn publish(&self, topic: &str, payload: &str) {
        let out = Command::new("mosquitto_pub")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q", "1"])
            .args(["-t", topic, "-m", payload])
            .output()
            .expect("run mosquitto_pub (scripts/deps.sh test installs it)");
        assert!(
            out.status.success(),
            "mosquitto_pub failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The broker's log.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }

    fn launch(&mut self) {
        let mut command = Command::new("mosquitto");
        command
            .arg("-c")
            .arg(self.dir.path().join("mosquitto.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.child = Some(spawn(&mut command).expect("start mosquitto"));
        let port = self.port;
        let up = wait_until(START_TIMEOUT, || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(up, "mosquitto did not listen on {port}:\n{}", self.log());
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!("--- mosquitto log ---\n{}", self.log());
        }
    }
}
