//! The networks the trainer and the `nn` command know by name.

use std::collections::BTreeMap;

use nn_conv::{DeepConvNet, SimpleConvNet};
use nn_core::Float;
use nn_layers::{MultiLayerNet, Network, TwoLayerNet};

use crate::{Error, Result};

/// The book's networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// [`TwoLayerNet`]: Affine 50 → ReLU → Affine.
    TwoLayer,
    /// [`MultiLayerNet`]: five hidden ReLU layers of 100, He initialisation.
    MultiLayer,
    /// [`SimpleConvNet`]: one convolution, pooling, two affine layers.
    SimpleConv,
    /// [`DeepConvNet`]: six convolutions, three poolings, dropout.
    DeepConv,
}

impl ModelKind {
    /// Every model, in the order of the book.
    pub const ALL: [ModelKind; 4] = [
        ModelKind::TwoLayer,
        ModelKind::MultiLayer,
        ModelKind::SimpleConv,
        ModelKind::DeepConv,
    ];

    /// The name used on the command line and in checkpoints.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::TwoLayer => "two-layer",
            ModelKind::MultiLayer => "multi-layer",
            ModelKind::SimpleConv => "simple-conv",
            ModelKind::DeepConv => "deep-conv",
        }
    }

    /// The model called `name`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] listing the known names.
    pub fn from_name(name: &str) -> Result<Self> {
        ModelKind::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| Error::InvalidArgument {
                op: "model",
                message: format!(
                    "unknown model `{name}`; expected one of {}",
                    ModelKind::ALL.map(ModelKind::name).join(", ")
                ),
            })
    }

    /// Whether it takes images as (N, C, H, W) rather than flattened rows.
    pub fn takes_images(self) -> bool {
        matches!(self, ModelKind::SimpleConv | ModelKind::DeepConv)
    }

    /// The book's optimizer and learning rate for it: SGD 0.1 for the
    /// fully connected nets (chapter 5's training), Adam 0.001 for the conv
    /// nets (chapters 7 and 8).
    pub fn default_optimizer(self) -> (&'static str, f64) {
        if self.takes_images() {
            ("adam", 0.001)
        } else {
            ("sgd", 0.1)
        }
    }

    /// Builds it, with the book's sizes for (C, H, W) inputs and `classes`
    /// outputs, weights drawn from `seed`.
    ///
    /// # Errors
    /// When the input is too small for the architecture.
    pub fn build<T: Float>(
        self,
        input: [usize; 3],
        classes: usize,
        seed: u64,
    ) -> Result<Network<T>> {
        let flat = input.iter().product();
        let net = match self {
            ModelKind::TwoLayer => TwoLayerNet {
                input_size: flat,
                output_size: classes,
                ..TwoLayerNet::default()
            }
            .build(seed)?,
            ModelKind::MultiLayer => MultiLayerNet {
                input_size: flat,
                output_size: classes,
                ..MultiLayerNet::default()
            }
            .build(seed)?,
            ModelKind::SimpleConv => SimpleConvNet {
                input_dim: input,
                output_size: classes,
                ..SimpleConvNet::default()
            }
            .build(seed)?,
            ModelKind::DeepConv => DeepConvNet {
                input_dim: input,
                output_size: classes,
                ..DeepConvNet::default()
            }
            .build(seed)?,
        };
        Ok(net)
    }
}

/// Rebuilds the network a checkpoint's metadata describes (its weights are
/// set afterwards, by [`crate::Checkpoint::restore`]).
///
/// # Errors
/// [`Error::InvalidArgument`] for an unknown or malformed description.
pub fn network_from_metadata<T: Float>(metadata: &BTreeMap<String, String>) -> Result<Network<T>> {
    let model = metadata.get("model").map(String::as_str).unwrap_or("");
    let net = match ModelKind::from_name(model)? {
        ModelKind::TwoLayer => TwoLayerNet::from_metadata(metadata)?.build(0)?,
        ModelKind::MultiLayer => MultiLayerNet::from_metadata(metadata)?.build(0)?,
        ModelKind::SimpleConv => SimpleConvNet::from_metadata(metadata)?.build(0)?,
        ModelKind::DeepConv => DeepConvNet::from_metadata(metadata)?.build(0)?,
    };
    Ok(net)
}
