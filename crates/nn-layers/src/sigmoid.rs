//! Sigmoid layer.

use ndarray::{ArrayD, Zip};
use nn_core::{activation::sigmoid_inplace, Float, Parameters, Tensor};

use crate::error::check_shape;
use crate::{Error, Layer, Mode, Result};

/// Logistic sigmoid: y = 1 / (1 + exp(−x)); ∂L/∂x = ∂L/∂y · y(1 − y).
///
/// The notes derive y(1 − y) from the computational graph of
/// x → −x → exp → +1 → 1/·; the layer keeps y from the forward pass.
#[derive(Debug, Clone)]
pub struct Sigmoid<T: Float> {
    out: Option<ArrayD<T>>,
}

impl<T: Float> Default for Sigmoid<T> {
    fn default() -> Self {
        Sigmoid { out: None }
    }
}

impl<T: Float> Sigmoid<T> {
    /// A sigmoid layer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T: Float> Parameters<T> for Sigmoid<T> {}

impl<T: Float> Layer<T> for Sigmoid<T> {
    fn kind(&self) -> &'static str {
        "sigmoid"
    }

    fn forward(&mut self, mut x: Tensor<T>, mode: Mode) -> Result<Tensor<T>> {
        sigmoid_inplace(&mut x);
        self.out = (mode == Mode::Train).then(|| x.clone());
        Ok(x)
    }

    fn backward(&mut self, mut dout: Tensor<T>) -> Result<Tensor<T>> {
        let y = self
            .out
            .as_ref()
            .ok_or(Error::NoForward { layer: "Sigmoid" })?;
        check_shape("Sigmoid", y.shape(), dout.shape())?;
        Zip::from(&mut dout)
            .and(y)
            .for_each(|d, &y| *d = *d * (T::one() - y) * y);
        Ok(dout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
