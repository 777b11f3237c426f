//! `screenpop relay`: the call-center floor's PBX side (see DESIGN §9).
//!
//! One PBX connection ([`pbx`]: the AMI source in floor mode, every extension) → per-extension
//! calls ([`floor`]) → the broker ([`broker`]): `<prefix>/<ext>/events`, retained `…/current`
//! and `<prefix>/relay/status` (last will). The relay looks each caller up once in the
//! `[[directory]]` chain and journals each call once through the outbox; desks are ordinary
//! `kind = "mqtt"` sources. Commands from desks are authorised per extension and carried out
//! over the PBX ([`commands`]). A second relay waits as standby ([`standby`]) and takes over
//! when the active one's last will says `offline`; [`active`] is the active relay's loop.
//! [`status`] is what `screenpop status` shows on the relay host; [`acl`] the broker's ACL.

pub mod acl;
mod active;
pub mod broker;
mod commands;
pub mod floor;
pub mod pbx;
mod standby;
pub mod status;

use crate::config::{JournalSettings, Paths, RelaySettings, Settings};
use crate::directory::chain::Chain;
use crate::directory::open::Lookups;
use crate::event::Health;
use crate::phone::PhoneRules;
use crate::secrets::SecretStore;
use crate::store::calls::CallLog;
use crate::store::Store;
use crate::topics::Topics;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Why the relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Region(#[from] crate::phone::UnknownRegion),
    #[error(transparent)]
    Broker(#[from] broker::BrokerError),
    #[error(transparent)]
    Pbx(#[from] pbx::PbxError),
}

/// Everything a running relay holds.
pub struct Relay {
    settings: RelaySettings,
    topics: Topics,
    client_id: String,
    secrets: Arc<dyn SecretStore>,
    rules: PhoneRules,
    chain: Arc<Chain>,
    store: Store,
    log: CallLog,
    journal_to: Vec<String>,
    journal_settings: JournalSettings,
    budget: Duration,
    pbx: tokio::sync::Mutex<pbx::PbxFeed>,
    status: status::Shared,
    paths: Paths,
}

impl Relay {
    /// Opens the relay's store (lookup cache, outbox, its own call log) and builds the
    /// directory chain and the PBX feed from `settings`.
    pub async fn open(
        paths: Paths,
        settings: Settings,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Self, RelayError> {
        let feed = pbx::from_config(&settings.active_sources(), &secrets)?;
        let relay = settings.relay.clone();
        relay
            .broker_address()
            .map_err(|p| broker::BrokerError::Config(p.message))?;
        let Lookups {
            store,
            rules,
            chain,
        } = Lookups::open::<RelayError>(&paths.database(), &settings, &secrets).await?;
        let journal_to = if relay.journal {
            chain
                .directories()
                .iter()
                .filter(|d| d.journals())
                .map(|d| d.name().to_string())
                .collect()
        } else {
            Vec::new()
        };
        let client_id = relay
            .client_id
            .clone()
            .unwrap_or_else(|| format!("screenpop-relay-{}", crate::source::mqtt::hostname()));
        let topics = Topics::new(&relay.topic_prefix);
        let status = Arc::new(Mutex::new(status::RelayStatus {
            role: "standby".into(),
            relay: client_id.clone(),
            active_relay: None,
            broker: relay.broker.clone(),
            broker_health: Health::Connecting,
            pbx: feed.name.clone(),
            pbx_health: Health::Down("standby: not connected".into()),
            topic_prefix: topics.prefix().to_string(),
            lookup: relay.lookup,
            journal: relay.journal,
            extensions_seen: Vec::new(),
            calls: Vec::new(),
            published: 0,
            commands_ok: 0,
            commands_refused: 0,
        }));
        Ok(Self {
            log: CallLog::new(store.clone()),
            budget: Duration::from_millis(settings.lookup.budget_ms),
            journal_settings: settings.journal.clone(),
            settings: relay,
            topics,
            client_id,
            secrets,
            rules,
            chain,
            store,
            journal_to,
            pbx: tokio::sync::Mutex::new(feed),
            status,
            paths,
        })
    }

    /// The status `screenpop status` shows.
    pub fn status(&self) -> status::RelayStatus {
        crate::sync::lock(&self.status).clone()
    }

    /// Serves until `shutdown` is cancelled: standby until this relay holds the floor, then
    /// active; back to standby if another relay took over meanwhile.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) -> Result<(), RelayError> {
        let tasks = tokio_util::task::TaskTracker::new();
        let socket = self.paths.data_dir.join(status::SOCKET);
        let (status, stop) = (Arc::clone(&self.status), shutdown.clone());
        tasks.spawn(async move {
            if let Err(e) = status::serve(&socket, status, stop).await {
                tracing::warn!(error = %e, "no status socket; `screenpop status` cannot see the relay");
            }
        });
        let (wake, _) = tokio::sync::broadcast::channel(64);
        let (stop_journal, _) = tokio::sync::broadcast::channel::<()>(1);
        if !self.journal_to.is_empty() {
            let worker = crate::journal::JournalWorker::new(
                self.store.clone(),
                self.chain.directories(),
                self.journal_settings.clone(),
            );
            tasks.spawn(worker.run(wake.subscribe(), stop_journal.subscribe()));
        }
        tasks.close();
        tracing::info!(relay = %self.client_id, prefix = %self.topics.prefix(), journal = self.settings.journal, lookup = self.settings.lookup, "screenpop relay running");
        let mut result = Ok(());
        loop {
            let since = match standby::wait_turn(&self, &shutdown).await {
                Ok(Some(since)) => since,
                Ok(None) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            match active::serve(&self, since, &shutdown, &wake).await {
                Ok(active::Ended::Stopped) => break,
                Ok(active::Ended::Superseded) => continue,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        shutdown.cancel();
        self.chain.shutdown().await;
        let _ = stop_journal.send(());
        if tokio::time::timeout(Duration::from_secs(5), tasks.wait())
            .await
            .is_err()
        {
            tracing::info!("journal deliveries still in flight; they resume at the next start");
        }
        tracing::info!("screenpop relay stopped");
        result
    }
}
