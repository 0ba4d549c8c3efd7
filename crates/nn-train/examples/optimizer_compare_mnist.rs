//! The book's `optimizer_compare_mnist.py` (figure 6-9): a five-layer ReLU
//! network (784 → 4 × 100 → 10, He initialisation) trained for 2,000
//! mini-batches of 128 with SGD, Momentum, AdaGrad and Adam at the book's
//! default learning rates, every run from the same weights and the same
//! batches. Writes the smoothed loss curves to `optimizer_compare_mnist.svg`
//! and prints the loss every 500 iterations, as the book's script does.
//!
//! ```sh
//! NN_DATA_DIR=../shared/data cargo run --release -p nn-train --example optimizer_compare_mnist [OUT.svg]
//! ```
//!
//! Uses MNIST from the data directory (`$NN_DATA_DIR`, else the per-user
//! cache) and falls back to the built-in digits, saying so, when it is not
//! there.

use std::path::PathBuf;

use nn_data::{digits, mnist, DigitsConfig, LoadOptions};
use nn_layers::MultiLayerNet;
use nn_train::{evaluate, plot, train, Quiet, TrainConfig};

const ITERATIONS: usize = 2000;
const BATCH: usize = 128;

fn main() -> nn_train::Result<()> {
    let out = std::env::args().nth(1).map_or_else(
        || PathBuf::from("optimizer_compare_mnist.svg"),
        PathBuf::from,
    );
    let dir = nn_data::data_dir(None);
    let data = match mnist::<f32>(&dir, &LoadOptions::default()) {
        Ok(data) => data,
        Err(e) => {
            eprintln!("MNIST not available ({e}); using the built-in digits instead");
            digits(&DigitsConfig::default(), &LoadOptions::default())
        }
    };
    let spec = MultiLayerNet {
        hidden_sizes: vec![100; 4],
        ..MultiLayerNet::default()
    };
    let config = TrainConfig {
        batch_size: BATCH,
        max_iterations: Some(ITERATIONS),
        // Per-epoch accuracy is not plotted here: measure it on few samples.
        eval_samples: Some(100),
        ..TrainConfig::default()
    };
    let mut series = Vec::new();
    for name in ["sgd", "momentum", "adagrad", "adam"] {
        let mut optimizer = nn_optim::by_name::<f32>(name, None)?;
        let mut net = spec.build::<f32>(0)?;
        let history = train(&mut net, optimizer.as_mut(), &data, &config, &mut Quiet)?;
        let accuracy = evaluate(&mut net, &data.test, None)?;
        let shown: Vec<String> = history
            .losses
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 500 == 0)
            .map(|(i, l)| format!("{i}: {l:.4}"))
            .collect();
        println!(
            "{:<8} (lr {}): loss at {}; last {:.4}, test accuracy {:.4}",
            optimizer.name(),
            optimizer.learning_rate(),
            shown.join(", "),
            history.losses.last().copied().unwrap_or(f64::NAN),
            accuracy
        );
        series.push((optimizer.name().to_string(), history.losses));
    }
    plot::loss_comparison(
        &out,
        &series,
        &format!(
            "optimizers on {}: 784-100x4-10 ReLU, batch {BATCH}",
            data.name
        ),
    )?;
    println!("wrote {}", out.display());
    Ok(())
}
