//! # nn
//!
//! Deep learning from scratch, in Rust: the whole of nn behind one
//! dependency. Each part is also its own crate, re-exported here as a
//! module, for programs that want less:
//!
//! | module | crate | what it holds |
//! |---|---|---|
//! | [`core`] | nn-core | `Float`, tensors, activations, softmax, losses, numerical gradients, initialisers, the seeded RNG |
//! | [`gates`] | nn-gates | perceptrons and logic gates |
//! | [`layers`] | nn-layers | layers with forward/backward, `Sequential`, `Network`, gradient checks |
//! | [`optim`] | nn-optim | SGD … Adam, AdamW; learning-rate schedules |
//! | [`conv`] | nn-conv | convolution, pooling, the book's conv nets |
//! | [`model`] | nn-model | networks as data (TOML/JSON), the built-in networks |
//! | [`data`] | nn-data | MNIST, Fashion-MNIST, built-in digits, mini-batches |
//! | [`train`] | nn-train | the trainer, hooks, checkpoints, plots |
//! | [`interop`] | nn-interop | weights from NumPy/PyTorch/the book's pickles; ONNX export |
//!
//! `use nn::prelude::*;` brings what a training program uses, and
//! [`Error`] takes every crate's error with `?`:
//!
//! ```
//! use nn::prelude::*;
//!
//! fn main() -> nn::Result<()> {
//!     let data = digits::<f32>(&DigitsConfig { train: 2000, test: 500, seed: 0 }, &LoadOptions::default());
//!     let mut net = builtin("two-layer").unwrap().spec().build::<f32>(0)?;
//!     let mut adam = by_name::<f32>("adam", Some(0.01))?;
//!     let config = TrainConfig { epochs: 3, ..TrainConfig::default() };
//!     let history = train(&mut net, adam.as_mut(), &data, &config, &mut Quiet)?;
//!     assert!(history.final_test_accuracy().unwrap() > 0.5);
//!     let classes = net.classify(&data.test.images)?;
//!     assert_eq!(classes.len(), 500);
//!     Ok(())
//! }
//! ```

mod error;

pub use error::{Error, Result};

pub use ndarray;
pub use nn_conv as conv;
pub use nn_core as core;
pub use nn_data as data;
pub use nn_gates as gates;
pub use nn_interop as interop;
pub use nn_layers as layers;
pub use nn_model as model;
pub use nn_optim as optim;
pub use nn_train as train;

/// What a training program uses: `use nn::prelude::*;`.
pub mod prelude {
    pub use crate::{Error, Result};
    pub use ndarray::{array, s, Array1, Array2, Array4, ArrayD, Axis};
    pub use nn_conv::{Convolution, DeepConvNet, PoolKind, Pooling, SimpleConvNet};
    pub use nn_core::init::Init;
    pub use nn_core::{Float, Parameters, Tensor};
    pub use nn_data::{
        data_dir, digits, fashion_mnist, mnist, Dataset, DigitsConfig, LoadOptions, Sampling, Split,
    };
    pub use nn_interop::{fit_network, read_weights};
    pub use nn_layers::{
        argmax, Affine, BatchNorm, Dropout, Flatten, Layer, Mode, MultiLayerNet, Network, Relu,
        Sequential, Sigmoid, Tanh, TwoLayerNet,
    };
    pub use nn_model::{builtin, NetworkSpec};
    pub use nn_optim::{by_name, Adam, AdamConfig, Optimizer, Schedule, Sgd, SgdConfig};
    pub use nn_train::{
        checkpoint, evaluate, fit, train, Checkpoint, EarlyStopping, EpochRecord, History, Hook,
        Lines, Monitor, Quiet, TrainConfig,
    };
    pub use std::ops::ControlFlow;
}
