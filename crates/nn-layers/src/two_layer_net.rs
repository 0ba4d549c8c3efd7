//! The book's `TwoLayerNet`.

use nn_core::{init::Init, rng::seeded, Float};

use crate::{Affine, Network, Relu, Result, Sequential};

/// The book's two-layer network (chapter 5): Affine → ReLU → Affine →
/// SoftmaxWithLoss, weights N(0, 0.01²), biases 0.
///
/// A description, built into a [`Network`] by [`build`](TwoLayerNet::build);
/// the default is the book's 784-50-10. Layer names: `affine1`, `relu1`,
/// `affine2`.
///
/// ```
/// use nn_layers::TwoLayerNet;
///
/// let mut net = TwoLayerNet::default().build::<f32>(42)?;
/// let x = ndarray::Array2::<f32>::zeros((3, 784));
/// assert_eq!(net.predict(&x)?.shape(), &[3, 10]);
/// # Ok::<(), nn_layers::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TwoLayerNet {
    /// Inputs per sample (784 for MNIST).
    pub input_size: usize,
    /// Hidden units.
    pub hidden_size: usize,
    /// Classes.
    pub output_size: usize,
    /// Standard deviation of the initial weights.
    pub weight_init_std: f64,
}

impl Default for TwoLayerNet {
    fn default() -> Self {
        TwoLayerNet {
            input_size: 784,
            hidden_size: 50,
            output_size: 10,
            weight_init_std: 0.01,
        }
    }
}

impl TwoLayerNet {
    /// Builds the network with weights drawn from `seed`.
    ///
    /// # Errors
    /// [`crate::Error::Core`] for a zero size or an invalid std.
    pub fn build<T: Float>(&self, seed: u64) -> Result<Network<T>> {
        let mut rng = seeded(seed);
        let init = Init::Gaussian {
            std: self.weight_init_std,
        };
        let layers = Sequential::new()
            .with(Affine::init(
                self.input_size,
                self.hidden_size,
                init,
                &mut rng,
            )?)
            .with(Relu::new())
            .with(Affine::init(
                self.hidden_size,
                self.output_size,
                init,
                &mut rng,
            )?);
        Ok(Network::new(layers).with_input_shape(vec![self.input_size]))
    }
}
