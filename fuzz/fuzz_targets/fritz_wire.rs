//! Fuzzes the Fritz!Box call monitor reader: any bytes, split anywhere, never panic, never
//! buffer more than one line's limit, and give the same lines however they are split.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../src/source/fritz/wire.rs"]
mod wire;

use wire::LineReader;

fuzz_target!(|data: &[u8]| {
    let Some((&step, rest)) = data.split_first() else {
        return;
    };
    let whole = LineReader::new().feed(rest);
    let mut reader = LineReader::new();
    let mut split = Vec::new();
    for chunk in rest.chunks(step as usize % 13 + 1) {
        split.extend(reader.feed(chunk));
    }
    // A flood split differently may be cut at a different place; lines that parse agree.
    let ok = |v: &Vec<Result<wire::Line, wire::LineError>>| {
        v.iter().filter_map(|r| r.as_ref().ok().cloned()).collect::<Vec<_>>()
    };
    if rest.len() < wire::MAX_LINE {
        assert_eq!(ok(&whole), ok(&split));
    }
});
