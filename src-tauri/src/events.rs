//! What the webview hears: [`UiEvent`]s, mapped from the core's `EngineEvent`s and click
//! `Intent`s by plain functions, and forwarded by [`forward`] to whatever sink the shell hands
//! in (GitButler style). Nothing here knows a window, so the mapping is tested without one.

use crate::status::Status;
use screenpop::engine::{CallView, EngineEvent};
use screenpop::present::Intent;
use screenpop::store::calls::CallRecord;
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::broadcast;

/// One message to the frontend (JSON tagged by `type`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum UiEvent {
    /// A live call changed: the greeting card follows it.
    Call { view: Arc<CallView> },
    /// A finished call was written to the log: the list shows it on top.
    Logged { record: Arc<CallRecord> },
    /// Health or switches changed: header and tray follow.
    Status { status: Status },
    /// A click the window carries out (the new-contact form, prefilled).
    Intent { intent: Intent },
    /// Show this part of the window.
    Navigate { view: View },
    /// Something the agent should read (a dial that could not be placed…).
    Notice { message: String },
}

/// A part of the window the shell can send the page to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// The greeting card and the call log.
    Log,
    /// The settings.
    Settings,
    /// The local contacts.
    Contacts,
    /// First-run setup.
    Setup,
}

impl UiEvent {
    /// Whether this event needs the window on screen (as opposed to updating it if open).
    pub fn needs_window(&self) -> bool {
        matches!(
            self,
            UiEvent::Intent { .. } | UiEvent::Navigate { .. } | UiEvent::Notice { .. }
        )
    }
}

/// The frontend's share of an engine event; health changes become a [`UiEvent::Status`] that
/// the shell computes, so they map to nothing here.
pub fn from_engine(event: &EngineEvent) -> Option<UiEvent> {
    match event {
        EngineEvent::Call { view } => Some(UiEvent::Call {
            view: Arc::clone(view),
        }),
        EngineEvent::Logged { record } => Some(UiEvent::Logged {
            record: Arc::clone(record),
        }),
        EngineEvent::SourceHealth { .. } => None,
    }
}

/// Feeds every engine event through `map` into `sink` until the stream closes. A lagging
/// receiver skips what it missed (the UI re-reads the log on the next page anyway).
pub fn forward<M, S>(
    mut events: broadcast::Receiver<EngineEvent>,
    map: M,
    sink: S,
) -> tokio::task::JoinHandle<()>
where
    M: Fn(&EngineEvent) -> Vec<UiEvent> + Send + 'static,
    S: Fn(UiEvent) + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => map(&event).into_iter().for_each(&sink),
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::warn!(skipped, "window events lagged behind the engine")
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    })
}
