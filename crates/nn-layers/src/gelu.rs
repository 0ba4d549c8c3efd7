//! GELU layer.

use nn_core::activation::scalar;
use nn_core::{rng::ChaCha8Rng, Float};

use crate::pointwise::{Pointwise, PointwiseFn};
use crate::spec::{Built, LayerConfig};
use crate::Result;

/// GELU in its tanh approximation: y = ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
/// (PyTorch's `GELU(approximate='tanh')`); ∂L/∂x = ∂L/∂y · y′(x), with y′ from
/// [`scalar::gelu_derivative`]. The layer keeps x.
pub type Gelu<T> = Pointwise<T, GeluConfig>;

/// The settings of a [`Gelu`] layer (none): `{ kind = "gelu" }`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeluConfig {}

impl PointwiseFn for GeluConfig {
    const NAME: &'static str = "Gelu";
    const FROM_INPUT: bool = true;

    fn value<T: Float>(&self, x: T) -> T {
        scalar::gelu(x)
    }

    fn derivative<T: Float>(&self, x: T) -> T {
        scalar::gelu_derivative(x)
    }
}

impl LayerConfig for GeluConfig {
    const KIND: &'static str = "gelu";
    const ABOUT: &'static str = "GELU, tanh approximation: x/2·(1 + tanh(√(2/π)(x + 0.044715x³)))";

    fn build<T: Float>(&self, input: Option<&[usize]>, _: &mut ChaCha8Rng) -> Result<Built<T>> {
        Ok(Built::same_shape(Gelu::<T>::with(*self), input))
    }

    fn example() -> (Self, Vec<usize>) {
        (GeluConfig {}, vec![4])
    }
}
