//! Helpers shared by the workspace's cross-crate tests (`tests/`) and
//! benchmarks (`benches/`). Not published.

use std::path::PathBuf;

/// The data directory from `NN_DATA_DIR`, or `None` after printing why a test
/// that needs real data is skipping.
///
/// `what` names the files the caller needs, for the message.
pub fn data_dir_or_skip(what: &str) -> Option<PathBuf> {
    match std::env::var_os("NN_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => {
            eprintln!("skipping: NN_DATA_DIR is not set, so {what} cannot be found");
            None
        }
    }
}
