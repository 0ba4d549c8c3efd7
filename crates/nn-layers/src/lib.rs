//! # nn-layers
//!
//! Chapters 5–6 of "Deep Learning from Scratch": layers with hand-written
//! forward and backward passes, networks built from them, and gradient checks
//! that compare back-propagation with numerical differentiation.
//!
//! - The [`Layer`] trait: `forward(x, mode)` caches, `backward(dout)` returns
//!   ∂L/∂x and stores parameter gradients, lent by name through
//!   [`nn_core::Parameters`] (`affine1.weight`, `bn1.running_mean`...).
//! - Layers: [`MulLayer`] and [`AddLayer`] (the notes' computational graph),
//!   [`Relu`], [`Sigmoid`], [`Tanh`], [`Affine`], [`SoftmaxWithLoss`],
//!   [`BatchNorm`], [`Dropout`], and [`Sequential`].
//! - Networks: [`Network`] (layers + softmax-with-loss + weight decay) and the
//!   book's [`TwoLayerNet`] and [`MultiLayerNet`].
//! - [`gradient_check`] and [`check_layer`].
//!
//! ```
//! use ndarray::array;
//! use nn_layers::{gradient_check, TwoLayerNet};
//!
//! let spec = TwoLayerNet { input_size: 4, hidden_size: 5, output_size: 3, weight_init_std: 0.5 };
//! let mut net = spec.build::<f64>(0)?;
//! let x = array![[0.1, 0.2, -0.3, 0.4], [1.0, -1.0, 0.5, 0.0]].into_dyn();
//! for diff in gradient_check(&mut net, &x, &[0, 2])? {
//!     assert!(diff.max_abs_diff < 1e-7, "{diff}");
//! }
//! # Ok::<(), nn_layers::Error>(())
//! ```

mod add_layer;
mod affine;
mod batch_norm;
mod dropout;
mod error;
mod gradient_check;
mod layer;
mod metadata;
mod mul_layer;
mod multi_layer_net;
mod network;
mod relu;
mod reshape;
mod sequential;
mod sigmoid;
mod softmax_with_loss;
mod tanh;
mod targets;
mod two_layer_net;

pub use add_layer::AddLayer;
pub use affine::Affine;
pub use batch_norm::{BatchNorm, BATCH_NORM_EPS, BATCH_NORM_MOMENTUM};
pub use dropout::{Dropout, DropoutStyle};
pub use error::{Error, Result};
pub use gradient_check::{check_layer, gradient_check, numerical_param_gradients, GradientDiff};
pub use layer::{Layer, Mode};
pub use metadata::MetadataReader;
pub use mul_layer::MulLayer;
pub use multi_layer_net::{Activation, MultiLayerNet, WeightInit};
pub use network::{Network, EVAL_BATCH};
pub use relu::Relu;
pub use sequential::Sequential;
pub use sigmoid::Sigmoid;
pub use softmax_with_loss::SoftmaxWithLoss;
pub use tanh::Tanh;
pub use targets::{argmax, Targets};
pub use two_layer_net::TwoLayerNet;
