//! The engine's state machine against a real in-memory store and the local directory.

use super::*;
use crate::directory::local::LocalDirectory;
use crate::directory::{Customer, Directory, LookupError, NewContact};
use crate::event::{CallEventKind, EndReason};
use crate::event::{CallId, CallState, Direction, RawNumber};
use crate::phone::Normalised;
use crate::store::cache::LookupCache;
use crate::store::calls::{CallLog, LogQuery};
use crate::store::contacts::Contacts;
use crate::store::Store;
use async_trait::async_trait;

struct Slow(Duration);

#[async_trait]
impl Directory for Slow {
    fn name(&self) -> &str {
        "slow-crm"
    }
    async fn lookup(&self, _n: &Normalised) -> Result<Vec<Customer>, LookupError> {
        tokio::time::sleep(self.0).await;
        Ok(vec![Customer {
            id: "7".into(),
            name: "Marge Simpson".into(),
            company: None,
            phones: vec![],
            vip: false,
            note: None,
            url: None,
            directory: String::new(),
        }])
    }
}

async fn engine_with(extra: Option<Arc<dyn Directory>>, budget_ms: u64) -> (Arc<Engine>, Store) {
    let store = Store::in_memory().await.unwrap();
    let timing = Timing {
        source_lost_grace: Duration::from_millis(50),
        ..Timing::with_budget(Duration::from_millis(budget_ms))
    };
    (engine_on(store.clone(), extra, timing).await, store)
}

/// An engine over `store` (which may hold what an earlier engine left), Lisa in the local
/// directory.
async fn engine_on(store: Store, extra: Option<Arc<dyn Directory>>, timing: Timing) -> Arc<Engine> {
    let rules = PhoneRules::new("US", 8).unwrap();
    Contacts::new(store.clone())
        .upsert_many(
            &rules,
            &[NewContact {
                id: Some("lisa".into()),
                name: "Lisa Simpson".into(),
                phones: vec!["555-1234".into()],
                vip: true,
                note: Some("Last order: 2 pepperoni pizzas".into()),
                url: Some("https://crm.example.com/customers/lisa".into()),
                ..Default::default()
            }],
        )
        .await
        .unwrap();
    let mut dirs: Vec<Arc<dyn Directory>> = vec![Arc::new(LocalDirectory::new(
        "local".into(),
        store.clone(),
        None,
    ))];
    dirs.extend(extra);
    let chain = Arc::new(Chain::new(dirs, LookupCache::new(store.clone()), 60, 60));
    Engine::new(rules, chain, store, timing)
}

fn ev(call: &str, kind: CallEventKind) -> Input {
    Input::Event(CallEvent {
        source: SourceId("test".into()),
        call: CallId(call.into()),
        at: chrono::Utc::now(),
        kind,
    })
}

fn ringing(call: &str, from: &str) -> Input {
    ev(
        call,
        CallEventKind::Ringing {
            direction: Direction::Inbound,
            remote: RawNumber(from.into()),
            remote_name: None,
            line: None,
            upstream: None,
        },
    )
}

fn ended(call: &str) -> Input {
    ev(
        call,
        CallEventKind::Ended {
            reason: EndReason::Hangup,
        },
    )
}

async fn next_view(rx: &mut broadcast::Receiver<EngineEvent>) -> Arc<CallView> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("engine went quiet")
            .unwrap()
        {
            EngineEvent::Call { view } => return view,
            _ => continue,
        }
    }
}

async fn logged(rx: &mut broadcast::Receiver<EngineEvent>) -> Arc<crate::store::calls::CallRecord> {
    loop {
        if let EngineEvent::Logged { record } =
            tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .expect("no log row")
                .unwrap()
        {
            return record;
        }
    }
}

#[tokio::test]
async fn known_caller_rings_answers_ends_and_is_logged_once() {
    let (engine, store) = engine_with(None, 800).await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    tx.send(ringing("c1", "(555) 1234")).await.unwrap();
    let v = next_view(&mut rx).await;
    assert_eq!(v.state, CallState::Ringing);
    assert_eq!(v.customer().unwrap().name, "Lisa Simpson");
    tx.send(ringing("c1", "(555) 1234")).await.unwrap(); // duplicate ringing: same call
    tx.send(ev("c1", CallEventKind::Answered)).await.unwrap();
    assert_eq!(next_view(&mut rx).await.state, CallState::Answered);
    tx.send(ended("c1")).await.unwrap();
    let v = next_view(&mut rx).await;
    assert_eq!(v.state, CallState::Ended);
    assert!(!v.missed);
    let row = logged(&mut rx).await;
    assert_eq!(row.name.as_deref(), Some("Lisa Simpson"));
    assert!(row.vip && row.answered_at.is_some());
    drop(tx);
    task.await.unwrap();
    let rows = CallLog::new(store)
        .list(&LogQuery::default())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
}

#[tokio::test]
async fn unanswered_inbound_call_is_missed() {
    let (engine, store) = engine_with(None, 800).await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    tx.send(ringing("c2", "+1 555 987 6543")).await.unwrap();
    tx.send(ended("c2")).await.unwrap();
    let row = logged(&mut rx).await;
    assert!(row.missed);
    assert_eq!(row.matches, 0);
    drop(tx);
    task.await.unwrap();
    let missed = CallLog::new(store)
        .list(&LogQuery {
            missed_only: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(missed.len(), 1);
}

#[tokio::test]
async fn events_for_unknown_calls_are_ignored() {
    let (engine, store) = engine_with(None, 800).await;
    let (tx, task) = engine.start();
    tx.send(ev("ghost", CallEventKind::Answered)).await.unwrap();
    tx.send(ended("ghost")).await.unwrap();
    drop(tx);
    task.await.unwrap();
    assert!(CallLog::new(store)
        .list(&LogQuery::default())
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn crm_slower_than_budget_pops_then_updates_in_place() {
    let (engine, _) = engine_with(Some(Arc::new(Slow(Duration::from_millis(300)))), 50).await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    tx.send(ringing("c3", "+1 555 222 3333")).await.unwrap();
    let first = next_view(&mut rx).await;
    assert_eq!(first.lookup, LookupState::Pending);
    let second = next_view(&mut rx).await;
    assert_eq!(second.key, first.key);
    assert_eq!(second.customer().unwrap().name, "Marge Simpson");
    drop(tx);
    task.await.unwrap();
}

#[tokio::test]
async fn calls_run_in_parallel() {
    let (engine, _) = engine_with(Some(Arc::new(Slow(Duration::from_millis(200)))), 1000).await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    tx.send(ringing("slow", "+1 555 222 3333")).await.unwrap();
    tx.send(ringing("fast", "555-1234")).await.unwrap();
    let first = next_view(&mut rx).await;
    assert_eq!(
        first.key.call_id, "fast",
        "a slow lookup must not hold up another call"
    );
    drop(tx);
    task.await.unwrap();
}

#[tokio::test]
async fn source_down_closes_its_calls_as_source_lost() {
    let (engine, _) = engine_with(None, 800).await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    tx.send(ringing("c4", "555-1234")).await.unwrap();
    tx.send(ev("c4", CallEventKind::Answered)).await.unwrap();
    tx.send(Input::Health {
        source: SourceId("test".into()),
        health: Health::Down("connection reset".into()),
    })
    .await
    .unwrap();
    let row = logged(&mut rx).await;
    assert_eq!(row.end_reason, "source lost");
    assert!(!row.missed);
    drop(tx);
    task.await.unwrap();
}

#[tokio::test]
async fn vip_rule_decides_after_lookup_and_a_source_without_control_is_logged_as_failed() {
    let (engine, _store) = engine_with(None, 800).await;
    engine.set_rules(crate::rules::Rulebook::new(
        &crate::rules::RulesSettings {
            manager: Some("200".into()),
            ..Default::default()
        },
        &[],
    ));
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    tx.send(ringing("v1", "(555) 1234")).await.unwrap();
    let v = next_view(&mut rx).await;
    assert!(v.routing.urgent);
    assert_eq!(v.routing.rules, vec!["VIP"]);
    let t = v.routing.transfer.as_ref().expect("a transfer");
    assert!(
        matches!(&t.state, crate::rules::TransferState::Failed(why) if why.contains("cannot transfer"))
    );
    tx.send(ended("v1")).await.unwrap();
    let row = logged(&mut rx).await;
    assert_eq!(row.tags, "vip");
    assert_eq!(
        row.decisions,
        "transfer to 200 by rule VIP failed: source test cannot transfer calls; urgent, tag vip by rule VIP"
    );
    assert!(row.missed, "a failed transfer leaves the call missed");
    drop(tx);
    task.await.unwrap();
}

#[tokio::test]
async fn without_rules_nothing_is_decided() {
    let (engine, _store) = engine_with(None, 800).await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    tx.send(ringing("n1", "(555) 1234")).await.unwrap();
    let v = next_view(&mut rx).await;
    assert_eq!(v.routing, crate::rules::Routing::default());
    tx.send(ended("n1")).await.unwrap();
    let row = logged(&mut rx).await;
    assert_eq!(row.decisions, "");
    drop(tx);
    task.await.unwrap();
}

mod durable;
