//! # nn-optim
//!
//! The optimizers of "Deep Learning from Scratch" chapter 6: [`Sgd`],
//! [`Momentum`], [`Nesterov`], [`AdaGrad`], [`RmsProp`] and [`Adam`], each
//! configured by a small struct with the book's defaults, and [`AdamW`].
//!
//! Each optimizer is a [`Rule`] (its settings and a few lines of arithmetic)
//! driven by [`Optim`], which checks shapes, keeps the per-parameter state and
//! counts steps. [`optimizers`] lists them all once; [`by_name`] builds one.
//!
//! An [`Optimizer`] updates *named* parameters: [`Optimizer::step`] walks
//! anything that implements [`nn_core::Parameters`] (a layer, a network) and
//! updates each trainable parameter from its gradient. State (velocities,
//! moments) is created lazily per parameter name and can be saved and
//! restored. nn-optim depends on nn-core only.
//!
//! Minimising f(x, y) = x²/20 + y² from (−7, 2), the book's figure 6-8:
//! ```
//! use ndarray::array;
//! use nn_core::ParamKind;
//! use nn_optim::{Adam, AdamConfig, Optimizer};
//!
//! let mut adam = Adam::new(AdamConfig { lr: 0.3, ..AdamConfig::default() })?;
//! let mut p = array![-7.0_f64, 2.0].into_dyn();
//! for _ in 0..30 {
//!     let grad = array![p[0] / 10.0, 2.0 * p[1]].into_dyn();
//!     adam.update("p", ParamKind::Weight, p.view_mut(), grad.view())?;
//! }
//! assert!(p[0].abs() < 1.0 && p[1].abs() < 0.5);
//! # Ok::<(), nn_optim::Error>(())
//! ```

mod adagrad;
mod adam;
mod adamw;
mod elementwise;
mod error;
mod momentum;
mod nesterov;
mod optimizer;
mod registry;
mod rmsprop;
mod rule;
mod schedule;
mod sgd;
mod slots;

pub use adagrad::{AdaGrad, AdaGradConfig, DIVISION_GUARD};
pub use adam::{Adam, AdamConfig};
pub use adamw::{AdamW, AdamWConfig};
pub use error::{Error, Result};
pub use momentum::{Momentum, MomentumConfig};
pub use nesterov::{Nesterov, NesterovConfig};
pub use optimizer::Optimizer;
pub use registry::{by_name, optimizers, OptimizerKind};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use rule::{Optim, Rule};
pub use schedule::Schedule;
pub use sgd::{Sgd, SgdConfig};
