//! The source supervisor: keeps every configured source connected and reports its health.
//!
//! A [`Source`] connects and reads until its connection fails; the supervisor runs it in a
//! loop — `connecting` → (source says `up`) → on error `down: reason`, back off (1 s doubling
//! to 30 s, with jitter), try again — until the stop token is cancelled. A source that dies never takes
//! the daemon down; the engine closes a lost source's live calls as "source lost" when it
//! reports `down`. Health changes flow to the engine as [`Input::Health`].

use crate::engine::Input;
use crate::event::{CallEvent, Health, SourceId};
use async_trait::async_trait;
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// First retry delay after a failure.
pub const BACKOFF_START: Duration = Duration::from_secs(1);
/// Longest retry delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// Why a source's connection ended.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    #[error("cannot connect to {address}: {reason}")]
    Connect { address: String, reason: String },
    #[error("connection lost: {0}")]
    Lost(String),
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("login refused: {0}")]
    Login(String),
}

/// A feed of call events (softphone, broker, PBX, router).
#[async_trait]
pub trait Source: Send + Sync + 'static {
    /// The source's name in health reports and the call log.
    fn id(&self) -> SourceId;

    /// Connects and reads until the connection fails (an error) or `sink` says to stop
    /// (return `Ok`). Call [`EventSink::up`] once connected and authenticated.
    async fn run(&self, sink: &mut EventSink) -> Result<(), SourceError>;
}

/// What a running source talks to: the engine, and the stop signal.
pub struct EventSink {
    source: SourceId,
    input: mpsc::Sender<Input>,
    stop: CancellationToken,
    connected: bool,
}

impl EventSink {
    /// A sink for a one-off run of `source` outside the supervisor ("Test connection"):
    /// what the source reports arrives on the receiver; cancelling the token stops it.
    pub fn detached(source: SourceId) -> (Self, mpsc::Receiver<Input>, CancellationToken) {
        let (input, heard) = mpsc::channel(16);
        let stop = CancellationToken::new();
        let sink = EventSink {
            source,
            input,
            stop: stop.clone(),
            connected: false,
        };
        (sink, heard, stop)
    }

    /// Hands an event to the engine, which commits it as it arrives (for sources without
    /// acknowledgements); false if the engine is gone (stop reading).
    pub async fn send(&self, event: CallEvent) -> bool {
        self.input.send(Input::Event(event)).await.is_ok()
    }

    /// Hands an event to the engine to commit; the answer resolves to `true` once it is in
    /// the store — acknowledge it to the sender only then. `None`: the engine is gone.
    pub async fn commit(&self, event: CallEvent) -> Option<oneshot::Receiver<bool>> {
        let (ack, committed) = oneshot::channel();
        self.input
            .send(Input::Acked { event, ack })
            .await
            .ok()
            .map(|()| committed)
    }

    /// Reports the connection as up (resets the backoff).
    pub async fn up(&mut self) {
        self.connected = true;
        let _ = self
            .input
            .send(Input::Health {
                source: self.source.clone(),
                health: Health::Up,
            })
            .await;
    }

    /// Reports the health of something this source watches on the side (a relay behind
    /// an MQTT topic), under its own name, so status and the tray show it.
    pub async fn report(&self, name: SourceId, health: Health) {
        let _ = self
            .input
            .send(Input::Health {
                source: name,
                health,
            })
            .await;
    }

    /// The source this sink belongs to.
    pub fn source(&self) -> &SourceId {
        &self.source
    }

    /// Resolves when the daemon asks sources to stop; use it in `select!` beside reads.
    pub async fn stopped(&mut self) {
        self.stop.cancelled().await
    }

    /// Whether a stop was requested.
    pub fn is_stopping(&self) -> bool {
        self.stop.is_cancelled()
    }
}

/// The delay before retry number `attempt` (0-based), with ±20 % jitter.
pub fn backoff(attempt: u32) -> Duration {
    let base = BACKOFF_START
        .saturating_mul(2u32.saturating_pow(attempt.min(8)))
        .min(BACKOFF_MAX);
    let jitter = rand::rng().random_range(0.8..1.2);
    base.mul_f64(jitter).min(BACKOFF_MAX.mul_f64(1.2))
}

/// Runs `source` under supervision until `stop` is cancelled, on a task of its own.
pub fn supervise(
    source: Arc<dyn Source>,
    input: mpsc::Sender<Input>,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(supervised(source, input, stop))
}

/// Runs `source` under supervision until `stop` is cancelled (for an owner's task tracker).
pub async fn supervised(
    source: Arc<dyn Source>,
    input: mpsc::Sender<Input>,
    stop: CancellationToken,
) {
    let id = source.id();
    let mut sink = EventSink {
        source: id.clone(),
        input,
        stop,
        connected: false,
    };
    let mut attempt = 0u32;
    loop {
        if sink.is_stopping() {
            return;
        }
        let _ = sink
            .input
            .send(Input::Health {
                source: id.clone(),
                health: Health::Connecting,
            })
            .await;
        sink.connected = false;
        let stop = sink.stop.clone();
        let result = tokio::select! {
            r = source.run(&mut sink) => r,
            () = stop.cancelled() => return,
        };
        if sink.is_stopping() {
            return;
        }
        let reason = match result {
            Ok(()) => "source ended".to_string(),
            Err(e) => e.to_string(),
        };
        if sink.connected {
            attempt = 0;
        }
        tracing::warn!(source = %id, reason = %reason, "source down");
        let _ = sink
            .input
            .send(Input::Health {
                source: id.clone(),
                health: Health::Down(reason),
            })
            .await;
        let delay = backoff(attempt);
        attempt = attempt.saturating_add(1);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = sink.stop.cancelled() => return,
        }
    }
}

#[cfg(test)]
mod tests;
