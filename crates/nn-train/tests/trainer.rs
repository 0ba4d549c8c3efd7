//! The trainer: determinism, iteration budgets, divergence, and the book's
//! first real result (TwoLayerNet on MNIST) when the data is available.

use nn_data::{digits, mnist, DigitsConfig, LoadOptions};
use nn_layers::TwoLayerNet;
use nn_optim::{Sgd, SgdConfig};
use nn_train::{train, Error, Quiet, TrainConfig};

fn small_digits() -> nn_data::Dataset<f32> {
    digits(
        &DigitsConfig {
            train: 1000,
            test: 300,
            seed: 4,
        },
        &LoadOptions::default(),
    )
}

fn run(config: &TrainConfig, lr: f64) -> nn_train::Result<nn_train::History> {
    let data = small_digits();
    let mut net = TwoLayerNet::default().build::<f32>(7).unwrap();
    let mut sgd = Sgd::new(SgdConfig { lr }).unwrap();
    train(&mut net, &mut sgd, &data, config, &mut Quiet)
}

#[test]
fn same_seed_same_run_and_a_budget_of_iterations() {
    let config = TrainConfig {
        epochs: 3,
        batch_size: 50,
        ..TrainConfig::default()
    };
    let a = run(&config, 0.1).unwrap();
    let b = run(&config, 0.1).unwrap();
    assert_eq!(a.losses, b.losses);
    assert_eq!(a.losses.len(), 3 * 20);
    assert!(a.epochs[2].loss < a.epochs[0].loss);
    let other = run(
        &TrainConfig {
            seed: 1,
            ..config.clone()
        },
        0.1,
    )
    .unwrap();
    assert_ne!(a.losses, other.losses);
    let drawn = TrainConfig {
        sampling: nn_data::Sampling::Replacement,
        ..config.clone()
    };
    let c = run(&drawn, 0.1).unwrap();
    assert_eq!(c.losses, run(&drawn, 0.1).unwrap().losses);
    assert_ne!(c.losses, a.losses);
    assert_eq!(c.losses.len(), a.losses.len());
    // 45 iterations of 20 per epoch: 3 epochs, the last cut short.
    let h = run(
        &TrainConfig {
            max_iterations: Some(45),
            ..config
        },
        0.1,
    )
    .unwrap();
    assert_eq!((h.losses.len(), h.epochs.len()), (45, 3));
}

#[test]
fn a_diverging_run_stops_with_the_iteration() {
    let err = run(
        &TrainConfig {
            epochs: 5,
            batch_size: 50,
            ..TrainConfig::default()
        },
        1e12,
    )
    .unwrap_err();
    let Error::Diverged {
        iteration,
        epoch,
        loss,
    } = err
    else {
        panic!("expected divergence, got {err}")
    };
    assert!(!loss.is_finite());
    assert!(iteration >= 1 && epoch >= 1);
    assert!(err_text(iteration, epoch, loss).contains("try a smaller learning rate"));
}

/// An optimizer whose one step overflows a weight, as a huge rate does.
#[derive(Debug)]
struct Overflow;

impl nn_optim::Optimizer<f32> for Overflow {
    fn name(&self) -> &'static str {
        "Overflow"
    }
    fn learning_rate(&self) -> f64 {
        1.0
    }
    fn set_learning_rate(&mut self, _: f64) -> nn_optim::Result<()> {
        Ok(())
    }
    fn update(
        &mut self,
        _: &str,
        _: nn_core::ParamKind,
        mut param: ndarray::ArrayViewMutD<'_, f32>,
        _: ndarray::ArrayViewD<'_, f32>,
    ) -> nn_optim::Result<()> {
        param.fill(f32::INFINITY);
        Ok(())
    }
    fn state(&self) -> Vec<(String, nn_core::Tensor<f32>)> {
        Vec::new()
    }
    fn load_state(&mut self, _: Vec<(String, nn_core::Tensor<f32>)>) -> nn_optim::Result<()> {
        Ok(())
    }
}

/// The loss of the last step was finite, but the weights it left overflow:
/// that is divergence too (`--iterations 1 --lr 1e300` used to save such a
/// network, and `nn eval` then measured 10% without a word). Such a network
/// cannot be saved, and a rate that f32 cannot hold is refused.
#[test]
fn weights_that_overflow_on_the_last_step_are_divergence_and_never_saved() {
    let data = small_digits();
    let mut net = TwoLayerNet::default().build::<f32>(7).unwrap();
    let config = TrainConfig {
        epochs: 1,
        batch_size: 50,
        max_iterations: Some(1),
        ..TrainConfig::default()
    };
    let err = train(&mut net, &mut Overflow, &data, &config, &mut Quiet)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "training diverged: `affine1.weight` holds NaN or infinite values after iteration 1; \
         try a smaller learning rate"
    );

    let mut net = TwoLayerNet::default().build::<f32>(7).unwrap();
    let mut state = net.state();
    state.get_mut("affine2.bias").unwrap()[1] = f32::NAN;
    net.load_state(&state).unwrap();
    assert_eq!(
        nn_train::first_non_finite(&mut net).as_deref(),
        Some("affine2.bias")
    );
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("nan.safetensors");
    let err = nn_train::checkpoint::save(&path, &mut net, None, &Default::default())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{}: not saved: `affine2.bias` holds NaN or infinite values (training diverged)",
            path.display()
        )
    );
    assert!(!path.exists());

    let err = nn_optim::by_name::<f32>("sgd", Some(1e300))
        .unwrap_err()
        .to_string();
    assert_eq!(err, "SGD: learning rate 1e300 is inf in f32");
    assert!(nn_optim::by_name::<f64>("sgd", Some(1e300)).is_ok());
}

fn err_text(iteration: usize, epoch: usize, loss: f64) -> String {
    Error::Diverged {
        iteration,
        epoch,
        loss,
    }
    .to_string()
}

/// CI's real-data check: TwoLayerNet (784-50-10, SGD 0.1, batch 100) for one
/// epoch on MNIST reaches 90% (the book's full run reaches ~97%).
#[test]
fn two_layer_net_one_epoch_on_mnist_reaches_90_percent() {
    let Some(dir) = std::env::var_os("NN_DATA_DIR").filter(|v| !v.is_empty()) else {
        eprintln!("skipping: NN_DATA_DIR is not set, so MNIST cannot be loaded");
        return;
    };
    let data = mnist::<f32>(std::path::Path::new(&dir), &LoadOptions::default()).unwrap();
    let mut net = TwoLayerNet::default().build::<f32>(0).unwrap();
    let mut sgd = Sgd::new(SgdConfig { lr: 0.1 }).unwrap();
    let config = TrainConfig {
        epochs: 1,
        batch_size: 100,
        eval_samples: Some(1000),
        ..TrainConfig::default()
    };
    train(&mut net, &mut sgd, &data, &config, &mut Quiet).unwrap();
    let accuracy = net.accuracy(&data.test.images, &data.test.labels).unwrap();
    assert!(accuracy >= 0.90, "test accuracy {accuracy}");
}

#[test]
fn measure_times_whole_steps_and_refuses_what_it_cannot_time() {
    use nn_train::{measure, random_batches, Workload};
    let batches = random_batches::<f32>(&[784], 20, 2, 0).unwrap();
    assert_eq!(batches[0].0.shape(), &[20, 784]);
    assert!(batches[0].1.iter().all(|&t| t < 10));
    let mut net = TwoLayerNet::default().build::<f32>(0).unwrap();
    let mut sgd = Sgd::new(SgdConfig { lr: 0.1 }).unwrap();
    let t = measure(&mut net, Some(&mut sgd), Workload::Train, &batches, 1, 0.0).unwrap();
    assert_eq!((t.steps, t.batch), (1, 20));
    assert!((t.samples_per_second() - 20.0 / t.seconds).abs() < 1e-6 * t.samples_per_second());
    let err = measure(&mut net, None, Workload::Train, &batches, 0, 0.0).unwrap_err();
    assert!(err.to_string().contains("needs an optimizer"), "{err}");
    let err = measure(&mut net, None, Workload::Infer, &[], 0, 0.0).unwrap_err();
    assert!(err.to_string().contains("no batches"), "{err}");
}
