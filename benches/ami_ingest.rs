//! AMI ingest: parse + dispatch events/s on a recorded burst (scripts/bench-ami.sh makes the
//! burst and runs the Python peer on the same bytes). Feeds the burst in 16 KiB reads
//! through the real decoder and the real Linkedid tracker of extension 201, as the AMI
//! source does, and prints one JSON line: events, call events produced, best and median
//! events/s over the runs.
//!
//!   cargo bench --bench ami_ingest -- <burst file> [runs]

use screenpop::event::SourceId;
use screenpop::source::ami::calls::Tracker;
use screenpop::source::ami::channel::{Extension, Follow};
use screenpop::source::ami::wire::{Decoder, Frame};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(path) = args.first() else {
        eprintln!("usage: ami_ingest <burst file> [runs]   (scripts/bench-ami.sh makes one)");
        return;
    };
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let burst = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(2);
        }
    };
    let mut rates = Vec::new();
    let (mut events, mut produced) = (0usize, 0usize);
    for _ in 0..runs {
        let started = Instant::now();
        let mut decoder = Decoder::new();
        let mut tracker = Tracker::new(
            SourceId("ami:201".into()),
            Follow::One(Extension::parse("201")),
        );
        let mut out = Vec::new();
        (events, produced) = (0, 0);
        for chunk in burst.chunks(16 * 1024) {
            decoder.feed(chunk);
            while let Some(frame) = decoder.next_frame() {
                if let Frame::Message(m) = frame {
                    if m.event().is_some() {
                        events += 1;
                        tracker.on_message(&m, chrono::Utc::now(), &mut out);
                        produced += out.len();
                        out.clear();
                    }
                }
            }
        }
        rates.push(events as f64 / started.elapsed().as_secs_f64());
    }
    rates.sort_by(|a, b| a.total_cmp(b));
    let best = rates.last().copied().unwrap_or(0.0);
    let median = rates.get(rates.len() / 2).copied().unwrap_or(0.0);
    println!(
        "{{\"impl\":\"screenpop (Rust)\",\"events\":{events},\"call_events\":{produced},\"best_per_s\":{best:.0},\"median_per_s\":{median:.0},\"runs\":{runs}}}"
    );
}
