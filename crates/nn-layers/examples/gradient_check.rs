//! The book's `gradient_check.py`: back-propagation against numerical
//! gradients for a 784-50-10 `TwoLayerNet`, in f64, on three MNIST-shaped
//! samples, and the same for a `MultiLayerNet` with batch norm, dropout and
//! weight decay.
//!
//! `cargo run --release -p nn-layers --example gradient_check`

use ndarray::IxDyn;
use nn_core::{init::uniform, rng::seeded, Tensor};
use nn_layers::{gradient_check, MultiLayerNet, TwoLayerNet};

fn main() -> Result<(), nn_layers::Error> {
    // Pixel-like inputs in [0, 1): three samples, like the book's x_batch = x_train[:3].
    let x: Tensor<f64> = uniform(IxDyn(&[3, 784]), 0.0, 1.0, &mut seeded(0))?;
    let labels = [5, 0, 4];

    println!("TwoLayerNet 784-50-10:");
    let mut net = TwoLayerNet::default().build::<f64>(0)?;
    for diff in gradient_check(&mut net, &x, &labels)? {
        println!("  {diff}");
    }

    println!("MultiLayerNet 784-20-20-10, batch norm, dropout 0.2 (fixed mask), λ = 0.1:");
    let spec = MultiLayerNet {
        hidden_sizes: vec![20, 20],
        batch_norm: true,
        dropout: Some(0.2),
        weight_decay: 0.1,
        ..MultiLayerNet::default()
    };
    let mut net = spec.build::<f64>(0)?;
    // Ten samples: batch norm over three makes the loss so curved that the
    // central difference itself (error ∝ h²) is off by ~4e-7.
    let x: Tensor<f64> = uniform(IxDyn(&[10, 784]), 0.0, 1.0, &mut seeded(1))?;
    for diff in gradient_check(&mut net, &x, &[5, 0, 4, 1, 9, 2, 1, 3, 1, 4])? {
        println!("  {diff}");
    }
    Ok(())
}
