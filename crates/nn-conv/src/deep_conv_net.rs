//! The book's `DeepConvNet`.

use nn_core::{
    init::Init,
    rng::{seeded, Rng},
    Float,
};
use nn_layers::{Affine, Dropout, Network, Relu, Result, Sequential};

use crate::{Convolution, Geometry, Pooling};

/// The book's deep convolutional network (chapter 8, 99.38% on MNIST):
///
/// conv 3×3 → ReLU → conv 3×3 → ReLU → max-pool 2×2 →
/// conv 3×3 → ReLU → conv 3×3 (pad 2) → ReLU → max-pool 2×2 →
/// conv 3×3 → ReLU → conv 3×3 → ReLU → max-pool 2×2 →
/// Affine 50 → ReLU → Dropout 0.5 → Affine 10 → Dropout 0.5 → SoftmaxWithLoss
///
/// with 16, 16, 32, 32, 64, 64 filters, padding 1 except the fourth
/// convolution's 2, and He initialisation (std √(2/fan-in)). On 28×28 inputs
/// the feature maps are 28, 28, 14, 16, 8, 8, and 64×4×4 = 1024 values reach
/// the first affine layer. Dropout is the book's (scaled at inference).
///
/// As in [`crate::SimpleConvNet`], each ReLU → max-pool is built as
/// max-pool → ReLU, which computes the same values and gradients exactly.
///
/// A description, built into a [`Network`] by [`build`](DeepConvNet::build).
/// Layer names: `conv1`…`conv6`, `relu1`…`relu7`, `pool1`…`pool3`, `affine1`,
/// `affine2`, `dropout1`, `dropout2` (in order: conv1 relu1 conv2 pool1 relu2 …).
#[derive(Debug, Clone, PartialEq)]
pub struct DeepConvNet {
    /// Input (C, H, W).
    pub input_dim: [usize; 3],
    /// Filters of the six convolutions.
    pub filters: [usize; 6],
    /// Units of the hidden affine layer.
    pub hidden_size: usize,
    /// Classes.
    pub output_size: usize,
    /// Dropout ratio of both dropout layers.
    pub dropout: f64,
}

impl Default for DeepConvNet {
    fn default() -> Self {
        DeepConvNet {
            input_dim: [1, 28, 28],
            filters: [16, 16, 32, 32, 64, 64],
            hidden_size: 50,
            output_size: 10,
            dropout: 0.5,
        }
    }
}

/// Padding of the six convolutions.
const PADS: [usize; 6] = [1, 1, 1, 2, 1, 1];

impl DeepConvNet {
    /// Builds the network with weights and dropout masks drawn from `seed`.
    ///
    /// # Errors
    /// An input too small for three poolings, zero sizes, an invalid ratio.
    pub fn build<T: Float>(&self, seed: u64) -> Result<Network<T>> {
        let mut rng = seeded(seed);
        let [mut c, mut h, mut w] = self.input_dim;
        let mut layers = Sequential::new();
        for (i, (&filters, &pad)) in self.filters.iter().zip(&PADS).enumerate() {
            let g = Geometry::new("DeepConvNet", [c, h, w], [3, 3], 1, pad)?;
            layers.push(Convolution::init(
                c,
                filters,
                [3, 3],
                1,
                pad,
                Init::He,
                &mut rng,
            )?);
            (c, h, w) = (filters, g.out_h, g.out_w);
            if i % 2 == 1 {
                let p = Geometry::new("DeepConvNet", [c, h, w], [2, 2], 2, 0)?;
                layers.push(Pooling::max(2, 2, 2, 0)?);
                (h, w) = (p.out_h, p.out_w);
            }
            layers.push(Relu::new());
        }
        layers.push(Affine::init(
            c * h * w,
            self.hidden_size,
            Init::He,
            &mut rng,
        )?);
        layers.push(Relu::new());
        layers.push(Dropout::new(self.dropout, rng.next_u64())?);
        layers.push(Affine::init(
            self.hidden_size,
            self.output_size,
            Init::He,
            &mut rng,
        )?);
        layers.push(Dropout::new(self.dropout, rng.next_u64())?);
        Ok(Network::new(layers).with_input_shape(self.input_dim.to_vec()))
    }
}
