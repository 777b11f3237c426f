//! The real `screenpop run` daemon inside a test [`Desktop`]: its own config file, data dir
//! and log in a temp dir, started once its webhook answers `/v1/health`, stopped on drop.
//! [`Daemon::cli`] runs further `screenpop` commands against it with the same environment.

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Output};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::desktop::{command_in, Desktop};
use super::http;
use super::process::{screenpop_bin, spawn, terminate, wait_json};

/// The binary under test, built by cargo for integration tests.
/// A debug build opening its database and binding the webhook is well under this.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `screenpop run`; see the module docs.
pub struct Daemon {
    child: Child,
    env: Vec<(String, String)>,
    port: u16,
    log_path: PathBuf,
    dir: TempDir,
}

impl Daemon {
    /// Writes `config_toml` to a temp file and starts `screenpop run` in `desktop` with
    /// `SCREENPOP_CONFIG`, `SCREENPOP_DATA_DIR` and `RUST_LOG=screenpop=debug` set, then
    /// `extra_env` (which may override them). `port` must be the config's `[webhook] port`.
    ///
    /// Panics with the daemon's log if it exits or its health check does not answer 200.
    pub fn start(
        desktop: &Desktop,
        config_toml: &str,
        port: u16,
        extra_env: &[(&str, &str)],
    ) -> Daemon {
        let dir = tempfile::Builder::new()
            .prefix("screenpop-daemon-")
            .tempdir()
            .expect("create the daemon's temp dir");
        let config = dir.path().join("config.toml");
        let data_dir = dir.path().join("data");
        fs::write(&config, config_toml).expect("write the daemon's config");
        fs::create_dir_all(&data_dir).expect("create the daemon's data dir");
        let log_path = dir.path().join("daemon.log");

        let mut env = desktop.env();
        env.push(("SCREENPOP_CONFIG".into(), config.display().to_string()));
        env.push(("SCREENPOP_DATA_DIR".into(), data_dir.display().to_string()));
        env.push(("RUST_LOG".into(), "screenpop=debug".into()));
        env.extend(
            extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );

        let log = fs::File::create(&log_path).expect("create the daemon's log");
        let mut command = command_in(&env, screenpop_bin());
        command
            .arg("run")
            .stdout(log.try_clone().expect("clone the log file handle"))
            .stderr(log);
        let child = spawn(&mut command).expect("start screenpop run");
        let mut daemon = Daemon {
            child,
            env,
            port,
            log_path,
            dir,
        };
        daemon.wait_healthy();
        daemon
    }

    /// Runs `screenpop args…` with the daemon's environment and waits for it.
    pub fn cli(&self, args: &[&str]) -> Output {
        command_in(&self.env, screenpop_bin())
            .args(args)
            .output()
            .unwrap_or_else(|error| panic!("run screenpop {args:?}: {error}"))
    }

    /// Starts `screenpop args…` with the daemon's environment without waiting (output piped).
    pub fn cli_spawn(&self, args: &[&str]) -> Child {
        command_in(&self.env, screenpop_bin())
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("run screenpop {args:?}: {error}"))
    }

    /// Runs `screenpop args…` with `input` on its stdin (`secret set` reads the value there).
    pub fn cli_with_stdin(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut child = command_in(&self.env, screenpop_bin())
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("run screenpop {args:?}: {error}"));
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input.as_bytes()).expect("write stdin");
        }
        child
            .wait_with_output()
            .unwrap_or_else(|error| panic!("wait for screenpop {args:?}: {error}"))
    }

    /// Kills the daemon with SIGKILL (no cleanup, as a crash or `kill -9` would).
    pub fn kill_9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts `screenpop run` again with the same config, data dir and environment.
    pub fn restart(&mut self) {
        terminate(&mut self.child, Duration::from_secs(5));
        let log = fs::OpenOptions::new()
            .append(true)
            .open(&self.log_path)
            .expect("open the daemon's log");
        let mut command = command_in(&self.env, screenpop_bin());
        command
            .arg("run")
            .stdout(log.try_clone().expect("clone the log file handle"))
            .stderr(log);
        self.child = spawn(&mut command).expect("restart screenpop run");
        self.wait_healthy();
    }

    /// The daemon's config file.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// Like [`Daemon::cli`], with some environment variables overridden.
    pub fn cli_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        command_in(&self.env, screenpop_bin())
            .args(args)
            .envs(env.iter().copied())
            .output()
            .unwrap_or_else(|error| panic!("run screenpop {args:?}: {error}"))
    }

    /// Runs `screenpop args…`, panics (with the daemon's log) unless it succeeds, and returns
    /// its trimmed stdout.
    pub fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "screenpop {args:?} failed ({}): {}\n--- daemon log ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `screenpop status --json`.
    pub fn status(&self) -> serde_json::Value {
        serde_json::from_str(&self.cli_ok(&["status", "--json"])).expect("status --json is JSON")
    }

    /// `screenpop log --json`: the call log, newest first.
    pub fn call_log(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(&self.cli_ok(&["log", "--json"])).expect("log --json is JSON")
    }

    /// Polls `screenpop status --json` until `ready` holds; panics with the log on timeout.
    pub fn wait_status(
        &self,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        wait_json(what, timeout, || self.status(), ready, || self.log())
    }

    /// Waits until the call log has at least `n` rows and returns them (newest first).
    pub fn wait_rows(&self, n: usize, timeout: Duration) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let rows = self.call_log();
            if rows.len() >= n {
                return rows;
            }
            assert!(
                Instant::now() < deadline,
                "call log has {} rows, wanted {n}; log:\n{}",
                rows.len(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The health state (`up`, `connecting`, `down`) `status` reports for `source`.
    pub fn source_state(status: &serde_json::Value, source: &str) -> String {
        status["sources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["name"] == source)
            .and_then(|s| s["health"]["state"].as_str())
            .unwrap_or("missing")
            .to_string()
    }

    /// Stops the daemon (SIGTERM, as at logout) and waits for it to exit.
    pub fn stop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(15));
    }

    /// Everything the daemon wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The daemon's process id (for sampling its memory).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The webhook port the daemon was started with.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The daemon's `SCREENPOP_DATA_DIR` (its database lives here).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn wait_healthy(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "screenpop run exited with {status} before it was healthy; log:\n{}",
                    self.log()
                );
            }
            match http::get(self.port, "/v1/health") {
                Ok((200, _)) => return,
                _ if started.elapsed() < START_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                answer => panic!(
                    "screenpop run not healthy on port {} after {START_TIMEOUT:?} ({answer:?}); log:\n{}",
                    self.port,
                    self.log()
                ),
            }
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(5));
        // The temp dir and the log in it go away with us: show the log when a test failed.
        if std::thread::panicking() {
            eprintln!(
                "--- screenpop run log ---\n{}--- end of log ---",
                self.log()
            );
        }
    }
}
