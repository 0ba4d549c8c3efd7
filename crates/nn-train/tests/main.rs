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

/// A test's own scratch folder, removed with everything in it when the test
/// ends (or fails): the tests leave nothing behind in the system's temporary
/// folder.
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    /// A new, empty folder.
    pub fn create() -> Self {
        Self(
            tempfile::Builder::new()
                .prefix("nn-train-test-")
                .tempdir()
                .expect("create a scratch folder"),
        )
    }

    /// The folder.
    pub fn path(&self) -> &std::path::Path {
        self.0.path()
    }

    /// `name` inside the folder.
    pub fn join(&self, name: &str) -> std::path::PathBuf {
        self.0.path().join(name)
    }
}
