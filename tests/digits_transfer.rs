//! The built-in digits stand in for handwriting: a SimpleConvNet trained on
//! them alone, with the default run's recipe (60,000 digits, 3 epochs, Adam
//! 0.001, batch 100), reads real MNIST's test set. Runs when NN_DATA_DIR
//! holds MNIST.

use nn_data::{digits, mnist, DigitsConfig, LoadOptions};
use nn_optim::{Adam, AdamConfig};
use nn_train::{evaluate, train, Quiet, TrainConfig};

/// Measured with this recipe: 96.8% on the built-in test set and 90.9% on
/// MNIST's with seed 0 (90.93–90.98% on the AVX-512, AVX2 and portable
/// kernels); over seeds 0–9, with the network drawn from the same seed as
/// `nn train --seed` does, 90.2 ± 0.2% (89.5–91.7%). The aim is 90% on
/// MNIST as a mean over seeds; the floor here sits under seed 0's result by
/// more than the kernels' rounding moves it, so that a change that makes
/// the digits a worse stand-in fails.
const MNIST_FLOOR: f64 = 0.9;

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
    train(&mut net, &mut adam, &digits, &config, &mut Quiet).unwrap();
    let own = evaluate(&mut net, &digits.test, None).unwrap();
    let real = evaluate(&mut net, &mnist.test, None).unwrap();
    eprintln!("built-in test {own:.4}, MNIST test {real:.4}");
    // Not saturated: the built-in test set is hard enough to measure on…
    assert!(
        (0.96..=0.995).contains(&own),
        "built-in test accuracy {own}"
    );
    // Training images read at least as well as test images, both measured
    // on 10,000 (the per-epoch figures use 1,000, whose standard error of
    // about 0.55% each is larger than the margin).
    let seen = evaluate(&mut net, &digits.train, Some(10_000)).unwrap();
    assert!(seen >= own - 0.005, "train {seen} against test {own}");
    // …and what is learned transfers to real handwriting.
    assert!(real >= MNIST_FLOOR, "MNIST test accuracy {real}");
}
