//! The assembled application: store, directory chain, engine, presenter and sources, as
//! `screenpop run` and the desktop shell both start it (one code path).
//!
//! [`App::open`] wires everything from [`Settings`]; [`App::run`] serves until the shutdown
//! future resolves, then stops sources, lets the engine write what is in flight (live calls
//! stay in the store and resume at the next start), and returns. One cancellation token
//! stops every task, and every task is awaited before `run` returns.

mod edges;

use edges::bind_local;
pub use edges::{signals, status_json};

use crate::api::{self, ApiState};
use crate::config::{Paths, Settings};
use crate::directory::open::Lookups;
use crate::engine::{Engine, Input, Timing};
use crate::event::SourceId;
use crate::phone::PhoneRules;
use crate::present::notify::DesktopNotifier;
use crate::present::{self, Intent, Policy, Switches};
use crate::secrets::{self, SecretStore};
use crate::source::supervisor::supervised;
use crate::store::Store;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long stopping waits for the engine to write what is in flight.
const ENGINE_STOP: Duration = Duration::from_secs(10);
/// How long stopping waits for a journal delivery in flight.
const JOURNAL_STOP: Duration = Duration::from_secs(2);

/// Runs `work` until it ends or `stop` is cancelled, whichever comes first.
async fn until_stopped(stop: CancellationToken, work: impl Future) {
    let _ = stop.run_until_cancelled_owned(work).await;
}

/// Why the daemon could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Region(#[from] crate::phone::UnknownRegion),
    #[error("webhook token: {0}")]
    Secret(#[from] crate::secrets::SecretError),
    #[error("cannot listen on 127.0.0.1:{port}: {source} (is another screenpop running? change [webhook] port)")]
    Listen { port: u16, source: std::io::Error },
}

/// Everything a running screenpop holds.
pub struct App {
    pub settings: Settings,
    pub paths: Paths,
    pub store: Store,
    pub rules: PhoneRules,
    pub engine: Arc<Engine>,
    pub switches: Arc<Switches>,
    pub secrets: Arc<dyn SecretStore>,
    /// Clicks the daemon cannot carry out itself (dial, create contact without a page).
    pub intents: broadcast::Sender<Intent>,
    /// The `[[source]]`s: feeds [`App::run`] supervises, and call controls (the first one
    /// dials "Call back" clicks and serves `/v1/control/…`; shells may use it for `tel:` links).
    pub sources: crate::source::Sources,
}

impl App {
    /// Opens the store and builds the chain and engine from `settings`.
    pub async fn open(
        paths: Paths,
        settings: Settings,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Self, DaemonError> {
        let Lookups {
            store,
            rules,
            chain,
        } = Lookups::open::<DaemonError>(&paths.database(), &settings, &secrets).await?;
        let engine = Engine::new(
            rules.clone(),
            chain,
            store.clone(),
            Timing {
                stale_call: Duration::from_secs(settings.engine.stale_call_s),
                ..Timing::with_budget(Duration::from_millis(settings.lookup.budget_ms))
            },
        );
        engine.set_rules(crate::rules::Rulebook::new(
            &settings.rules,
            &settings.rule_list,
        ));
        let (intents, _) = broadcast::channel(64);
        let sources = crate::source::build(&settings.active_sources(), &secrets);
        // A rule's transfer goes through the call's own source's control.
        for control in &sources.controls {
            engine.add_control(Arc::clone(control));
        }
        Ok(Self {
            settings,
            paths,
            store,
            rules,
            engine,
            switches: Arc::default(),
            secrets,
            intents,
            sources,
        })
    }

    /// Binds the webhook's `[webhook] port` on 127.0.0.1 (`None` when the webhook is off).
    pub async fn bind(&self) -> Result<Option<TcpListener>, DaemonError> {
        if !self.settings.webhook.enabled {
            return Ok(None);
        }
        let port = self.settings.webhook.port;
        TcpListener::bind(("127.0.0.1", port))
            .await
            .map(Some)
            .map_err(|source| DaemonError::Listen { port, source })
    }

    /// [`App::bind`] then [`App::run`]: what `screenpop run` and the desktop shell do.
    pub async fn serve(
        &self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), DaemonError> {
        let listener = self.bind().await?;
        self.run(listener, shutdown).await
    }

    /// Runs sources, engine and presenter until `shutdown` resolves, serving the webhook on
    /// `listener` (tests hand in one bound to `127.0.0.1:0` and read its port back).
    ///
    /// One [`CancellationToken`] stops everything; every task belongs to a [`TaskTracker`]
    /// (or is a handle held here) and is awaited before this returns. Sources stop first, so
    /// nothing new comes in; the engine then writes what is in flight (live calls stay in the
    /// store for the next start); the journal gets a moment to finish a delivery.
    pub async fn run(
        &self,
        listener: Option<TcpListener>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), DaemonError> {
        let stop = CancellationToken::new();
        let feeds = TaskTracker::new();
        let helpers = TaskTracker::new();
        let (input, engine_task) = self.engine.start();
        self.spawn_presenter(&helpers, &stop);
        let (journal_stop, journal_stopped) = broadcast::channel::<()>(1);
        let mut journal = tokio::spawn(
            crate::journal::JournalWorker::new(
                self.store.clone(),
                self.engine.chain().directories(),
                self.settings.journal.clone(),
            )
            .run(self.engine.subscribe(), journal_stopped),
        );
        let requests = Arc::new(api::control::SeenRequests::default());
        if let (Some(listener), Some(token)) = (listener, self.webhook_token(&input).await) {
            {
                let state = self.api_state(&input, Some(token), &requests);
                let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
                tracing::info!(port, "webhook listening on 127.0.0.1");
                // Said where status, tray and window look.
                let _ = input
                    .send(Input::Health {
                        source: SourceId("webhook".into()),
                        health: crate::event::Health::Up,
                    })
                    .await;
                let stopped = stop.clone().cancelled_owned();
                feeds.spawn(async move {
                    if let Err(e) = api::serve(listener, state, stopped).await {
                        tracing::error!(error = %e, "webhook stopped");
                    }
                });
            }
        }
        match bind_local(&self.paths.socket()) {
            Ok(listener) => {
                let state = self.api_state(&input, None, &requests);
                let stopped = stop.clone().cancelled_owned();
                feeds.spawn(async move {
                    if let Err(e) = api::serve_local(listener, state, stopped).await {
                        tracing::error!(error = %e, "local socket stopped");
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "no local control socket; the CLI will use the webhook")
            }
        }
        if let Some(file) = self.settings.contacts.import.clone() {
            let watch = crate::directory::preload::watch(
                self.store.clone(),
                self.rules.clone(),
                file,
                stop.clone().cancelled_owned(),
            );
            feeds.spawn(watch);
        }
        for feed in self.sources.feeds.iter().cloned() {
            feeds.spawn(supervised(feed, input.clone(), stop.clone()));
        }
        drop(input);
        // Start-up is over: give its transient heap (metadata parsing, migrations) back.
        crate::memory::release_free_heap();
        tracing::info!("screenpop running");
        shutdown.await;
        tracing::info!("shutting down");
        stop.cancel();
        feeds.close();
        feeds.wait().await;
        let _ = std::fs::remove_file(self.paths.socket());
        let mut engine_task = engine_task;
        if tokio::time::timeout(ENGINE_STOP, &mut engine_task)
            .await
            .is_err()
        {
            tracing::warn!("the engine is still writing after 10 s; stopping anyway (unwritten events are replayed at the next start)");
            engine_task.abort();
            let _ = engine_task.await;
        }
        // Lookups the engine stopped waiting for, and cache refreshes.
        self.engine.chain().shutdown().await;
        // Undelivered rows stay in the outbox for the next start.
        let _ = journal_stop.send(());
        if tokio::time::timeout(JOURNAL_STOP, &mut journal)
            .await
            .is_err()
        {
            journal.abort();
            let _ = journal.await;
            tracing::info!("journal deliveries still in flight; they resume at the next start");
        }
        helpers.close();
        helpers.wait().await;
        Ok(())
    }

    /// The presenter and the clicks coming back from notifications, until `stop`.
    fn spawn_presenter(&self, helpers: &TaskTracker, stop: &CancellationToken) {
        let (click_tx, mut click_rx) = present::intents();
        let policy = Policy::new(self.settings.notify.clone(), Arc::clone(&self.switches));
        helpers.spawn(until_stopped(
            stop.clone(),
            present::run(
                self.engine.subscribe(),
                policy,
                Box::new(DesktopNotifier::new(
                    click_tx.clone(),
                    helpers.clone(),
                    stop.clone(),
                )),
            ),
        ));
        helpers.spawn(present::sign_in::run(
            crate::oauth::sign_in_notices(),
            click_tx,
            stop.clone(),
        ));
        let unhandled = self.intents.clone();
        let dialler = self.sources.controls.first().cloned();
        let (tracker, token) = (helpers.clone(), stop.clone());
        let (settings, secrets) = (self.settings.clone(), Arc::clone(&self.secrets));
        helpers.spawn(until_stopped(
            stop.clone(),
            async move {
                while let Some(intent) = click_rx.recv().await {
                    if let Intent::SignIn { directory } = &intent {
                        let sign_in = crate::connect::sign_in(
                            settings.clone(),
                            directory.clone(),
                            Arc::clone(&secrets),
                        );
                        tracker.spawn(until_stopped(token.clone(), sign_in));
                        continue;
                    }
                    if let (Some(control), Intent::Dial { number }) = (&dialler, &intent) {
                        let (control, number) = (Arc::clone(control), number.clone());
                        tracker.spawn(until_stopped(token.clone(), async move {
                            match control.dial(&number).await {
                                Ok(()) => tracing::info!(control = control.name(), "calling back"),
                                Err(e) => tracing::warn!(control = control.name(), error = %e, "call back failed"),
                            }
                        }));
                        continue;
                    }
                    if let Some(rest) = present::handle_intent(intent) {
                        if unhandled.send(rest.clone()).is_err() {
                            tracing::info!(intent = ?rest, "nothing here can carry this out (no call control or contact form)");
                        }
                    }
                }
            },
        ));
    }

    /// The webhook token from the keyring (created on first run); `None` when the webhook
    /// is off or there is no keyring.
    async fn webhook_token(&self, input: &mpsc::Sender<Input>) -> Option<String> {
        if !self.settings.webhook.enabled {
            return None;
        }
        match secrets::read_or_create(
            &self.secrets,
            &self.settings.webhook.token_secret,
            secrets::random_token,
        )
        .await
        {
            Ok(token) => Some(token),
            Err(e) => {
                // Without a token the TCP webhook would be open to every local user: keep
                // it closed, but run on — the owner-only socket still serves the CLI.
                tracing::error!(error = %e, "webhook on 127.0.0.1 disabled: no keyring for its token; `screenpop event` still works");
                // Said where status, tray and window look, not only in the log.
                let _ = input
                    .send(Input::Health {
                        source: SourceId("webhook".into()),
                        health: crate::event::Health::Down(format!(
                            "disabled: no keyring for its token ({e})"
                        )),
                    })
                    .await;
                None
            }
        }
    }

    fn api_state(
        &self,
        input: &mpsc::Sender<Input>,
        token: Option<String>,
        requests: &Arc<api::control::SeenRequests>,
    ) -> Arc<ApiState> {
        Arc::new(ApiState {
            input: input.clone(),
            token,
            status: self.status_report(),
            source: SourceId("webhook".into()),
            controls: self.sources.controls.clone(),
            requests: Arc::clone(requests),
        })
    }

    /// Looks a number up through the chain, as a call would ("Test lookup", with the
    /// explain steps); `None` when `raw` is no number (withheld, empty, a name).
    pub async fn lookup(
        &self,
        raw: &str,
    ) -> Option<(
        crate::phone::Normalised,
        Arc<crate::directory::chain::LookupOutcome>,
    )> {
        let crate::phone::Remote::Number(number) = self.rules.normalise(raw) else {
            return None;
        };
        let outcome = self.engine.chain().lookup(&number).await;
        Some((number, outcome))
    }

    /// `GET /v1/status`'s report, assembled here where sources, chain and calls are known.
    fn status_report(&self) -> api::StatusReport {
        let engine = Arc::clone(&self.engine);
        Arc::new(move || status_json(&engine))
    }

    /// A sender into the engine for extra sources (desktop, tests); valid while [`App::run`] runs.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }
}
