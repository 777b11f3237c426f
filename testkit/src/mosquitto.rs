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
    /// Starts mosquitto on a free port with persistence on, anonymous access.
    pub fn start() -> Broker {
        Broker::start_with(|_| "allow_anonymous true\n".to_string())
    }

    /// Like [`Broker::start`], holding up to `max` QoS 1 messages per offline or lagging
    /// client instead of mosquitto's default 1,000 (past it mosquitto drops them, and logs
    /// "Outgoing messages are being dropped").
    pub fn start_queueing(max: usize) -> Broker {
        Broker::start_with(|_| format!("allow_anonymous true\nmax_queued_messages {max}\n"))
    }

    /// Starts mosquitto with TLS (a fresh test CA, server certificate for 127.0.0.1) and
    /// one account, `user`/`password`, anonymous access off. The CA is [`Broker::ca_file`].
    pub fn start_secure(user: &str, password: &str) -> Broker {
        Broker::start_with(|dir| {
            let run = |program: &str, args: &[&str]| {
                let out = Command::new(program)
                    .args(args)
                    .current_dir(dir)
                    .output()
                    .unwrap_or_else(|e| panic!("run {program}: {e}"));
                assert!(
                    out.status.success(),
                    "{program} {args:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            };
            fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").expect("san.ext");
            run(
                "openssl",
                &[
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                    "-days",
                    "1",
                    "-subj",
                    "/CN=screenpop test CA",
                ],
            );
            run(
                "openssl",
                &[
                    "req",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                    "-subj",
                    "/CN=127.0.0.1",
                ],
            );
            run(
                "openssl",
                &[
                    "x509",
                    "-req",
                    "-in",
                    "server.csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    "server.pem",
                    "-days",
                    "1",
                    "-extfile",
                    "san.ext",
                ],
            );
            run(
                "mosquitto_passwd",
                &["-c", "-b", "passwords", user, password],
            );
            format!(
                "allow_anonymous false\npassword_file {d}/passwords\ncafile {d}/ca.pem\n\
                 certfile {d}/server.pem\nkeyfile {d}/server.key\n",
                d = dir.display()
            )
        })
    }

    /// Starts mosquitto the way a call-center floor runs it: anonymous access off, a
    /// `password_file` with `users` (name, password), and `acl` as its `acl_file`.
    pub fn start_floor(users: &[(&str, &str)], acl: &str) -> Broker {
        Broker::start_with(|dir| {
            for (i, (user, password)) in users.iter().enumerate() {
                let mut command = Command::new("mosquitto_passwd");
                if i == 0 {
                    command.arg("-c");
                }
                let out = command
                    .args(["-b", "passwords", user, password])
                    .current_dir(dir)
                    .output()
                    .expect("run mosquitto_passwd");
                assert!(
                    out.status.success(),
                    "mosquitto_passwd: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            fs::write(dir.join("acl"), acl).expect("write the acl_file");
            format!(
                "allow_anonymous false\npassword_file {d}/passwords\nacl_file {d}/acl\n",
                d = dir.display()
            )
        })
    }

    /// Runs `mosquitto_sub -v` as `user` on `topics` for `seconds`, returning its exit status,
    /// stdout (`topic payload` lines: the retained messages the broker let through) and stderr.
    pub fn subscribe_as(
        &self,
        user: &str,
        password: &str,
        topics: &[&str],
        seconds: u32,
    ) -> (bool, String, String) {
        let mut command = Command::new("mosquitto_sub");
        command
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q", "1"])
            .args(["-u", user, "-P", password, "-W", &seconds.to_string(), "-v"]);
        for topic in topics {
            command.args(["-t", topic]);
        }
        let out = command.output().expect("run mosquitto_sub");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Publishes `payload` on `topic` as `user` (QoS 1).
    pub fn publish_as(&self, user: &str, password: &str, topic: &str, payload: &str) {
        let out = Command::new("mosquitto_pub")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q", "1"])
            .args(["-u", user, "-P", password, "-t", topic, "-m", payload])
            .output()
            .expect("run mosquitto_pub");
        assert!(
            out.status.success(),
            "mosquitto_pub: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The CA that signed a [`Broker::start_secure`] broker's certificate.
    pub fn ca_file(&self) -> std::path::PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// `security(dir)` returns the listener's access lines.
    fn start_with(security: impl FnOnce(&std::path::Path) -> String) -> Broker {
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
        let access = security(dir.path());
        fs::write(
            dir.path().join("mosquitto.conf"),
            format!(
                "user {user}\nlistener {port} 127.0.0.1\n{access}persistence true\n\
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
