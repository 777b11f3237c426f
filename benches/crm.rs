//! Pop latency with a remote CRM, and lookups/s through the chain with a warm cache.
//!
//! A loopback server answers the seed shape (`GET /customers?phone=`) after a fixed delay
//! that stands for the CRM's own latency. Measured side by side, interleaved, in one run:
//! - baseline: a bare reqwest GET of the same URL + JSON parse (what the CRM costs anyone);
//! - screenpop: `Chain::lookup` of a number not yet cached, through the HTTP connector
//!   (template rendering, auth, mapping, phone check, health, SQLite cache write) —
//!   the path of a first call's pop. Overhead = screenpop − baseline (target ≤ 2 ms p50);
//! - warm cache: `Chain::lookup` of a cached number vs the bare cache read it wraps.
//!
//! Run: `cargo bench --bench crm` (prints a Markdown table for BENCHMARKS.md).

use screenpop::config::Settings;
use screenpop::directory::chain::Chain;
use screenpop::directory::BuildContext;
use screenpop::secrets::{MemoryStore, SecretStore};
use screenpop::store::cache::LookupCache;
use screenpop::store::Store;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CRM_DELAY: Duration = Duration::from_millis(10);
const ROUNDS: usize = 300;
const WARM_ROUNDS: usize = 20_000;
/// Under `cargo test` (no `--bench` argument) the bench only checks that it still works.
const SMOKE_ROUNDS: usize = 5;

async fn crm() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let app = axum::Router::new().route(
        "/customers",
        axum::routing::get(
            |q: axum::extract::Query<std::collections::HashMap<String, String>>| async move {
                tokio::time::sleep(CRM_DELAY).await;
                let phone = q.get("phone").cloned().unwrap_or_default();
                axum::Json(
                    serde_json::json!([{"Id": "c1", "Name": "Lisa Simpson", "Phones": [phone],
                "IsVip": true, "Note": "Last order: 2 pepperoni pizzas"}]),
                )
            },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let full = std::env::args().any(|a| a == "--bench");
    let (rounds, warm_rounds) = if full {
        (ROUNDS, WARM_ROUNDS)
    } else {
        (SMOKE_ROUNDS, SMOKE_ROUNDS)
    };
    let port = crm().await;
    let base = format!("http://127.0.0.1:{port}");
    let toml = format!(
        "[[directory]]\nkind = \"http\"\nname = \"shop\"\npreset = \"seed\"\nbase_url = \"{base}\"\nsecret = \"shop\"\n"
    );
    let settings = Settings::from_parts(Path::new("bench.toml"), Some(&toml), &[]).expect("config");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("bench.db"))
        .await
        .expect("store");
    let secrets = Arc::new(MemoryStore::default());
    secrets.set("shop", "bench-token").expect("secret");
    let rules = settings.phone_rules().expect("rules");
    let ctx = BuildContext {
        store: store.clone(),
        secrets,
        rules: rules.clone(),
    };
    let chain = Arc::new(Chain::new(
        screenpop::directory::build(&settings.directory_chain(), &ctx),
        LookupCache::new(store.clone()),
        3600,
        300,
    ));
    let client = reqwest::Client::new();

    // Warm up both paths (connections, statement caches).
    for i in 0..20 {
        let n = rules.keys(&format!("+1 555 100 {i:04}")).expect("number");
        chain.lookup(&n).await;
        let _ = client
            .get(format!("{base}/customers?phone=%2B1555100{i:04}"))
            .send()
            .await;
    }

    let (mut bare, mut ours) = (Vec::new(), Vec::new());
    let (mut direct, mut puts) = (Vec::new(), Vec::new());
    let connector = Arc::clone(&chain.directories()[0]);
    let cache = LookupCache::new(store.clone());
    for i in 0..rounds {
        let t = Instant::now();
        let body = client
            .get(format!("{base}/customers?phone=%2B1555200{i:04}"))
            .bearer_auth("bench-token")
            .send()
            .await
            .expect("bare GET")
            .text()
            .await
            .expect("body");
        let _: serde_json::Value = serde_json::from_str(&body).expect("json");
        bare.push(ms(t.elapsed()));

        let n = rules.keys(&format!("+1 555 300 {i:04}")).expect("number");
        let t = Instant::now();
        let outcome = chain.lookup(&n).await;
        ours.push(ms(t.elapsed()));
        assert_eq!(outcome.matches.len(), 1, "{:?}", outcome.steps);

        // Where the time goes: the connector alone, and the cache write alone.
        let n = rules.keys(&format!("+1 555 400 {i:04}")).expect("number");
        let t = Instant::now();
        let found = connector.lookup(&n).await.expect("connector lookup");
        direct.push(ms(t.elapsed()));
        let t = Instant::now();
        let key = format!("bench-{i}");
        cache
            .put("shop", &key, &found, 3600)
            .await
            .expect("cache put");
        puts.push(ms(t.elapsed()));
    }

    let warm = rules.keys("+1 555 300 0001").expect("number");
    let t = Instant::now();
    for _ in 0..warm_rounds {
        let _ = cache.get("shop", "+15553000001").await.expect("cache read");
    }
    let bare_rate = warm_rounds as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..warm_rounds {
        assert_eq!(chain.lookup(&warm).await.matches.len(), 1);
    }
    let chain_rate = warm_rounds as f64 / t.elapsed().as_secs_f64();

    let (b50, o50) = (percentile(&mut bare, 0.5), percentile(&mut ours, 0.5));
    let (b95, o95) = (percentile(&mut bare, 0.95), percentile(&mut ours, 0.95));
    println!(
        "\nPop latency, first call, CRM answering after {} ms ({rounds} rounds, interleaved)\n",
        CRM_DELAY.as_millis()
    );
    println!("| path | p50 ms | p95 ms |\n|---|---|---|");
    println!("| bare HTTP GET + JSON parse (baseline) | {b50:.2} | {b95:.2} |");
    println!("| screenpop chain → HTTP connector → cache write | {o50:.2} | {o95:.2} |");
    println!(
        "| overhead (screenpop − baseline) | {:.2} | {:.2} |",
        o50 - b50,
        o95 - b95
    );
    let (d50, d95) = (percentile(&mut direct, 0.5), percentile(&mut direct, 0.95));
    let (p50, p95) = (percentile(&mut puts, 0.5), percentile(&mut puts, 0.95));
    println!("| of which: HTTP connector alone (no chain, no cache) | {d50:.2} | {d95:.2} |");
    println!("| of which: SQLite cache write alone | {p50:.2} | {p95:.2} |");
    println!("\nWarm cache ({warm_rounds} lookups of one number)\n");
    println!("| path | lookups/s |\n|---|---|");
    println!("| bare `LookupCache::get` (baseline) | {bare_rate:.0} |");
    println!("| `Chain::lookup`, cached hit | {chain_rate:.0} |");
    println!("| ratio chain / bare | {:.2} |", chain_rate / bare_rate);
}
