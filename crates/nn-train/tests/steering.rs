//! Steering a run: learning-rate schedules, hooks that stop training,
//! validation hold-outs and early stopping, and resuming from a checkpoint
//! bit for bit.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use nn_core::Tensor;
use nn_data::{digits, DigitsConfig, LoadOptions};
use nn_layers::{MultiLayerNet, Network};
use nn_optim::Optimizer;
use nn_train::{checkpoint, fit, Checkpoint, EarlyStopping, EpochRecord, Quiet, TrainConfig};

fn small_digits() -> nn_data::Dataset<f32> {
    digits(
        &DigitsConfig {
            train: 600,
            test: 200,
            seed: 2,
        },
        &LoadOptions::default(),
    )
}

/// A network with batch norm and dropout (every kind of state a run has).
fn net() -> Network<f32> {
    MultiLayerNet {
        input_size: 784,
        hidden_sizes: vec![32, 16],
        output_size: 10,
        batch_norm: true,
        dropout: Some(0.2),
        ..MultiLayerNet::default()
    }
    .build::<f32>(3)
    .unwrap()
}

#[test]
fn a_step_schedule_sets_the_documented_rate_at_each_epoch() {
    let data = small_digits();
    let mut net = net();
    let mut sgd = nn_optim::by_name::<f32>("sgd", Some(0.1)).unwrap();
    let config = TrainConfig {
        epochs: 5,
        schedule: "step:2:0.5".parse().unwrap(),
        ..TrainConfig::default()
    };
    // The rate the optimizer holds while each epoch runs, seen by a hook.
    let mut seen = Vec::new();
    let mut watch = |_: &mut Network<f32>, opt: &mut dyn Optimizer<f32>, _: &EpochRecord| {
        seen.push(opt.learning_rate());
        Ok(ControlFlow::Continue(()))
    };
    let history = fit(
        &mut net,
        sgd.as_mut(),
        &data.train,
        None,
        &config,
        &mut [&mut watch],
        &mut Quiet,
    )
    .unwrap();
    // base · 0.5^⌊(epoch − 1)/2⌋
    let expected = [0.1, 0.1, 0.05, 0.05, 0.025];
    let recorded: Vec<f64> = history.epochs.iter().map(|e| e.learning_rate).collect();
    assert_eq!(recorded, expected);
    let seen: Vec<f64> = seen.iter().map(|&r| (r as f32) as f64).collect();
    assert_eq!(seen, expected.map(|r| (r as f32) as f64));
    assert_eq!(history.final_test_accuracy(), None);
}

#[test]
fn a_hook_stops_training_after_its_epoch() {
    let data = small_digits();
    let mut net = net();
    let mut sgd = nn_optim::by_name::<f32>("sgd", Some(0.1)).unwrap();
    let config = TrainConfig {
        epochs: 10,
        ..TrainConfig::default()
    };
    let mut stop_at_3 = |_: &mut Network<f32>, _: &mut dyn Optimizer<f32>, r: &EpochRecord| {
        Ok(if r.epoch == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    };
    let history = fit(
        &mut net,
        sgd.as_mut(),
        &data.train,
        Some(&data.test),
        &config,
        &mut [&mut stop_at_3],
        &mut Quiet,
    )
    .unwrap();
    assert_eq!((history.epochs.len(), history.stopped_at), (3, Some(3)));
}

/// Early stopping on a crafted plateau: `step:2:1e-7` trains at 0.1 for
/// epochs 1–2 and at 10⁻⁸ or less after, so the weights barely move and the
/// validation loss changes by far less than `min_delta` = 10⁻⁵ (a network
/// without batch norm, whose running statistics would still move). With
/// patience 3 training stops 3 epochs after the best one, with its weights.
#[test]
fn early_stopping_stops_on_a_plateau_and_keeps_the_best_epoch() {
    let data = small_digits();
    let mut net = MultiLayerNet {
        input_size: 784,
        hidden_sizes: vec![32],
        output_size: 10,
        ..MultiLayerNet::default()
    }
    .build::<f32>(3)
    .unwrap();
    let mut sgd = nn_optim::by_name::<f32>("sgd", Some(0.1)).unwrap();
    let config = TrainConfig {
        epochs: 20,
        validation: Some(100),
        schedule: "step:2:1e-7".parse().unwrap(),
        early_stopping: Some(EarlyStopping {
            min_delta: 1e-5,
            ..EarlyStopping::on_loss(3)
        }),
        ..TrainConfig::default()
    };
    let mut states: BTreeMap<usize, BTreeMap<String, Tensor<f32>>> = BTreeMap::new();
    let mut record = |net: &mut Network<f32>, _: &mut dyn Optimizer<f32>, r: &EpochRecord| {
        states.insert(r.epoch, net.state());
        Ok(ControlFlow::Continue(()))
    };
    let history = fit(
        &mut net,
        sgd.as_mut(),
        &data.train,
        Some(&data.test),
        &config,
        &mut [&mut record],
        &mut Quiet,
    )
    .unwrap();
    let losses: Vec<f64> = history
        .epochs
        .iter()
        .map(|e| e.validation_loss.unwrap())
        .collect();
    assert!(losses[1] < losses[0] - 1e-5, "{losses:?}");
    assert!(
        losses[2..].iter().all(|l| (l - losses[1]).abs() < 1e-5),
        "{losses:?}"
    );
    assert_eq!(history.best_epoch, Some(2), "{losses:?}");
    assert_eq!(history.stopped_at, Some(5), "{losses:?}");
    assert_eq!(history.epochs.len(), 5);
    assert!(
        net.state() == states[&2],
        "the network ends with epoch 2's weights"
    );
}

/// 2 epochs, a checkpoint, and 2 more give the same tensors bit for bit
/// (parameters, batch-norm statistics, Adam's moments and step count,
/// dropout's stream) as 4 epochs at once, on 1 and on 2 threads.
#[test]
fn resuming_from_a_checkpoint_gives_the_uninterrupted_run_bit_for_bit() {
    let data = small_digits();
    let config = TrainConfig {
        epochs: 4,
        batch_size: 50,
        seed: 9,
        validation: Some(100),
        schedule: "cosine:4:0.0001".parse().unwrap(),
        ..TrainConfig::default()
    };
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut whole = net();
            let mut adam = nn_optim::by_name::<f32>("adam", Some(0.01)).unwrap();
            fit(
                &mut whole,
                adam.as_mut(),
                &data.train,
                None,
                &config,
                &mut [],
                &mut Quiet,
            )
            .unwrap();

            let mut first = net();
            let mut adam1 = nn_optim::by_name::<f32>("adam", Some(0.01)).unwrap();
            let half = TrainConfig {
                epochs: 2,
                ..config.clone()
            };
            fit(
                &mut first,
                adam1.as_mut(),
                &data.train,
                None,
                &half,
                &mut [],
                &mut Quiet,
            )
            .unwrap();
            let path = dir.join(format!("half-{threads}.safetensors"));
            checkpoint::save(
                &path,
                &mut first,
                Some(adam1.as_ref()),
                &checkpoint::run_metadata(&half, 2, 0.01),
            )
            .unwrap();

            let mut resumed = Checkpoint::read(&path).unwrap().resume::<f32>().unwrap();
            assert_eq!(resumed.config.start_epoch, 2);
            assert!(
                first.state() == resumed.network.state(),
                "reloaded parameters differ"
            );
            assert!(
                adam1.state() == resumed.optimizer.state(),
                "reloaded optimizer differs"
            );
            assert_eq!(
                first.random_states(),
                resumed.network.random_states(),
                "random"
            );
            assert_eq!(resumed.config.validation, Some(100));
            assert_eq!(resumed.config.schedule, config.schedule);
            assert_eq!((resumed.config.seed, resumed.config.batch_size), (9, 50));
            let rest = TrainConfig {
                epochs: 4,
                ..resumed.config.clone()
            };
            fit(
                &mut resumed.network,
                resumed.optimizer.as_mut(),
                &data.train,
                None,
                &rest,
                &mut [],
                &mut Quiet,
            )
            .unwrap();

            assert!(
                whole.state() == resumed.network.state(),
                "{threads} threads: parameters differ"
            );
            assert!(
                adam.state() == resumed.optimizer.state(),
                "{threads} threads: optimizer state differs"
            );
            assert_eq!(whole.random_states(), resumed.network.random_states());
            assert!(!whole.random_states().is_empty());
        });
    }
}
