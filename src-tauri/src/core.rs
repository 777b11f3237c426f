//! The running core inside the desktop app: the same `screenpop::daemon::App` that
//! `screenpop run` starts (one code path), plus what the shell needs around it — restart with
//! new settings, the status line, and the engine's events and click intents turned into
//! [`UiEvent`]s for one sink. No tauri in here: tests drive it without a window.

use crate::error::CommandError;
use crate::events::{self, UiEvent};
use crate::lock;
use crate::status::{self, Status};
use screenpop::config::{Paths, Settings};
use screenpop::control::{CallControl, ControlError};
use screenpop::daemon::App;
use screenpop::present::Intent;
use screenpop::secrets::SecretStore;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A runtime switch the agent flips (page, tray); survives a restart with new settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Switch {
    /// Calls are logged, nothing pops.
    DoNotDisturb,
    /// Known callers' profiles are not opened by themselves for now.
    PauseAutoOpen,
}

/// Where UI events go (the shell: tray + webview channel).
pub type Sink = Arc<dyn Fn(UiEvent) + Send + Sync>;

struct Running {
    app: Arc<App>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    helpers: Vec<JoinHandle<()>>,
}

/// The core as the shell holds it; see the module docs.
pub struct Core {
    paths: Paths,
    secrets: Arc<dyn SecretStore>,
    sink: Sink,
    running: Mutex<Option<Running>>,
    /// Short tasks the page started (a test call's end): aborted when the core stops.
    chores: Mutex<Vec<JoinHandle<()>>>,
    failure: Arc<Mutex<Option<String>>>,
    last_status: Arc<Mutex<Option<Status>>>,
}

impl Core {
    /// A core that is not started yet; events will go to `sink`.
    pub fn new(paths: Paths, secrets: Arc<dyn SecretStore>, sink: Sink) -> Self {
        Self {
            paths,
            secrets,
            sink,
            running: Mutex::new(None),
            chores: Mutex::default(),
            failure: Arc::default(),
            last_status: Arc::default(),
        }
    }

    /// Where the config file and data live.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// Where this core's UI events go (for events the shell makes itself).
    pub fn sink(&self) -> Sink {
        Arc::clone(&self.sink)
    }

    /// The keyring (secrets go straight here from the settings form).
    pub fn secrets(&self) -> &dyn SecretStore {
        self.secrets.as_ref()
    }

    /// The keyring as a shareable handle (for reads off the async workers).
    pub fn secrets_arc(&self) -> Arc<dyn SecretStore> {
        Arc::clone(&self.secrets)
    }

    /// Owns `task` until it ends or the core stops.
    pub fn own_task(&self, task: JoinHandle<()>) {
        let mut chores = lock(&self.chores);
        chores.retain(|t| !t.is_finished());
        chores.push(task);
    }

    /// Opens the app with `settings` and runs it until [`Core::stop`]. A failure to open or
    /// to serve leaves the core stopped, with the reason in the status line.
    pub async fn start(&self, settings: Settings) {
        self.launch(settings, None).await
    }

    /// Starts the app, with the switches `(do_not_disturb, pause_auto_open)` if given.
    async fn launch(&self, settings: Settings, keep: Option<(bool, bool)>) {
        let app = match App::open(self.paths.clone(), settings, Arc::clone(&self.secrets)).await {
            Ok(app) => Arc::new(app),
            Err(e) => {
                tracing::error!(error = %e, "screenpop core did not start");
                *lock(&self.failure) = Some(e.to_string());
                self.publish_status();
                return;
            }
        };
        if let Some((dnd, pause)) = keep {
            app.switches.do_not_disturb.store(dnd, Ordering::Relaxed);
            app.switches.pause_auto_open.store(pause, Ordering::Relaxed);
        }
        *lock(&self.failure) = None;
        let helpers = vec![self.forward_engine(&app), self.forward_intents(&app)];
        let (stop, stopped) = oneshot::channel::<()>();
        let runner = Arc::clone(&app);
        let failure = Arc::clone(&self.failure);
        let on_failure = self.status_publisher(None);
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(e) = runner.serve(shutdown).await {
                tracing::error!(error = %e, "screenpop core stopped");
                *lock(&failure) = Some(e.to_string());
                on_failure();
            }
        });
        *lock(&self.running) = Some(Running {
            app,
            stop,
            task,
            helpers,
        });
        self.publish_status();
    }

    /// Stops sources and lets live calls close and be logged (the daemon's own shutdown).
    pub async fn stop(&self) {
        lock(&self.chores).drain(..).for_each(|t| t.abort());
        let Some(running) = lock(&self.running).take() else {
            return;
        };
        let _ = running.stop.send(());
        let _ = running.task.await;
        running.helpers.iter().for_each(JoinHandle::abort);
    }

    /// Applies new settings: stop, then start again; switches survive the restart.
    pub async fn restart(&self, settings: Settings) -> Status {
        let keep = self.switches();
        self.stop().await;
        self.launch(settings, keep).await;
        self.status()
    }

    /// The running app, or why there is none.
    pub fn app(&self) -> Result<Arc<App>, CommandError> {
        if let Some(running) = lock(&self.running).as_ref() {
            return Ok(Arc::clone(&running.app));
        }
        let why = lock(&self.failure).clone();
        Err(CommandError::new(
            "not_running",
            why.unwrap_or_else(|| "screenpop is not running".into()),
        ))
    }

    /// The call-control source (dial, answer, hang up, transfer).
    pub fn control(&self) -> Result<Arc<dyn CallControl>, ControlError> {
        self.app()
            .ok()
            .and_then(|app| app.sources.controls.first().cloned())
            .ok_or(ControlError::NoControl)
    }

    /// Flips a runtime switch and returns the status.
    pub fn set_switch(&self, switch: Switch, on: bool) -> Result<Status, CommandError> {
        let app = self.app()?;
        let flag: &AtomicBool = match switch {
            Switch::DoNotDisturb => &app.switches.do_not_disturb,
            Switch::PauseAutoOpen => &app.switches.pause_auto_open,
        };
        flag.store(on, Ordering::Relaxed);
        tracing::info!(?switch, on, "switch flipped");
        self.publish_status();
        Ok(self.status())
    }

    /// The status line right now.
    pub fn status(&self) -> Status {
        compute_status(
            lock(&self.running).as_ref().map(|r| r.app.as_ref()),
            lock(&self.failure).as_deref(),
        )
    }

    fn switches(&self) -> Option<(bool, bool)> {
        lock(&self.running).as_ref().map(|r| {
            (
                r.app.switches.do_not_disturb.load(Ordering::Relaxed),
                r.app.switches.pause_auto_open.load(Ordering::Relaxed),
            )
        })
    }

    fn publish_status(&self) {
        self.status_publisher(lock(&self.running).as_ref().map(|r| Arc::clone(&r.app)))();
    }

    /// A closure that recomputes the status and sends it when it changed.
    fn status_publisher(&self, app: Option<Arc<App>>) -> impl Fn() + Send + Sync + 'static {
        let (failure, last, sink) = (
            Arc::clone(&self.failure),
            Arc::clone(&self.last_status),
            Arc::clone(&self.sink),
        );
        move || {
            let failed = lock(&failure).clone();
            let app = app.as_deref().filter(|_| failed.is_none());
            // Compute and send under one lock: publishers run on several threads, and a stale
            // status overtaking a newer one would stick in the tray and the header.
            let mut last = lock(&last);
            let status = compute_status(app, failed.as_deref());
            if last.as_ref() != Some(&status) {
                *last = Some(status.clone());
                sink(UiEvent::Status { status });
            }
        }
    }

    fn forward_engine(&self, app: &Arc<App>) -> JoinHandle<()> {
        let publish = self.status_publisher(Some(Arc::clone(app)));
        let sink = Arc::clone(&self.sink);
        events::forward(
            app.engine.subscribe(),
            move |event| {
                // Any event may follow a health change (a directory failing a lookup).
                publish();
                events::from_engine(event).into_iter().collect()
            },
            move |event| sink(event),
        )
    }

    /// Clicks the daemon could not carry out: create-contact goes to the window's form,
    /// call-back to the control source (or a notice saying why it cannot be placed).
    fn forward_intents(&self, app: &Arc<App>) -> JoinHandle<()> {
        let mut intents = app.intents.subscribe();
        let sink = Arc::clone(&self.sink);
        let control = self.control();
        tokio::spawn(async move {
            while let Ok(intent) = intents.recv().await {
                let event = match &intent {
                    Intent::Dial { number } => match dial_or_notice(&control, number).await {
                        Some(notice) => notice,
                        None => continue,
                    },
                    _ => UiEvent::Intent { intent },
                };
                sink(event);
            }
        })
    }
}

/// Dials `target` through `control`; what the agent should read if that failed.
pub async fn dial_or_notice(
    control: &Result<Arc<dyn CallControl>, ControlError>,
    target: &str,
) -> Option<UiEvent> {
    let placed = match control {
        Ok(control) => control.dial(target).await,
        Err(e) => Err(e.clone()),
    };
    let e = placed.err()?;
    tracing::warn!(%target, error = %e, "not dialled");
    Some(UiEvent::Notice {
        message: format!("Could not call {target}: {e}"),
    })
}

fn compute_status(app: Option<&App>, failure: Option<&str>) -> Status {
    let (sources, directories) = app
        .map(|a| (a.engine.source_health(), a.engine.chain().health()))
        .unwrap_or_default();
    let switch = |f: fn(&App) -> bool| app.is_some_and(f);
    status::status(&status::Inputs {
        sources: &sources,
        directories: &directories,
        do_not_disturb: switch(|a| a.switches.do_not_disturb.load(Ordering::Relaxed)),
        pause_auto_open: switch(|a| a.switches.pause_auto_open.load(Ordering::Relaxed)),
        failure: failure.or(app.is_none().then_some("starting…")),
    })
}
