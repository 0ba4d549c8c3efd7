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
//!   [`Relu`], [`Sigmoid`], [`Tanh`], [`LeakyRelu`], [`Gelu`], [`Affine`],
//!   [`Flatten`], [`SoftmaxWithLoss`], [`BatchNorm`], [`Dropout`], and
//!   [`Sequential`].
//! - Layers as data: each layer's [`LayerConfig`] (its settings, with serde)
//!   and [`Layer::spec`], which describes a built layer as a [`LayerSpec`].
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
mod flatten;
mod gelu;
mod gradient_check;
mod layer;
mod leaky_relu;
mod mul_layer;
mod multi_layer_net;
mod network;
mod pointwise;
mod relu;
mod reshape;
mod sequential;
mod sigmoid;
mod softmax_with_loss;
mod spec;
mod tanh;
mod targets;
mod two_layer_net;

pub use add_layer::AddLayer;
pub use affine::{Affine, AffineConfig};
pub use batch_norm::{BatchNorm, BatchNormConfig, BATCH_NORM_EPS, BATCH_NORM_MOMENTUM};
pub use dropout::{Dropout, DropoutConfig, DropoutStyle};
pub use error::{Error, Result};
pub use flatten::{Flatten, FlattenConfig};
pub use gelu::{Gelu, GeluConfig};
pub use gradient_check::{check_layer, gradient_check, numerical_param_gradients, GradientDiff};
pub use layer::{Layer, Mode, RandomState};
pub use leaky_relu::{LeakyRelu, LeakyReluConfig};
pub use mul_layer::MulLayer;
pub use multi_layer_net::{Activation, MultiLayerNet, WeightInit};
pub use network::{Network, EVAL_BATCH};
pub use pointwise::{Pointwise, PointwiseFn};
pub use relu::{Relu, ReluConfig};
pub use sequential::Sequential;
pub use sigmoid::{Sigmoid, SigmoidConfig};
pub use softmax_with_loss::SoftmaxWithLoss;
pub use spec::{reconcile, size_of, Built, LayerConfig, LayerSpec, Plan};
pub use tanh::{Tanh, TanhConfig};
pub use targets::{argmax, Targets};
pub use two_layer_net::TwoLayerNet;
