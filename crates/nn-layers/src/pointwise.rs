//! The layer of every element-wise activation: y = f(x), ∂L/∂x = ∂L/∂y · f′.

use ndarray::{ArrayD, Zip};
use nn_core::{Float, Param, Parameters, Tensor};

use crate::error::check_shape;
use crate::spec::{LayerConfig, LayerSpec};
use crate::{Error, Layer, Mode, Result};

/// An element-wise activation: its function and derivative, taken from
/// [`nn_core::activation::scalar`]. The config is the function (with its
/// settings, such as Leaky ReLU's slope).
pub trait PointwiseFn: LayerConfig {
    /// The layer's name in error messages (`"Sigmoid"`).
    const NAME: &'static str;
    /// Whether f′ is computed from the input x (else from the output y, which
    /// is cheaper for sigmoid and tanh).
    const FROM_INPUT: bool;
    /// f(x).
    fn value<T: Float>(&self, x: T) -> T;
    /// f′ from x or from y, as [`FROM_INPUT`](PointwiseFn::FROM_INPUT) says.
    fn derivative<T: Float>(&self, kept: T) -> T;
}

/// The layer of an element-wise activation `F` ([`crate::Sigmoid`],
/// [`crate::Tanh`], [`crate::LeakyRelu`], [`crate::Gelu`]): forward maps each
/// value through f in place and, in training, keeps x or y; backward
/// multiplies ∂L/∂y by f′.
#[derive(Debug, Clone)]
pub struct Pointwise<T: Float, F> {
    f: F,
    kept: Option<ArrayD<T>>,
}

impl<T: Float, F: PointwiseFn + Default> Default for Pointwise<T, F> {
    fn default() -> Self {
        Self::with(F::default())
    }
}

impl<T: Float, F: PointwiseFn + Default> Pointwise<T, F> {
    /// The layer with the function's default settings.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T: Float, F: PointwiseFn> Pointwise<T, F> {
    /// The layer of `f`.
    pub fn with(f: F) -> Self {
        Pointwise { f, kept: None }
    }

    /// The function and its settings.
    pub fn function(&self) -> &F {
        &self.f
    }
}

impl<T: Float, F: PointwiseFn> Parameters<T> for Pointwise<T, F> {
    fn visit_params(&mut self, _: &mut dyn FnMut(Param<'_, T>)) {}
}

impl<T: Float, F: PointwiseFn> Layer<T> for Pointwise<T, F> {
    fn kind(&self) -> &'static str {
        F::KIND
    }

    fn spec(&self) -> LayerSpec {
        LayerSpec::of(&self.f)
    }

    fn forward(&mut self, mut x: Tensor<T>, mode: Mode) -> Result<Tensor<T>> {
        let train = mode == Mode::Train;
        if train && F::FROM_INPUT {
            self.kept = Some(x.clone());
        }
        let f = &self.f;
        x.mapv_inplace(|v| f.value(v));
        if train && !F::FROM_INPUT {
            self.kept = Some(x.clone());
        }
        if !train {
            self.kept = None;
        }
        Ok(x)
    }

    fn backward(&mut self, mut dout: Tensor<T>) -> Result<Tensor<T>> {
        let kept = self
            .kept
            .as_ref()
            .ok_or(Error::NoForward { layer: F::NAME })?;
        check_shape(F::NAME, kept.shape(), dout.shape())?;
        let f = &self.f;
        Zip::from(&mut dout)
            .and(kept)
            .for_each(|d, &k| *d *= f.derivative(k));
        Ok(dout)
    }
}
