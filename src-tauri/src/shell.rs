//! The core process's shell: the [`Core`], delivery of [`UiEvent`]s to the window (when one
//! is up), the window process, and the tray's status feed, wired together — plus what a tray
//! click, a second launch, a `tel:` link and Quit do.
//!
//! The window comes and goes (closing it ends its process), so delivery holds at most one
//! link — the one whose page called `subscribe` — and queues the few events that need the
//! window (an intent, a notice, "show settings") until a fresh page subscribes.

use crate::command::Answerer;
use crate::core::{self, Core, Sink, Switch};
use crate::deeplink;
use crate::error::CommandError;
use crate::events::{UiEvent, View};
use crate::handlers;
use crate::link::{Request, ToWindow};
use crate::lock;
use crate::status::Status;
use crate::tray::MenuAction;
use crate::window_process::WindowProcess;
use screenpop::config::Paths;
use screenpop::engine::CallView;
use screenpop::secrets::SecretStore;
use serde::Serialize;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch, Notify};

/// The link to the window process's page.
pub type WindowLink = mpsc::UnboundedSender<ToWindow>;

/// See the module docs.
pub struct Shell {
    pub core: Core,
    pub delivery: Arc<Delivery>,
    pub window: Arc<WindowProcess>,
    /// The latest status, for the tray.
    pub status: watch::Receiver<Status>,
    quit: Notify,
}

/// What a freshly loaded page needs to draw itself.
#[derive(Debug, Serialize)]
pub struct Snapshot {
    pub status: Status,
    pub calls: Vec<Arc<CallView>>,
    /// Events that arrived while no page listened (an intent, "show settings").
    pub pending: Vec<UiEvent>,
    /// `[rules] manager`: where the card's "Transfer to manager" goes.
    pub manager: Option<String>,
}

/// The subscribed page's link, if a page is listening, and what waits for the next one.
#[derive(Default)]
pub struct Delivery {
    link: Mutex<Option<WindowLink>>,
    pending: Mutex<Vec<UiEvent>>,
}

impl Delivery {
    /// Sends to the page; false if no page listens (or it went away).
    pub fn send(&self, event: &UiEvent) -> bool {
        let mut link = lock(&self.link);
        let Some(open) = link.as_ref() else {
            return false; // tray only: not even serialized
        };
        let Ok(event) = serde_json::to_value(event) else {
            return false;
        };
        if open.send(ToWindow::Event { event }).is_ok() {
            return true;
        }
        tracing::debug!("window link gone");
        *link = None;
        false
    }

    /// Keeps `event` for the next page.
    pub fn queue(&self, event: UiEvent) {
        lock(&self.pending).push(event);
    }

    /// A new page listens: it gets the queued events back to apply first.
    pub fn attach(&self, link: WindowLink) -> Vec<UiEvent> {
        *lock(&self.link) = Some(link);
        std::mem::take(&mut *lock(&self.pending))
    }

    /// `link`'s window went away (a newer one may have subscribed since: that one stays).
    pub fn detach(&self, link: &WindowLink) {
        let mut current = lock(&self.link);
        if current.as_ref().is_some_and(|c| c.same_channel(link)) {
            *current = None;
        }
    }
}

impl Shell {
    /// A shell over a core that is not started yet; `window` is the window process to run.
    pub fn new(paths: Paths, secrets: Arc<dyn SecretStore>, window: Arc<WindowProcess>) -> Self {
        let delivery = Arc::new(Delivery::default());
        let (status_tx, status) = watch::channel(Status::starting());
        let sink = sink(Arc::clone(&delivery), Arc::clone(&window), status_tx);
        Self {
            core: Core::new(paths, secrets, sink),
            delivery,
            window,
            status,
            quit: Notify::new(),
        }
    }

    /// Carries out one request of the window's page; `link` is that window's link.
    pub async fn request(
        &self,
        request: &Request,
        link: &WindowLink,
    ) -> Result<Value, CommandError> {
        match request.command.answerer() {
            Answerer::Link => {}
            Answerer::Core => {
                let (id, link) = (request.id, link.clone());
                let progress =
                    move |value: Value| drop(link.send(ToWindow::Progress { id, value }));
                return handlers::handle(&self.core, request.command.clone(), &progress).await;
            }
            Answerer::Window => {
                return Err(CommandError::new(
                    "misrouted",
                    format!("{} is the window's own command", request.command.name()),
                ))
            }
        }
        let pending = self.delivery.attach(link.clone());
        let app = self.core.app().ok();
        let snapshot = Snapshot {
            status: self.core.status(),
            calls: app
                .as_ref()
                .map(|a| a.engine.live_calls())
                .unwrap_or_default(),
            pending,
            manager: app.and_then(|a| a.settings.rules.manager.clone()),
        };
        serde_json::to_value(snapshot).map_err(|e| CommandError::new("internal", e.to_string()))
    }

    /// Shows a part of the window, starting the window if it is closed.
    pub fn navigate(&self, view: View) {
        (self.core.sink())(UiEvent::Navigate { view });
    }

    /// `screenpop-desktop` was started (again) with `args`: `tel:`/`sip:`/`callto:` links
    /// are dialled; a plain launch brings the window up (`--hidden` does not).
    pub fn launched(self: &Arc<Self>, args: &[String]) {
        let links: Vec<String> = args
            .iter()
            .filter_map(|a| deeplink::dial_target(a))
            .collect();
        if links.is_empty() {
            if !args.iter().any(|a| a == "--hidden") {
                self.window.show();
            }
            return;
        }
        for target in links {
            let shell = Arc::clone(self);
            tokio::spawn(async move {
                if let Some(notice) = core::dial_or_notice(&shell.core.control(), &target).await {
                    (shell.core.sink())(notice);
                }
            });
        }
    }

    /// A tray menu entry was clicked.
    pub async fn menu(&self, action: MenuAction) {
        let status = self.core.status();
        let flipped = match action {
            MenuAction::ShowLog => return self.navigate(View::Log),
            MenuAction::Settings => return self.navigate(View::Settings),
            MenuAction::ToggleDnd => self
                .core
                .set_switch(Switch::DoNotDisturb, !status.do_not_disturb),
            MenuAction::TogglePauseAutoOpen => self
                .core
                .set_switch(Switch::PauseAutoOpen, !status.pause_auto_open),
            MenuAction::Quit => return self.quit(),
        };
        if let Err(e) = flipped {
            tracing::warn!(error = %e, "switch not flipped");
        }
    }

    /// Asks the app to quit (tray Quit, a signal): [`Shell::quitting`] wakes up.
    pub fn quit(&self) {
        self.quit.notify_one();
    }

    /// Waits for a quit request.
    pub async fn quitting(&self) {
        self.quit.notified().await
    }

    /// Quits cleanly: the window closes, the core stops its sources and logs live calls.
    pub async fn shut_down(&self) {
        self.window.quit();
        self.core.stop().await;
        self.window.wait_closed().await;
    }
}

/// The sink the core feeds: status to the tray, everything to the page, and events that need
/// the window bring it up (started anew if it was closed).
fn sink(delivery: Arc<Delivery>, window: Arc<WindowProcess>, tray: watch::Sender<Status>) -> Sink {
    Arc::new(move |event: UiEvent| {
        if let UiEvent::Status { status } = &event {
            tray.send_replace(status.clone());
        }
        let needs_window = event.needs_window();
        let delivered = delivery.send(&event);
        if needs_window {
            if !delivered {
                delivery.queue(event);
            }
            window.show();
        }
    })
}
