//! Call control over AMI: click-to-dial with `Originate`, transfer with `Redirect`, hang up
//! with `Hangup`. Requests travel to the source's connection task (one login, one socket),
//! which knows the channels and answers once Asterisk has.

use super::calls::Tracker;
use crate::control::{CallControl, ControlError};
use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long a request may wait for Asterisk's response.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// What the control asks the connection task to do, for which extension (`None`: the
/// desk's own; a floor connection needs one named).
#[derive(Debug)]
pub(super) struct Request {
    pub(super) extension: Option<String>,
    pub(super) action: Action,
}

/// The action itself.
#[derive(Debug)]
pub(super) enum Action {
    Dial(String),
    Transfer {
        call_id: Option<String>,
        target: String,
    },
    Hangup(Option<String>),
}

pub(super) type Reply = oneshot::Sender<Result<(), ControlError>>;

/// The door into a connected AMI session; empty while disconnected.
#[derive(Debug, Default)]
pub struct Link {
    requests: Mutex<Option<mpsc::Sender<(Request, Reply)>>>,
}

impl Link {
    /// Opens the door for a new session; the task reads the returned receiver.
    pub(super) fn open(&self) -> mpsc::Receiver<(Request, Reply)> {
        let (tx, rx) = mpsc::channel(16);
        *crate::sync::lock(&self.requests) = Some(tx);
        rx
    }

    /// Closes it when the session ends.
    pub(super) fn close(&self) {
        crate::sync::lock(&self.requests).take();
    }

    async fn ask(&self, name: &str, request: Request) -> Result<(), ControlError> {
        let sender = crate::sync::lock(&self.requests).clone().ok_or_else(|| {
            ControlError::NotConnected(format!("{name}: not logged in to Asterisk"))
        })?;
        let (reply, answer) = oneshot::channel();
        sender
            .send((request, reply))
            .await
            .map_err(|_| ControlError::NotConnected(format!("{name}: connection closed")))?;
        match tokio::time::timeout(REPLY_TIMEOUT, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(ControlError::NotConnected(format!(
                "{name}: connection lost before Asterisk answered"
            ))),
            Err(_) => Err(ControlError::NotConnected(format!(
                "{name}: Asterisk did not answer within {}s",
                REPLY_TIMEOUT.as_secs()
            ))),
        }
    }
}

/// [`CallControl`] for one AMI source: the desk's extension, or (from [`AmiControl::at`])
/// one extension of a floor connection.
pub struct AmiControl {
    name: String,
    link: Arc<Link>,
    extension: Option<String>,
}

impl AmiControl {
    /// The control for the source called `name`, talking through `link`.
    pub fn new(name: String, link: Arc<Link>) -> Self {
        Self {
            name,
            link,
            extension: None,
        }
    }

    /// The same connection's control of `extension` only: dial from its device, hang up or
    /// transfer only calls live at it. A floor connection (no `extension` configured) is
    /// controlled this way; on a desk, another extension than its own is refused.
    pub fn at(&self, extension: &str) -> AmiControl {
        AmiControl {
            name: self.name.clone(),
            link: Arc::clone(&self.link),
            extension: Some(extension.trim().to_string()),
        }
    }

    async fn ask(&self, action: Action) -> Result<(), ControlError> {
        let request = Request {
            extension: self.extension.clone(),
            action,
        };
        self.link.ask(&self.name, request).await
    }
}

#[async_trait]
impl CallControl for AmiControl {
    fn name(&self) -> &str {
        &self.name
    }

    async fn dial(&self, target: &str) -> Result<(), ControlError> {
        self.ask(Action::Dial(dialplan_exten(target)?)).await
    }

    async fn answer(&self, _call_id: Option<&str>) -> Result<(), ControlError> {
        Err(ControlError::Refused(
            "Asterisk cannot pick up a desk phone remotely; answer on the phone".into(),
        ))
    }

    async fn hangup(&self, call_id: Option<&str>) -> Result<(), ControlError> {
        self.ask(Action::Hangup(call_id.map(str::to_string))).await
    }

    async fn transfer(&self, call_id: Option<&str>, target: &str) -> Result<(), ControlError> {
        self.ask(Action::Transfer {
            call_id: call_id.map(str::to_string),
            target: dialplan_exten(target)?,
        })
        .await
    }
}

/// The dialplan extension for a target: `sip:200@pbx` → `200`, `tel:+4930…` → `+4930…`,
/// `+49 (30) 123-456` → `+4930123456`.
pub fn dialplan_exten(target: &str) -> Result<String, ControlError> {
    let tidy = crate::control::dial_target(target)?;
    let t = tidy.as_str();
    let t = t
        .strip_prefix("sip:")
        .or_else(|| t.strip_prefix("sips:"))
        .or_else(|| t.strip_prefix("tel:"))
        .unwrap_or(t);
    let user = t.split(['@', ';']).next().unwrap_or_default();
    let ok = !user.is_empty()
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '*' | '#' | '-' | '_' | '.'));
    if ok {
        Ok(user.to_string())
    } else {
        Err(ControlError::Refused(format!(
            "{target:?} is not a number or extension Asterisk can dial"
        )))
    }
}

/// An action's AMI name and fields (without Context/Priority), and the call a Redirect
/// hands on, for `ext`.
pub(super) type Resolved = (
    &'static str,
    Vec<(&'static str, String)>,
    Option<(String, String)>,
);

pub(super) fn resolve(
    tracker: &Tracker,
    ext: String,
    action: Action,
) -> Result<Resolved, ControlError> {
    let no_call = |id: &Option<String>| {
        ControlError::NoCall(
            id.clone()
                .unwrap_or_else(|| format!("a live call at {ext}")),
        )
    };
    match action {
        Action::Dial(target) => Ok((
            "Originate",
            vec![("Channel", tracker.device(&ext)), ("Exten", target)],
            None,
        )),
        Action::Transfer { call_id, target } => {
            let Some((call, peer)) = tracker.peer_channel(&ext, call_id.as_deref()) else {
                return Err(no_call(&call_id));
            };
            Ok((
                "Redirect",
                vec![("Channel", peer), ("Exten", target)],
                Some((ext, call)),
            ))
        }
        Action::Hangup(call_id) => {
            let Some(channel) = tracker.agent_channel(&ext, call_id.as_deref()) else {
                return Err(no_call(&call_id));
            };
            Ok(("Hangup", vec![("Channel", channel)], None))
        }
    }
}
