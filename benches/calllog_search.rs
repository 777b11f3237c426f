//! Call-log query latency at scale: the core's `CallLog::list` (what the desktop app's list
//! and search box call) against a database of SCREENPOP_BENCH_DB rows, made by
//! `scripts/bench-desktop.sh` (1M rows). Prints p50/p95/max per query shape; the desktop
//! target is p95 < 20 ms. Without SCREENPOP_BENCH_DB it explains itself and does nothing.

use screenpop::store::calls::{CallLog, LogQuery};
use screenpop::store::Store;
use std::time::{Duration, Instant};

const RUNS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    let Some(path) = std::env::var_os("SCREENPOP_BENCH_DB") else {
        eprintln!("calllog_search: set SCREENPOP_BENCH_DB (scripts/bench-desktop.sh does) to run");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = Store::open(std::path::Path::new(&path))
            .await
            .expect("open the bench db");
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM calls")
            .fetch_one(store.pool())
            .await
            .expect("count");
        let log = CallLog::new(store);
        let page = |search: Option<&str>, missed_only: bool, offset: i64| LogQuery {
            missed_only,
            search: search.map(str::to_string),
            limit: 50,
            offset,
        };
        let shapes: Vec<(&str, LogQuery)> = vec![
            ("first page", page(None, false, 0)),
            ("page 20 (offset 1000)", page(None, false, 1000)),
            ("missed only", page(None, true, 0)),
            ("search name 'Flanders'", page(Some("Flanders"), false, 0)),
            ("search note 'pepperoni'", page(Some("pepperoni"), false, 0)),
            ("search number '5550123'", page(Some("5550123"), false, 0)),
            ("search rare 'Quimby'", page(Some("Quimby"), false, 0)),
            ("search + missed 'Gumble'", page(Some("Gumble"), true, 0)),
            ("search 2 chars 'Qu' (LIKE)", page(Some("Qu"), false, 0)),
        ];
        println!("call-log queries over {rows} rows, {RUNS} runs each, 50 rows a page");
        println!("| query | p50 ms | p95 ms | max ms | rows |");
        println!("|---|---:|---:|---:|---:|");
        for (name, query) in shapes {
            let mut times = Vec::with_capacity(RUNS);
            let mut found = 0;
            for _ in 0..RUNS {
                let started = Instant::now();
                found = log.list(&query).await.expect("query").len();
                times.push(started.elapsed());
            }
            times.sort();
            println!(
                "| {name} | {:.2} | {:.2} | {:.2} | {found} |",
                percentile(&times, 0.5),
                percentile(&times, 0.95),
                percentile(&times, 1.0)
            );
        }
    });
}
