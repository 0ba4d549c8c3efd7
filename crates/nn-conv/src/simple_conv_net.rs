//! The book's `SimpleConvNet`.

use nn_core::{init::Init, rng::seeded, Float};
use nn_layers::{Affine, Network, Relu, Result, Sequential};

use crate::{Convolution, Geometry, Pooling};

/// The book's simple convolutional network (chapter 7):
/// conv (30 filters 5×5, stride 1, pad 0) → ReLU → max-pool 2×2 stride 2 →
/// Affine 100 → ReLU → Affine 10 → SoftmaxWithLoss, weights N(0, 0.01²).
///
/// ReLU → max-pool is built as max-pool → ReLU: the same function and the
/// same gradients, bit for bit (max-pooling commutes with any non-decreasing
/// activation, and both orders send the gradient to the window's first
/// maximum when it is positive, and nowhere otherwise), with the ReLU on a
/// quarter of the values. Layers without parameters only change places, so
/// parameter names are unaffected.
///
/// A description, built into a [`Network`] by [`build`](SimpleConvNet::build).
/// Layer names: `conv1`, `pool1`, `relu1`, `affine1`, `relu2`, `affine2`.
///
/// ```
/// use nn_conv::SimpleConvNet;
///
/// let mut net = SimpleConvNet::default().build::<f32>(0)?;
/// let x = ndarray::Array4::<f32>::zeros((2, 1, 28, 28));
/// assert_eq!(net.predict(&x)?.shape(), &[2, 10]);
/// # Ok::<(), nn_layers::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SimpleConvNet {
    /// Input (C, H, W).
    pub input_dim: [usize; 3],
    /// Convolution filters.
    pub filter_num: usize,
    /// Filter height and width.
    pub filter_size: usize,
    /// Convolution padding.
    pub pad: usize,
    /// Convolution stride.
    pub stride: usize,
    /// Units of the hidden affine layer.
    pub hidden_size: usize,
    /// Classes.
    pub output_size: usize,
    /// Standard deviation of the initial weights.
    pub weight_init_std: f64,
}

impl Default for SimpleConvNet {
    fn default() -> Self {
        SimpleConvNet {
            input_dim: [1, 28, 28],
            filter_num: 30,
            filter_size: 5,
            pad: 0,
            stride: 1,
            hidden_size: 100,
            output_size: 10,
            weight_init_std: 0.01,
        }
    }
}

impl SimpleConvNet {
    /// Builds the network with weights drawn from `seed`.
    ///
    /// # Errors
    /// A geometry with no output, zero sizes, an invalid std.
    pub fn build<T: Float>(&self, seed: u64) -> Result<Network<T>> {
        let mut rng = seeded(seed);
        let init = Init::Gaussian {
            std: self.weight_init_std,
        };
        let [c, h, w] = self.input_dim;
        let k = self.filter_size;
        let conv = Geometry::new("SimpleConvNet", [c, h, w], [k, k], self.stride, self.pad)?;
        let pool = Geometry::new(
            "SimpleConvNet",
            [self.filter_num, conv.out_h, conv.out_w],
            [2, 2],
            2,
            0,
        )?;
        let flat = self.filter_num * pool.out_h * pool.out_w;
        let layers = Sequential::new()
            .with(Convolution::init(
                c,
                self.filter_num,
                [k, k],
                self.stride,
                self.pad,
                init,
                &mut rng,
            )?)
            .with(Pooling::max(2, 2, 2, 0)?)
            .with(Relu::new())
            .with(Affine::init(flat, self.hidden_size, init, &mut rng)?)
            .with(Relu::new())
            .with(Affine::init(
                self.hidden_size,
                self.output_size,
                init,
                &mut rng,
            )?);
        Ok(Network::new(layers).with_input_shape(self.input_dim.to_vec()))
    }
}
