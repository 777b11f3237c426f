//! The window as a process: `screenpop-window` (Tauri + WebKit) is started when the window is
//! wanted and ends when the agent closes it, so the core + tray process never carries WebKit.
//! At most one runs; "show" while it runs brings it to the front over its link.

use crate::link::{ToWindow, LINK_ENV};
use crate::lock;
use crate::shell::WindowLink;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// A window that dies this soon after a "show" did not show: a new one is started.
const SHOW_GRACE: Duration = Duration::from_secs(2);

/// The window binary's name; it is looked for next to `screenpop-desktop`, then on `PATH`.
pub const WINDOW_BIN: &str = "screenpop-window";

#[derive(Default)]
struct State {
    link: Option<WindowLink>,
    /// Its link is gone: the process is on its way out.
    ending: bool,
    /// Shown while the last one was ending: start a new one once it is gone.
    reopen: bool,
    /// When it was last told to show itself.
    shown_at: Option<Instant>,
    quitting: bool,
}

/// See the module docs.
pub struct WindowProcess {
    exe: PathBuf,
    socket: PathBuf,
    runtime: tokio::runtime::Handle,
    state: Mutex<State>,
    /// Whether a window process runs (maybe still starting, before its link is up, or
    /// ending). Changed only while `state` is locked.
    running: watch::Sender<bool>,
}

/// The window binary that belongs to this `screenpop-desktop`.
/// Beside it (a source install), else where the package puts it (`<prefix>/lib/screenpop/`).
pub fn window_exe() -> PathBuf {
    let exe = std::env::current_exe().ok();
    let beside = exe.as_ref().map(|exe| exe.with_file_name(WINDOW_BIN));
    let packaged = exe
        .as_ref()
        .and_then(|exe| exe.parent()?.parent().map(Path::to_path_buf))
        .map(|prefix| prefix.join("lib/screenpop").join(WINDOW_BIN));
    [beside, packaged]
        .into_iter()
        .flatten()
        .find(|exe| exe.is_file())
        .unwrap_or_else(|| PathBuf::from(WINDOW_BIN))
}

impl WindowProcess {
    /// Windows run `exe` and reach the core on `socket`; processes are spawned on the
    /// current tokio runtime.
    pub fn new(exe: PathBuf, socket: &Path) -> Arc<Self> {
        Arc::new(Self {
            exe,
            socket: socket.to_path_buf(),
            runtime: tokio::runtime::Handle::current(),
            state: Mutex::default(),
            running: watch::channel(false).0,
        })
    }

    /// Brings the window up: to the front if it runs, else a new window process.
    pub fn show(self: &Arc<Self>) {
        let mut state = lock(&self.state);
        if state.quitting {
            return;
        }
        if let Some(link) = state.link.take() {
            if link.send(ToWindow::Show).is_ok() {
                state.link = Some(link);
                state.shown_at = Some(Instant::now());
                return;
            }
            state.ending = true; // its link is gone: the process is on its way out
        }
        if *self.running.borrow() {
            // Starting: it shows itself once up. Ending: a new one follows it.
            state.reopen |= state.ending;
            return;
        }
        self.spawn(&mut state);
    }

    fn spawn(self: &Arc<Self>, state: &mut State) {
        let _runtime = self.runtime.enter();
        let child = tokio::process::Command::new(&self.exe)
            .env(LINK_ENV, &self.socket)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(false)
            .spawn();
        match child {
            Ok(mut child) => {
                tracing::info!(pid = child.id(), "window process started");
                state.ending = false;
                state.reopen = false;
                state.shown_at = None;
                self.running.send_replace(true);
                let this = Arc::clone(self);
                self.runtime.spawn(async move {
                    let status = child.wait().await;
                    tracing::info!(?status, "window process ended: running in the tray");
                    let mut state = lock(&this.state);
                    state.link = None;
                    // Killed or crashed just after being asked to show: that request died with
                    // it (closing the window ends it with success, and stays closed).
                    let show_died = status.as_ref().is_ok_and(|s| !s.success())
                        && state.shown_at.is_some_and(|at| at.elapsed() < SHOW_GRACE);
                    if (state.reopen || show_died) && !state.quitting {
                        this.spawn(&mut state);
                    } else {
                        this.running.send_replace(false);
                    }
                });
            }
            Err(e) => {
                tracing::error!(exe = %self.exe.display(), error = %e, "cannot start the window");
                self.running.send_replace(false);
            }
        }
    }

    /// A "show" could not be written to the window process: it died under us. Show a new
    /// one once it is gone.
    pub fn show_lost(self: &Arc<Self>) {
        let mut state = lock(&self.state);
        if *self.running.borrow() {
            state.ending = true;
            state.reopen = true;
        } else {
            drop(state);
            self.show();
        }
    }

    /// The window process's link is up (it listens for "show" and "quit").
    pub fn attach(&self, link: WindowLink) {
        let mut state = lock(&self.state);
        if state.quitting {
            let _ = link.send(ToWindow::Quit);
            return;
        }
        state.link = Some(link);
    }

    /// `link`'s window went away.
    pub fn detach(&self, link: &WindowLink) {
        let mut state = lock(&self.state);
        if state.link.as_ref().is_some_and(|l| l.same_channel(link)) {
            state.link = None;
            state.ending = *self.running.borrow();
        }
    }

    /// The app quits: the window is told to close, and none starts any more.
    pub fn quit(&self) {
        let mut state = lock(&self.state);
        state.quitting = true;
        if let Some(link) = state.link.take() {
            let _ = link.send(ToWindow::Quit);
        }
    }

    /// Waits (up to 5 s) until no window process runs.
    pub async fn wait_closed(&self) {
        let mut running = self.running.subscribe();
        let closed = running.wait_for(|r| !r);
        if tokio::time::timeout(Duration::from_secs(5), closed)
            .await
            .is_err()
        {
            tracing::warn!("the window process did not close in time");
        }
    }
}
