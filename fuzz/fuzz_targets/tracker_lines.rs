//! cargo-fuzz target: `siyi_bridge::fuzzing::tracker_lines` (docs there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| siyi_bridge::fuzzing::tracker_lines(data));
