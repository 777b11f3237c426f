//! The call-center floor under load (scripts/bench-relay.sh starts mosquitto and the real
//! `screenpop relay` and passes their addresses): a loopback AMI server generates calls at a
//! rate across many extensions in ring groups of three; as many agent clients as extensions
//! (one process, one client id each) subscribe to their own `…/events`; it measures AMI event
//! written → agent received (p50/p99), counts misdeliveries (an event at an extension that is not
//! in the call's group), and samples the relay's RSS and CPU. Side by side, the baseline the relay
//! replaces: N desks each logged in to AMI directly (N = 10, 100, 500 in-process clients running
//! screenpop's own AMI decoder and tracker), the AMI server's bytes and write time per event.
//!
//!   cargo bench --bench relay_floor -- relay <ami_port_file> <broker_port> <relay_pid_file> [calls/s] [extensions] [seconds]
//!   cargo bench --bench relay_floor -- baseline [events]

mod ami;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.first().map(String::as_str) {
        Some("relay") => relay(&args[1..]).await,
        Some("baseline") => {
            let events = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3000);
            for n in [10, 100, 500] {
                ami::baseline(n, events).await;
            }
        }
        _ => eprintln!("usage: see the module docs"),
    }
}

/// Who should get what: ring group of each call, write instant of its ringing.
#[derive(Default)]
pub struct Ledger {
    pub groups: HashMap<String, Vec<String>>,
    pub written: HashMap<String, Instant>,
}

async fn relay(args: &[String]) {
    let port_file = &args[0];
    let broker_port: u16 = args[1].parse().expect("broker port");
    let pid_file = args[2].clone();
    let rate: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(50);
    let exts: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(500);
    let seconds: u64 = args.get(5).and_then(|a| a.parse().ok()).unwrap_or(20);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let server = ami::Server::start(port_file).await;
    eprintln!("waiting for the relay's AMI login…");
    server.wait_login().await;
    let relay_pid: u32 = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|p| p.trim().parse().ok())
        {
            break pid;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let misdelivered = Arc::new(Mutex::new(0usize));
    let received = Arc::new(Mutex::new(0usize));
    let mut agents = Vec::new();
    for i in 0..exts {
        let ext = format!("{}", 1000 + i);
        let mut options = MqttOptions::new(format!("bench-agent-{ext}"), "127.0.0.1", broker_port);
        options.set_keep_alive(Duration::from_secs(30));
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        client
            .subscribe(format!("screenpop/{ext}/events"), QoS::AtLeastOnce)
            .await
            .expect("subscribe");
        let (ledger, latencies, misdelivered, received) = (
            Arc::clone(&ledger),
            Arc::clone(&latencies),
            Arc::clone(&misdelivered),
            Arc::clone(&received),
        );
        agents.push(tokio::spawn(async move {
            let _client = client;
            while let Ok(event) = eventloop.poll().await {
                let Event::Incoming(Packet::Publish(p)) = event else {
                    continue;
                };
                let now = Instant::now();
                let v: serde_json::Value = serde_json::from_slice(&p.payload).unwrap_or_default();
                let call = v["call_id"].as_str().unwrap_or_default().to_string();
                *received.lock().unwrap() += 1;
                let l = ledger.lock().unwrap();
                if !l.groups.get(&call).is_some_and(|g| g.contains(&ext)) {
                    *misdelivered.lock().unwrap() += 1;
                }
                if v["type"] == "ringing" {
                    if let Some(at) = l.written.get(&call) {
                        latencies
                            .lock()
                            .unwrap()
                            .push((now - *at).as_secs_f64() * 1000.0);
                    }
                }
            }
        }));
    }
    // Let every subscription settle (SUBACKs) before the load starts.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cpu_before = cpu_ticks(relay_pid);
    let started = Instant::now();
    let mut rss_max = 0u64;
    let calls = server
        .generate(rate, exts, seconds, Arc::clone(&ledger), |_| {})
        .await;
    let mut sample = tokio::time::interval(Duration::from_millis(500));
    let drain = Instant::now();
    while drain.elapsed() < Duration::from_secs(5) {
        sample.tick().await;
        rss_max = rss_max.max(rss_kb(relay_pid));
    }
    rss_max = rss_max.max(rss_kb(relay_pid));
    let cpu = (cpu_ticks(relay_pid) - cpu_before) as f64 / 100.0;
    let wall = started.elapsed().as_secs_f64();
    let mut l = latencies.lock().unwrap().clone();
    l.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let ringing_expected = calls * 3;
    println!(
        "{}",
        serde_json::json!({
            "calls": calls, "extensions": exts, "rate_per_s": rate,
            "ringing_received": l.len(), "ringing_expected": ringing_expected,
            "events_received": *received.lock().unwrap(),
            "misdelivered": *misdelivered.lock().unwrap(),
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": l.last().copied().unwrap_or(f64::NAN),
            "relay_rss_max_kb": rss_max, "relay_cpu_s": cpu, "wall_s": wall,
            "relay_cpu_pct": cpu / wall * 100.0,
            "ami_bytes": server.bytes(), "ami_write_us_per_event": server.write_us_per_event(),
        })
    );
    for a in agents {
        a.abort();
    }
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn cpu_ticks(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}
