//! Fuzzes baresip's ctrl_tcp netstring decoder and message parser: any bytes, split
//! anywhere, never panic and never buffer past one frame's limit; any payload survives an
//! encode → decode round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../src/source/baresip/wire.rs"]
mod wire;

use wire::{Decoder, MAX_FRAME};

fuzz_target!(|data: &[u8]| {
    let Some((&step, rest)) = data.split_first() else {
        return;
    };
    let step = step as usize % 23 + 1;
    let mut decoder = Decoder::new();
    for chunk in rest.chunks(step) {
        decoder.feed(chunk);
        loop {
            match decoder.next_frame() {
                Ok(Some(payload)) => {
                    let _ = wire::parse_message(&payload);
                }
                Ok(None) => break,
                Err(_) => continue,
            }
        }
        assert!(decoder.buffered() <= MAX_FRAME + 16 + step);
    }
    if rest.len() <= MAX_FRAME {
        let mut decoder = Decoder::new();
        decoder.feed(&wire::encode(rest));
        assert_eq!(decoder.next_frame(), Ok(Some(rest.to_vec())));
    }
});
