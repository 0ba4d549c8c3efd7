//! # nn-conv
//!
//! Chapters 7–8 of "Deep Learning from Scratch": [`im2col`] and [`col2im`],
//! the [`Convolution`] and [`Pooling`] layers, and the book's
//! [`SimpleConvNet`] and [`DeepConvNet`].
//!
//! The layers implement [`nn_layers::Layer`], so they compose in a
//! [`nn_layers::Sequential`] with Affine, ReLU, BatchNorm and Dropout, and
//! share nn-layers' error type. Work is split across the rayon pool by sample
//! (and by plane for pooling); every reduction over the batch is done in a
//! fixed order, so results are bit-identical whatever the number of threads.
//!
//! ```
//! use ndarray::Array4;
//! use nn_conv::{Convolution, Pooling};
//! use nn_core::{init::Init, rng::seeded};
//! use nn_layers::{Affine, Layer, Mode, Relu, Sequential};
//!
//! let mut rng = seeded(0);
//! let mut net = Sequential::new()
//!     .with(Convolution::<f32>::init(1, 8, [3, 3], 1, 1, Init::He, &mut rng)?)
//!     .with(Relu::new())
//!     .with(Pooling::max(2, 2, 2, 0)?)
//!     .with(Affine::init(8 * 14 * 14, 10, Init::He, &mut rng)?);
//! let scores = net.forward(Array4::zeros((4, 1, 28, 28)).into_dyn(), Mode::Inference)?;
//! assert_eq!(scores.shape(), &[4, 10]);
//! # Ok::<(), nn_layers::Error>(())
//! ```

mod conv_plan;
mod convolution;
mod deep_conv_net;
mod geometry;
mod im2col;

mod pool_planes;
mod pooling;
mod simple_conv_net;

pub use convolution::{Convolution, ConvolutionConfig};
pub use deep_conv_net::DeepConvNet;
pub use geometry::Geometry;
pub use im2col::{col2im, im2col};
pub use pooling::{PoolKind, Pooling, PoolingConfig};
pub use simple_conv_net::SimpleConvNet;
