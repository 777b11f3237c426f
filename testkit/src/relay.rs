//! The real `screenpop relay` inside a test [`Desktop`] (its keyring holds the broker and CRM
//! secrets): its own config file, data dir and log in a temp dir. [`RelayProcess::start`]
//! returns once its status socket answers; dropping it stops the relay.

use std::fs;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::desktop::{command_in, Desktop};
use super::process::{screenpop_bin, spawn, terminate, wait_json};

const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Stores `value` under `name` in `desktop`'s keyring with `screenpop secret set`.
pub fn set_secret(desktop: &Desktop, name: &str, value: &str) {
    use std::io::Write;
    let mut child = desktop
        .command(screenpop_bin())
        .args(["secret", "set", name])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run screenpop secret set");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{value}\n").as_bytes())
        .expect("write the secret");
    let out = child.wait_with_output().expect("wait for secret set");
    assert!(
        out.status.success(),
        "secret set {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One running relay; see the module docs.
pub struct RelayProcess {
    child: Option<Child>,
    env: Vec<(String, String)>,
    log_path: PathBuf,
    dir: TempDir,
}

impl RelayProcess {
    /// Writes `config_toml` and starts `screenpop relay` in `desktop`.
    pub fn start(desktop: &Desktop, config_toml: &str) -> RelayProcess {
        let dir = tempfile::Builder::new()
            .prefix("screenpop-relay-")
            .tempdir()
            .expect("create the relay's temp dir");
        let config = dir.path().join("config.toml");
        let data = dir.path().join("data");
        fs::write(&config, config_toml).expect("write the relay's config");
        fs::create_dir_all(&data).expect("create the relay's data dir");
        let mut env = desktop.env();
        env.push(("SCREENPOP_CONFIG".into(), config.display().to_string()));
        env.push(("SCREENPOP_DATA_DIR".into(), data.display().to_string()));
        env.push(("RUST_LOG".into(), "screenpop=debug".into()));
        let log_path = dir.path().join("relay.log");
        let mut relay = RelayProcess {
            child: None,
            env,
            log_path,
            dir,
        };
        relay.launch();
        relay
    }

    fn launch(&mut self) {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open the relay's log");
        let mut command = command_in(&self.env, screenpop_bin());
        command
            .arg("relay")
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log);
        self.child = Some(spawn(&mut command).expect("start screenpop relay"));
        let started = Instant::now();
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("screenpop relay exited with {status}; log:\n{}", self.log());
            }
            let out = self.cli(&["status", "--json"]);
            if out.status.success() {
                return;
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "relay status never answered; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs `screenpop args…` with the relay's environment.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        command_in(&self.env, screenpop_bin())
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run screenpop {args:?}: {e}"))
    }

    /// `screenpop status --json` on the relay host: the `relay` object.
    pub fn status(&self) -> serde_json::Value {
        let out = self.cli(&["status", "--json"]);
        assert!(
            out.status.success(),
            "status: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        let doc: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("status --json is JSON");
        doc["relay"].clone()
    }

    /// Polls the relay's status until `ready`; panics with the log on timeout.
    pub fn wait_status(
        &self,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        wait_json(what, timeout, || self.status(), ready, || self.log())
    }

    /// `screenpop log --json` of the relay's own call log (one row per PBX call).
    pub fn call_log(&self) -> Vec<serde_json::Value> {
        let out = self.cli(&["log", "--json"]);
        serde_json::from_slice(&out.stdout).unwrap_or_default()
    }

    /// SIGKILL, as a crash would.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        terminate(&mut child, Duration::from_secs(15));
        child.try_wait().ok().flatten()
    }

    /// Everything the relay logged.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The relay's data dir.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!("--- screenpop relay log ---\n{}--- end ---", self.log());
        }
    }
}
