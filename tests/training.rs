//! nn-layers and nn-optim together: a network trained by each optimizer learns
//! a small problem it could not solve at initialisation.

use ndarray::{Array2, Axis};
use nn_core::rng::{fill_standard_normal, seeded};
use nn_layers::{MultiLayerNet, Network, TwoLayerNet};
use nn_optim::{by_name, optimizers};

/// Three Gaussian clusters in the plane, centred at radius 2 at angles 0°,
/// 120°, 240°, standard deviation 0.5: about 1% of points fall nearer another
/// centre, so ~99% is attainable.
fn clusters(n: usize, seed: u64) -> (Array2<f64>, Vec<usize>) {
    let mut noise = vec![0.0; 2 * n];
    fill_standard_normal(&mut seeded(seed), &mut noise);
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let x = Array2::from_shape_fn((n, 2), |(i, j)| {
        let angle = labels[i] as f64 * std::f64::consts::TAU / 3.0;
        let centre = if j == 0 {
            2.0 * angle.cos()
        } else {
            2.0 * angle.sin()
        };
        centre + 0.5 * noise[2 * i + j]
    });
    (x, labels)
}

fn train(
    net: &mut Network<f64>,
    optimizer: &str,
    lr: f64,
    x: &Array2<f64>,
    t: &[usize],
) -> (f64, f64) {
    let mut opt = by_name::<f64>(optimizer, Some(lr)).unwrap();
    let first = net.loss(x, t).unwrap();
    for epoch in 0..40 {
        for start in (0..x.nrows()).step_by(30) {
            let end = (start + 30).min(x.nrows());
            let xb = x.slice_axis(Axis(0), (start..end).into());
            net.gradient(xb, &t[start..end]).unwrap();
            opt.step(net)
                .unwrap_or_else(|e| panic!("{optimizer} epoch {epoch}: {e}"));
        }
    }
    (first, net.loss(x, t).unwrap())
}

#[test]
fn every_optimizer_trains_a_two_layer_net() {
    let (x, t) = clusters(300, 1);
    let (x_test, t_test) = clusters(300, 2);
    for kind in optimizers::<f64>() {
        // Ten times the default rate: 400 steps of a small problem.
        let (name, lr) = (kind.name, 10.0 * kind.default_lr);
        let spec = TwoLayerNet {
            input_size: 2,
            hidden_size: 16,
            output_size: 3,
            weight_init_std: 0.1,
        };
        let mut net = spec.build::<f64>(3).unwrap();
        let before = net.accuracy(&x_test, &t_test).unwrap();
        let (first, last) = train(&mut net, name, lr, &x, &t);
        let after = net.accuracy(&x_test, &t_test).unwrap();
        assert!(last < first / 5.0, "{name}: loss {first} -> {last}");
        assert!(
            before < 0.7 && after > 0.95,
            "{name}: accuracy {before} -> {after}"
        );
    }
}

#[test]
fn a_multi_layer_net_with_batch_norm_dropout_and_decay_trains() {
    let (x, t) = clusters(300, 4);
    let spec = MultiLayerNet {
        input_size: 2,
        hidden_sizes: vec![16, 16],
        output_size: 3,
        weight_decay: 1e-3,
        batch_norm: true,
        dropout: Some(0.1),
        ..MultiLayerNet::default()
    };
    let mut net = spec.build::<f64>(5).unwrap();
    let (first, last) = train(&mut net, "adam", 0.01, &x, &t);
    assert!(last < first / 5.0, "loss {first} -> {last}");
    let (x_test, t_test) = clusters(300, 6);
    assert!(net.accuracy(&x_test, &t_test).unwrap() > 0.95);
}
