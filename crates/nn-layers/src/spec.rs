//! Layers as data: a layer's kind and settings, which serialise with serde
//! and build the layer back.

use std::fmt::Debug;

use nn_core::{rng::ChaCha8Rng, Float, Shape};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Error, Layer, Result};

/// A layer as data: its kind and its settings, e.g.
/// `{ kind = "affine", inputs = 784, outputs = 50, init = "he" }` in a network
/// file. [`Layer::spec`] describes a built layer; the layer's
/// [`LayerConfig`] reads the settings back and builds it.
///
/// ```
/// use nn_layers::{AffineConfig, LayerSpec};
///
/// let spec: LayerSpec = serde_json::from_str(r#"{"kind": "affine", "outputs": 10}"#).unwrap();
/// let config: AffineConfig = spec.config()?;
/// assert_eq!((config.inputs, config.outputs), (None, 10));
/// assert!(serde_json::from_str::<LayerSpec>(r#"{"kind": "affine", "outputs": "ten"}"#)
///     .unwrap()
///     .config::<AffineConfig>()
///     .unwrap_err()
///     .to_string()
///     .contains("outputs: invalid type: string \"ten\", expected usize"));
/// # Ok::<(), nn_layers::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSpec {
    /// The layer's kind, as [`Layer::kind`] names it (`"affine"`, `"conv"`...).
    pub kind: String,
    /// Its settings, the fields of the kind's [`LayerConfig`].
    #[serde(flatten)]
    pub settings: Map<String, Value>,
}

impl LayerSpec {
    /// The description of a layer with `config`.
    pub fn of<C: LayerConfig>(config: &C) -> LayerSpec {
        let settings = match serde_json::to_value(config) {
            Ok(Value::Object(map)) => map,
            // Configs are structs of numbers, strings and enums, which
            // serialise to an object; anything else describes no settings.
            _ => Map::new(),
        };
        LayerSpec {
            kind: C::KIND.to_string(),
            settings,
        }
    }

    /// The settings read as the kind's config.
    ///
    /// # Errors
    /// [`Error::Setting`] naming the field and what was expected (an
    /// unknown field, a missing one, a value of the wrong type).
    pub fn config<C: LayerConfig>(&self) -> Result<C> {
        let value = Value::Object(self.settings.clone());
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            Error::Setting(if path == "." {
                inner.to_string()
            } else {
                format!("{path}: {inner}")
            })
        })
    }
}

/// A built layer and the shape of one sample of its output, when the input
/// shape was known.
pub struct Built<T: Float> {
    /// The layer.
    pub layer: Box<dyn Layer<T>>,
    /// Its output's shape per sample, e.g. `[30, 12, 12]`; `None` when the
    /// input's shape was not known.
    pub output: Option<Vec<usize>>,
}

impl<T: Float> Built<T> {
    /// A layer whose output has the input's shape (activations, dropout).
    pub fn same_shape<L: Layer<T> + 'static>(layer: L, input: Option<&[usize]>) -> Self {
        Built {
            layer: Box::new(layer),
            output: input.map(<[usize]>::to_vec),
        }
    }
}

/// What a layer will hold and give, computed from its settings and input
/// shape without allocating: what a checkpoint's tensors are checked against
/// before a network is built from its description.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Each parameter and buffer the layer lends, by its local name
    /// (`weight`, `running_mean`), with its shape, in lending order.
    pub params: Vec<(&'static str, Vec<usize>)>,
    /// The output's shape per sample, when the input's is known.
    pub output: Option<Vec<usize>>,
}

/// The settings of one kind of layer: what its [`LayerSpec`] holds, and how
/// to build the layer from them.
///
/// Each layer's file defines its config next to the layer; a registry (the
/// `nn-model` crate) lists every kind once, and network files, checkpoints
/// and the "every layer" tests go through it.
pub trait LayerConfig:
    Serialize + DeserializeOwned + Clone + Debug + Send + Sync + 'static
{
    /// The kind, equal to the built layer's [`Layer::kind`].
    const KIND: &'static str;
    /// One line on what the layer computes, for `nn model layers`.
    const ABOUT: &'static str;

    /// Builds the layer for inputs of per-sample shape `input` (when known),
    /// drawing initial weights (and dropout seeds) from `rng` in a fixed order.
    ///
    /// # Errors
    /// Settings out of their domain, or an input shape the layer cannot take,
    /// with both shapes in the message.
    fn build<T: Float>(&self, input: Option<&[usize]>, rng: &mut ChaCha8Rng) -> Result<Built<T>>;

    /// The layer's parameters and output shape for inputs of per-sample
    /// shape `input`, with the same checks as [`build`](LayerConfig::build)
    /// and checked arithmetic, allocating nothing. The default is a layer
    /// without parameters whose output has its input's shape; the registry's
    /// tests check every kind's plan against the layer it builds.
    ///
    /// # Errors
    /// As [`build`](LayerConfig::build).
    fn plan(&self, input: Option<&[usize]>) -> Result<Plan> {
        Ok(Plan {
            params: Vec::new(),
            output: input.map(<[usize]>::to_vec),
        })
    }

    /// A small instance and a per-sample input shape it takes: what the
    /// registry's tests build, round-trip and gradient-check for every kind.
    fn example() -> (Self, Vec<usize>);
}

/// A size a layer was given (`given`, e.g. Affine's `inputs`) reconciled with
/// what its input provides (`provided`, with the input's shape for the
/// message): either may be missing, and when both are there they must agree.
///
/// # Errors
/// [`Error::Description`] when they differ ("expects 4000 inputs, but its
/// input is (30, 12, 12) = 4320") or when neither is known.
pub fn reconcile(
    what: &str,
    given: Option<usize>,
    provided: Option<(usize, &[usize])>,
) -> Result<usize> {
    match (given, provided) {
        (Some(g), Some((p, _))) if g == p => Ok(g),
        (Some(g), Some((p, shape))) => Err(Error::Description(format!(
            "expects {g} {what}, but its input is {}{}",
            Shape::from(shape),
            if shape.len() > 1 {
                format!(" = {p}")
            } else {
                String::new()
            }
        ))),
        (Some(g), None) => Ok(g),
        (None, Some((p, _))) => Ok(p),
        (None, None) => Err(Error::Description(format!(
            "`{what}` is not given and cannot be inferred without the network's input shape"
        ))),
    }
}

/// The number of values in one sample of per-sample shape `shape`, checked
/// against overflow.
///
/// # Errors
/// [`Error::Description`] when the product overflows.
pub fn size_of(shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1_usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| {
            Error::Description(format!(
                "a sample of shape {} has more values than fit in memory",
                Shape::from(shape)
            ))
        })
}
