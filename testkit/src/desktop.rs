//! A private headless desktop per test: Xvfb, a session D-Bus, an unlocked gnome-keyring
//! (Secret Service) and dunst (notifications), all living in one temp dir that is HOME and
//! every XDG directory. Dropping the [`Desktop`] stops its processes and deletes the dir.
//!
//! It owns starting and observing that session: what dunst shows (`dunstctl`), which menu
//! entry dunst's context menu picks, which URLs were "opened". It does not know screenpop;
//! `daemon` starts the daemon inside it.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs;
use std::io::{self, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use super::browser::{shell_quote, BrowserCapture};
use super::process::{first_line, log_file, spawn, terminate, wait_until};

/// How long each component may take to come up; all of them normally need < 100 ms.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// The password the test keyring is created and unlocked with.
const KEYRING_PASSWORD: &str = "screenpop-test";
/// Variables of the developer's own session that would make children talk to it instead
/// (xdg-open picks a real browser from XDG_CURRENT_DESKTOP, GTK prefers Wayland, …).
const OUTER_SESSION_VARS: &[&str] = &[
    "DISPLAY",
    "DBUS_SESSION_BUS_ADDRESS",
    "WAYLAND_DISPLAY",
    "XDG_CURRENT_DESKTOP",
    "XDG_SESSION_DESKTOP",
    "XDG_SESSION_TYPE",
    "DESKTOP_SESSION",
    "GNOME_DESKTOP_SESSION_ID",
    "KDE_FULL_SESSION",
    "XAUTHORITY",
    "SSH_AUTH_SOCK",
    "GNOME_KEYRING_CONTROL",
    "DBUS_SYSTEM_BUS_ADDRESS",
];

/// One running headless desktop session; see the module docs.
pub struct Desktop {
    display: String,
    bus_address: String,
    /// Started in order Xvfb, dbus-daemon, keyring, dunst; stopped in reverse.
    children: Vec<Child>,
    /// stdout pipes of Xvfb and dbus-daemon, kept open while they run.
    _stdout_pipes: Vec<BufReader<ChildStdout>>,
    browser: BrowserCapture,
    dir: TempDir,
}

impl Desktop {
    /// Starts Xvfb, a private session bus, an unlocked keyring and dunst, and returns once
    /// `org.freedesktop.secrets` and `org.freedesktop.Notifications` are owned on the bus.
    pub fn start() -> io::Result<Desktop> {
        Desktop::start_with_keyring_password(KEYRING_PASSWORD)
    }

    /// [`Desktop::start`] with gnome-keyring unlocked by `password`; an empty one is a fresh
    /// headless desk: the keyring then has no login collection.
    pub fn start_with_keyring_password(password: &str) -> io::Result<Desktop> {
        let dir = tempfile::Builder::new()
            .prefix("screenpop-desktop-")
            .tempdir()?;
        for sub in [
            "run",
            ".local/share/applications",
            ".config",
            ".cache",
            "logs",
        ] {
            fs::create_dir_all(dir.path().join(sub))?;
        }
        fs::set_permissions(dir.path().join("run"), fs::Permissions::from_mode(0o700))?;
        let browser = BrowserCapture::new(dir.path())?;
        let mut desktop = Desktop {
            display: String::new(),
            bus_address: String::new(),
            children: Vec::new(),
            _stdout_pipes: Vec::new(),
            browser,
            dir,
        };
        desktop.register_browser()?;
        // On any error below, dropping `desktop` stops what was already started.
        desktop.start_xvfb()?;
        desktop.start_bus()?;
        desktop.start_keyring(password)?;
        desktop.start_dunst()?;
        Ok(desktop)
    }

    /// The variables a child needs to live in this desktop: DISPLAY, the bus, HOME, the XDG
    /// directories, and BROWSER pointing at the capture script.
    pub fn env(&self) -> Vec<(String, String)> {
        let path = |sub: &str| self.dir.path().join(sub).display().to_string();
        vec![
            ("DISPLAY".into(), self.display.clone()),
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.bus_address.clone()),
            ("HOME".into(), self.dir.path().display().to_string()),
            ("XDG_RUNTIME_DIR".into(), path("run")),
            ("XDG_DATA_HOME".into(), path(".local/share")),
            ("XDG_CONFIG_HOME".into(), path(".config")),
            ("XDG_CACHE_HOME".into(), path(".cache")),
            self.browser.env(),
        ]
    }

    /// A `Command` for `program` inside this desktop (see [`command_in`]).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        command_in(&self.env(), program)
    }

    /// The temp dir that is this desktop's HOME; tests may put their own files here.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The X display, e.g. `:3`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The browser stand-in that `BROWSER` and the http/https handler point at.
    pub fn browser(&self) -> &BrowserCapture {
        &self.browser
    }

    /// Runs `dunstctl args…` in this desktop and returns its stdout.
    pub fn dunstctl(&self, args: &[&str]) -> io::Result<String> {
        let output = self.command("dunstctl").args(args).output()?;
        if !output.status.success() {
            return Err(io::Error::other(format!(
                "dunstctl {args:?} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        String::from_utf8(output.stdout).map_err(io::Error::other)
    }

    /// How many notifications dunst shows right now.
    pub fn displayed_count(&self) -> usize {
        let count = self
            .dunstctl(&["count", "displayed"])
            .expect("dunstctl count displayed");
        count
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("dunstctl count displayed said {count:?}"))
    }

    /// Waits until at least `n` notifications are displayed; false on timeout.
    pub fn wait_displayed(&self, n: usize, timeout: Duration) -> bool {
        wait_until(timeout, || self.displayed_count() >= n)
    }

    /// `dunstctl history` as JSON: CLOSED notifications only, last closed first, shaped
    /// `{"type":"aa{sv}","data":[[{"summary":{"type":"s","data":"…"}, …}]]}`.
    pub fn history(&self) -> serde_json::Value {
        let text = self.dunstctl(&["history"]).expect("dunstctl history");
        serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("dunstctl history is not JSON ({error}): {text}"))
    }

    /// `(summary, body, urgency, appname)` of each closed notification, last closed first
    /// (`close-all` closes in display order: higher urgency first, then oldest first).
    ///
    /// dunst 1.9's history has no urgency, so it comes from the rule script that records
    /// each notification's id and urgency (`LOW`, `NORMAL` or `CRITICAL`) as it arrives.
    pub fn history_summaries(&self) -> Vec<(String, String, String, String)> {
        let history = self.history();
        let entries = history["data"][0].as_array().cloned().unwrap_or_default();
        let field = |entry: &serde_json::Value, name: &str| {
            entry[name]["data"].as_str().unwrap_or_default().to_owned()
        };
        let ids: Vec<i64> = entries
            .iter()
            .filter_map(|entry| entry["id"]["data"].as_i64())
            .collect();
        // The script runs asynchronously; give it a moment to catch up with the history.
        let mut urgencies = HashMap::new();
        wait_until(Duration::from_secs(2), || {
            urgencies = self.recorded_urgencies();
            ids.iter().all(|id| urgencies.contains_key(id))
        });
        entries
            .iter()
            .map(|entry| {
                let urgency = match entry["urgency"]["data"].as_str() {
                    Some(reported) => reported.to_uppercase(),
                    None => entry["id"]["data"]
                        .as_i64()
                        .and_then(|id| urgencies.get(&id).cloned())
                        .unwrap_or_else(|| "UNKNOWN".to_owned()),
                };
                (
                    field(entry, "summary"),
                    field(entry, "body"),
                    urgency,
                    field(entry, "appname"),
                )
            })
            .collect()
    }

    /// Makes dunst's context menu (`dunstctl context`, or `dunstctl action 0` on a
    /// notification with several actions and no `default`) pick the first entry containing
    /// `needle`, e.g. the action's label. Without a choice the menu is cancelled.
    pub fn choose_in_menu(&self, needle: &str) -> io::Result<()> {
        fs::write(self.dir.path().join("menu-choice"), needle)
    }

    /// Every entry dunst offered in its context menus so far, e.g. `#Open (t5) [2,default]`.
    pub fn menu_entries(&self) -> Vec<String> {
        fs::read_to_string(self.dir.path().join("menu-entries.txt"))
            .map(|text| text.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The webhook bearer token the daemon stored in this desktop's keyring (empty if none).
    pub fn webhook_token(&self) -> String {
        let out = self
            .command("secret-tool")
            .args([
                "lookup",
                "service",
                "screenpop",
                "username",
                "webhook-token",
            ])
            .output()
            .expect("run secret-tool");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Whether some process owns the well-known `name` on this desktop's bus.
    pub fn name_has_owner(&self, name: &str) -> bool {
        self.command("dbus-send")
            .args([
                "--session",
                "--print-reply=literal",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
            ])
            .arg(format!("string:{name}"))
            .stderr(Stdio::null())
            .output()
            .map(|output| String::from_utf8_lossy(&output.stdout).contains("true"))
            .unwrap_or(false)
    }

    fn start_xvfb(&mut self) -> io::Result<()> {
        // -displayfd 1: Xvfb picks a free display itself and writes its number to stdout.
        let mut xvfb = command_in(&self.env_so_far(), "Xvfb");
        xvfb.args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ]);
        let number = self.start_announcing("xvfb", xvfb)?;
        self.display = format!(":{number}");
        Ok(())
    }

    fn start_bus(&mut self) -> io::Result<()> {
        // Our own config: no service activation, so nothing can start the machine's default
        // dunst or a locked keyring behind the test's back; the socket lives in the temp dir.
        let socket_dir = self.dir.path().join("run");
        let config = self.dir.path().join("session-bus.conf");
        fs::write(&config, bus_config(&socket_dir))?;
        let mut bus = command_in(&self.env_so_far(), "dbus-daemon");
        bus.arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"]);
        self.bus_address = self.start_announcing("dbus", bus)?;
        Ok(())
    }

    fn start_keyring(&mut self, password: &str) -> io::Result<()> {
        // --foreground keeps it our child; it reads the password until EOF, creates the
        // login keyring in XDG_DATA_HOME/keyrings and unlocks it. Locked, every store fails.
        let mut command = self.command("gnome-keyring-daemon");
        command
            .args(["--foreground", "--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(log_file(&self.log_path("keyring"))?);
        let mut keyring = spawn(&mut command)?;
        let stdin = keyring.stdin.take();
        self.children.push(keyring);
        stdin
            .expect("gnome-keyring-daemon stdin is piped")
            .write_all(password.as_bytes())?;
        self.wait_for_name("org.freedesktop.secrets", "keyring")
    }

    fn start_dunst(&mut self) -> io::Result<()> {
        let rc = self.write_dunst_files()?;
        let mut command = self.command("dunst");
        command
            .arg("-config")
            .arg(&rc)
            .stdout(Stdio::null())
            .stderr(log_file(&self.log_path("dunst"))?);
        self.children.push(spawn(&mut command)?);
        self.wait_for_name("org.freedesktop.Notifications", "dunst")
    }

    /// Starts a child that announces itself with one line on stdout and returns that line.
    fn start_announcing(&mut self, name: &str, mut command: Command) -> io::Result<String> {
        command
            .stdout(Stdio::piped())
            .stderr(log_file(&self.log_path(name))?);
        let mut child = spawn(&mut command)?;
        let stdout = child.stdout.take().expect("stdout is piped");
        self.children.push(child);
        let (line, reader) = first_line(stdout, START_TIMEOUT).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("{name}: {error}; {}", self.log_tail(name)),
            )
        })?;
        self._stdout_pipes.push(reader);
        Ok(line)
    }

    fn wait_for_name(&mut self, name: &str, log: &str) -> io::Result<()> {
        if wait_until(START_TIMEOUT, || self.name_has_owner(name)) {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "nobody took {name} within {START_TIMEOUT:?}; {}",
                self.log_tail(log)
            ),
        ))
    }

    /// HOME and XDG dirs only: used before DISPLAY and the bus exist.
    fn env_so_far(&self) -> Vec<(String, String)> {
        let mut env = self.env();
        env.retain(|(key, _)| key.starts_with("XDG_") || key == "HOME");
        env
    }

    /// dunstrc, the urgency recorder and the context-menu stand-in; returns the rc's path.
    fn write_dunst_files(&self) -> io::Result<PathBuf> {
        let dir = self.dir.path();
        let record = dir.join("record-notification.sh");
        let menu = dir.join("menu.sh");
        let urgencies = shell_quote(&dir.join("urgencies.tsv"))?;
        let entries = shell_quote(&dir.join("menu-entries.txt"))?;
        let choice = shell_quote(&dir.join("menu-choice"))?;
        write_script(
            &record,
            &format!("printf '%s\\t%s\\n' \"$DUNST_ID\" \"$DUNST_URGENCY\" >> {urgencies}\n"),
        )?;
        write_script(
            &menu,
            &format!(
                "entries=$(cat)\nprintf '%s\\n' \"$entries\" >> {entries}\n\
                 needle=$(cat {choice} 2>/dev/null) || exit 1\n\
                 printf '%s\\n' \"$entries\" | grep -F -m1 -- \"$needle\"\n"
            ),
        )?;
        let rc = dir.join("dunstrc");
        fs::write(
            &rc,
            format!(
                "[global]
sticky_history = yes
history_length = 50
dmenu = {menu}
browser = {browser}

[urgency_low]
timeout = 0
[urgency_normal]
timeout = 0
[urgency_critical]
timeout = 0

# No filter: runs for every notification as it arrives.
[record_urgency]
script = {record}
",
                menu = menu.display(),
                browser = self.browser.script.display(),
                record = record.display(),
            ),
        )?;
        Ok(rc)
    }

    /// Makes the capture script this desktop's http/https handler: with DISPLAY set,
    /// xdg-open asks `xdg-mime` for the handler before it looks at BROWSER.
    fn register_browser(&self) -> io::Result<()> {
        let dir = self.dir.path();
        fs::write(
            dir.join(".local/share/applications/screenpop-test-browser.desktop"),
            format!(
                "[Desktop Entry]\nType=Application\nName=screenpop test browser\n\
                 Exec={} %u\nNoDisplay=true\n\
                 MimeType=x-scheme-handler/http;x-scheme-handler/https;\n",
                self.browser.script.display()
            ),
        )?;
        fs::write(
            dir.join(".config/mimeapps.list"),
            "[Default Applications]\n\
             x-scheme-handler/http=screenpop-test-browser.desktop\n\
             x-scheme-handler/https=screenpop-test-browser.desktop\n",
        )
    }

    /// Last urgency recorded per notification id (an update may change it).
    fn recorded_urgencies(&self) -> HashMap<i64, String> {
        let text = fs::read_to_string(self.dir.path().join("urgencies.tsv")).unwrap_or_default();
        text.lines()
            .filter_map(|line| line.split_once('\t'))
            .filter_map(|(id, urgency)| Some((id.parse().ok()?, urgency.to_owned())))
            .collect()
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.dir.path().join("logs").join(format!("{name}.log"))
    }

    fn log_tail(&self, name: &str) -> String {
        let text = fs::read_to_string(self.log_path(name)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(10)..].join("\n");
        format!("{name}.log ends with:\n{tail}")
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        while let Some(mut child) = self.children.pop() {
            terminate(&mut child, Duration::from_secs(2));
        }
    }
}

/// A `Command` for `program` with exactly the session `env`: the caller's own desktop
/// variables removed, the private ones set. stdin is closed unless the caller sets it.
pub fn command_in(env: &[(String, String)], program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    for name in OUTER_SESSION_VARS {
        command.env_remove(name);
    }
    command
        .envs(env.iter().map(|(key, value)| (key, value)))
        .stdin(Stdio::null());
    command
}

fn write_script(path: &Path, body: &str) -> io::Result<()> {
    fs::write(path, format!("#!/bin/sh\n{body}"))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
}

/// A session bus listening in `socket_dir`, allowing everything, activating nothing.
fn bus_config(socket_dir: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        socket_dir.display()
    )
}
