//! cargo-fuzz target: `siyi_bridge::fuzzing::ftp_payloads` (docs there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| siyi_bridge::fuzzing::ftp_payloads(data));
