//! nn-train's integration tests, as one test binary: each file of `tests/`
//! is a module of it. One binary links once and compiles the generic
//! training code once, where five took 205 CPU-seconds to build (`cargo test
//! --timings`); run one file's tests with `cargo test -p nn-train --test
//! train cli::`.

mod checkpoint;
mod cli;
mod report;
mod steering;
mod trainer;
