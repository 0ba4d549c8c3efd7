//! Flatten layer.

use nn_core::{rng::ChaCha8Rng, Float, Param, Parameters, Shape, Tensor};

use crate::error::check_shape;
use crate::reshape::reshaped;
use crate::spec::{size_of, Built, LayerConfig, LayerSpec, Plan};
use crate::{Error, Layer, Mode, Result};

/// The settings of a [`Flatten`] layer (none): `{ kind = "flatten" }`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlattenConfig {}

impl LayerConfig for FlattenConfig {
    const KIND: &'static str = "flatten";
    const ABOUT: &'static str = "(N, C, H, W) → (N, C·H·W)";

    fn build<T: Float>(&self, input: Option<&[usize]>, _: &mut ChaCha8Rng) -> Result<Built<T>> {
        Ok(Built {
            layer: Box::new(Flatten::new()),
            output: self.plan(input)?.output,
        })
    }

    fn plan(&self, input: Option<&[usize]>) -> Result<Plan> {
        let output = match input {
            Some(shape) => Some(vec![size_of(shape)?]),
            None => None,
        };
        Ok(Plan {
            params: Vec::new(),
            output,
        })
    }

    fn example() -> (Self, Vec<usize>) {
        (FlattenConfig {}, vec![2, 3])
    }
}

/// Flattens each sample: (N, d₁, d₂, …) → (N, d₁·d₂·…); backward reshapes
/// ∂L/∂y back to the input's shape. (Affine flattens its input itself; this
/// layer is for networks that want the rows explicitly.)
#[derive(Debug, Clone, Default)]
pub struct Flatten {
    input_shape: Option<Vec<usize>>,
}

impl Flatten {
    /// A flatten layer.
    pub fn new() -> Self {
        Flatten::default()
    }
}

impl<T: Float> Parameters<T> for Flatten {
    fn visit_params(&mut self, _: &mut dyn FnMut(Param<'_, T>)) {}
}

impl<T: Float> Layer<T> for Flatten {
    fn kind(&self) -> &'static str {
        FlattenConfig::KIND
    }

    fn spec(&self) -> LayerSpec {
        LayerSpec::of(&FlattenConfig {})
    }

    fn forward(&mut self, x: Tensor<T>, mode: Mode) -> Result<Tensor<T>> {
        let shape = x.shape().to_vec();
        let Some((&n, rest)) = shape.split_first() else {
            return Err(Error::BadInput {
                layer: "Flatten",
                got: Shape::from(&shape[..]),
                expected: "expected a batch (N, ...)".into(),
            });
        };
        let d: usize = rest.iter().product();
        self.input_shape = (mode == Mode::Train).then(|| shape.clone());
        Ok(reshaped(x, (n, d)).into_dyn())
    }

    fn backward(&mut self, dout: Tensor<T>) -> Result<Tensor<T>> {
        let shape = self
            .input_shape
            .as_ref()
            .ok_or(Error::NoForward { layer: "Flatten" })?;
        let expected = [shape[0], shape[1..].iter().product()];
        check_shape("Flatten", &expected, dout.shape())?;
        Ok(reshaped(dout, ndarray::IxDyn(shape)))
    }
}
