//! Fuzz target: see `nn_workspace::fuzz::npz`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nn_workspace::fuzz::npz(data));
