//! # nn-core
//!
//! The foundation of nn: the [`Float`] element trait, tensors (plain
//! [`ndarray`] arrays), the crate's [`Error`], and the numerical building
//! blocks of "Deep Learning from Scratch" chapters 2–4: [`dot`],
//! [activations](activation), [`softmax`], [losses](loss),
//! [`numerical_diff`], [`numerical_gradient`], [`gradient_descent`] and
//! [initialisers](init) driven by a [portable seeded generator](rng).
//!
//! Everything is generic over `T: Float` (`f32` or `f64`) and every fallible
//! function returns [`Result`] with the shapes in the message.
//!
//! ## The notes' three-layer network
//! ```
//! use ndarray::array;
//! use nn_core::{activation::{identity, sigmoid}, dot};
//!
//! let x = array![1.0_f64, 0.5];
//! let w1 = array![[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]];
//! let w2 = array![[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]];
//! let w3 = array![[0.1, 0.3], [0.2, 0.4]];
//! let (b1, b2, b3) = (array![0.1, 0.2, 0.3], array![0.1, 0.2], array![0.1, 0.2]);
//!
//! let z1 = sigmoid(&(dot(&x, &w1)? + &b1));
//! let z2 = sigmoid(&(dot(&z1, &w2)? + &b2));
//! let y = identity(&(dot(&z2, &w3)? + &b3));
//! assert!((y[0] - 0.31682708).abs() < 1e-8 && (y[1] - 0.69627909).abs() < 1e-8);
//! # Ok::<(), nn_core::Error>(())
//! ```

pub mod activation;
pub mod init;
pub mod kernels;
pub mod loss;
pub mod rng;

mod dot;
mod elementwise;
mod error;
mod file;
mod float;
mod gradient_descent;
mod matmul;
mod numerical;
mod parallel;
mod param;
mod recycler;
mod shape;
mod softmax;
mod tensor;

pub use dot::dot;
pub use elementwise::{map_chunks, sum, zip_chunks, ELEMENTWISE_CHUNK};
pub use error::{Error, Result};
pub use file::{read_bounded, ReadRefused};
pub use float::Float;
pub use gradient_descent::gradient_descent;
pub use matmul::gemm;
pub use numerical::{numerical_diff, numerical_gradient, NUMERICAL_H};
pub use parallel::with_warm_workers;
pub use param::{Param, ParamKind, Parameters};
pub use recycler::Recycler;
pub use shape::Shape;
pub use softmax::{log_softmax, logsumexp, softmax, softmax_inplace};
pub use tensor::{into_standard, Tensor, TensorView, TensorViewMut};

/// The ndarray version nn is built on, re-exported so that users name the
/// same types.
pub use ndarray;
