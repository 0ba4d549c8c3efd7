//! # nn-gates
//!
//! The perceptron chapter of "Deep Learning from Scratch": a [`Perceptron`]
//! (y = 1 if w·x + b > 0), the notes' AND, NAND and OR gates with their
//! weights, NOR, XOR as a two-layer network, a [`Gate`] trait through which
//! gates compose, [adders](adder) built from NAND alone, and the perceptron
//! learning rule ([`learn`]), which learns every linearly separable gate and
//! reports XOR as not linearly separable.
//!
//! ```
//! use nn_gates::{xor, Gate, PerceptronGate};
//!
//! let and = PerceptronGate::<f64>::and();
//! assert_eq!(and.truth_table(), [0, 0, 0, 1]);
//! assert_eq!(xor::<f64>().truth_table(), [0, 1, 1, 0]);
//! ```

pub mod adder;

mod error;
mod gate;
mod learning;
mod perceptron;
mod report;

pub use error::{Error, Result};
pub use gate::{xor, Gate, PerceptronGate, TwoLayer, Xor};
pub use learning::{learn, LearnConfig, Learned};
pub use perceptron::Perceptron;
pub use report::report;
