//! Tanh layer.

use ndarray::{ArrayD, Zip};
use nn_core::{Float, Parameters, Tensor};

use crate::error::check_shape;
use crate::{Error, Layer, Mode, Result};

/// Hyperbolic tangent: y = tanh(x); ∂L/∂x = ∂L/∂y · (1 − y²).
#[derive(Debug, Clone)]
pub struct Tanh<T: Float> {
    out: Option<ArrayD<T>>,
}

impl<T: Float> Default for Tanh<T> {
    fn default() -> Self {
        Tanh { out: None }
    }
}

impl<T: Float> Tanh<T> {
    /// A tanh layer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T: Float> Parameters<T> for Tanh<T> {}

impl<T: Float> Layer<T> for Tanh<T> {
    fn kind(&self) -> &'static str {
        "tanh"
    }

    fn forward(&mut self, mut x: Tensor<T>, mode: Mode) -> Result<Tensor<T>> {
        x.mapv_inplace(T::tanh);
        self.out = (mode == Mode::Train).then(|| x.clone());
        Ok(x)
    }

    fn backward(&mut self, mut dout: Tensor<T>) -> Result<Tensor<T>> {
        let y = self
            .out
            .as_ref()
            .ok_or(Error::NoForward { layer: "Tanh" })?;
        check_shape("Tanh", y.shape(), dout.shape())?;
        Zip::from(&mut dout)
            .and(y)
            .for_each(|d, &y| *d *= T::one() - y * y);
        Ok(dout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
