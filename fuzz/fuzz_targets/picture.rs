//! Fuzz target: see `nn_workspace::fuzz::picture`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nn_workspace::fuzz::picture(data));
