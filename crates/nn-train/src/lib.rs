//! # nn-train
//!
//! Training the book's networks end to end: the [`train`] loop (the book's
//! `common/trainer.py`, with seeded mini-batches, per-epoch accuracy and a
//! clear error when the loss diverges), [checkpoints](checkpoint) in
//! safetensors, [progress](Progress) reporting, SVG [plots](plot), speed
//! [measurement](measure), and the `nn` command built on them.
//!
//! ```
//! use nn_data::{digits, DigitsConfig, LoadOptions};
//! use nn_layers::TwoLayerNet;
//! use nn_optim::{Sgd, SgdConfig};
//! use nn_train::{train, Quiet, TrainConfig};
//!
//! let data = digits::<f32>(&DigitsConfig { train: 2000, test: 500, seed: 0 }, &LoadOptions::default());
//! let mut net = TwoLayerNet::default().build::<f32>(0)?;
//! let mut sgd = Sgd::new(SgdConfig { lr: 0.1 })?;
//! let config = TrainConfig { epochs: 5, ..TrainConfig::default() };
//! let history = train(&mut net, &mut sgd, &data, &config, &mut Quiet)?;
//! assert_eq!(history.epochs.len(), 5);
//! assert!(history.final_test_accuracy().unwrap() > 0.5);
//! # Ok::<(), nn_train::Error>(())
//! ```

pub mod checkpoint;
pub mod picture;
pub mod plot;
pub mod report;
pub mod run;

mod error;
mod model;
mod progress;
mod throughput;
mod trainer;

pub use checkpoint::Checkpoint;
pub use error::{Error, Result};
pub use model::{build_for_data, default_optimizer, fit_to_data};
pub use progress::{epoch_line, for_stderr, Bar, DownloadBar, Lines, Progress, Quiet};
pub use run::RunDir;
pub use throughput::{measure, random_batches, Throughput, Workload};
pub use trainer::{
    evaluate, fit, train, EarlyStopping, EpochRecord, History, Hook, Monitor, TrainConfig,
    TrainingData,
};

/// The name of the first parameter or statistic of `net` holding a NaN or an
/// infinity, if any: such a network is not trained, whatever its loss said.
pub fn first_non_finite<T: nn_core::Float>(net: &mut dyn nn_core::Parameters<T>) -> Option<String> {
    let mut found = None;
    net.visit_params(&mut |p| {
        if found.is_none() && p.value.iter().any(|v| !v.is_finite()) {
            found = Some(p.name.to_string());
        }
    });
    found
}
