//! Presenting calls to the agent: what to pop, when, and what a click does.
//!
//! [`Policy`] is the pure decision (pop on ringing/answer/manual, replace in place, close on
//! answer, leave a missed-call pop, auto-open once, do-not-disturb); [`greeting`] the words;
//! [`notify`] the freedesktop backend (notify-rust); [`opener`] the only way URLs are opened.
//! Clicks come back as [`Intent`]s for the daemon or the desktop shell to carry out.

pub mod greeting;
pub mod markup;
pub mod notify;
pub mod opener;
pub mod sign_in;

use crate::config::{NotifySettings, PopOn};
use crate::engine::{CallKey, CallView, EngineEvent};
use crate::event::CallState;
use greeting::Greeting;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc};

/// What a click on a pop asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "intent")]
pub enum Intent {
    OpenProfile {
        url: String,
    },
    CreateContact {
        number: String,
        name: Option<String>,
        url: Option<String>,
    },
    Dial {
        number: String,
    },
    /// Run the OAuth sign-in of a directory whose grant is gone.
    SignIn {
        directory: String,
    },
}

/// What the policy wants done for a view.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Show, or replace in place, the call's notification.
    Show { key: CallKey, greeting: Greeting },
    /// Close the call's notification, if one is up.
    Close { key: CallKey },
    /// Open the profile by itself (auto-open).
    Open { url: String },
}

/// Switches the agent can flip while running (tray: Do not disturb, Pause auto-open).
#[derive(Debug, Default)]
pub struct Switches {
    pub do_not_disturb: AtomicBool,
    pub pause_auto_open: AtomicBool,
}

#[derive(Debug, Default)]
struct Shown {
    notified: bool,
    auto_opened: bool,
    /// An urgent (rule) pop that stays up while the call is answered.
    sticky: bool,
}

/// Decides pops from call views, remembering per call what is already up.
pub struct Policy {
    settings: NotifySettings,
    switches: Arc<Switches>,
    calls: HashMap<CallKey, Shown>,
}

impl Policy {
    /// A policy for these settings and runtime switches.
    pub fn new(settings: NotifySettings, switches: Arc<Switches>) -> Self {
        let dnd = !settings.enabled;
        switches.do_not_disturb.fetch_or(dnd, Ordering::Relaxed);
        Self {
            settings,
            switches,
            calls: HashMap::new(),
        }
    }

    /// The effects of one view update.
    pub fn on_view(&mut self, view: &CallView) -> Vec<Effect> {
        let mut effects = Vec::new();
        let key = view.key.clone();
        let dnd = self.switches.do_not_disturb.load(Ordering::Relaxed);
        let pops_now = matches!(
            (self.settings.pop_on, view.state),
            (PopOn::Ringing, CallState::Ringing) | (PopOn::Answered, CallState::Answered)
        );
        // An urgent rule's pop is sticky, and a VIP's with `sticky_vip`: it stays (or first
        // appears, for a phone that answers by itself) while the call is answered, and goes
        // when the call ends.
        let vip = self.settings.sticky_vip && view.customer().is_some_and(|c| c.vip);
        let sticky = (view.routing.urgent || vip)
            && view.state == CallState::Answered
            && self.settings.pop_on == PopOn::Ringing;
        let pops_now = pops_now || sticky;
        // A rule said `silent`: no pop for this call (one already up from before the
        // lookup landed is taken down).
        let silent = view.routing.silent;
        let shown = self.calls.entry(key.clone()).or_default();
        if pops_now {
            if !dnd && !silent {
                shown.notified = !sticky;
                shown.sticky |= sticky;
                effects.push(Effect::Show {
                    key: key.clone(),
                    greeting: greeting::greeting(view),
                });
            } else if silent && shown.notified {
                shown.notified = false;
                effects.push(Effect::Close { key: key.clone() });
            }
            let auto = (self.settings.auto_open || view.routing.auto_open)
                && !self.switches.pause_auto_open.load(Ordering::Relaxed);
            if let (true, false, Some(url)) = (
                auto,
                shown.auto_opened,
                view.customer().and_then(|c| c.url.clone()),
            ) {
                shown.auto_opened = true;
                effects.push(Effect::Open { url });
            }
            return effects;
        }
        if view.state == CallState::Ended {
            let shown = self.calls.remove(&key).unwrap_or_default();
            let leave_missed = view.missed
                && !silent
                && self.settings.missed
                && self.settings.pop_on != PopOn::Manual
                && !dnd;
            if leave_missed {
                effects.push(Effect::Show {
                    key,
                    greeting: greeting::missed(view),
                });
            } else if shown.notified || shown.sticky {
                effects.push(Effect::Close { key });
            }
            return effects;
        }
        if shown.notified {
            // Answered while popping on ringing: the ringing pop has done its job.
            shown.notified = false;
            effects.push(Effect::Close { key });
        }
        effects
    }
}

/// Where effects go: a notification backend plus the intents channel.
pub trait Notifier: Send {
    /// Shows or replaces the call's notification.
    fn show(&mut self, key: &CallKey, greeting: &Greeting);
    /// Closes the call's notification if it is up.
    fn close(&mut self, key: &CallKey);
}

/// Runs the policy over the engine's stream until it closes; effects go to `notifier`
/// and auto-opens to the opener.
pub async fn run(
    mut events: broadcast::Receiver<EngineEvent>,
    mut policy: Policy,
    mut notifier: Box<dyn Notifier>,
) {
    loop {
        match events.recv().await {
            Ok(EngineEvent::Call { view }) => {
                for effect in policy.on_view(&view) {
                    match effect {
                        Effect::Show { key, greeting } => notifier.show(&key, &greeting),
                        Effect::Close { key } => notifier.close(&key),
                        Effect::Open { url } => {
                            let _ = opener::open_url(&url);
                        }
                    }
                }
            }
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(skipped = n, "presenter lagged behind")
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Carries out an intent that needs nothing but the opener; returns the rest (dial, create
/// contact without a page) for whoever can handle them.
pub fn handle_intent(intent: Intent) -> Option<Intent> {
    match intent {
        Intent::OpenProfile { url } | Intent::CreateContact { url: Some(url), .. } => {
            let _ = opener::open_url(&url);
            None
        }
        other => Some(other),
    }
}

/// A channel for intents coming back from clicked notifications.
pub fn intents() -> (
    mpsc::UnboundedSender<Intent>,
    mpsc::UnboundedReceiver<Intent>,
) {
    mpsc::unbounded_channel()
}

#[cfg(test)]
mod tests;
