//! Which network to train: a built-in description or a network file, fitted
//! to a dataset's samples and classes.

use nn_core::{Float, Shape};
use nn_layers::Network;
use nn_model::NetworkSpec;

use crate::{Error, Result};

/// The book's optimizer and learning rate for a network: Adam 0.001 for
/// networks that take images (the conv nets of chapters 7 and 8), SGD 0.1
/// for the fully connected ones (chapter 5's training).
pub fn default_optimizer(spec: &NetworkSpec) -> (&'static str, f64) {
    if spec.takes_images() {
        ("adam", 0.001)
    } else {
        ("sgd", 0.1)
    }
}

/// `spec` fitted to samples of shape `sample` and `classes` classes: its
/// input shape is taken from the data when the description has none, and
/// checked against it otherwise; the last layer must give `classes` scores.
/// Every layer is checked against the one before it here, before any
/// training.
///
/// # Errors
/// [`Error::InvalidArgument`] when the data does not fit the network; the
/// description's own errors.
pub fn fit_to_data(spec: &NetworkSpec, sample: &[usize], classes: usize) -> Result<NetworkSpec> {
    let mut spec = spec.clone();
    match &spec.input {
        Some(input) if input != sample => {
            return Err(Error::InvalidArgument {
                op: "network",
                message: format!(
                    "the network takes samples of shape {}, but the dataset's are {}",
                    Shape::from(&input[..]),
                    Shape::from(sample)
                ),
            })
        }
        Some(_) => {}
        None => spec.input = Some(sample.to_vec()),
    }
    match spec.output_shape()? {
        Some(out) if out == [classes] => Ok(spec),
        out => Err(Error::InvalidArgument {
            op: "network",
            message: format!(
                "the last layer gives {} scores per sample, but the dataset has {classes} classes",
                out.map_or("an unknown number of".into(), |o| Shape::from(&o[..])
                    .to_string())
            ),
        }),
    }
}

/// [`fit_to_data`], then built with weights drawn from `seed`.
///
/// # Errors
/// As [`fit_to_data`].
pub fn build_for_data<T: Float>(
    spec: &NetworkSpec,
    sample: &[usize],
    classes: usize,
    seed: u64,
) -> Result<Network<T>> {
    Ok(fit_to_data(spec, sample, classes)?.build(seed)?)
}
