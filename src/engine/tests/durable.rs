//! Durability: committed events and live calls outlive the engine that took them; a call id
//! is logged once; a call whose end never comes is closed.

use super::*;

fn timing(stale: Duration, grace: Duration) -> Timing {
    Timing {
        stale_call: stale,
        source_lost_grace: grace,
        ..Timing::with_budget(Duration::from_millis(800))
    }
}

async fn rows(store: &Store) -> Vec<crate::store::calls::CallRecord> {
    CallLog::new(store.clone())
        .list(&LogQuery::default())
        .await
        .unwrap()
}

async fn count(store: &Store, table: &str) -> i64 {
    let sql = match table {
        "intake" => "SELECT count(*) FROM intake",
        _ => "SELECT count(*) FROM live_calls",
    };
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_live_call_survives_a_restart_and_is_logged_once_when_it_ends() {
    let store = Store::in_memory().await.unwrap();
    let long = timing(Duration::from_secs(3600), Duration::from_secs(5));
    let engine = engine_on(store.clone(), None, long).await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    tx.send(ringing("r1", "555-1234")).await.unwrap();
    tx.send(ev("r1", CallEventKind::Answered)).await.unwrap();
    while next_view(&mut rx).await.state != CallState::Answered {}
    drop(tx);
    task.await.unwrap();
    assert!(
        rows(&store).await.is_empty(),
        "a stop does not end live calls"
    );
    assert_eq!(count(&store, "live_calls").await, 1);
    assert_eq!(
        count(&store, "intake").await,
        0,
        "every event was marked done"
    );

    let engine = engine_on(store.clone(), None, long).await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    let resumed = next_view(&mut rx).await;
    assert_eq!(resumed.key.call_id, "r1");
    assert_eq!(resumed.state, CallState::Answered);
    tx.send(ended("r1")).await.unwrap();
    let row = logged(&mut rx).await;
    assert!(!row.missed && row.answered_at.is_some());
    assert_eq!(row.end_reason, "hangup");
    drop(tx);
    task.await.unwrap();
    assert_eq!(rows(&store).await.len(), 1);
    assert_eq!(count(&store, "live_calls").await, 0);
    assert_eq!(count(&store, "intake").await, 0);
}

#[tokio::test]
async fn committed_events_nobody_processed_are_replayed_at_start() {
    // What a kill -9 right after the commit (and the 202) leaves behind.
    let store = Store::in_memory().await.unwrap();
    let mut tx = store.pool().begin().await.unwrap();
    for input in [ringing("k1", "555-1234"), ended("k1")] {
        let Input::Event(event) = input else {
            unreachable!()
        };
        crate::store::intake::insert(&mut tx, &event).await.unwrap();
    }
    tx.commit().await.unwrap();
    let engine = engine_on(
        store.clone(),
        None,
        Timing::with_budget(Duration::from_millis(800)),
    )
    .await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    let row = logged(&mut rx).await;
    assert_eq!(row.call_id, "k1");
    assert!(row.missed);
    drop(tx);
    task.await.unwrap();
    assert_eq!(rows(&store).await.len(), 1);
    assert_eq!(count(&store, "intake").await, 0);
}

#[tokio::test]
async fn acknowledged_events_are_in_the_store_before_the_ack() {
    let (engine, store) = engine_with(None, 800).await;
    let (tx, task) = engine.start();
    let Input::Event(event) = ringing("a1", "555-1234") else {
        unreachable!()
    };
    let (ack, committed) = tokio::sync::oneshot::channel();
    tx.send(Input::Acked { event, ack }).await.unwrap();
    assert!(committed.await.unwrap(), "committed");
    let stored: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM intake) + (SELECT count(*) FROM live_calls)",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert!(
        stored >= 1,
        "the event (or its effect) is in the store once acknowledged"
    );
    drop(tx);
    task.await.unwrap();
}

#[tokio::test]
async fn a_call_whose_end_never_comes_is_closed_as_screenpop_stopped() {
    let store = Store::in_memory().await.unwrap();
    let engine = engine_on(
        store.clone(),
        None,
        timing(Duration::from_millis(200), Duration::from_secs(5)),
    )
    .await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    tx.send(ringing("s1", "555-1234")).await.unwrap();
    let row = logged(&mut rx).await;
    assert_eq!(row.end_reason, "screenpop stopped");
    assert!(!row.missed);
    drop(tx);
    task.await.unwrap();
    assert_eq!(count(&store, "live_calls").await, 0);
}

#[tokio::test]
async fn a_call_re_announced_after_its_source_reconnects_is_the_same_call() {
    let store = Store::in_memory().await.unwrap();
    let engine = engine_on(
        store.clone(),
        None,
        timing(Duration::from_secs(3600), Duration::from_secs(30)),
    )
    .await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    tx.send(ringing("re1", "555-1234")).await.unwrap();
    tx.send(ev("re1", CallEventKind::Answered)).await.unwrap();
    let down = Input::Health {
        source: SourceId("test".into()),
        health: Health::Down("connection reset".into()),
    };
    tx.send(down).await.unwrap();
    tx.send(Input::Health {
        source: SourceId("test".into()),
        health: Health::Up,
    })
    .await
    .unwrap();
    // The source tells what it knows again after reconnecting.
    tx.send(ringing("re1", "555-1234")).await.unwrap();
    tx.send(ev("re1", CallEventKind::Answered)).await.unwrap();
    tx.send(ended("re1")).await.unwrap();
    let row = logged(&mut rx).await;
    assert_eq!(row.end_reason, "hangup");
    // And once more, after the call was logged; then a marker call that must come after.
    tx.send(ringing("re1", "555-1234")).await.unwrap();
    tx.send(ended("re1")).await.unwrap();
    tx.send(ringing("marker", "555-9999")).await.unwrap();
    tx.send(ended("marker")).await.unwrap();
    assert_eq!(logged(&mut rx).await.call_id, "marker");
    drop(tx);
    task.await.unwrap();
    let ids: Vec<_> = rows(&store).await.into_iter().map(|r| r.call_id).collect();
    assert_eq!(ids.iter().filter(|id| *id == "re1").count(), 1, "{ids:?}");
}

#[tokio::test]
async fn a_call_logged_before_a_restart_is_not_logged_again_when_re_announced() {
    let store = Store::in_memory().await.unwrap();
    let t = timing(Duration::from_secs(3600), Duration::from_secs(5));
    for _ in 0..2 {
        let engine = engine_on(store.clone(), None, t).await;
        let (tx, task) = engine.start();
        tx.send(ringing("twice", "555-1234")).await.unwrap();
        tx.send(ended("twice")).await.unwrap();
        drop(tx);
        task.await.unwrap();
    }
    assert_eq!(rows(&store).await.len(), 1);
}

/// Intake throughput, side by side in one run (not a pass/fail test; numbers in
/// BENCHMARKS.md): `cargo test -p screenpop --lib intake_throughput -- --ignored --nocapture`.
/// Sixty-four concurrent clients commit `N` events each way: through the engine's group commits
/// (each acknowledged once its batch is committed, then processed), and — the baseline — one
/// transaction per event straight into the same table, each commit on disk (`synchronous =
/// FULL`, as the engine's intake commits).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn intake_throughput() {
    const N: usize = 8000;
    const CLIENTS: usize = 64;
    let dir = tempfile::tempdir().unwrap();
    let event = |i: usize| {
        let Input::Event(e) = (if i % 2 == 0 {
            ringing(&format!("b{}", i / 2), "+1 555 010 0000")
        } else {
            ended(&format!("b{}", i / 2))
        }) else {
            unreachable!()
        };
        e
    };

    let store = Store::open(&dir.path().join("group.db")).await.unwrap();
    let engine = engine_on(
        store.clone(),
        None,
        Timing::with_budget(Duration::from_millis(800)),
    )
    .await;
    let (tx, task) = engine.start();
    let started = std::time::Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let tx = tx.clone();
        let events: Vec<_> = (c..N).step_by(CLIENTS).map(event).collect();
        clients.spawn(async move {
            for event in events {
                let (ack, committed) = tokio::sync::oneshot::channel();
                tx.send(Input::Acked { event, ack }).await.unwrap();
                assert!(committed.await.unwrap());
            }
        });
    }
    while clients.join_next().await.is_some() {}
    let group = started.elapsed();
    drop(tx);
    task.await.unwrap();

    let store = Store::open(&dir.path().join("single.db")).await.unwrap();
    let started = std::time::Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let store = store.clone();
        let events: Vec<_> = (c..N).step_by(CLIENTS).map(event).collect();
        clients.spawn(async move {
            // The same promise as the engine's: each commit on disk before the next.
            let mut conn = store.pool().acquire().await.unwrap();
            crate::store::intake::synchronous_full(&mut conn, true)
                .await
                .unwrap();
            for event in events {
                let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE")
                    .await
                    .unwrap();
                crate::store::intake::insert(&mut tx, &event).await.unwrap();
                tx.commit().await.unwrap();
            }
        });
    }
    while clients.join_next().await.is_some() {}
    let single = started.elapsed();
    let rate = |d: Duration| N as f64 / d.as_secs_f64();
    println!(
        "intake: group commits {:.0} events/s (committed, acknowledged and processed), one transaction per event {:.0} events/s (committed only); ratio {:.2}x",
        rate(group),
        rate(single),
        rate(group) / rate(single)
    );
}

#[tokio::test]
async fn a_restart_after_a_transfer_resumes_the_new_party_not_the_first() {
    let store = Store::in_memory().await.unwrap();
    let long = timing(Duration::from_secs(3600), Duration::from_secs(5));
    let engine = engine_on(store.clone(), None, long).await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    tx.send(ringing("t1", "555-9999")).await.unwrap();
    tx.send(ev("t1", CallEventKind::Answered)).await.unwrap();
    tx.send(ev(
        "t1",
        CallEventKind::PartyChanged {
            remote: RawNumber("555-1234".into()),
            remote_name: Some("Lisa S".into()),
        },
    ))
    .await
    .unwrap();
    while next_view(&mut rx).await.customer().map(|c| c.name.as_str()) != Some("Lisa Simpson") {}
    drop(tx);
    task.await.unwrap();

    let engine = engine_on(store.clone(), None, long).await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    let mut resumed = next_view(&mut rx).await;
    assert_eq!(resumed.key.call_id, "t1");
    assert_eq!(
        resumed.number, "555-1234",
        "the party the call had when it stopped"
    );
    assert_eq!(resumed.remote_name.as_deref(), Some("Lisa S"));
    assert_eq!(resumed.state, CallState::Answered);
    while resumed.customer().is_none() {
        resumed = next_view(&mut rx).await;
    }
    assert_eq!(resumed.customer().unwrap().name, "Lisa Simpson");
    tx.send(ended("t1")).await.unwrap();
    let row = logged(&mut rx).await;
    assert_eq!(row.number, "555-1234");
    assert_eq!(row.name.as_deref(), Some("Lisa Simpson"));
    drop(tx);
    task.await.unwrap();
    assert_eq!(rows(&store).await.len(), 1);
    assert_eq!(count(&store, "live_calls").await, 0);
}

#[tokio::test]
async fn a_ringing_from_days_ago_delivered_now_waits_for_its_end_and_is_missed() {
    // A broker hands over what queued while the desk was off: the ringing carries its own
    // time, days past the stale-call window, and its end is right behind it.
    let store = Store::in_memory().await.unwrap();
    let engine = engine_on(
        store.clone(),
        None,
        timing(Duration::from_secs(3600), Duration::from_secs(5)),
    )
    .await;
    let mut rx = engine.subscribe();
    let (tx, task) = engine.start();
    let days_ago = chrono::Utc::now() - chrono::Duration::days(5);
    let at = |mut input: Input| {
        if let Input::Event(event) = &mut input {
            event.at = days_ago;
        }
        input
    };
    tx.send(at(ringing("away", "555-1234"))).await.unwrap();
    // The call is up (popped) before its end is read, as with a broker's separate messages.
    while next_view(&mut rx).await.lookup == LookupState::Pending {}
    tx.send(at(ended("away"))).await.unwrap();
    let row = logged(&mut rx).await;
    assert_eq!(row.call_id, "away");
    assert!(
        row.missed,
        "an unanswered call is missed, not closed as stale: {row:?}"
    );
    assert_eq!(row.end_reason, "hangup");
    drop(tx);
    task.await.unwrap();
}
