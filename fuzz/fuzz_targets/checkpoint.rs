//! Fuzz target: see `nn_workspace::fuzz::checkpoint`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nn_workspace::fuzz::checkpoint(data));
