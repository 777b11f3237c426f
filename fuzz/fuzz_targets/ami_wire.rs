//! Fuzzes the AMI decoder: any bytes, split anywhere, must never panic, never hold more than
//! one block's limit, and decode the same frames however the bytes are split.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../src/source/ami/wire.rs"]
mod wire;

use wire::{Decoder, Frame, MAX_BLOCK};

fn decode(data: &[u8], step: usize) -> Vec<Frame> {
    let mut decoder = Decoder::new();
    let mut frames = Vec::new();
    for chunk in data.chunks(step.max(1)) {
        decoder.feed(chunk);
        while let Some(frame) = decoder.next_frame() {
            frames.push(frame);
        }
        assert!(decoder.pending() <= MAX_BLOCK + step.max(1));
    }
    frames
}

fuzz_target!(|data: &[u8]| {
    let Some((&step, rest)) = data.split_first() else {
        return;
    };
    let whole = decode(rest, rest.len());
    let split = decode(rest, step as usize % 17 + 1);
    assert_eq!(whole, split);
    for frame in &whole {
        if let Frame::Message(m) = frame {
            for (key, _) in m.fields() {
                assert!(!key.is_empty());
            }
            // What we decode, we can say again.
            let fields: Vec<(&str, &str)> =
                m.fields().iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let _ = wire::action("Echo", "1", &fields);
        }
    }
});
