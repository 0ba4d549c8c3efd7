//! Fuzz target: see `nn_workspace::fuzz::pickle`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nn_workspace::fuzz::pickle(data));
