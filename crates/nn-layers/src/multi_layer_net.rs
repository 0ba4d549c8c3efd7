//! The book's `MultiLayerNet` and `MultiLayerNetExtend`.

use nn_core::{
    init::Init,
    rng::{seeded, Rng},
    Float,
};

use crate::{Affine, BatchNorm, Dropout, Network, Relu, Result, Sequential, Sigmoid};

/// The hidden layers' activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// ReLU.
    Relu,
    /// Logistic sigmoid.
    Sigmoid,
}

/// How the weights of [`MultiLayerNet`] start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WeightInit {
    /// N(0, std²) for every layer.
    Std(f64),
    /// He, std √(2/n) (n = the layer's fan-in): the book's `'relu'`/`'he'`.
    He,
    /// Xavier, std √(1/n): the book's `'sigmoid'`/`'xavier'`.
    Xavier,
    /// He for ReLU networks, Xavier for sigmoid ones.
    Auto,
}

/// The book's fully connected network of any depth, with the options of its
/// `MultiLayerNetExtend`: per hidden layer,
/// Affine → [BatchNorm] → activation → [Dropout], then a final Affine and
/// SoftmaxWithLoss; L2 weight decay λ on the affine weights.
///
/// A description, built into a [`Network`] by [`build`](MultiLayerNet::build).
/// Layer names: `affine1`, `bn1`, `relu1`, `dropout1`, `affine2`, ...
///
/// ```
/// use nn_layers::{MultiLayerNet, Activation};
///
/// let spec = MultiLayerNet {
///     hidden_sizes: vec![100, 100],
///     batch_norm: true,
///     dropout: Some(0.2),
///     weight_decay: 0.1,
///     ..MultiLayerNet::default()
/// };
/// let net = spec.build::<f32>(0)?;
/// let names: Vec<&str> = net.layers().names().collect();
/// assert_eq!(names, ["affine1", "bn1", "relu1", "dropout1", "affine2", "bn2", "relu2", "dropout2", "affine3"]);
/// # Ok::<(), nn_layers::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MultiLayerNet {
    /// Inputs per sample.
    pub input_size: usize,
    /// Units of each hidden layer.
    pub hidden_sizes: Vec<usize>,
    /// Classes.
    pub output_size: usize,
    /// Hidden activation.
    pub activation: Activation,
    /// Initial weights.
    pub weight_init: WeightInit,
    /// L2 weight decay λ.
    pub weight_decay: f64,
    /// BatchNorm after each hidden affine layer.
    pub batch_norm: bool,
    /// Dropout ratio after each hidden activation (the notes' scaled form).
    pub dropout: Option<f64>,
}

impl Default for MultiLayerNet {
    /// 784 → 5 × 100 ReLU → 10, He initialisation, no extras.
    fn default() -> Self {
        MultiLayerNet {
            input_size: 784,
            hidden_sizes: vec![100; 5],
            output_size: 10,
            activation: Activation::Relu,
            weight_init: WeightInit::Auto,
            weight_decay: 0.0,
            batch_norm: false,
            dropout: None,
        }
    }
}

impl MultiLayerNet {
    fn init(&self) -> Init {
        match (self.weight_init, self.activation) {
            (WeightInit::Std(std), _) => Init::Gaussian { std },
            (WeightInit::He, _) | (WeightInit::Auto, Activation::Relu) => Init::He,
            (WeightInit::Xavier, _) | (WeightInit::Auto, Activation::Sigmoid) => Init::Xavier,
        }
    }

    /// Builds the network with weights and dropout masks drawn from `seed`.
    ///
    /// # Errors
    /// Invalid sizes, std, λ or dropout ratio.
    pub fn build<T: Float>(&self, seed: u64) -> Result<Network<T>> {
        let mut rng = seeded(seed);
        let init = self.init();
        let mut layers = Sequential::new();
        let mut fan_in = self.input_size;
        for &units in &self.hidden_sizes {
            layers.push(Affine::init(fan_in, units, init, &mut rng)?);
            if self.batch_norm {
                layers.push(BatchNorm::new(units));
            }
            match self.activation {
                Activation::Relu => layers.push(Relu::new()),
                Activation::Sigmoid => layers.push(Sigmoid::new()),
            };
            if let Some(ratio) = self.dropout {
                layers.push(Dropout::new(ratio, rng.next_u64())?);
            }
            fan_in = units;
        }
        layers.push(Affine::init(fan_in, self.output_size, init, &mut rng)?);
        Network::new(layers)
            .with_weight_decay(self.weight_decay)
            .map(|net| net.with_input_shape(vec![self.input_size]))
    }
}
