//! The state every command and menu handler shares: the [`Core`] and the delivery of
//! [`UiEvent`]s to the webview (if one exists right now) and to the tray.
//!
//! The window comes and goes (closing it destroys the webview), so delivery holds at most one
//! IPC channel — the one the page passed to `subscribe` — and queues the few events that need
//! the window (an intent, a notice, "show settings") until a fresh page subscribes.

use crate::core::{Core, Sink};
use crate::events::UiEvent;
use crate::{tray, window};
use std::sync::{Arc, Mutex};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime};

/// See the module docs.
pub struct Shell {
    pub core: Core,
    pub delivery: Arc<Delivery>,
}

/// The page's channel, if a page is listening, and what waits for the next one.
#[derive(Default)]
pub struct Delivery {
    channel: Mutex<Option<Channel<UiEvent>>>,
    pending: Mutex<Vec<UiEvent>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Delivery {
    /// Sends to the page; false if no page listens (or it went away).
    pub fn send(&self, event: &UiEvent) -> bool {
        let mut channel = lock(&self.channel);
        match channel.as_ref().map(|c| c.send(event.clone())) {
            Some(Ok(())) => true,
            Some(Err(e)) => {
                tracing::debug!(error = %e, "window channel gone");
                *channel = None;
                false
            }
            None => false,
        }
    }

    /// Keeps `event` for the next page.
    pub fn queue(&self, event: UiEvent) {
        lock(&self.pending).push(event);
    }

    /// A new page listens: it gets the queued events back to apply first.
    pub fn attach(&self, channel: Channel<UiEvent>) -> Vec<UiEvent> {
        *lock(&self.channel) = Some(channel);
        std::mem::take(&mut *lock(&self.pending))
    }

    /// The window was destroyed.
    pub fn detach(&self) {
        *lock(&self.channel) = None;
    }
}

/// The sink the core feeds: status to the tray, everything to the page, and events that need
/// the window bring it up (created anew if it was closed).
pub fn sink<R: Runtime>(app: AppHandle<R>, delivery: Arc<Delivery>) -> Sink {
    Arc::new(move |event: UiEvent| {
        if let UiEvent::Status { status } = &event {
            tray::update(&app, status);
        }
        let needs_window = event.needs_window();
        let delivered = delivery.send(&event);
        if needs_window {
            if !delivered {
                delivery.queue(event);
            }
            if let Err(e) = window::show(&app) {
                tracing::error!(error = %e, "cannot open the window");
            }
        }
    })
}
