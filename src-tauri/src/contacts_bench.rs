//! The contacts page's search round trip over 100,000 local contacts, measured through the
//! same command handler the page calls (`contacts_page`), side by side with two baselines
//! in the same run: the first page with no search (a plain ordered page), and a contact
//! lookup by number (the pop's own path); also the virtual list's deepest page (offset
//! ~99,000, the scrollbar dragged to the end). Prints medians and p95; asserts nothing about
//! time. Run: `cargo test -p screenpop-desktop --lib --release contacts_bench -- --ignored --nocapture`.

use crate::command::Command;
use crate::core::Core;
use crate::handlers;
use screenpop::config::{Paths, Settings};
use screenpop::directory::NewContact;
use screenpop::secrets::MemoryStore;
use screenpop::store::contacts::Contacts;
use std::sync::Arc;
use std::time::Instant;

fn stats(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(|a, b| a.total_cmp(b));
    (ms[ms.len() / 2], ms[ms.len() * 95 / 100])
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture (see the module docs)"]
fn contacts_search_round_trip_over_100k() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths {
        config_file: dir.path().join("config.toml"),
        data_dir: dir.path().join("data"),
    };
    let settings = Settings::from_parts(
        &paths.config_file,
        Some("[webhook]\nenabled = false\n"),
        &[],
    )
    .unwrap();
    let core = Core::new(paths, Arc::new(MemoryStore::default()), Arc::new(|_| {}));
    rt.block_on(async {
        core.start(settings).await;
        let app = core.app().unwrap();
        let contacts = Contacts::new(app.store.clone());
        let words = [
            "Simpson",
            "Flanders",
            "Szyslak",
            "Krabappel",
            "Wiggum",
            "Skinner",
        ];
        let batch: Vec<NewContact> = (0..100_000)
            .map(|i| NewContact {
                name: format!("Customer {i} {}", words[i % words.len()]),
                company: Some(format!("Company {}", i % 977)),
                phones: vec![format!("+1 555 {:03} {:04}", i / 10_000, i % 10_000)],
                ..Default::default()
            })
            .collect();
        for chunk in batch.chunks(10_000) {
            contacts.upsert_many(&app.rules, chunk).await.unwrap();
        }
        let run = |command: Command| {
            let core = &core;
            async move {
                let t = Instant::now();
                handlers::handle(core, command, &|_| {}).await.unwrap();
                t.elapsed().as_secs_f64() * 1000.0
            }
        };
        let page = |search: &str| Command::ContactsPage {
            search: Some(search.into()),
            limit: 100,
            offset: 0,
        };
        let (mut plain, mut by_name, mut by_digits, mut lookup) = (vec![], vec![], vec![], vec![]);
        let mut deep = vec![];
        for i in 0..40 {
            plain.push(run(page("")).await);
            // The virtual list's page when the scrollbar is dragged to the end.
            deep.push(
                run(Command::ContactsPage {
                    search: None,
                    limit: 100,
                    offset: 99_000 - i * 100,
                })
                .await,
            );
            by_name.push(run(page(&format!("Customer {}", 1000 + i))).await);
            by_digits.push(run(page(&format!("555 00{i:02}"))).await);
            lookup.push(
                run(Command::TestLookup {
                    number: format!("+1 555 003 {:04}", i),
                })
                .await,
            );
        }
        for (what, ms) in [
            ("first page, no search (baseline)", plain),
            ("test_lookup by number (baseline: the pop's path)", lookup),
            ("page at offset ~99,000, no search", deep),
            ("search by name", by_name),
            ("search by digits", by_digits),
        ] {
            let (p50, p95) = stats(ms);
            println!("{what:<50} p50 {p50:7.2} ms  p95 {p95:7.2} ms");
        }
        core.stop().await;
    });
}
