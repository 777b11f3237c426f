//! Chain behaviour with test directories that count their calls and can be slow or broken.

use super::*;
use crate::directory::LookupError;
use crate::phone::PhoneRules;
use crate::store::Store;
use async_trait::async_trait;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

struct Counting {
    name: &'static str,
    delay: Duration,
    answer: Result<Vec<Customer>, LookupError>,
    calls: AtomicUsize,
    /// Signalled each time a lookup has answered.
    answered: tokio::sync::Notify,
}

#[async_trait]
impl Directory for Counting {
    fn name(&self) -> &str {
        self.name
    }
    async fn lookup(&self, _n: &Normalised) -> Result<Vec<Customer>, LookupError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        self.answered.notify_one();
        self.answer.clone()
    }
}

fn customer(name: &str) -> Customer {
    Customer {
        id: name.to_lowercase(),
        name: name.into(),
        company: None,
        phones: vec![],
        vip: false,
        note: None,
        url: Some(format!("https://crm.example.com/{name}")),
        directory: String::new(),
    }
}

fn dir(name: &'static str, ms: u64, answer: Result<Vec<Customer>, LookupError>) -> Arc<Counting> {
    Arc::new(Counting {
        name,
        delay: Duration::from_millis(ms),
        answer,
        calls: AtomicUsize::new(0),
        answered: tokio::sync::Notify::new(),
    })
}

async fn chain(dirs: Vec<Arc<Counting>>) -> Arc<Chain> {
    let store = Store::in_memory().await.unwrap();
    let dirs = dirs.into_iter().map(|d| d as Arc<dyn Directory>).collect();
    Arc::new(Chain::new(dirs, LookupCache::new(store), 60, 60))
}

fn number() -> Normalised {
    PhoneRules::new("US", 8)
        .unwrap()
        .normalise("+15551234567")
        .number()
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn first_match_wins_and_failures_fall_through() {
    let broken = dir(
        "broken",
        0,
        Err(LookupError::Unreachable("connection refused".into())),
    );
    let empty = dir("empty", 0, Ok(vec![]));
    let crm = dir("crm", 0, Ok(vec![customer("Lisa")]));
    let never = dir("never", 0, Ok(vec![customer("Bart")]));
    let chain = chain(vec![broken.clone(), empty, crm, never.clone()]).await;
    let out = chain.lookup(&number()).await;
    assert_eq!(out.matches[0].name, "Lisa");
    assert_eq!(out.directory.as_deref(), Some("crm"));
    assert_eq!(out.matches[0].directory, "crm");
    assert!(matches!(out.steps[0].result, StepResult::Failed(_)));
    assert_eq!(never.calls.load(Ordering::SeqCst), 0);
    assert!(matches!(chain.health()[0].1, Health::Down(_)));
}

#[tokio::test]
async fn identical_concurrent_lookups_are_coalesced() {
    let slow = dir("slow", 100, Ok(vec![customer("Lisa")]));
    let chain = chain(vec![slow.clone()]).await;
    let n = number();
    let (a, b, c) = tokio::join!(chain.lookup(&n), chain.lookup(&n), chain.lookup(&n));
    assert_eq!(slow.calls.load(Ordering::SeqCst), 1);
    assert!(Arc::ptr_eq(&a, &b) && Arc::ptr_eq(&b, &c));
}

#[tokio::test]
async fn hits_and_misses_are_cached() {
    let crm = dir("crm", 0, Ok(vec![customer("Lisa")]));
    let chain = chain(vec![crm.clone()]).await;
    chain.lookup(&number()).await;
    let again = chain.lookup(&number()).await;
    assert_eq!(crm.calls.load(Ordering::SeqCst), 1);
    assert!(matches!(
        again.steps[0].result,
        StepResult::CachedHit {
            count: 1,
            stale: false
        }
    ));

    let nobody = dir("nobody", 0, Ok(vec![]));
    let chain = super::tests::chain(vec![nobody.clone()]).await;
    chain.lookup(&number()).await;
    let again = chain.lookup(&number()).await;
    assert_eq!(nobody.calls.load(Ordering::SeqCst), 1);
    assert!(matches!(
        again.steps[0].result,
        StepResult::CachedMiss { stale: false }
    ));
}

#[tokio::test]
async fn failures_are_not_cached() {
    let broken = dir("broken", 0, Err(LookupError::Timeout(800)));
    let chain = chain(vec![broken.clone()]).await;
    chain.lookup(&number()).await;
    chain.lookup(&number()).await;
    assert_eq!(broken.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_lookup_finishes_even_when_nobody_waits() {
    let slow = dir("slow", 50, Ok(vec![customer("Lisa")]));
    let chain = chain(vec![slow.clone()]).await;
    let n = number();
    let _ = tokio::time::timeout(Duration::from_millis(5), chain.lookup(&n)).await;
    // Nobody waits any more; the directory still answers, and the run ends (it leaves the
    // in-flight table only after writing the cache).
    slow.answered.notified().await;
    while !crate::sync::lock(&chain.inflight).is_empty() {
        tokio::task::yield_now().await;
    }
    let out = chain.lookup(&n).await;
    assert_eq!(
        slow.calls.load(Ordering::SeqCst),
        1,
        "the abandoned lookup still cached its answer"
    );
    assert!(
        matches!(out.steps[0].result, StepResult::CachedHit { count: 1, .. }),
        "{:?}",
        out.steps
    );
    assert_eq!(out.matches.len(), 1);
}
