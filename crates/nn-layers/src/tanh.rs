//! Tanh layer.

use nn_core::activation::scalar;
use nn_core::{rng::ChaCha8Rng, Float};

use crate::pointwise::{Pointwise, PointwiseFn};
use crate::spec::{Built, LayerConfig};
use crate::Result;

/// Hyperbolic tangent: y = tanh(x); ∂L/∂x = ∂L/∂y · (1 − y²).
pub type Tanh<T> = Pointwise<T, TanhConfig>;

/// The settings of a [`Tanh`] layer (none): `{ kind = "tanh" }`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TanhConfig {}

impl PointwiseFn for TanhConfig {
    const NAME: &'static str = "Tanh";
    const FROM_INPUT: bool = false;

    fn value<T: Float>(&self, x: T) -> T {
        scalar::tanh(x)
    }

    fn derivative<T: Float>(&self, y: T) -> T {
        scalar::tanh_derivative_from_output(y)
    }
}

impl LayerConfig for TanhConfig {
    const KIND: &'static str = "tanh";
    const ABOUT: &'static str = "hyperbolic tangent";

    fn build<T: Float>(&self, input: Option<&[usize]>, _: &mut ChaCha8Rng) -> Result<Built<T>> {
        Ok(Built::same_shape(Tanh::<T>::with(*self), input))
    }

    fn example() -> (Self, Vec<usize>) {
        (TanhConfig {}, vec![3])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Layer, Mode};
    use ndarray::array;

    #[test]
    fn backward_is_one_minus_y_squared() {
        let mut t = Tanh::new();
        // tanh(ln 2) = (2 − 1/2)/(2 + 1/2) = 0.6, so ∂y/∂x = 1 − 0.36 = 0.64.
        let y = t
            .forward(array![2.0_f64.ln()].into_dyn(), Mode::Train)
            .unwrap();
        assert!((y[0] - 0.6).abs() < 1e-15);
        let dx = t.backward(array![1.0].into_dyn()).unwrap();
        assert!((dx[0] - 0.64).abs() < 1e-15);
    }
}
