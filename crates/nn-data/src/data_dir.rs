//! Where datasets live.

use std::path::{Path, PathBuf};

/// The environment variable naming the data directory (the folder holding
/// `mnist/` and `fashion-mnist/`).
pub const DATA_DIR_VAR: &str = "NN_DATA_DIR";

/// The data directory: `explicit` if given (a `--data-dir` option), else
/// `$NN_DATA_DIR`, else a per-user cache directory: `$XDG_CACHE_HOME/nn`,
/// `~/.cache/nn` on Unix, `%LOCALAPPDATA%\nn` on Windows, and `./nn-data` if
/// none of those is known.
///
/// ```
/// use std::path::Path;
///
/// let dir = nn_data::data_dir(Some(Path::new("/tmp/mine")));
/// assert_eq!(dir, Path::new("/tmp/mine"));
/// ```
pub fn data_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.to_path_buf();
    }
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var(DATA_DIR_VAR) {
        return dir;
    }
    if cfg!(windows) {
        if let Some(local) = var("LOCALAPPDATA") {
            return local.join("nn");
        }
    } else if let Some(cache) = var("XDG_CACHE_HOME") {
        return cache.join("nn");
    } else if let Some(home) = var("HOME") {
        return home.join(".cache").join("nn");
    }
    PathBuf::from("nn-data")
}
