//! A network as data: its input, its layers, its loss and weight decay.

use std::path::Path;

use nn_core::{rng::seeded, Float};
use nn_layers::{LayerSpec, Network, Sequential};
use serde::{Deserialize, Serialize};

use crate::registry::{layer_kinds, planners, Entry};
use crate::{Error, Result};

/// The loss on top of a network's scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Softmax and cross-entropy (the book's `SoftmaxWithLoss`).
    #[default]
    SoftmaxCrossEntropy,
}

/// The largest network file [`NetworkSpec::read`] reads: 1 MiB (the book's
/// largest, deep-conv, is under 2 KiB).
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// What a network would hold, from [`NetworkSpec::plan`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkPlan {
    /// Every parameter and buffer, by full name (`conv1.weight`), in order.
    pub params: Vec<(String, Vec<usize>)>,
    /// Each layer's output shape per sample, when the input's is known.
    pub outputs: Vec<Option<Vec<usize>>>,
}

impl NetworkPlan {
    /// The first layer (0-based) whose output has more than `max` values per
    /// sample (or more than can be counted), with that output's shape.
    pub fn output_above(&self, max: usize) -> Option<(usize, &[usize])> {
        self.outputs.iter().enumerate().find_map(|(i, output)| {
            let shape = output.as_deref()?;
            let fits = nn_layers::size_of(shape).is_ok_and(|n| n <= max);
            (!fits).then_some((i, shape))
        })
    }

    /// How many parameter and buffer values the network holds; `None` when
    /// the count overflows.
    pub fn values(&self) -> Option<usize> {
        self.params.iter().try_fold(0usize, |total, (_, shape)| {
            total.checked_add(nn_layers::size_of(shape).ok()?)
        })
    }
}

/// A network described as data: what a network file holds, what a
/// checkpoint carries, and what [`build`](NetworkSpec::build) turns into a
/// [`Network`] with fresh weights.
///
/// In TOML (the file format people write; JSON in checkpoints):
///
/// ```toml
/// input = [1, 28, 28]          # one sample's shape; omit to take the dataset's
/// weight_decay = 0.0           # L2 λ on the weights
///
/// [[layers]]
/// kind = "conv"
/// filters = 16
/// kernel = [5, 5]
///
/// [[layers]]
/// kind = "relu"
///
/// [[layers]]
/// kind = "affine"
/// outputs = 10
/// ```
///
/// ```
/// use nn_model::NetworkSpec;
///
/// let spec = NetworkSpec::from_toml(
///     "input = [4]\n[[layers]]\nkind = \"affine\"\noutputs = 3\n",
///     "example",
/// )?;
/// let mut net = spec.build::<f64>(0)?;
/// assert_eq!(NetworkSpec::describe(&net).layers[0].settings["inputs"], 4);
/// assert_eq!(net.predict(&ndarray::Array2::<f64>::zeros((2, 4)))?.shape(), &[2, 3]);
/// # Ok::<(), nn_model::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// The shape of one input sample (`[784]`, `[1, 28, 28]`); when absent,
    /// the layers must say their own sizes, or the trainer supplies the
    /// dataset's shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Vec<usize>>,
    /// The loss; default softmax cross-entropy.
    #[serde(default)]
    pub loss: Loss,
    /// L2 weight decay λ on every weight (not on biases or batch norm).
    #[serde(default)]
    pub weight_decay: f64,
    /// The layers, in order.
    pub layers: Vec<LayerSpec>,
}

impl NetworkSpec {
    /// The description of a built network: `build(describe(net))` has the
    /// same parameter names and shapes, and with the same weights computes
    /// the same outputs bit for bit.
    pub fn describe<T: Float>(net: &Network<T>) -> NetworkSpec {
        NetworkSpec {
            input: net.input_shape().map(<[usize]>::to_vec),
            loss: Loss::SoftmaxCrossEntropy,
            weight_decay: net.weight_decay(),
            layers: net.layers().specs(),
        }
    }

    /// Builds the network, weights (and dropout seeds) drawn from `seed`,
    /// checking each layer against the shape the one before it gives.
    ///
    /// # Errors
    /// [`Error::Layer`] naming the layer (position, name), the field or the
    /// shapes that do not fit.
    pub fn build<T: Float>(&self, seed: u64) -> Result<Network<T>> {
        Ok(self.build_with_output(seed)?.0)
    }

    /// The shape of one sample of the network's output (`[10]`), when the
    /// input shape is known.
    ///
    /// # Errors
    /// As [`build`](NetworkSpec::build).
    pub fn output_shape(&self) -> Result<Option<Vec<usize>>> {
        self.walk(&planners(), |kind, spec, _, input| {
            Ok(kind.plan(spec, input)?.output)
        })
    }

    fn build_with_output<T: Float>(&self, seed: u64) -> Result<(Network<T>, Option<Vec<usize>>)> {
        let mut rng = seeded(seed);
        let mut layers = Sequential::<T>::new();
        let output = self.walk(&layer_kinds::<T>(), |kind, spec, _, input| {
            let built = kind.build(spec, input, &mut rng)?;
            layers.push_boxed(built.layer);
            Ok(built.output)
        })?;
        let mut net = Network::new(layers).with_weight_decay(self.weight_decay)?;
        if let Some(input) = &self.input {
            net = net.with_input_shape(input.clone());
        }
        Ok((net, output))
    }

    /// Every parameter and buffer the network would hold (full names, as
    /// [`Network::state`] gives them, with shapes) and each layer's output
    /// shape per sample, computed with checked arithmetic and without
    /// allocating: what a checkpoint's tensors are checked against before
    /// the network is built.
    ///
    /// # Errors
    /// As [`build`](NetworkSpec::build).
    pub fn plan(&self) -> Result<NetworkPlan> {
        let mut plan = NetworkPlan::default();
        self.walk(&planners(), |kind, spec, name, input| {
            let layer = kind.plan(spec, input)?;
            for (param, shape) in layer.params {
                plan.params.push((format!("{name}.{param}"), shape));
            }
            plan.outputs.push(layer.output.clone());
            Ok(layer.output)
        })?;
        Ok(plan)
    }

    /// The name each layer gets in the built network (its kind and how many
    /// of that kind come before it, counting from 1: `conv1`, `relu2`), which
    /// prefixes its parameters' names (`conv1.weight`).
    pub fn layer_names(&self) -> Vec<String> {
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        self.layers
            .iter()
            .map(|l| {
                let n = counts.entry(l.kind.as_str()).or_default();
                *n += 1;
                format!("{}{n}", l.kind)
            })
            .collect()
    }

    /// Calls `each(kind, spec, name, input shape)` for every layer in order,
    /// `kind` its entry among `kinds`, passing each layer's output shape on
    /// to the next, and names the layer (position, name) and where its input
    /// came from in errors.
    fn walk<K: Entry>(
        &self,
        kinds: &[K],
        mut each: impl FnMut(
            &K,
            &LayerSpec,
            &str,
            Option<&[usize]>,
        ) -> nn_layers::Result<Option<Vec<usize>>>,
    ) -> Result<Option<Vec<usize>>> {
        let names = self.layer_names();
        let mut shape = self.input.clone();
        let mut previous: Option<String> = None;
        for (i, spec) in self.layers.iter().enumerate() {
            let name = &names[i];
            let error = |message: String| Error::Layer {
                index: i + 1,
                name: name.clone(),
                message,
            };
            let kind = kinds
                .iter()
                .find(|k| k.kind() == spec.kind)
                .ok_or_else(|| {
                    let known: Vec<&str> = kinds.iter().map(Entry::kind).collect();
                    error(format!(
                        "unknown layer kind `{}`; expected one of {}",
                        spec.kind,
                        known.join(", ")
                    ))
                })?;
            let output = each(kind, spec, name, shape.as_deref()).map_err(|e| {
                // A shape that does not fit says where the shape came from;
                // a bad setting is the layer's own.
                let shape_error = matches!(e, nn_layers::Error::Description(_));
                let from = match (&previous, &shape) {
                    (Some(p), Some(_)) if shape_error => format!(", the output of {p}"),
                    (None, Some(_)) if shape_error => ", the network's input".to_string(),
                    _ => String::new(),
                };
                error(format!("{e}{from}"))
            })?;
            previous = Some(format!("layer {} ({name})", i + 1));
            shape = output;
        }
        Ok(shape)
    }

    /// Reads a description from TOML text; `origin` (a path) names it in errors.
    ///
    /// # Errors
    /// [`Error::Parse`] with the line and the field.
    pub fn from_toml(text: &str, origin: &str) -> Result<NetworkSpec> {
        toml::from_str(text).map_err(|e| Error::Parse {
            origin: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })
    }

    /// Reads a description from JSON text.
    ///
    /// # Errors
    /// [`Error::Parse`] with the line and column.
    pub fn from_json(text: &str, origin: &str) -> Result<NetworkSpec> {
        serde_json::from_str(text).map_err(|e| Error::Parse {
            origin: origin.to_string(),
            message: e.to_string(),
        })
    }

    /// Reads a `.toml` or `.json` network file (by its extension; TOML
    /// otherwise) of at most [`MAX_FILE_BYTES`].
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::Parse`], also for a file that is larger or not
    /// a regular file (a device or a pipe).
    pub fn read(path: &Path) -> Result<NetworkSpec> {
        use nn_core::ReadRefused;
        let origin = path.display().to_string();
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let parse = |message: String| Error::Parse {
            origin: origin.clone(),
            message,
        };
        let bytes = nn_core::read_bounded(path, MAX_FILE_BYTES).map_err(|e| match e {
            ReadRefused::Io(e) => io(e),
            ReadRefused::NotRegular => {
                parse("not a regular file (a device or a pipe), so it is not read".into())
            }
            ReadRefused::TooLarge(_) => parse(format!(
                "larger than {MAX_FILE_BYTES} bytes, the most a network file may be"
            )),
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ))
        })?;
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Self::from_json(&text, &origin),
            _ => Self::from_toml(&text, &origin),
        }
    }

    /// The description as compact JSON (what checkpoints carry).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a description serialises: numbers, strings, lists")
    }

    /// The description as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a description serialises: numbers, strings, lists")
    }

    /// Whether the network takes images (N, C, H, W) rather than rows
    /// (N, D): its input shape has three dimensions, or, without one, its
    /// first layer is a convolution or a pooling.
    pub fn takes_images(&self) -> bool {
        match &self.input {
            Some(shape) => shape.len() == 3,
            None => self
                .layers
                .first()
                .is_some_and(|l| l.kind == "conv" || l.kind == "pool"),
        }
    }
}
