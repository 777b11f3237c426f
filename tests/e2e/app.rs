//! The desktop app under test: a private headless [`Desktop`] (Xvfb, D-Bus, keyring, dunst,
//! browser capture), `tauri-driver` on free ports inside it, and a WebDriver [`Session`] that
//! launches the real `screenpop-desktop` binary with its own config and data dir. The
//! `screenpop` CLI runs beside it with the same environment (`screenpop event …`).
//!
//! Everything started here is stopped on drop; processes are found by the unique data dir in
//! their environment (the app and its WebKit children inherit it), which is also how the
//! suite counts the WebKit processes and their memory.

use crate::desktop::Desktop;
use crate::ports::free_port;
use crate::process::{spawn, terminate, wait_until};
use crate::webdriver::Session;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;

const APP: &str = env!("CARGO_BIN_EXE_screenpop-desktop");
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/demo-contacts.csv");

/// A process of the app under test.
#[derive(Debug, Clone)]
pub struct Proc {
    pub pid: u32,
    pub name: String,
    pub rss_kb: u64,
}

/// See the module docs. Field order matters: the desktop is dropped last.
pub struct DesktopApp {
    pub session: Session,
    driver: Child,
    env: Vec<(String, String)>,
    dir: TempDir,
    artifacts: PathBuf,
    pub desktop: Desktop,
}

fn which(program: &str) -> Option<PathBuf> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|c| c.join("bin"));
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(cargo_bin)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The `screenpop` CLI built beside the app (built now if this crate's test ran alone).
fn cli_binary() -> PathBuf {
    let cli = Path::new(APP).with_file_name("screenpop");
    if !cli.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let built = Command::new(cargo)
            .args(["build", "-p", "screenpop", "--bin", "screenpop"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .status()
            .expect("run cargo build for the screenpop CLI");
        assert!(built.success(), "cargo build -p screenpop failed");
    }
    cli
}

impl DesktopApp {
    /// Starts everything with a config file (`[webhook] port` + `extra_config`), imports the
    /// demo contacts, and waits for the window and the webhook.
    pub fn start(extra_config: &str) -> DesktopApp {
        Self::launch(Some(extra_config), &[])
    }

    /// [`DesktopApp::start`] with `extra` environment variables (`GTK_THEME` for dark mode).
    pub fn start_with_env(extra_config: &str, extra: &[(&str, &str)]) -> DesktopApp {
        Self::launch(Some(extra_config), extra)
    }

    /// Starts the app on an empty profile — no config file, no contacts — as a fresh
    /// install meets its agent (the webhook's port comes from the environment), with `extra`
    /// environment variables.
    pub fn start_empty(extra: &[(&str, &str)]) -> DesktopApp {
        Self::launch(None, extra)
    }

    fn launch(extra_config: Option<&str>, extra: &[(&str, &str)]) -> DesktopApp {
        let desktop = Desktop::start().expect("start a headless desktop");
        let dir = tempfile::Builder::new()
            .prefix("screenpop-e2e-")
            .tempdir()
            .expect("temp dir");
        let port = free_port();
        let config = dir.path().join("config.toml");
        let mut env = desktop.env();
        match extra_config {
            Some(extra_config) => {
                std::fs::write(&config, format!("[webhook]\nport = {port}\n{extra_config}"))
                    .expect("write config")
            }
            None => env.push(("SCREENPOP_WEBHOOK__PORT".into(), port.to_string())),
        }
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env.push(("SCREENPOP_CONFIG".into(), config.display().to_string()));
        env.push((
            "SCREENPOP_DATA_DIR".into(),
            dir.path().join("data").display().to_string(),
        ));
        env.push((
            "RUST_LOG".into(),
            "screenpop=debug,screenpop_desktop=debug,screenpop_window=debug".into(),
        ));
        let artifacts = Path::new(APP)
            .parent()
            .and_then(Path::parent)
            .map(|target| target.join("e2e-artifacts"))
            .expect("the app binary lives in a target dir");
        std::fs::create_dir_all(&artifacts).expect("artifacts dir");

        if extra_config.is_some() {
            run_cli(&env, &["contacts", "import", FIXTURE]);
        }

        let driver_bin = which("tauri-driver")
            .expect("tauri-driver is not installed: run `scripts/deps.sh e2e`");
        let (driver_port, native_port) = (free_port(), free_port());
        let log = std::fs::File::create(dir.path().join("tauri-driver.log")).expect("driver log");
        let mut command = crate::desktop::command_in(&env, driver_bin);
        command
            .args([
                "--port",
                &driver_port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log);
        let mut driver = spawn(&mut command).expect("start tauri-driver");
        // tauri-driver forwards to WebKitWebDriver, which comes up a moment after it.
        let listening = wait_until(Duration::from_secs(20), || {
            [driver_port, native_port]
                .iter()
                .all(|p| TcpStream::connect(("127.0.0.1", *p)).is_ok())
        });
        if !listening {
            terminate(&mut driver, Duration::from_secs(2));
            panic!("tauri-driver did not listen on {driver_port}");
        }
        let session = match Session::start(driver_port, Path::new(APP)) {
            Ok(mut s) => {
                s.failure_shot = Some(artifacts.join("failure.png"));
                s
            }
            Err(e) => {
                terminate(&mut driver, Duration::from_secs(2));
                let log = std::fs::read_to_string(dir.path().join("tauri-driver.log"));
                panic!("no WebDriver session: {e}\n{}", log.unwrap_or_default());
            }
        };
        let app = DesktopApp {
            session,
            driver,
            env,
            dir,
            artifacts,
            desktop,
        };
        app.session.wait("the page to subscribe", || {
            (app.session
                .execute("return document.body.dataset.ready || ''")
                == "true")
                .then_some(())
        });
        let healthy = wait_until(Duration::from_secs(20), || {
            matches!(crate::http::get(port, "/v1/health"), Ok((200, _)))
        });
        assert!(healthy, "the app's webhook never answered on {port}");
        app
    }

    /// The environment the app runs in (its private session bus, config, data dir).
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Starts `screenpop-desktop` again with `args`, as a second click on its launcher would,
    /// and waits for it to end.
    pub fn launch_again(&self, args: &[&str]) -> std::process::Output {
        crate::desktop::command_in(&self.env, APP)
            .args(args)
            .output()
            .expect("run screenpop-desktop again")
    }

    /// The app's config file.
    pub fn config_file(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// `screenpop args…` with the app's config and data; its stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        run_cli(&self.env, args)
    }

    /// Saves the window's screenshot as an artifact `<name>.png`.
    pub fn shot(&self, name: &str) {
        // WebKit paints on its next frame; a snapshot taken right after the DOM changed can
        // still show the previous one.
        std::thread::sleep(Duration::from_millis(500));
        let path = self.artifacts.join(format!("{name}.png"));
        // What the X server shows of the window (as a person sees it). WebKitWebDriver's own
        // snapshot waits for a paint that a page without accelerated compositing (how the
        // window runs) may not make for a minute; it is the fallback.
        if !self.x_shot(&path) {
            if let Err(e) = self.session.try_screenshot(&path) {
                eprintln!("screenshot {name} not taken: {e}");
                return;
            }
        }
        eprintln!("screenshot: {}", path.display());
    }

    /// Saves the main window's pixels with `import -window <id>`; false if it is not mapped.
    fn x_shot(&self, path: &Path) -> bool {
        let Ok(tree) = crate::desktop::command_in(&self.env, "xwininfo")
            .args(["-root", "-tree"])
            .output()
        else {
            return false;
        };
        // `     0x1e00007 "screenpop": ("screenpop-window" "Screenpop-window")  440x760+0+0  +0+0`
        let tree = String::from_utf8_lossy(&tree.stdout);
        let Some(id) = tree
            .lines()
            .filter(|l| l.contains("\"screenpop\": (\"screenpop-window\""))
            .filter_map(|l| l.split_whitespace().next())
            .next_back()
        else {
            return false;
        };
        crate::desktop::command_in(&self.env, "import")
            .args(["-window", id])
            .arg(path)
            .status()
            .is_ok_and(|s| s.success())
    }

    /// The app's processes (the app and its WebKit children), with their RSS.
    pub fn processes(&self) -> Vec<Proc> {
        let marker = format!(
            "SCREENPOP_DATA_DIR={}",
            self.dir.path().join("data").display()
        );
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
                continue;
            };
            if !environ.split(|b| *b == 0).any(|v| v == marker.as_bytes()) {
                continue;
            }
            let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
            let field = |key: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.trim().to_string())
                    .unwrap_or_default()
            };
            let name = field("Name:");
            // The driver and the CLI carry the marker too; only the app and WebKit count.
            if name.starts_with("screenpop-deskt")
                || name.starts_with("screenpop-windo")
                || name.starts_with("WebKit") && name != "WebKitWebDriver"
            {
                let rss_kb = field("VmRSS:")
                    .trim_end_matches(" kB")
                    .trim()
                    .parse()
                    .unwrap_or(0);
                found.push(Proc { pid, name, rss_kb });
            }
        }
        found
    }

    /// The app's log lines are on the driver's stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("tauri-driver.log")).unwrap_or_default()
    }
}

fn run_cli(env: &[(String, String)], args: &[&str]) -> String {
    let out = crate::desktop::command_in(env, cli_binary())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run screenpop {args:?}: {e}"));
    assert!(
        out.status.success(),
        "screenpop {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Drop for DesktopApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- app + driver log ---\n{}\n--- end ---", self.log());
        }
        self.session.end();
        for p in self.processes() {
            let _ = Command::new("kill")
                .args(["-TERM", &p.pid.to_string()])
                .status();
        }
        terminate(&mut self.driver, Duration::from_secs(3));
    }
}
