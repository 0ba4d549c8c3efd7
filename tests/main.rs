//! The workspace's cross-crate tests, as one test binary: each file of
//! `tests/` is a module of it. One binary links once and compiles the
//! layers' generic code once, where nine took 178 CPU-seconds to build
//! (`cargo test --timings`); run one file's tests with
//! `cargo test -p nn-workspace --test workspace book_weights::`.

mod book_weights;
mod digits_transfer;
mod fuzz_corpus;
mod numpy_files;
mod onnx_export;
mod pytorch_state_dict;
mod pytorch_trajectory;
mod tidy;
mod training;
