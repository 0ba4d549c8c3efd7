//! Measuring training and inference speed, as `nn bench` and
//! `cargo xtask compare` do.

use std::time::Instant;

use nn_core::{init::uniform, rng::seeded, with_warm_workers, Float, Tensor};
use nn_layers::Network;
use nn_optim::Optimizer;

use crate::{Error, Result};

/// What is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// A training step: forward, backward ([`Network::gradient`]) and an
    /// optimizer update.
    Train,
    /// Inference: [`Network::predict`] (forward in inference mode).
    Infer,
}

impl Workload {
    /// `train` or `infer`.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Train => "train",
            Workload::Infer => "infer",
        }
    }

    /// The batch size the comparison uses: 100 for training (the book's),
    /// 1000 for inference.
    pub fn default_batch(self) -> usize {
        match self {
            Workload::Train => 100,
            Workload::Infer => 1000,
        }
    }
}

/// A measured speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throughput {
    /// Timed steps.
    pub steps: usize,
    /// Samples per step.
    pub batch: usize,
    /// Wall time of the timed steps.
    pub seconds: f64,
}

impl Throughput {
    /// steps × batch / seconds.
    pub fn samples_per_second(&self) -> f64 {
        (self.steps * self.batch) as f64 / self.seconds.max(1e-12)
    }
}

/// `count` fixed batches of random data with samples of shape `sample`
/// (`[1, 28, 28]` for the conv nets, `[784]` otherwise): pixels uniform in
/// [0, 1), labels uniform in 0..10, all drawn from `seed`.
///
/// # Errors
/// Never for a non-empty shape; an `Err` is an initialiser's.
pub fn random_batches<T: Float>(
    sample: &[usize],
    batch: usize,
    count: usize,
    seed: u64,
) -> Result<Vec<(Tensor<T>, Vec<usize>)>> {
    let mut rng = seeded(seed);
    let mut shape = vec![batch];
    shape.extend_from_slice(sample);
    (0..count)
        .map(|_| {
            let x = uniform(ndarray::IxDyn(&shape), 0.0, 1.0, &mut rng)
                .map_err(nn_layers::Error::from)?;
            let t = (0..batch)
                .map(|_| nn_core::rng::below(&mut rng, 10))
                .collect();
            Ok((x, t))
        })
        .collect()
}

/// Runs `warmup` untimed steps of `workload` on `net`, then timed steps
/// until `seconds` have passed (at least one), cycling through `batches`.
/// Call it inside the rayon pool to measure; the pool's threads are kept
/// warm, as during training.
///
/// # Errors
/// [`Error::InvalidArgument`] without batches, or for training without an
/// optimizer; the network's and the optimizer's errors.
pub fn measure<T: Float>(
    net: &mut Network<T>,
    mut optimizer: Option<&mut dyn Optimizer<T>>,
    workload: Workload,
    batches: &[(Tensor<T>, Vec<usize>)],
    warmup: usize,
    seconds: f64,
) -> Result<Throughput> {
    let invalid = |message: &str| Error::InvalidArgument {
        op: "measure",
        message: message.into(),
    };
    let batch = batches
        .first()
        .ok_or_else(|| invalid("no batches"))?
        .1
        .len();
    if workload == Workload::Train && optimizer.is_none() {
        return Err(invalid("timing training steps needs an optimizer"));
    }
    with_warm_workers(|| {
        let mut step = |i: usize| -> Result<()> {
            let (x, t) = &batches[i % batches.len()];
            match (workload, optimizer.as_deref_mut()) {
                (Workload::Train, Some(opt)) => {
                    std::hint::black_box(net.gradient(x, t)?);
                    opt.step(net)?;
                }
                _ => {
                    std::hint::black_box(net.predict(x)?);
                }
            }
            Ok(())
        };
        for i in 0..warmup {
            step(i)?;
        }
        let start = Instant::now();
        let mut steps = 0;
        loop {
            step(steps)?;
            steps += 1;
            let elapsed = start.elapsed().as_secs_f64();
            if elapsed >= seconds {
                return Ok(Throughput {
                    steps,
                    batch,
                    seconds: elapsed,
                });
            }
        }
    })
}
