//! The lookup chain: asks directories in configured order, first match wins.
//!
//! Around the directories it adds what every caller needs: a TTL cache of hits and misses
//! (stale entries served at once and refreshed in the background), coalescing of identical
//! concurrent lookups, per-directory health, and an explain trace (`screenpop lookup
//! --explain`). Lookups and cache refreshes run as tasks of the chain's own tracker (they
//! outlive a caller that stops waiting); [`Chain::shutdown`] stops and awaits them. The time budget is the engine's: it awaits [`Chain::lookup`] for at most the
//! budget, pops "Looking up…", and replaces the pop when this future finishes.

use super::{CreateError, Customer, Directory, NewContact};
use crate::event::Health;
use crate::phone::Normalised;
use crate::store::cache::LookupCache;
use futures::future::{BoxFuture, FutureExt, Shared};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What one directory did during a lookup.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub directory: String,
    pub took_ms: f64,
    pub result: StepResult,
}

/// How a directory answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum StepResult {
    Hit(usize),
    Miss,
    CachedHit { count: usize, stale: bool },
    CachedMiss { stale: bool },
    Failed(String),
}

/// The chain's answer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LookupOutcome {
    /// Matches from the first directory that had any (best first).
    pub matches: Vec<Customer>,
    /// Which directory answered.
    pub directory: Option<String>,
    /// Where to create a contact for this number, when nobody matched.
    pub create_contact_url: Option<String>,
    pub steps: Vec<Step>,
}

type Pending = Shared<BoxFuture<'static, Arc<LookupOutcome>>>;

/// Directories in order, with cache, coalescing and health.
pub struct Chain {
    directories: Vec<Arc<dyn Directory>>,
    cache: LookupCache,
    hit_ttl_s: u64,
    miss_ttl_s: u64,
    inflight: Mutex<HashMap<String, Pending>>,
    health: Mutex<HashMap<String, Health>>,
    /// Lookups and refreshes in the background.
    tasks: TaskTracker,
    stop: CancellationToken,
}

impl Chain {
    /// The chain `settings` configure: their `[[directory]]` tables in order, cached in the
    /// context's store with the `[lookup]` TTLs.
    pub fn configured(settings: &crate::config::Settings, ctx: &super::BuildContext) -> Self {
        Self::new(
            super::build(&settings.directory_chain(), ctx),
            LookupCache::new(ctx.store.clone()),
            settings.lookup.cache_ttl_s,
            settings.lookup.miss_ttl_s,
        )
    }

    /// A chain over `directories` (in order) caching in `cache`.
    pub fn new(
        directories: Vec<Arc<dyn Directory>>,
        cache: LookupCache,
        hit_ttl_s: u64,
        miss_ttl_s: u64,
    ) -> Self {
        Self {
            directories,
            cache,
            hit_ttl_s,
            miss_ttl_s,
            inflight: Mutex::new(HashMap::new()),
            health: Mutex::new(HashMap::new()),
            tasks: TaskTracker::new(),
            stop: CancellationToken::new(),
        }
    }

    /// Stops the lookups and cache refreshes still running and waits for them; lookups
    /// asked for afterwards answer at once with nothing found (screenpop is stopping).
    pub async fn shutdown(&self) {
        self.stop.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }

    /// The directories in chain order.
    pub fn directories(&self) -> &[Arc<dyn Directory>] {
        &self.directories
    }

    /// Each directory's last known health.
    pub fn health(&self) -> Vec<(String, Health)> {
        let map = crate::sync::lock(&self.health);
        self.directories
            .iter()
            .map(|d| {
                (
                    d.name().to_string(),
                    map.get(d.name()).cloned().unwrap_or(Health::Up),
                )
            })
            .collect()
    }

    /// Looks `number` up; identical concurrent lookups share one run. The run continues in
    /// its own task even if every caller stops waiting, so its answer still lands in the cache.
    pub async fn lookup(self: &Arc<Self>, number: &Normalised) -> Arc<LookupOutcome> {
        let key = cache_key(number);
        let pending = {
            let mut inflight = crate::sync::lock(&self.inflight);
            if let Some(p) = inflight.get(&key) {
                p.clone()
            } else {
                let this = Arc::clone(self);
                let number = number.clone();
                let task_key = key.clone();
                let stop = self.stop.clone();
                let task = self.tasks.spawn(async move {
                    let outcome = match stop.run_until_cancelled(this.run(&number, None)).await {
                        Some(outcome) => Arc::new(outcome),
                        None => Arc::new(failed("screenpop is stopping".into())),
                    };
                    crate::sync::lock(&this.inflight).remove(&task_key);
                    outcome
                });
                let shared = async move {
                    task.await
                        .unwrap_or_else(|e| Arc::new(failed(format!("lookup task failed: {e}"))))
                }
                .boxed()
                .shared();
                inflight.insert(key, shared.clone());
                shared
            }
        };
        pending.await
    }

    /// One directory only (`screenpop lookup --via NAME`), bypassing coalescing.
    pub async fn lookup_via(&self, number: &Normalised, via: &str) -> Option<LookupOutcome> {
        self.directories
            .iter()
            .any(|d| d.name() == via)
            .then_some(())?;
        Some(self.run(number, Some(via)).await)
    }

    /// Creates `contact` in the directory `via` and puts the new record into that directory's
    /// lookup cache for each of `numbers`: CRMs index new records late (HubSpot's search lags
    /// 10–60 s, Zoho answers 204 for a moment), and the next call should greet at once.
    pub async fn create_contact(
        &self,
        via: &str,
        contact: &NewContact,
        numbers: &[Normalised],
    ) -> Result<Customer, CreateError> {
        let dir = self
            .directories
            .iter()
            .find(|d| d.name() == via)
            .ok_or_else(|| CreateError::Failed(format!("no directory named {via:?}")))?;
        let mut created = dir.create_contact(contact).await?;
        created.directory = dir.name().to_string();
        created.url = dir.profile_url(&created);
        for n in numbers {
            let key = cache_key(n);
            let one = std::slice::from_ref(&created);
            if let Err(e) = self.cache.put(dir.name(), &key, one, self.hit_ttl_s).await {
                tracing::warn!(directory = dir.name(), error = %e, "new contact not cached");
            }
        }
        tracing::info!(directory = dir.name(), id = %created.id, "contact created");
        Ok(created)
    }

    async fn run(&self, number: &Normalised, only: Option<&str>) -> LookupOutcome {
        let key = cache_key(number);
        let mut outcome = LookupOutcome::default();
        for dir in self
            .directories
            .iter()
            .filter(|d| only.is_none_or(|o| o == d.name()))
        {
            let started = Instant::now();
            let (result, found) = if dir.cacheable() {
                self.cached_lookup(dir, number, &key).await
            } else {
                self.direct_lookup(dir.as_ref(), number).await
            };
            outcome.steps.push(Step {
                directory: dir.name().to_string(),
                took_ms: started.elapsed().as_secs_f64() * 1000.0,
                result,
            });
            if outcome.create_contact_url.is_none() {
                outcome.create_contact_url = dir.create_contact_url(number);
            }
            if !found.is_empty() {
                outcome.directory = Some(dir.name().to_string());
                outcome.matches = found
                    .into_iter()
                    .map(|mut c| {
                        c.url = dir.profile_url(&c);
                        c.directory = dir.name().to_string();
                        c
                    })
                    .collect();
                break;
            }
        }
        outcome
    }

    async fn direct_lookup(
        &self,
        dir: &dyn Directory,
        number: &Normalised,
    ) -> (StepResult, Vec<Customer>) {
        match dir.lookup(number).await {
            Ok(mut found) => {
                // A CRM's answer is kept like an imported row: bad optional fields dropped.
                for customer in &mut found {
                    super::import::keep_customer(dir.name(), customer);
                }
                self.set_health(dir.name(), Health::Up);
                let result = if found.is_empty() {
                    StepResult::Miss
                } else {
                    StepResult::Hit(found.len())
                };
                (result, found)
            }
            Err(e) => {
                tracing::warn!(directory = dir.name(), error = %e, "directory lookup failed");
                self.set_health(dir.name(), Health::Down(e.to_string()));
                (StepResult::Failed(e.to_string()), Vec::new())
            }
        }
    }

    async fn cached_lookup(
        &self,
        dir: &Arc<dyn Directory>,
        number: &Normalised,
        key: &str,
    ) -> (StepResult, Vec<Customer>) {
        let cached = match self.cache.get(dir.name(), key).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(directory = dir.name(), error = %e, "lookup cache unreadable");
                None
            }
        };
        if let Some(hit) = cached {
            if hit.stale {
                self.refresh_in_background(dir.clone(), number.clone(), key.to_string());
            }
            let result = if hit.customers.is_empty() {
                StepResult::CachedMiss { stale: hit.stale }
            } else {
                StepResult::CachedHit {
                    count: hit.customers.len(),
                    stale: hit.stale,
                }
            };
            return (result, hit.customers);
        }
        let (result, found) = self.direct_lookup(dir.as_ref(), number).await;
        if !matches!(result, StepResult::Failed(_)) {
            self.store_answer(dir.name(), key, &found).await;
        }
        (result, found)
    }

    fn refresh_in_background(&self, dir: Arc<dyn Directory>, number: Normalised, key: String) {
        let cache = self.cache.clone();
        let (hit_ttl, miss_ttl) = (self.hit_ttl_s, self.miss_ttl_s);
        self.tasks
            .spawn(self.stop.clone().run_until_cancelled_owned(async move {
            if let Ok(found) = dir.lookup(&number).await {
                let ttl = if found.is_empty() { miss_ttl } else { hit_ttl };
                if let Err(e) = cache.put(dir.name(), &key, &found, ttl).await {
                    tracing::warn!(directory = dir.name(), error = %e, "cache refresh not stored");
                }
            }
        }));
    }

    async fn store_answer(&self, directory: &str, key: &str, found: &[Customer]) {
        let ttl = if found.is_empty() {
            self.miss_ttl_s
        } else {
            self.hit_ttl_s
        };
        if let Err(e) = self.cache.put(directory, key, found, ttl).await {
            tracing::warn!(directory, error = %e, "lookup answer not cached");
        }
    }

    fn set_health(&self, name: &str, health: Health) {
        crate::sync::lock(&self.health).insert(name.to_string(), health);
    }
}

/// An answer from the chain itself when no directory could be asked.
fn failed(why: String) -> LookupOutcome {
    LookupOutcome {
        steps: vec![Step {
            directory: "chain".into(),
            took_ms: 0.0,
            result: StepResult::Failed(why),
        }],
        ..Default::default()
    }
}

/// The cache and coalescing key of a number: E.164 when known, else its digits.
pub fn cache_key(number: &Normalised) -> String {
    number
        .e164
        .clone()
        .unwrap_or_else(|| format!("digits:{}", number.digits))
}

#[cfg(test)]
mod tests;
