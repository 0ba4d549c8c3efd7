//! The notes' three-layer network: fixed weights, one forward pass.
//!
//! `cargo run -p nn-core --example forward_pass` prints each layer's signals and
//! the output `[0.31682708 0.69627909]`.

use ndarray::{array, Array1, Array2};
use nn_core::{
    activation::{identity, sigmoid},
    dot, Result,
};

struct Network {
    layers: Vec<(Array2<f64>, Array1<f64>)>,
}

fn init_network() -> Network {
    Network {
        layers: vec![
            (
                array![[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]],
                array![0.1, 0.2, 0.3],
            ),
            (array![[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]], array![0.1, 0.2]),
            (array![[0.1, 0.3], [0.2, 0.4]], array![0.1, 0.2]),
        ],
    }
}

fn forward(network: &Network, x: &Array1<f64>) -> Result<ndarray::ArrayD<f64>> {
    let mut z = x.clone().into_dyn();
    let last = network.layers.len() - 1;
    for (i, (w, b)) in network.layers.iter().enumerate() {
        let a = dot(&z, w)? + b;
        z = if i == last { identity(&a) } else { sigmoid(&a) };
        println!("layer {}: a = {a:.8}, z = {z:.8}", i + 1);
    }
    Ok(z)
}

fn main() -> Result<()> {
    let network = init_network();
    let x = array![1.0, 0.5];
    println!("x = {x}");
    let y = forward(&network, &x)?;
    println!("y = {y:.8}");
    Ok(())
}
