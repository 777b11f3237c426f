//! Child processes the support code starts: reading the one line a daemon announces itself
//! with, polling for a condition, and stopping a child politely. It knows nothing about what
//! the children are; `desktop` and `daemon` decide that.

use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// The `screenpop` binary cargo built beside the running test or bench: a test binary runs
/// from `target/<profile>/deps/`, the package's binaries are in `target/<profile>/`. (Cargo
/// builds them for every integration test and bench of the `screenpop` package.)
pub fn screenpop_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary's own path");
        let profile_dir = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("the test binary runs from target/<profile>/deps");
        let bin = profile_dir.join(format!("screenpop{}", std::env::consts::EXE_SUFFIX));
        assert!(
            bin.is_file(),
            "no screenpop binary at {} (build it: cargo build -p screenpop)",
            bin.display()
        );
        bin
    })
}

/// Polls `fetch` every 50 ms until `ready` holds for what it answers and returns that; on
/// timeout panics with `what`, the last answer and `log()` (the child's log, to see why).
pub fn wait_json(
    what: &str,
    timeout: Duration,
    fetch: impl Fn() -> serde_json::Value,
    ready: impl Fn(&serde_json::Value) -> bool,
    log: impl Fn() -> String,
) -> serde_json::Value {
    let deadline = Instant::now() + timeout;
    loop {
        let status = fetch();
        if ready(&status) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; status: {status:#}\n--- log ---\n{}",
            log()
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `ready` every 10 ms until it is true or `timeout` has passed; says which.
pub fn wait_until(timeout: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Reads the first line a child writes to stdout (Xvfb's display, dbus-daemon's address).
///
/// Returns the line and the still-open reader: closing the pipe early would hand the child a
/// SIGPIPE if it ever writes again, so the caller keeps the reader as long as the child lives.
pub fn first_line(
    stdout: ChildStdout,
    timeout: Duration,
) -> io::Result<(String, BufReader<ChildStdout>)> {
    let (sender, receiver) = mpsc::channel();
    // A thread, because a pipe read cannot time out; it ends at EOF when the child is killed.
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let result = reader.read_line(&mut line).map(|_| (line, reader));
        let _ = sender.send(result);
    });
    match receiver.recv_timeout(timeout) {
        Ok(Ok((line, _))) if line.trim().is_empty() => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the child closed stdout before writing a line",
        )),
        Ok(Ok((line, reader))) => Ok((line.trim().to_owned(), reader)),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no line on stdout within {timeout:?}"),
        )),
    }
}

/// Spawns `command`, turning "not found" into a hint about how to install the program.
pub fn spawn(command: &mut Command) -> io::Result<Child> {
    let program = command.get_program().to_string_lossy().into_owned();
    command.spawn().map_err(|error| {
        if error.kind() == io::ErrorKind::NotFound {
            io::Error::new(
                error.kind(),
                format!("`{program}` is not installed: run `scripts/deps.sh test`"),
            )
        } else {
            io::Error::new(error.kind(), format!("cannot start `{program}`: {error}"))
        }
    })
}

/// Opens `path` for a child's stderr/stdout, so its complaints end up somewhere readable.
pub fn log_file(path: &Path) -> io::Result<Stdio> {
    Ok(std::fs::File::create(path)?.into())
}

/// Stops a child: SIGTERM first so it can clean up (Xvfb removes its lock and socket), then
/// SIGKILL if it is still running after `grace`. Always reaps it.
pub fn terminate(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    // std only offers SIGKILL; `kill` (procps) sends SIGTERM without a libc dependency.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    let exited = wait_until(grace, || matches!(child.try_wait(), Ok(Some(_))));
    if !exited {
        let _ = child.kill();
    }
    let _ = child.wait();
}
