//! MQTT publish → pop with 100 agents on one broker: 99 simulated agents (MQTT clients
//! subscribed like screenpop: QoS 1, persistent session, manual acks) and the real daemon
//! for extension 201. Each round rings all 100 extensions at once, in shuffled order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::seq::SliceRandom;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::json;

use crate::support::daemon::Daemon;
use crate::support::desktop::Desktop;
use crate::support::mosquitto::Broker;
use crate::support::ports::free_port;
use crate::{bus, floor_once, now, summary, wait_idle};

const AGENTS: usize = 100;
const REAL: usize = 201;

pub fn run(rounds: usize) {
    let desktop = Desktop::start().expect("start a headless desktop");
    let mut monitor = bus::Monitor::start(&desktop);
    let broker = Broker::start();
    let port = free_port();
    let config = format!(
        "[webhook]\nport = {port}\n[notify]\nmissed = false\n\
         [[source]]\nkind = \"mqtt\"\nurl = \"{}\"\nextension = \"{REAL}\"\n",
        broker.url()
    );
    let daemon = Daemon::start(&desktop, &config, port, &[]);
    daemon.wait_status("mqtt up", Duration::from_secs(10), |s| {
        Daemon::source_state(s, &format!("mqtt:{REAL}")) == "up"
    });
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let received = Arc::new(AtomicUsize::new(0));
    let fanout = Arc::new(Mutex::new(Vec::new()));
    let extensions: Vec<usize> = (REAL..REAL + AGENTS).collect();
    for ext in extensions.iter().copied().filter(|e| *e != REAL) {
        runtime.spawn(simulated_agent(
            broker.port,
            ext,
            Arc::clone(&received),
            Arc::clone(&fanout),
        ));
    }
    let mut options = MqttOptions::new("bench-publisher", "127.0.0.1", broker.port);
    options.set_max_packet_size(64 * 1024, 64 * 1024);
    let (publisher, mut eventloop) = AsyncClient::new(options, 1024);
    runtime.spawn(async move { while eventloop.poll().await.is_ok() {} });
    // Let the simulated agents subscribe.
    let subscribed = crate::support::process::wait_until(Duration::from_secs(20), || {
        let probe = json!({"type": "ended", "call_id": "probe"}).to_string();
        for ext in &extensions {
            let _ = publisher.try_publish(
                format!("screenpop/{ext}/events"),
                QoS::AtLeastOnce,
                false,
                probe.clone(),
            );
        }
        std::thread::sleep(Duration::from_millis(200));
        received.swap(0, Ordering::SeqCst) >= AGENTS - 1
    });
    assert!(subscribed, "the simulated agents did not subscribe");
    fanout.lock().unwrap_or_else(|p| p.into_inner()).clear();

    let publish = |ext: usize, event: &serde_json::Value| {
        runtime
            .block_on(publisher.publish(
                format!("screenpop/{ext}/events"),
                QoS::AtLeastOnce,
                false,
                event.to_string(),
            ))
            .expect("publish");
    };
    let (mut pops, mut floor) = (Vec::new(), Vec::new());
    let mut order = extensions.clone();
    for round in 0..rounds {
        floor.push(floor_once(&desktop, &mut monitor, round));
        order.shuffle(&mut rand::rng());
        let mut published_real = 0.0;
        for ext in &order {
            let event = json!({"version": 1, "type": "ringing", "call_id": format!("r{round}-{ext}"),
                "from": format!("+1555{ext:04}{round:03}"), "name": format!("Round {round}"),
                "at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)});
            if *ext == REAL {
                published_real = now();
            }
            publish(*ext, &event);
        }
        let pop = monitor
            .next(|n| !n.summary.starts_with("floor"), Duration::from_secs(10))
            .unwrap_or_else(|| panic!("no pop in round {round}\n{}", daemon.log()));
        pops.push((pop.at - published_real) * 1000.0);
        for ext in &order {
            let event =
                json!({"version": 1, "type": "ended", "call_id": format!("r{round}-{ext}")});
            publish(*ext, &event);
        }
        wait_idle(&daemon);
    }
    let fanout = std::mem::take(&mut *fanout.lock().unwrap_or_else(|p| p.into_inner()));
    println!(
        "{}",
        summary(
            "mqtt, 100 agents: publish → Notify on the bus (real daemon, ext 201)",
            pops
        )
    );
    println!(
        "{}",
        summary(
            "mqtt, 100 agents: publish → received (99 simulated agents)",
            fanout
        )
    );
    println!(
        "{}",
        summary("floor: notify-send → Notify on the bus", floor)
    );
    runtime.shutdown_timeout(Duration::from_secs(1));
}

/// An agent desk that only receives: subscribes like screenpop and records how long each
/// ringing event took from its `at` to arrival.
async fn simulated_agent(
    port: u16,
    ext: usize,
    received: Arc<AtomicUsize>,
    fanout: Arc<Mutex<Vec<f64>>>,
) {
    let mut options = MqttOptions::new(format!("bench-agent-{ext}"), "127.0.0.1", port);
    options.set_clean_session(false).set_manual_acks(true);
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                let _ = client
                    .subscribe(format!("screenpop/{ext}/events"), QoS::AtLeastOnce)
                    .await;
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                received.fetch_add(1, Ordering::SeqCst);
                let sent = serde_json::from_slice::<serde_json::Value>(&p.payload)
                    .ok()
                    .and_then(|v| v["at"].as_str().map(str::to_string))
                    .and_then(|at| chrono::DateTime::parse_from_rfc3339(&at).ok());
                if let Some(sent) = sent {
                    let ms = (now() - sent.timestamp_micros() as f64 / 1e6) * 1000.0;
                    fanout.lock().unwrap_or_else(|p| p.into_inner()).push(ms);
                }
                let _ = client.try_ack(&p);
            }
            Ok(_) => {}
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
