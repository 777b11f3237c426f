//! Desktop notifications over the freedesktop D-Bus API, with notify-rust.
//!
//! One notification per call, replaced in place (same id) as the call changes; no timeout
//! while ringing; critical urgency for VIPs. Each call's notification is owned by one task
//! that also waits for its click: servers such as dunst send `ActionInvoked` only to the
//! connection that last sent the notification, so the waiter always listens on the newest
//! handle's connection. A click becomes an [`Intent`] on a channel.
//!
//! Each notification up holds a task and a D-Bus connection until it is clicked, dismissed or
//! closed (session buses allow a user 256 connections), so at most [`KEPT`] stay up: past
//! that the oldest (in practice an old missed-call pop; the call log keeps every missed call)
//! is closed, and a new one waits for its place — under a burst the ringing pops of calls
//! already over never open a connection at all. The tasks belong to the tracker and token
//! handed in, so whoever runs the notifier stops and awaits them.

use super::greeting::Greeting;
use super::{Intent, Notifier};
use crate::engine::CallKey;
use notify_rust::{Notification, NotificationHandle, NotificationResponse, Timeout, Urgency};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How many call notifications stay up at once; the oldest is closed past this.
pub const KEPT: usize = 20;

enum Command {
    Show(Greeting),
    Close,
}

/// notify-rust backend: one task per call's notification.
pub struct DesktopNotifier {
    calls: HashMap<CallKey, UnboundedSender<Command>>,
    /// The calls in `calls`, oldest notification first.
    order: VecDeque<CallKey>,
    intents: UnboundedSender<Intent>,
    /// One permit per notification up.
    places: Arc<Semaphore>,
    tasks: TaskTracker,
    stop: CancellationToken,
}

impl DesktopNotifier {
    /// A notifier sending clicks to `intents`; its notifications' tasks run on `tasks` until
    /// `stop` is cancelled.
    pub fn new(
        intents: UnboundedSender<Intent>,
        tasks: TaskTracker,
        stop: CancellationToken,
    ) -> Self {
        Self {
            calls: HashMap::new(),
            order: VecDeque::new(),
            intents,
            places: Arc::new(Semaphore::new(KEPT)),
            tasks,
            stop,
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
        let (key_, first, intents) = (key.clone(), greeting.clone(), self.intents.clone());
        let (places, stop) = (Arc::clone(&self.places), self.stop.clone());
        self.tasks.spawn(async move {
            let owned = async move {
                let Ok(_place) = places.acquire_owned().await else {
                    return;
                };
                own_notification(key_, first, rx, intents).await;
            };
            let _ = stop.run_until_cancelled(owned).await;
        });
        self.calls.insert(key.clone(), tx);
        let calls = &self.calls;
        self.order.retain(|k| calls.contains_key(k) && k != key);
        self.order.push_back(key.clone());
        while self.order.len() > KEPT {
            if let Some(oldest) = self.order.pop_front() {
                tracing::debug!(call_id = %oldest.call_id, kept = KEPT, "closing the oldest notification");
                self.close(&oldest);
            }
        }
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
    // After waiting for a place only the newest greeting matters, and a pop closed meanwhile
    // (its call answered, or pushed out by newer ones) is never shown.
    while let Ok(command) = commands.try_recv() {
        match command {
            Command::Show(next) => greeting = next,
            Command::Close => return,
        }
    }
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
