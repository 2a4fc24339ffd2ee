//! cargo-fuzz target: `siyi_bridge::fuzzing::param_ext_values` (docs there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| siyi_bridge::fuzzing::param_ext_values(data));
