//! Opening the lookup side the way every long-running process does (`screenpop run`, the
//! desktop's core and `screenpop relay`): the store, the phone rules, the local contacts'
//! match keys brought up to the configured region, `[contacts] import` synced, and the
//! configured `[[directory]]` chain over them.

use super::chain::Chain;
use super::BuildContext;
use crate::config::Settings;
use crate::phone::{PhoneRules, UnknownRegion};
use crate::secrets::SecretStore;
use crate::store::contacts::Contacts;
use crate::store::{Store, StoreError};
use std::path::Path;
use std::sync::Arc;

/// The opened lookup side: what the engine (or the relay's floor) looks callers up with.
pub struct Lookups {
    pub store: Store,
    pub rules: PhoneRules,
    pub chain: Arc<Chain>,
}

impl Lookups {
    /// Opens the database at `database` and builds the chain from `settings`; the error type
    /// is the caller's (the daemon's or the relay's), which says how to report either failure.
    pub async fn open<E>(
        database: &Path,
        settings: &Settings,
        secrets: &Arc<dyn SecretStore>,
    ) -> Result<Self, E>
    where
        E: From<StoreError> + From<UnknownRegion>,
    {
        let store = Store::open(database).await?;
        let rules = settings.phone_rules()?;
        let reindexed = Contacts::new(store.clone())
            .reindex(&rules, &settings.phone.default_region)
            .await?;
        if reindexed > 0 {
            tracing::info!(phones = reindexed, "recomputed phone match keys");
        }
        if let Some(file) = &settings.contacts.import {
            super::preload::sync_logged(&store, &rules, file).await;
        }
        let chain = Arc::new(Chain::configured(
            settings,
            &BuildContext {
                store: store.clone(),
                secrets: Arc::clone(secrets),
                rules: rules.clone(),
            },
        ));
        Ok(Self {
            store,
            rules,
            chain,
        })
    }
}
