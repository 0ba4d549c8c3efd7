//! Sigmoid layer.

use nn_core::activation::scalar;
use nn_core::{rng::ChaCha8Rng, Float};

use crate::pointwise::{Pointwise, PointwiseFn};
use crate::spec::{Built, LayerConfig};
use crate::Result;

/// Logistic sigmoid: y = 1 / (1 + exp(−x)); ∂L/∂x = ∂L/∂y · y(1 − y).
///
/// The notes derive y(1 − y) from the computational graph of
/// x → −x → exp → +1 → 1/·; the layer keeps y from the forward pass.
pub type Sigmoid<T> = Pointwise<T, SigmoidConfig>;

/// The settings of a [`Sigmoid`] layer (none): `{ kind = "sigmoid" }`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigmoidConfig {}

impl PointwiseFn for SigmoidConfig {
    const NAME: &'static str = "Sigmoid";
    const FROM_INPUT: bool = false;

    fn value<T: Float>(&self, x: T) -> T {
        scalar::sigmoid(x)
    }

    fn derivative<T: Float>(&self, y: T) -> T {
        scalar::sigmoid_derivative_from_output(y)
    }
}

impl LayerConfig for SigmoidConfig {
    const KIND: &'static str = "sigmoid";
    const ABOUT: &'static str = "logistic sigmoid 1/(1 + e^-x)";

    fn build<T: Float>(&self, input: Option<&[usize]>, _: &mut ChaCha8Rng) -> Result<Built<T>> {
        Ok(Built::same_shape(Sigmoid::<T>::with(*self), input))
    }

    fn example() -> (Self, Vec<usize>) {
        (SigmoidConfig {}, vec![3])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Layer, Mode};
    use ndarray::array;

    #[test]
    fn backward_is_y_times_one_minus_y() {
        let mut s = Sigmoid::new();
        let y = s
            .forward(array![0.0, 3.0_f64.ln()].into_dyn(), Mode::Train)
            .unwrap();
        assert_eq!(y, array![0.5, 0.75].into_dyn());
        // ∂y/∂x = y(1 − y): 0.25 and 0.1875.
        let dx = s.backward(array![1.0, 2.0].into_dyn()).unwrap();
        assert_eq!(dx, array![0.25, 2.0 * 0.1875].into_dyn());
    }
}
