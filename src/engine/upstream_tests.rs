//! The engine with events a relay enriched: the relay's `caller` answer greets without asking
//! this desk's directories, a late answer replaces the pop in place, `journaled` keeps the
//! desk from journaling, and "answered by 202" is not a missed call.

use super::*;
use crate::directory::{Customer, Directory, JournalError, LookupError};
use crate::event::{CallEventKind, CallId, CallState, Direction, EndReason, RawNumber, Upstream};
use crate::phone::Normalised;
use crate::store::cache::LookupCache;
use crate::store::calls::CallLog;
use crate::store::outbox::Outbox;
use crate::store::Store;
use async_trait::async_trait;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A journaling CRM that counts the lookups it is asked.
#[derive(Default)]
struct Counting(AtomicUsize);

#[async_trait]
impl Directory for Counting {
    fn name(&self) -> &str {
        "crm"
    }
    async fn lookup(&self, _n: &Normalised) -> Result<Vec<Customer>, LookupError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(Vec::new())
    }
    fn journals(&self) -> bool {
        true
    }
    async fn journal(&self, _call: &crate::store::calls::CallRecord) -> Result<(), JournalError> {
        Ok(())
    }
}

fn lisa() -> Customer {
    Customer {
        id: "42".into(),
        name: "Lisa Simpson".into(),
        company: None,
        phones: vec![],
        vip: true,
        note: Some("Saxophone".into()),
        url: None,
        directory: "hubspot".into(),
    }
}

fn ev(kind: CallEventKind) -> Input {
    Input::Event(CallEvent {
        source: SourceId("mqtt:201".into()),
        call: CallId("L1".into()),
        at: chrono::Utc::now(),
        kind,
    })
}

fn ringing(upstream: Option<Upstream>) -> Input {
    ev(CallEventKind::Ringing {
        direction: Direction::Inbound,
        remote: RawNumber("+15555550142".into()),
        remote_name: None,
        line: None,
        upstream: upstream.map(Box::new),
    })
}

async fn setup() -> (Arc<Engine>, Arc<Counting>, Store) {
    let store = Store::in_memory().await.unwrap();
    let crm = Arc::new(Counting::default());
    let chain = Arc::new(Chain::new(
        vec![crm.clone() as Arc<dyn Directory>],
        LookupCache::new(store.clone()),
        60,
        60,
    ));
    let engine = Engine::new(
        PhoneRules::new("US", 8).unwrap(),
        chain,
        store.clone(),
        Timing::with_budget(Duration::from_millis(2000)),
    );
    (engine, crm, store)
}

async fn next(rx: &mut broadcast::Receiver<EngineEvent>) -> EngineEvent {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("engine went quiet")
        .unwrap()
}

#[tokio::test]
async fn a_relay_answer_greets_at_once_and_the_desk_neither_asks_nor_journals() {
    let (engine, crm, store) = setup().await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    tx.send(ringing(Some(Upstream {
        matches: vec![lisa()],
        looked_up: true,
        journaled: true,
    })))
    .await
    .unwrap();
    let EngineEvent::Call { view } = next(&mut rx).await else {
        panic!()
    };
    assert_eq!(view.customer().unwrap().name, "Lisa Simpson");
    tx.send(ev(CallEventKind::Ended {
        reason: EndReason::AnsweredBy("202".into()),
    }))
    .await
    .unwrap();
    drop(tx);
    task.await.unwrap();
    assert_eq!(crm.0.load(Ordering::SeqCst), 0, "the desk asked its CRM");
    let rows = CallLog::new(store.clone())
        .list(&Default::default())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].missed);
    assert_eq!(rows[0].end_reason, "answered by 202");
    assert!(Outbox::new(store).pending().await.unwrap().is_empty());
}

#[tokio::test]
async fn without_a_caller_the_desk_asks_its_own_chain_and_a_late_relay_answer_replaces_it() {
    let (engine, crm, store) = setup().await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    tx.send(ringing(None)).await.unwrap();
    let EngineEvent::Call { view } = next(&mut rx).await else {
        panic!()
    };
    assert!(view.customer().is_none());
    tx.send(ringing(Some(Upstream {
        matches: vec![lisa()],
        looked_up: true,
        journaled: false,
    })))
    .await
    .unwrap();
    let EngineEvent::Call { view } = next(&mut rx).await else {
        panic!()
    };
    assert_eq!(view.customer().unwrap().name, "Lisa Simpson");
    assert_eq!(view.state, CallState::Ringing);
    tx.send(ev(CallEventKind::Ended {
        reason: EndReason::Hangup,
    }))
    .await
    .unwrap();
    drop(tx);
    task.await.unwrap();
    assert_eq!(crm.0.load(Ordering::SeqCst), 1);
    assert_eq!(Outbox::new(store).pending().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_relay_that_found_nobody_spares_the_desks_crm_too() {
    let (engine, crm, _) = setup().await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    tx.send(ringing(Some(Upstream {
        matches: vec![],
        looked_up: true,
        journaled: true,
    })))
    .await
    .unwrap();
    let EngineEvent::Call { view } = next(&mut rx).await else {
        panic!()
    };
    assert!(matches!(view.lookup, LookupState::Done { ref matches, .. } if matches.is_empty()));
    drop(tx);
    task.await.unwrap();
    assert_eq!(crm.0.load(Ordering::SeqCst), 0);
}
