//! Desktop notifications over the freedesktop D-Bus API, with notify-rust.
//!
//! One notification per call, replaced in place (same id) as the call changes; no timeout
//! while ringing; critical urgency for VIPs. Each call's notification is owned by one task
//! that also waits for its click: servers such as dunst send `ActionInvoked` only to the
//! connection that last sent the notification, so the waiter always listens on the newest
//! handle's connection. A click becomes an [`Intent`] on a channel.

use super::greeting::Greeting;
use super::{Intent, Notifier};
use crate::engine::CallKey;
use notify_rust::{Notification, NotificationHandle, NotificationResponse, Timeout, Urgency};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

enum Command {
    Show(Greeting),
    Close,
}

/// notify-rust backend: one task per call's notification.
pub struct DesktopNotifier {
    calls: HashMap<CallKey, UnboundedSender<Command>>,
    intents: UnboundedSender<Intent>,
}

impl DesktopNotifier {
    /// A notifier sending clicks to `intents`.
    pub fn new(intents: UnboundedSender<Intent>) -> Self {
        Self {
            calls: HashMap::new(),
            intents,
        }
    }
}

impl Notifier for DesktopNotifier {
    fn show(&mut self, key: &CallKey, greeting: &Greeting) {
        self.calls.retain(|_, tx| !tx.is_closed());
        if let Some(tx) = self.calls.get(key) {
            if tx.send(Command::Show(greeting.clone())).is_ok() {
                return;
            }
        }
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(own_notification(
            key.clone(),
            greeting.clone(),
            rx,
            self.intents.clone(),
        ));
        self.calls.insert(key.clone(), tx);
    }

    fn close(&mut self, key: &CallKey) {
        if let Some(tx) = self.calls.remove(key) {
            let _ = tx.send(Command::Close);
        }
    }
}

fn build(greeting: &Greeting, replaces: Option<u32>) -> Notification {
    let mut n = Notification::new();
    n.summary(&greeting.summary)
        .body(&greeting.body)
        .appname("screenpop")
        .icon("call-start")
        .urgency(if greeting.urgent {
            Urgency::Critical
        } else {
            Urgency::Normal
        })
        .timeout(Timeout::Never);
    for (key, label, _) in &greeting.actions {
        n.action(key, label);
    }
    if let Some(id) = replaces {
        n.id(id);
    }
    n
}

async fn show(
    key: &CallKey,
    greeting: &Greeting,
    replaces: Option<u32>,
) -> Option<NotificationHandle> {
    match build(greeting, replaces).show_async().await {
        Ok(handle) => {
            // The server has it (its Notify reply came back); tests wait for this line.
            tracing::debug!(call_id = %key.call_id, replaced = replaces.is_some(), "notification shown");
            Some(handle)
        }
        Err(e) => {
            tracing::warn!(error = %e, call_id = %key.call_id, "notification not shown");
            None
        }
    }
}

/// Shows, replaces and closes one call's notification, and turns its click into an intent.
async fn own_notification(
    key: CallKey,
    first: Greeting,
    mut commands: UnboundedReceiver<Command>,
    intents: UnboundedSender<Intent>,
) {
    let mut greeting = first;
    let mut handle = show(&key, &greeting, None).await;
    loop {
        let Some(current) = handle.as_ref() else {
            // Not shown (no notification server): wait for a newer greeting to try again.
            match commands.recv().await {
                Some(Command::Show(next)) => {
                    greeting = next;
                    handle = show(&key, &greeting, None).await;
                    continue;
                }
                Some(Command::Close) | None => return,
            }
        };
        let response: Arc<Mutex<Option<NotificationResponse>>> = Arc::default();
        let sink = Arc::clone(&response);
        tokio::select! {
            command = commands.recv() => match command {
                Some(Command::Show(next)) => {
                    greeting = next;
                    let id = current.id();
                    handle = show(&key, &greeting, Some(id)).await;
                }
                Some(Command::Close) | None => {
                    current.close_async().await;
                    return;
                }
            },
            () = current.wait_for_action_async(move |r: &NotificationResponse| {
                *crate::sync::lock(&sink) = Some(r.clone());
            }) => {
                let answer = crate::sync::lock(&response).take();
                let action = match answer {
                    Some(NotificationResponse::Default) => "default".to_string(),
                    Some(NotificationResponse::Action(a)) => a,
                    other => {
                        tracing::debug!(call_id = %key.call_id, response = ?other, "notification closed");
                        return;
                    }
                };
                tracing::info!(call_id = %key.call_id, action = %action, "notification clicked");
                if let Some((_, _, intent)) = greeting.actions.iter().find(|(k, _, _)| *k == action) {
                    let _ = intents.send(intent.clone());
                }
                return;
            }
        }
    }
}
