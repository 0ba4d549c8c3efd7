//! Fuzz target: see `nn_workspace::fuzz::network_description`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nn_workspace::fuzz::network_description(data));
