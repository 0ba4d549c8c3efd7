//! The book's own trained weights (`../shared/book-weights`, as published in
//! 2016), imported into nn's built-in networks, give the book's test
//! accuracies on MNIST to the fourth decimal, in f32 and in f64: nn computes
//! the book's networks exactly as the book's code does. Skips with a message
//! when the weights or MNIST are absent.

use nn_core::Float;
use nn_data::{mnist, LoadOptions};
use nn_workspace::{book_weights_or_skip, data_dir_or_skip};

/// (file, built-in network, the accuracy the book's code gets: the README
/// of ../shared/book-weights).
const BOOK: [(&str, &str, f64); 3] = [
    ("sample_weight.pkl", "three-layer", 0.9352),
    ("params.pkl", "simple-conv", 0.9890),
    ("deep_convnet_params.pkl", "deep-conv", 0.9935),
];

fn accuracy<T: Float>(file: &str, model: &str) -> f64 {
    let (Some(weights), Some(data)) = (book_weights_or_skip(), data_dir_or_skip("MNIST")) else {
        return f64::NAN;
    };
    let spec = nn_model::resolve(model).unwrap();
    let arrays = nn_interop::read_weights(&weights.join(file)).unwrap();
    let mut net = nn_interop::fit_network::<T>(&spec, &arrays, &[]).unwrap();
    let options = if spec.takes_images() {
        LoadOptions::images()
    } else {
        LoadOptions::default()
    };
    let mnist = mnist::<T>(&data, &options).unwrap();
    nn_train::evaluate(&mut net, &mnist.test, None).unwrap()
}

#[test]
fn the_books_weights_give_the_books_accuracies_in_f32_and_f64() {
    for (file, model, book) in BOOK {
        for (dtype, got) in [
            ("f32", accuracy::<f32>(file, model)),
            ("f64", accuracy::<f64>(file, model)),
        ] {
            if got.is_nan() {
                return; // skipped, with the message printed above
            }
            assert!(
                (got - book).abs() < 5e-5,
                "{file} in {model} ({dtype}): {got:.4}, the book's code gets {book:.4}"
            );
        }
    }
}
