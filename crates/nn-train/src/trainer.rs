//! The trainer: the book's `common/trainer.py`, done properly.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::time::Instant;

use nn_core::{with_warm_workers, Float, Tensor};
use nn_data::{Dataset, MiniBatches, Sampling, Split};
use nn_layers::Network;
use nn_optim::{Optimizer, Schedule};

use crate::{Error, Progress, Result};

/// How to train. Every field has a default ([`TrainConfig::default`]), so
/// a config names only what it changes:
/// `TrainConfig { epochs: 5, ..TrainConfig::default() }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Passes over the training set, counted from the start of the run
    /// (a resumed run goes on to this many). Default 20, the book's.
    pub epochs: usize,
    /// Samples per mini-batch. Default 100, the book's.
    pub batch_size: usize,
    /// Seeds the order of the mini-batches and the validation hold-out (the
    /// network has its own seed). Default 0.
    pub seed: u64,
    /// How each epoch's mini-batches are drawn: shuffled passes (default)
    /// or, as the book's trainer does, with replacement.
    pub sampling: Sampling,
    /// Train for this many mini-batches in all instead of `epochs` epochs
    /// (the book's "10,000 iterations"); the last epoch may be cut short.
    /// Default `None`.
    pub max_iterations: Option<usize>,
    /// Measure accuracy on this many samples of each split after each epoch
    /// (the book's `evaluate_sample_num_per_epoch`); all of them if `None`
    /// (default).
    pub eval_samples: Option<usize>,
    /// The learning rate of each epoch, from the base rate. Default
    /// [`Schedule::Constant`].
    pub schedule: Schedule,
    /// The base rate the schedule starts from; `None` (default): the
    /// optimizer's rate when training starts.
    pub base_lr: Option<f64>,
    /// Hold this many training samples out (drawn with `seed`) and measure
    /// the validation loss and accuracy on them after each epoch: the data
    /// to tune and stop on, never the test set (the book's chapter 6).
    /// Default `None`.
    pub validation: Option<usize>,
    /// Stop when the validation figure has not improved for a while, and
    /// end with the best epoch's weights. Needs `validation`. Default `None`.
    pub early_stopping: Option<EarlyStopping>,
    /// Epochs already done (a resumed run): training continues with epoch
    /// `start_epoch + 1`, its mini-batches and learning rate as in an
    /// uninterrupted run. Default 0.
    pub start_epoch: usize,
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
            schedule: Schedule::Constant,
            base_lr: None,
            validation: None,
            early_stopping: None,
            start_epoch: 0,
        }
    }
}

/// What early stopping watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Monitor {
    /// The validation loss, lower is better (default).
    #[default]
    ValidationLoss,
    /// The validation accuracy, higher is better.
    ValidationAccuracy,
}

/// Stop when `monitor` has not improved by more than `min_delta` for
/// `patience` epochs in a row; the network then gets back the weights (and
/// batch-norm statistics) of its best epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarlyStopping {
    /// The figure watched.
    pub monitor: Monitor,
    /// Epochs without improvement before stopping (≥ 1).
    pub patience: usize,
    /// The least change that counts as an improvement (≥ 0).
    pub min_delta: f64,
}

impl EarlyStopping {
    /// Watching the validation loss with `patience` and no minimum change.
    pub fn on_loss(patience: usize) -> Self {
        EarlyStopping {
            monitor: Monitor::ValidationLoss,
            patience,
            min_delta: 0.0,
        }
    }

    /// The watched figure of `record`, as a value to minimise.
    fn score(&self, record: &EpochRecord) -> Option<f64> {
        match self.monitor {
            Monitor::ValidationLoss => record.validation_loss,
            Monitor::ValidationAccuracy => record.validation_accuracy.map(|a| -a),
        }
    }
}

/// What one epoch did.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochRecord {
    /// From 1.
    pub epoch: usize,
    /// The learning rate of the epoch.
    pub learning_rate: f64,
    /// Mean training loss over the epoch's mini-batches.
    pub loss: f64,
    /// Accuracy on (a sample of) the training set, after the epoch.
    pub train_accuracy: f64,
    /// Mean loss on the validation set, after the epoch, when there is one.
    pub validation_loss: Option<f64>,
    /// Accuracy on the validation set, after the epoch, when there is one.
    pub validation_accuracy: Option<f64>,
    /// Accuracy on (a sample of) the test set, after the epoch, when there is one.
    pub test_accuracy: Option<f64>,
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
    /// The epoch whose weights the network ended with, when early stopping
    /// chose one.
    pub best_epoch: Option<usize>,
    /// The epoch after which a hook or early stopping stopped training.
    pub stopped_at: Option<usize>,
}

impl History {
    /// The last epoch's test accuracy, if any epoch measured one.
    pub fn final_test_accuracy(&self) -> Option<f64> {
        self.epochs.last().and_then(|e| e.test_accuracy)
    }
}

/// Called after every epoch with the network, the optimizer and the
/// epoch's figures; `ControlFlow::Break` stops training after this epoch.
/// A closure of that shape is a hook:
///
/// ```
/// use std::ops::ControlFlow;
/// use nn_train::{EpochRecord, Hook};
///
/// // Stop once the training loss is below 0.1.
/// let mut good_enough = |_: &mut nn_layers::Network<f32>, _: &mut dyn nn_optim::Optimizer<f32>, r: &EpochRecord| {
///     Ok(if r.loss < 0.1 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
/// };
/// let _hook: &mut dyn Hook<f32> = &mut good_enough;
/// ```
pub trait Hook<T: Float>: Send {
    /// After epoch `record.epoch`.
    ///
    /// # Errors
    /// Whatever the hook's own work returns (saving a checkpoint); training
    /// stops with it.
    fn end_epoch(
        &mut self,
        net: &mut Network<T>,
        optimizer: &mut dyn Optimizer<T>,
        record: &EpochRecord,
    ) -> Result<ControlFlow<()>>;
}

impl<T, F> Hook<T> for F
where
    T: Float,
    F: FnMut(&mut Network<T>, &mut dyn Optimizer<T>, &EpochRecord) -> Result<ControlFlow<()>>
        + Send,
{
    fn end_epoch(
        &mut self,
        net: &mut Network<T>,
        optimizer: &mut dyn Optimizer<T>,
        record: &EpochRecord,
    ) -> Result<ControlFlow<()>> {
        self(net, optimizer, record)
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
    let images = split.images.slice_axis(ndarray::Axis(0), (0..n).into());
    Ok(net.accuracy(images, &split.labels[..n])?)
}

impl TrainConfig {
    /// The defaults with `epochs` epochs.
    pub fn with_epochs(epochs: usize) -> Self {
        TrainConfig {
            epochs,
            ..TrainConfig::default()
        }
    }
}

/// What [`train`] trains on: a [`Dataset`] (its training split, its test
/// split measured after each epoch), a [`Split`] alone, or a pair
/// `(&train, &test)`.
pub trait TrainingData<'a, T> {
    /// The training split and the test split, if any.
    fn splits(self) -> (&'a Split<T>, Option<&'a Split<T>>);
}

impl<'a, T> TrainingData<'a, T> for &'a Dataset<T> {
    fn splits(self) -> (&'a Split<T>, Option<&'a Split<T>>) {
        (&self.train, Some(&self.test))
    }
}

impl<'a, T> TrainingData<'a, T> for &'a Split<T> {
    fn splits(self) -> (&'a Split<T>, Option<&'a Split<T>>) {
        (self, None)
    }
}

impl<'a, T> TrainingData<'a, T> for (&'a Split<T>, &'a Split<T>) {
    fn splits(self) -> (&'a Split<T>, Option<&'a Split<T>>) {
        (self.0, Some(self.1))
    }
}

/// Trains `net` on `data` (a [`Dataset`], a [`Split`], or `(&train, &test)`)
/// and measures the test split after each epoch when there is one: [`fit`]
/// without hooks.
///
/// # Errors
/// As [`fit`].
pub fn train<'a, T: Float>(
    net: &mut Network<T>,
    optimizer: &mut dyn Optimizer<T>,
    data: impl TrainingData<'a, T>,
    config: &TrainConfig,
    progress: &mut (dyn Progress + Send),
) -> Result<History> {
    let (train, test) = data.splits();
    fit(net, optimizer, train, test, config, &mut [], progress)
}

/// Trains `net` on `train` with `optimizer`. Each epoch is as many samples
/// as the training set has, drawn by `config.sampling` ([`MiniBatches`]:
/// every sample once in an order fixed by the seed and the epoch, or with
/// replacement); each step is a forward and backward pass
/// ([`Network::gradient`]) and an optimizer update at the epoch's learning
/// rate (`config.schedule`). After each epoch: the accuracy on (a sample
/// of) `train`, the loss and accuracy on the validation hold-out
/// (`config.validation`), the accuracy on `test` when given, then
/// `progress`, early stopping, and each of `hooks` in order (any of which
/// can stop training).
///
/// Call it inside a rayon pool of the size you want (`ThreadPool::install`);
/// the pool's threads are kept warm while it runs
/// ([`nn_core::with_warm_workers`]). When the pool leaves a core of the
/// machine idle, a loader thread gathers the next batch there while this
/// one trains. The same inputs give the same bits on any number of threads,
/// and `start_epoch` resumes a run exactly.
///
/// # Errors
/// [`Error::Diverged`] naming the iteration when the loss becomes NaN or
/// infinite; [`Error::InvalidArgument`] for a zero batch size, no training
/// data, an impossible validation hold-out or early stopping without one;
/// shape, label, optimizer and hook errors.
pub fn fit<T: Float>(
    net: &mut Network<T>,
    optimizer: &mut dyn Optimizer<T>,
    train: &Split<T>,
    test: Option<&Split<T>>,
    config: &TrainConfig,
    hooks: &mut [&mut dyn Hook<T>],
    progress: &mut (dyn Progress + Send),
) -> Result<History> {
    let invalid = |message: String| Error::InvalidArgument {
        op: "train",
        message,
    };
    if config.batch_size == 0 || train.is_empty() {
        return Err(invalid(format!(
            "need a batch size ≥ 1 and training data; got {} and {} samples",
            config.batch_size,
            train.len()
        )));
    }
    config.schedule.validate()?;
    let held;
    let (train, validation) = match config.validation {
        Some(n) => {
            held = train.hold_out(n, config.seed)?;
            (&held.0, Some(&held.1))
        }
        None => (train, None),
    };
    if let Some(stopping) = &config.early_stopping {
        if validation.is_none()
            || stopping.patience == 0
            || stopping.min_delta.is_nan()
            || stopping.min_delta < 0.0
        {
            return Err(invalid(format!(
                "early stopping needs a validation hold-out, patience ≥ 1 and min_delta ≥ 0; \
                 got {} validation samples, patience {}, min_delta {}",
                config.validation.unwrap_or(0),
                stopping.patience,
                stopping.min_delta
            )));
        }
    }
    let base_lr = config.base_lr.unwrap_or_else(|| optimizer.learning_rate());
    with_warm_workers(|| {
        let mut history = History::default();
        let batches = MiniBatches::count(train.len(), config.batch_size);
        let budget = config.max_iterations.unwrap_or(usize::MAX);
        let done_iterations = config.start_epoch.saturating_mul(batches);
        // An iteration budget decides the number of epochs (the last may be
        // cut short); otherwise `epochs` does.
        let epochs = config
            .max_iterations
            .map_or(config.epochs, |it| it.div_ceil(batches));
        let mut best: Option<(f64, usize, BTreeMap<String, Tensor<T>>)> = None;
        for epoch in config.start_epoch + 1..=epochs {
            let learning_rate = config.schedule.rate(base_lr, epoch);
            optimizer.set_learning_rate(learning_rate)?;
            let iterations = done_iterations + history.losses.len();
            let in_epoch = batches.min(budget.saturating_sub(iterations));
            progress.start_epoch(epoch, epochs, in_epoch);
            let start = Instant::now();
            let (mut loss_sum, mut samples) = (0.0, 0usize);
            let batches = MiniBatches::with_sampling(
                train.len(),
                config.batch_size,
                config.seed,
                epoch as u64,
                config.sampling,
            )
            .take(in_epoch);
            for_each_batch(train, batches, spare_core(), |i, batch| {
                let count = batch.len();
                let loss = net.gradient(batch.images, &batch.labels)?.as_f64();
                if !loss.is_finite() {
                    return Err(Error::Diverged {
                        iteration: done_iterations + history.losses.len() + 1,
                        epoch,
                        loss,
                    });
                }
                optimizer.step(net)?;
                history.losses.push(loss);
                loss_sum += loss;
                samples += count;
                progress.batch(
                    i + 1,
                    loss,
                    samples as f64 / start.elapsed().as_secs_f64().max(1e-9),
                );
                Ok(())
            })?;
            let seconds = start.elapsed().as_secs_f64();
            let (validation_loss, validation_accuracy) = match validation {
                Some(v) => {
                    let (loss, accuracy) = net.loss_and_accuracy(v.images.view(), &v.labels)?;
                    (Some(loss), Some(accuracy))
                }
                None => (None, None),
            };
            let record = EpochRecord {
                epoch,
                learning_rate,
                loss: loss_sum / in_epoch.max(1) as f64,
                train_accuracy: evaluate(net, train, config.eval_samples)?,
                validation_loss,
                validation_accuracy,
                test_accuracy: test
                    .map(|t| evaluate(net, t, config.eval_samples))
                    .transpose()?,
                seconds,
                samples_per_second: samples as f64 / seconds.max(1e-9),
            };
            progress.end_epoch(&record);
            let mut stop = false;
            if let Some(stopping) = &config.early_stopping {
                let score = stopping
                    .score(&record)
                    .expect("a validation set is measured");
                match &best {
                    Some((b, _, _)) if score >= b - stopping.min_delta => {}
                    _ => best = Some((score, epoch, net.state())),
                }
                let best_epoch = best.as_ref().map_or(epoch, |b| b.1);
                stop = epoch - best_epoch >= stopping.patience;
            }
            for hook in hooks.iter_mut() {
                if hook.end_epoch(net, optimizer, &record)?.is_break() {
                    stop = true;
                }
            }
            history.epochs.push(record);
            if stop {
                history.stopped_at = Some(epoch);
                break;
            }
            if done_iterations + history.losses.len() >= budget {
                break;
            }
        }
        if let Some((_, epoch, state)) = best {
            net.load_state(&state)?;
            history.best_epoch = Some(epoch);
        }
        if let Some(name) = crate::first_non_finite(net) {
            return Err(Error::NonFinite {
                name,
                iteration: done_iterations + history.losses.len(),
            });
        }
        Ok(history)
    })
}

/// Whether the machine has a core that the compute threads (the current
/// rayon pool) leave idle.
fn spare_core() -> bool {
    std::thread::available_parallelism()
        .is_ok_and(|cores| cores.get() > rayon::current_num_threads())
}

/// Calls `step` with each mini-batch of `batches` (its number and the batch
/// gathered from `train`), in order, until one fails.
///
/// Gathering a batch reads its rows from all over the training set: for the
/// two-layer network on MNIST that is 40 µs of a 240 µs step spent waiting
/// for memory (one Zen 4 core). With `loader` (when there is a
/// [`spare_core`]: `nn train --threads 1` on two cores), a loader thread
/// gathers the next batch while `step` trains on this one, as a PyTorch
/// `DataLoader` worker does; otherwise the batches are gathered in turn.
/// The batches, and so the results, are the same either way.
fn for_each_batch<T: Float>(
    train: &Split<T>,
    batches: impl Iterator<Item = Vec<usize>> + Send,
    loader: bool,
    mut step: impl FnMut(usize, Split<T>) -> Result<()>,
) -> Result<()> {
    if !loader {
        for (i, indices) in batches.enumerate() {
            step(i, train.gather(&indices)?)?;
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        // One batch waits while the next is gathered: two ahead at most.
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        scope.spawn(move || {
            for indices in batches {
                // A closed channel means `step` failed: stop gathering.
                if sender.send(train.gather(&indices)).is_err() {
                    break;
                }
            }
        });
        for (i, batch) in receiver.iter().enumerate() {
            step(i, batch?)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize) -> Split<f32> {
        let images = Tensor::from_shape_fn(ndarray::IxDyn(&[n, 2]), |i| (i[0] * 2 + i[1]) as f32);
        Split {
            images,
            labels: (0..n).collect(),
            one_hot: None,
        }
    }

    /// Every batch, whole and in order, with or without the loader thread;
    /// a failing step or an impossible batch stops the loop (and the
    /// loader) with its error.
    #[test]
    fn batches_are_the_same_with_and_without_the_loader() {
        let train = numbered(10);
        let order = || MiniBatches::new(10, 3, 5, 0);
        let mut expected = Vec::new();
        for loader in [false, true] {
            let mut seen = Vec::new();
            for_each_batch(&train, order(), loader, |i, batch| {
                seen.push((i, batch.labels.clone(), batch.images.clone()));
                Ok(())
            })
            .unwrap();
            assert_eq!(seen.len(), 4);
            for ((i, labels, images), indices) in seen.iter().zip(order()) {
                assert_eq!(labels, &indices, "batch {i}");
                let rows: Vec<f32> = indices
                    .iter()
                    .flat_map(|&k| [(2 * k) as f32, (2 * k + 1) as f32])
                    .collect();
                assert_eq!(images.as_slice().unwrap(), rows.as_slice(), "batch {i}");
            }
            if loader {
                assert_eq!(seen, expected);
            }
            expected = seen;

            let mut steps = 0;
            let err = for_each_batch(&train, order(), loader, |i, _| {
                steps += 1;
                match i {
                    1 => Err(Error::InvalidArgument {
                        op: "step",
                        message: "stop here".into(),
                    }),
                    _ => Ok(()),
                }
            })
            .unwrap_err();
            assert!(err.to_string().contains("stop here"), "{err}");
            assert_eq!(steps, 2);

            let past_the_end = vec![vec![0, 1], vec![3, 10], vec![2]];
            let mut steps = 0;
            let err = for_each_batch(&train, past_the_end.into_iter(), loader, |_, _| {
                steps += 1;
                Ok(())
            })
            .unwrap_err();
            assert!(err.to_string().contains("index 10"), "{err}");
            assert_eq!(steps, 1);
        }
    }
}
