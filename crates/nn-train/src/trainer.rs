//! The trainer: the book's `common/trainer.py`, done properly.

use std::time::Instant;

use nn_core::{with_warm_workers, Float};
use nn_data::{Dataset, MiniBatches, Sampling, Split};
use nn_layers::Network;
use nn_optim::Optimizer;

use crate::{Error, Progress, Result};

/// How to train.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Samples per mini-batch.
    pub batch_size: usize,
    /// Seeds the order of the mini-batches (the network has its own seed).
    pub seed: u64,
    /// How each epoch's mini-batches are drawn: shuffled passes (the
    /// default) or, as the book's trainer does, with replacement.
    pub sampling: Sampling,
    /// Train for this many mini-batches in all instead of `epochs` epochs
    /// (the book's "10,000 iterations"); the last epoch may be cut short.
    pub max_iterations: Option<usize>,
    /// Measure accuracy on this many samples of each split after each epoch
    /// (the book's `evaluate_sample_num_per_epoch`); all of them if `None`.
    pub eval_samples: Option<usize>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 20,
            batch_size: 100,
            seed: 0,
            sampling: Sampling::Shuffle,
            max_iterations: None,
            eval_samples: None,
        }
    }
}

/// What one epoch did.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochRecord {
    /// From 1.
    pub epoch: usize,
    /// Mean training loss over the epoch's mini-batches.
    pub loss: f64,
    /// Accuracy on (a sample of) the training set, after the epoch.
    pub train_accuracy: f64,
    /// Accuracy on (a sample of) the test set, after the epoch.
    pub test_accuracy: f64,
    /// Wall time of the epoch's training steps (evaluation excluded).
    pub seconds: f64,
    /// Training samples per second during the epoch.
    pub samples_per_second: f64,
}

/// The record of a training run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The training loss of every mini-batch.
    pub losses: Vec<f64>,
    /// One record per epoch.
    pub epochs: Vec<EpochRecord>,
}

impl History {
    /// The last epoch's test accuracy, or 0 before any epoch.
    pub fn final_test_accuracy(&self) -> f64 {
        self.epochs.last().map_or(0.0, |e| e.test_accuracy)
    }
}

/// Accuracy of `net` on the first `limit` samples of `split` (all if `None`).
///
/// # Errors
/// Shape and label errors of the network.
pub fn evaluate<T: Float>(
    net: &mut Network<T>,
    split: &Split<T>,
    limit: Option<usize>,
) -> Result<f64> {
    let n = limit.unwrap_or(split.len()).min(split.len());
    if n == split.len() {
        return Ok(net.accuracy(&split.images, &split.labels)?);
    }
    let part = split.take(n);
    Ok(net.accuracy(&part.images, &part.labels)?)
}

/// Trains `net` on `data.train` with `optimizer` and reports each epoch's
/// accuracies on `data.train` and `data.test`. Each epoch is as many samples
/// as the training set has, drawn by `config.sampling` ([`MiniBatches`]:
/// every sample once in a seeded random order, or with replacement); each step is a
/// forward and backward pass ([`Network::gradient`]) and an optimizer update.
///
/// Call it inside a rayon pool of the size you want (`ThreadPool::install`);
/// the pool's threads are kept warm while it runs
/// ([`nn_core::with_warm_workers`]).
///
/// # Errors
/// [`Error::Diverged`] naming the iteration when the loss becomes NaN or
/// infinite; shape, label and optimizer errors.
pub fn train<T: Float>(
    net: &mut Network<T>,
    optimizer: &mut dyn Optimizer<T>,
    data: &Dataset<T>,
    config: &TrainConfig,
    progress: &mut (dyn Progress + Send),
) -> Result<History> {
    if config.batch_size == 0 || data.train.is_empty() {
        return Err(Error::InvalidArgument {
            op: "train",
            message: format!(
                "need a batch size ≥ 1 and training data; got {} and {} samples",
                config.batch_size,
                data.train.len()
            ),
        });
    }
    with_warm_workers(|| {
        let mut history = History::default();
        let batches = MiniBatches::count(data.train.len(), config.batch_size);
        let budget = config.max_iterations.unwrap_or(usize::MAX);
        // An iteration budget decides the number of epochs (the last may be
        // cut short); otherwise `epochs` does.
        let epochs = config
            .max_iterations
            .map_or(config.epochs, |it| it.div_ceil(batches));
        for epoch in 1..=epochs {
            let in_epoch = batches.min(budget - history.losses.len());
            progress.start_epoch(epoch, epochs, in_epoch);
            let start = Instant::now();
            let (mut loss_sum, mut samples) = (0.0, 0usize);
            for (i, indices) in MiniBatches::with_sampling(
                data.train.len(),
                config.batch_size,
                config.seed,
                epoch as u64,
                config.sampling,
            )
            .take(in_epoch)
            .enumerate()
            {
                let batch = data.train.gather(&indices)?;
                let loss = net.gradient(batch.images, &batch.labels)?.as_f64();
                if !loss.is_finite() {
                    return Err(Error::Diverged {
                        iteration: history.losses.len() + 1,
                        epoch,
                        loss,
                    });
                }
                optimizer.step(net)?;
                history.losses.push(loss);
                loss_sum += loss;
                samples += indices.len();
                progress.batch(
                    i + 1,
                    loss,
                    samples as f64 / start.elapsed().as_secs_f64().max(1e-9),
                );
            }
            let seconds = start.elapsed().as_secs_f64();
            let record = EpochRecord {
                epoch,
                loss: loss_sum / in_epoch.max(1) as f64,
                train_accuracy: evaluate(net, &data.train, config.eval_samples)?,
                test_accuracy: evaluate(net, &data.test, config.eval_samples)?,
                seconds,
                samples_per_second: samples as f64 / seconds.max(1e-9),
            };
            progress.end_epoch(&record);
            history.epochs.push(record);
            if history.losses.len() >= budget {
                break;
            }
        }
        if let Some(name) = crate::first_non_finite(net) {
            return Err(Error::NonFinite {
                name,
                iteration: history.losses.len(),
            });
        }
        Ok(history)
    })
}
