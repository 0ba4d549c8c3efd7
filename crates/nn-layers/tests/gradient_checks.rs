//! Back-propagation against numerical gradients, in f64, for every layer with
//! parameters or a non-trivial backward, on random inputs of several shapes,
//! and for both book networks with batch norm, dropout (fixed mask) and weight
//! decay on. The bound is 1e-7; the book's own check reports 1e-10 to 1e-13.

use ndarray::{Array2, IxDyn};
use nn_core::{init::gaussian, numerical_gradient, rng::seeded, Tensor};
use nn_layers::{
    check_layer, gradient_check, Activation, Affine, BatchNorm, Dropout, DropoutStyle,
    GradientDiff, Layer, MultiLayerNet, Relu, Sequential, Sigmoid, SoftmaxWithLoss, Tanh, Targets,
    TwoLayerNet, WeightInit,
};

const TOLERANCE: f64 = 1e-7;

fn random(shape: &[usize], seed: u64) -> Tensor<f64> {
    gaussian(IxDyn(shape), 1.0, &mut seeded(seed)).unwrap()
}

fn assert_all_close(what: &str, report: &[GradientDiff]) {
    assert!(!report.is_empty(), "{what}: nothing was checked");
    for diff in report {
        assert!(
            diff.max_abs_diff <= TOLERANCE,
            "{what}: {diff} exceeds {TOLERANCE:e}"
        );
    }
}

fn check<L: Layer<f64>>(what: &str, mut layer: L, shape: &[usize], seed: u64) -> Vec<GradientDiff> {
    let report = check_layer(&mut layer, &random(shape, seed), seed + 100).unwrap();
    assert_all_close(what, &report);
    report
}

#[test]
fn affine_on_matrices_images_and_single_samples() {
    for (i, (shape, inputs, outputs)) in [
        (vec![4, 3], 3, 5),
        (vec![2, 2, 3, 2], 12, 4),
        (vec![7], 7, 2),
        (vec![1, 6], 6, 6),
    ]
    .into_iter()
    .enumerate()
    {
        let layer = Affine::init(
            inputs,
            outputs,
            nn_core::init::Init::He,
            &mut seeded(i as u64),
        )
        .unwrap();
        let report = check(&format!("Affine {shape:?}"), layer, &shape, i as u64);
        let names: Vec<&str> = report.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["input", "bias", "weight"]);
    }
}

#[test]
fn activations() {
    for (i, shape) in [vec![5, 4], vec![2, 3, 2, 2], vec![6]].iter().enumerate() {
        let seed = 10 + i as u64;
        check("Relu", Relu::new(), shape, seed);
        check("Sigmoid", Sigmoid::new(), shape, seed);
        check("Tanh", Tanh::new(), shape, seed);
    }
}

#[test]
fn batch_norm_per_feature_and_per_channel() {
    check("BatchNorm 2-D", BatchNorm::new(4), &[6, 4], 20);
    check("BatchNorm 4-D", BatchNorm::new(3), &[2, 3, 4, 5], 21);
    check("BatchNorm 3-D sample", BatchNorm::new(2), &[2, 3, 3], 22);
    // γ and β away from 1 and 0, so that their gradients are exercised.
    let mut bn = BatchNorm::new(3);
    nn_core::Parameters::visit_params(&mut bn, &mut |mut p| {
        if p.name == "gamma" {
            p.value.assign(&ndarray::arr1(&[0.5, -1.5, 2.0]).into_dyn());
        } else if p.name == "beta" {
            p.value.assign(&ndarray::arr1(&[0.1, 0.2, -0.3]).into_dyn());
        }
    });
    check("BatchNorm scaled", bn, &[5, 3], 23);
}

#[test]
fn dropout_with_a_fixed_mask_in_both_styles() {
    check("Dropout", Dropout::new(0.4, 1).unwrap(), &[6, 5], 30);
    let inverted = Dropout::new(0.4, 1)
        .unwrap()
        .with_style(DropoutStyle::Inverted);
    check("Dropout inverted", inverted, &[2, 3, 4], 31);
}

#[test]
fn sequential_of_everything() {
    let mut rng = seeded(40);
    let init = nn_core::init::Init::Xavier;
    let net = Sequential::new()
        .with(Affine::init(6, 5, init, &mut rng).unwrap())
        .with(BatchNorm::new(5))
        .with(Tanh::new())
        .with(Dropout::new(0.3, 2).unwrap())
        .with(Affine::init(5, 4, init, &mut rng).unwrap())
        .with(Sigmoid::new());
    // 8 rows, not 4: batch norm over 4 samples makes the loss so curved that
    // the central difference itself is off by 2.5e-7 at h = 1e-4 (the error
    // scaled as h² when measured: 2.5e-5 at h = 1e-3, 2.5e-9 at h = 1e-5),
    // while backprop is exact. With 8 rows it is 1.1e-8.
    let report = check("Sequential", net, &[8, 6], 41);
    assert_eq!(report.len(), 1 + 6);
}

#[test]
fn softmax_with_loss_for_labels_and_one_hot() {
    let scores = random(&[4, 5], 50);
    let labels = [0, 4, 2, 2];
    let mut one_hot = Array2::zeros((4, 5));
    for (i, &l) in labels.iter().enumerate() {
        one_hot[[i, l]] = 1.0;
    }
    let single = random(&[5], 51);
    for (x, t) in [
        (scores.clone(), Targets::Labels(&labels)),
        (scores, Targets::OneHot(one_hot.view())),
        (single, Targets::Labels(&[3])),
    ] {
        let mut head = SoftmaxWithLoss::new();
        head.forward(x.clone(), t).unwrap();
        let backprop = head.backward().unwrap();
        let mut xs = x.clone();
        let numerical = numerical_gradient(
            |x: &Tensor<f64>| head.forward(x.clone(), t).unwrap(),
            &mut xs,
        );
        let diff = (&backprop - &numerical)
            .mapv(f64::abs)
            .fold(0.0, |m: f64, &v| m.max(v));
        assert!(diff <= TOLERANCE, "SoftmaxWithLoss: {diff:e}");
    }
}

#[test]
fn two_layer_net() {
    let spec = TwoLayerNet {
        input_size: 8,
        hidden_size: 6,
        output_size: 4,
        weight_init_std: 0.5,
    };
    let mut net = spec.build::<f64>(60).unwrap();
    let x = random(&[5, 8], 61);
    let report = gradient_check(&mut net, &x, &[0, 3, 1, 1, 2]).unwrap();
    assert_all_close("TwoLayerNet", &report);
    assert_eq!(report.len(), 4);
}

/// Per-sample losses: each is the loss of its sample alone, and their mean is
/// the batch loss.
#[test]
fn sample_losses_are_each_samples_loss() {
    let spec = TwoLayerNet {
        input_size: 8,
        hidden_size: 6,
        output_size: 4,
        weight_init_std: 0.5,
    };
    let mut net = spec.build::<f64>(60).unwrap();
    let x = random(&[5, 8], 61);
    let labels = [0, 3, 1, 1, 2];
    let each = net.sample_losses(&x, &labels).unwrap();
    assert_eq!(each.len(), 5);
    for (i, &l) in each.iter().enumerate() {
        let one = x.slice(ndarray::s![i..=i, ..]);
        let alone = net.loss(one, &labels[i..=i]).unwrap();
        assert!((l - alone).abs() < 1e-14, "sample {i}: {l} vs {alone}");
    }
    let batch = net.loss(&x, &labels).unwrap();
    assert!((each.mean().unwrap() - batch).abs() < 1e-14);
}

#[test]
fn multi_layer_net_with_batch_norm_dropout_and_weight_decay() {
    for (activation, weight_init) in [
        (Activation::Relu, WeightInit::He),
        (Activation::Sigmoid, WeightInit::Xavier),
        (Activation::Relu, WeightInit::Std(0.3)),
    ] {
        let spec = MultiLayerNet {
            input_size: 7,
            hidden_sizes: vec![6, 5, 4],
            output_size: 3,
            activation,
            weight_init,
            weight_decay: 0.1,
            batch_norm: true,
            dropout: Some(0.25),
        };
        let mut net = spec.build::<f64>(70).unwrap();
        let x = random(&[6, 7], 71);
        let report = gradient_check(&mut net, &x, &[0, 1, 2, 2, 1, 0]).unwrap();
        assert_all_close(&format!("MultiLayerNet {activation:?}"), &report);
        // 4 affine (weight, bias) + 3 batch norms (gamma, beta).
        assert_eq!(report.len(), 8 + 6);
    }
}

#[test]
fn single_samples_work_wherever_batches_do() {
    let spec = MultiLayerNet {
        input_size: 5,
        hidden_sizes: vec![4],
        output_size: 3,
        batch_norm: true,
        dropout: Some(0.5),
        ..MultiLayerNet::default()
    };
    let mut net = spec.build::<f64>(80).unwrap();
    let x = random(&[5], 81);
    assert_eq!(net.predict(&x).unwrap().shape(), &[3]);
    assert!(net.loss(&x, &[2]).unwrap().is_finite());
    net.gradient(&x, &[2]).unwrap();
    let acc = net.accuracy(&x, &[2]).unwrap();
    assert!(acc == 0.0 || acc == 1.0);
}

/// Misuse that used to give NaN or a silent answer as `Ok` (issue 14):
/// each is an error that says what is wrong.
#[test]
fn empty_batches_and_miscounted_labels_are_errors() {
    use nn_layers::{BatchNorm, Layer, Mode, SoftmaxWithLoss};

    // One empty batch in training mode would turn the running statistics to
    // NaN for good.
    let mut bn = BatchNorm::<f64>::new(3);
    let err = bn
        .forward(ndarray::ArrayD::zeros(IxDyn(&[0, 3])), Mode::Train)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("training needs at least one value per channel"),
        "{err}"
    );
    let mut stats = Vec::new();
    nn_core::Parameters::visit_params(&mut bn, &mut |p| stats.push(p.value.sum()));
    assert!(stats.iter().all(|v| v.is_finite()));

    let mut head = SoftmaxWithLoss::<f64>::new();
    let err = head
        .forward(ndarray::ArrayD::zeros(IxDyn(&[0, 4])), &[][..])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("expected at least one sample and one class"),
        "{err}"
    );

    let mut net = TwoLayerNet {
        input_size: 8,
        hidden_size: 6,
        output_size: 4,
        weight_init_std: 0.5,
    }
    .build::<f64>(60)
    .unwrap();
    let x = random(&[2, 8], 61);
    let err = net.accuracy(&x, &[0, 1, 2][..]).unwrap_err().to_string();
    assert_eq!(
        err,
        "Network::accuracy: 3 labels for a batch of 2 (scores of shape (2, 8))"
    );

    let err = nn_layers::Affine::<f32>::init(
        1 << 40,
        1 << 40,
        nn_core::init::Init::He,
        &mut nn_core::rng::seeded(0),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("too large to allocate"), "{err}");
}
