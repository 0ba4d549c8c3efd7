//! Run folders: every training run writes into a folder of its own
//! (`runs/<model>-<dataset>-<n>/`), as PyTorch Lightning and Ultralytics do,
//! so that no run replaces another's files.
//!
//! A run folder holds the checkpoint (`model.safetensors`), the network's
//! description (`network.toml`), the figures of every epoch
//! (`metrics.csv`), the curves (`curves.svg`) and the report's pictures.

use std::path::{Path, PathBuf};

use crate::{EpochRecord, Error, Result};

/// A run's own folder, created new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDir {
    path: PathBuf,
}

/// The file name `metrics.csv` starts with.
pub const METRICS_HEADER: &str = "epoch,learning_rate,loss,train_accuracy,validation_loss,validation_accuracy,test_accuracy,seconds,samples_per_second";

impl RunDir {
    /// Creates `root/<model>-<dataset>-<n>` with the first `n` (from 1)
    /// above every existing one, creating `root` if needed. The folder is
    /// made with one `create_dir`, so two runs started together never
    /// share one. `model` may be a network file's path: its stem is used.
    ///
    /// # Errors
    /// [`Error::Run`] when the folder cannot be created.
    pub fn create(root: &Path, model: &str, dataset: &str) -> Result<Self> {
        let stem = Path::new(model)
            .file_stem()
            .map_or_else(|| model.to_string(), |s| s.to_string_lossy().into_owned());
        let prefix = format!("{}-{}-", clean(&stem), clean(dataset));
        std::fs::create_dir_all(root).map_err(|e| run_error(root, &e))?;
        let taken = std::fs::read_dir(root)
            .map_err(|e| run_error(root, &e))?
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_prefix(&prefix)?
                    .parse::<u64>()
                    .ok()
            })
            .max()
            .unwrap_or(0);
        for n in taken + 1.. {
            let path = root.join(format!("{prefix}{n}"));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(RunDir { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(run_error(&path, &e)),
            }
        }
        unreachable!("some number above the largest taken one is free")
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A file in the folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

fn run_error(path: &Path, e: &std::io::Error) -> Error {
    Error::Run {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Letters, digits, `-`, `_` and `.` kept; anything else becomes `_`.
fn clean(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `metrics.csv`: [`METRICS_HEADER`] and one line per epoch; figures not
/// measured are empty.
pub fn metrics_csv(epochs: &[EpochRecord]) -> String {
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    let mut text = format!("{METRICS_HEADER}\n");
    for r in epochs {
        text.push_str(&format!(
            "{},{},{},{},{},{},{},{:.3},{:.1}\n",
            r.epoch,
            r.learning_rate,
            r.loss,
            r.train_accuracy,
            opt(r.validation_loss),
            opt(r.validation_accuracy),
            opt(r.test_accuracy),
            r.seconds,
            r.samples_per_second
        ));
    }
    text
}

/// How far a loss may grow over its first value before the network is
/// taken for diverged: a factor of 1,000.
pub const GROWTH_LIMIT: f64 = 1000.0;

/// Why a run's network should not be saved, from its mini-batch losses: a
/// loss that is not finite, or one above [`GROWTH_LIMIT`] times the first
/// (or times 1 when the first is below 1, as in a resumed run whose loss
/// is already near 0: a cross-entropy of 1,000 means a probability of
/// e⁻¹⁰⁰⁰ for the right class, diverged by any measure).
///
/// ```
/// use nn_train::run::diverged;
///
/// assert_eq!(diverged(&[2.3, 1.0, 0.5]), None);
/// assert!(diverged(&[2.3, 40.0, 1.2e24]).unwrap().contains("1.2e24"));
/// assert!(diverged(&[2.3, f64::NAN]).unwrap().contains("NaN"));
/// // Resumed near 0: growth is measured from 1.
/// assert_eq!(diverged(&[1e-4, 0.07, 2.0]), None);
/// ```
pub fn diverged(losses: &[f64]) -> Option<String> {
    let first = *losses.first()?;
    let (i, &worst) = losses
        .iter()
        .enumerate()
        .find(|(_, &l)| !l.is_finite())
        .or_else(|| {
            losses
                .iter()
                .enumerate()
                .find(|(_, &l)| l > GROWTH_LIMIT * first.abs().max(1.0))
        })?;
    Some(format!(
        "the training loss reached {worst:e} at iteration {}, {} its first value {first:.4}",
        i + 1,
        if worst.is_finite() {
            "more than 1000 times"
        } else {
            "from"
        }
    ))
}
