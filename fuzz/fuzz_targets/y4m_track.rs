//! cargo-fuzz target: `siyi_bridge::fuzzing::y4m_track` (docs there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| siyi_bridge::fuzzing::y4m_track(data));
