//! Leaky ReLU layer.

use nn_core::activation::scalar;
use nn_core::{rng::ChaCha8Rng, Float};

use crate::pointwise::{Pointwise, PointwiseFn};
use crate::spec::{Built, LayerConfig};
use crate::Result;

/// Leaky ReLU: y = x for x > 0, slope·x otherwise; ∂L/∂x = ∂L/∂y · (1 or slope).
pub type LeakyRelu<T> = Pointwise<T, LeakyReluConfig>;

/// The settings of a [`LeakyRelu`] layer:
/// `{ kind = "leaky_relu", slope = 0.01 }`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeakyReluConfig {
    /// The slope for x ≤ 0; default 0.01 (PyTorch's).
    #[serde(default = "default_slope")]
    pub slope: f64,
}

fn default_slope() -> f64 {
    0.01
}

impl Default for LeakyReluConfig {
    fn default() -> Self {
        LeakyReluConfig {
            slope: default_slope(),
        }
    }
}

impl PointwiseFn for LeakyReluConfig {
    const NAME: &'static str = "LeakyRelu";
    const FROM_INPUT: bool = true;

    fn value<T: Float>(&self, x: T) -> T {
        scalar::leaky_relu(x, T::cast(self.slope))
    }

    fn derivative<T: Float>(&self, x: T) -> T {
        scalar::leaky_relu_derivative(x, T::cast(self.slope))
    }
}

impl LayerConfig for LeakyReluConfig {
    const KIND: &'static str = "leaky_relu";
    const ABOUT: &'static str = "x for x > 0, slope·x otherwise";

    fn build<T: Float>(&self, input: Option<&[usize]>, _: &mut ChaCha8Rng) -> Result<Built<T>> {
        if !self.slope.is_finite() {
            return Err(crate::Error::Setting(format!(
                "slope must be finite, got {}",
                self.slope
            )));
        }
        Ok(Built::same_shape(LeakyRelu::<T>::with(*self), input))
    }

    fn example() -> (Self, Vec<usize>) {
        (LeakyReluConfig { slope: 0.1 }, vec![4])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Layer, Mode};
    use ndarray::array;

    #[test]
    fn forward_and_backward_by_hand() {
        let mut l = LeakyRelu::with(LeakyReluConfig { slope: 0.1 });
        let y = l
            .forward(array![-2.0_f64, 3.0].into_dyn(), Mode::Train)
            .unwrap();
        assert_eq!(y, array![-0.2, 3.0].into_dyn());
        let dx = l.backward(array![10.0, 10.0].into_dyn()).unwrap();
        assert_eq!(dx, array![1.0, 10.0].into_dyn());
    }
}
