//! The built-in digits stand in for handwriting: a SimpleConvNet trained on
//! them alone, with the default run's recipe (60,000 digits, 3 epochs, Adam
//! 0.001, batch 100), reads real MNIST's test set. Runs when NN_DATA_DIR
//! holds MNIST.

use nn_data::{digits, mnist, DigitsConfig, LoadOptions};
use nn_optim::{Adam, AdamConfig};
use nn_train::{evaluate, train, Quiet, TrainConfig};

/// Measured with this recipe: 96.8% on the built-in test set and 88.8% on
/// MNIST's with seed 0 (the data's seed; seeds 1 and 2: 97.0%/87.2%,
/// 97.0%/88.0% with the network drawn from the same seed, as `nn train
/// --seed` does). The aim is 90% on MNIST; the floor here is what the
/// generator reaches today (seed 0, deterministic), so that a change that
/// makes the digits a worse stand-in fails.
const MNIST_FLOOR: f64 = 0.87;

#[test]
fn a_net_trained_on_built_in_digits_reads_mnist() {
    let Some(dir) = nn_workspace::data_dir_or_skip("mnist/") else {
        return;
    };
    let options = LoadOptions::images();
    let digits = digits::<f32>(&DigitsConfig::default(), &options);
    let mnist = mnist::<f32>(&dir, &options).unwrap();
    let mut net = nn_conv::SimpleConvNet::default().build::<f32>(0).unwrap();
    let mut adam = Adam::new(AdamConfig::default()).unwrap();
    let config = TrainConfig {
        epochs: 3,
        eval_samples: Some(1000),
        ..TrainConfig::default()
    };
    let history = train(&mut net, &mut adam, &digits, &config, &mut Quiet).unwrap();
    let own = evaluate(&mut net, &digits.test, None).unwrap();
    let real = evaluate(&mut net, &mnist.test, None).unwrap();
    eprintln!("built-in test {own:.4}, MNIST test {real:.4}");
    // Not saturated: the built-in test set is hard enough to measure on…
    assert!(
        (0.96..=0.995).contains(&own),
        "built-in test accuracy {own}"
    );
    let last = history.epochs.last().unwrap();
    assert!(last.train_accuracy >= last.test_accuracy.unwrap() - 0.005);
    // …and what is learned transfers to real handwriting.
    assert!(real >= MNIST_FLOOR, "MNIST test accuracy {real}");
}
