//! Criterion benchmarks of the two steps every ring goes through before the pop: reading the
//! caller's number ([`PhoneRules::normalise`]) and asking the directory chain who it is (the
//! local directory in a file-backed SQLite store holding 10 000 imported contacts).
//!
//! Each measurement has a baseline run side by side in the same process, so BENCHMARKS.md
//! can give ratios rather than machine-dependent absolute times:
//! - normalisation vs a digits-only strip (the cheapest thing that could "work") and vs a bare
//!   `phonenumber::parse` + E.164 format (the crate we build on, without URI/withheld/
//!   extension/trunk-zero handling);
//! - chain lookups vs the bare indexed `SELECT`s on the same pool (E.164, then the tail
//!   fallback on a miss): what a lookup cannot beat.
//!
//! Run with `cargo bench -p screenpop --bench lookup`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use phonenumber::{country, Mode};
use screenpop::config::DirectoryConfig;
use screenpop::directory::chain::Chain;
use screenpop::directory::NewContact;
use screenpop::phone::{Normalised, PhoneRules, DEFAULT_TAIL_DIGITS};
use screenpop::store::cache::LookupCache;
use screenpop::store::contacts::Contacts;
use screenpop::store::Store;
use std::sync::Arc;
use tokio::runtime::Runtime;

/// How many contacts the local directory holds.
const CONTACTS: usize = 10_000;

/// What sources actually report as the remote party, in roughly the proportions a mixed
/// softphone/PBX setup produces: national, international, 00-prefix, SIP and tel URIs,
/// extensions, withheld callers and garbage.
const CALLERS: &[&str] = &[
    "555-1234",
    "(212) 555-0142",
    "212.555.0199",
    "+1 415 555 0134",
    "+49 30 1234567",
    "0049 89 1234567",
    "0030 21 0123 4567",
    "+44 20 7946 0958",
    "sip:+4930123456@pbx.example.com;user=phone",
    "<sip:+12125550142@10.0.0.5:5060>",
    "tel:+1-212-555-0142;ext=12",
    "555-123-4567 x 89",
    "201",
    "anonymous",
    "",
    "sip:bob@example.com",
    "hello world",
];

/// Area codes the generated US contacts live in.
const AREAS: [u32; 5] = [212, 415, 617, 312, 206];

/// Contact `i`: one US number in a national spelling, and for every third contact a second
/// number written internationally (`+49 …`) or with the `00` prefix.
fn contact(i: usize) -> NewContact {
    let area = AREAS[i % AREAS.len()];
    let mut phones = vec![us_national(i, area)];
    match i % 6 {
        0 => phones.push(format!("+49 30 {}", 2_000_000 + i)),
        3 => phones.push(format!("0044 20 7946 {:04}", i % 10_000)),
        _ => {}
    }
    NewContact {
        id: Some(format!("c{i}")),
        name: format!("Customer {i}"),
        company: (i % 4 == 0).then(|| format!("Company {}", i / 4)),
        phones,
        vip: i % 50 == 0,
        note: (i % 3 == 0).then(|| format!("Last order: {} pizzas", i % 7 + 1)),
        url: Some(format!("https://crm.example.com/customers/c{i}")),
    }
}

/// `(212) 3xx-xxxx`: exchange and line derived from `i` so every contact's number is unique.
fn us_national(i: usize, area: u32) -> String {
    format!("({area}) {}-{:04}", 300 + i / 10_000, i % 10_000)
}

/// Callers that are in the directory, spelled differently from how they were stored.
fn hits() -> Vec<String> {
    [17, 2_345, 5_000, 7_777, 9_999]
        .iter()
        .map(|&i| {
            let area = AREAS[i % AREAS.len()];
            format!("+1 {area} {} {:04}", 300 + i / 10_000, i % 10_000)
        })
        .collect()
}

/// Callers nobody in the directory has (the miss path also tries the last-digits fallback).
fn misses() -> Vec<String> {
    (0..5).map(|k| format!("+1 303 555 01{k:02}")).collect()
}

fn rules() -> PhoneRules {
    PhoneRules::new("US", DEFAULT_TAIL_DIGITS).expect("US is a region")
}

fn keys(rules: &PhoneRules, raw: &[String]) -> Vec<Normalised> {
    raw.iter()
        .map(|r| rules.keys(r).expect("benchmark callers are numbers"))
        .collect()
}

fn digits_only(raw: &str) -> String {
    raw.chars().filter(char::is_ascii_digit).collect()
}

fn phonenumber_e164(raw: &str) -> Option<String> {
    phonenumber::parse(Some(country::Id::US), raw)
        .ok()
        .map(|n| n.format().mode(Mode::E164).to_string())
}

fn normalisation(c: &mut Criterion) {
    let rules = rules();
    let mut group = c.benchmark_group("normalise");
    group.throughput(Throughput::Elements(CALLERS.len() as u64));
    group.bench_function("baseline_digits_only", |b| {
        b.iter(|| {
            for raw in CALLERS {
                black_box(digits_only(black_box(raw)));
            }
        })
    });
    group.bench_function("baseline_phonenumber_parse", |b| {
        b.iter(|| {
            for raw in CALLERS {
                black_box(phonenumber_e164(black_box(raw)));
            }
        })
    });
    group.bench_function("screenpop_normalise", |b| {
        b.iter(|| {
            for raw in CALLERS {
                black_box(rules.normalise(black_box(raw)));
            }
        })
    });
    group.finish();
}

/// A file-backed store in `dir` with [`CONTACTS`] contacts imported, and the chain over it
/// exactly as the daemon builds it from the default config.
fn directory(runtime: &Runtime, dir: &std::path::Path) -> (Store, Arc<Chain>) {
    runtime.block_on(async {
        let store = Store::open(&dir.join("screenpop.db"))
            .await
            .expect("open the benchmark store");
        let contacts: Vec<NewContact> = (0..CONTACTS).map(contact).collect();
        Contacts::new(store.clone())
            .upsert_many(&rules(), &contacts)
            .await
            .expect("import the benchmark contacts");
        let configs = [DirectoryConfig::Local {
            name: None,
            enabled: Default::default(),
            create_contact_url: None,
        }];
        let chain = Arc::new(Chain::new(
            screenpop::directory::build(
                &configs,
                &screenpop::directory::BuildContext {
                    store: store.clone(),
                    secrets: Arc::new(screenpop::secrets::MemoryStore::default()),
                    rules: rules(),
                },
            ),
            LookupCache::new(store.clone()),
            3600,
            300,
        ));
        (store, chain)
    })
}

/// The floor: the indexed equalities a lookup has to run (E.164, then the last-digits
/// fallback when that finds nobody) on the same pool, without assembling customers.
async fn bare_select(store: &Store, number: &Normalised) -> Option<String> {
    if let Some(e164) = &number.e164 {
        if let Some(id) = contact_id(store, BY_E164, e164).await {
            return Some(id);
        }
    }
    contact_id(store, BY_TAIL, &number.tail).await
}

const BY_E164: &str = "SELECT contact_id FROM contact_phones WHERE e164 = ?";
const BY_TAIL: &str = "SELECT contact_id FROM contact_phones WHERE tail = ?";

async fn contact_id(store: &Store, sql: &'static str, key: &str) -> Option<String> {
    sqlx::query_scalar(sql)
        .bind(key)
        .fetch_optional(store.pool())
        .await
        .expect("bare select")
}

fn lookup(c: &mut Criterion) {
    // The daemon's runtime shape: multi-threaded, two workers.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, chain) = directory(&runtime, dir.path());
    let rules = rules();
    let hits = keys(&rules, &hits());
    let misses = keys(&rules, &misses());
    runtime.block_on(async {
        for n in &hits {
            assert_eq!(chain.lookup(n).await.matches.len(), 1, "{n:?} is a hit");
        }
        for n in &misses {
            assert!(chain.lookup(n).await.matches.is_empty(), "{n:?} is a miss");
        }
    });

    let mut group = c.benchmark_group(format!("lookup_{CONTACTS}_contacts"));
    group.throughput(Throughput::Elements(1));
    for (name, numbers) in [("hit", &hits), ("miss", &misses)] {
        let mut k = 0;
        group.bench_function(format!("baseline_bare_select_{name}"), |b| {
            b.iter(|| {
                k = (k + 1) % numbers.len();
                runtime.block_on(bare_select(&store, &numbers[k]))
            })
        });
        let mut k = 0;
        group.bench_function(format!("chain_{name}"), |b| {
            b.iter(|| {
                k = (k + 1) % numbers.len();
                runtime.block_on(chain.lookup(&numbers[k]))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, normalisation, lookup);
criterion_main!(benches);
