//! cargo-fuzz target: `siyi_bridge::fuzzing::h264_nal` (docs there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| siyi_bridge::fuzzing::h264_nal(data));
