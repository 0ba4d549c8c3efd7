//! The `Layer` trait and the training/inference `Mode`.

use ndarray::ArrayViewD;
use nn_core::{Float, Parameters, Tensor};

use crate::{LayerSpec, Result};

/// Whether a forward pass is part of training.
///
/// It changes what some layers compute (batch norm uses batch statistics and
/// updates its running ones; dropout drops) and whether layers keep what
/// `backward` needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Training: caches for backward, batch statistics, dropout active.
    Train,
    /// Inference: no caches, running statistics, no dropout.
    Inference,
}

/// A layer with a hand-written forward and backward pass, in the book's
/// spirit: `forward` keeps what `backward` needs; `backward` turns ∂L/∂out
/// into ∂L/∂in and stores the gradients of the layer's parameters, which
/// [`Parameters::visit_params`] lends out by name.
///
/// Both passes **take their tensor by value**: a layer can keep its input for
/// backward without copying it, and activations can work in place. A caller
/// that wants to keep its tensor passes a clone; the caller's `dout` is never
/// modified behind its back (the notes' ReLU writes into `dout`; here it
/// cannot).
///
/// Required: [`kind`](Layer::kind), [`spec`](Layer::spec),
/// [`forward`](Layer::forward), [`backward`](Layer::backward), and an
/// `impl Parameters` (with an empty `visit_params` for layers without
/// parameters). The rest is provided: `forward_view`,
/// `backward_params_only` and `set_fixed_mask` have defaults that a layer
/// overrides when it can do better.
///
/// # Example
/// ```
/// use ndarray::array;
/// use nn_core::Parameters;
/// use nn_layers::{Affine, Layer, Mode};
///
/// let mut affine = Affine::new(array![[1.0, 2.0], [3.0, 4.0]], array![0.5, -0.5])?;
/// let y = affine.forward(array![[1.0, 1.0]].into_dyn(), Mode::Train)?;
/// assert_eq!(y, array![[4.5, 5.5]].into_dyn());
/// let dx = affine.backward(array![[1.0, 0.0]].into_dyn())?;
/// assert_eq!(dx, array![[1.0, 3.0]].into_dyn()); // dout · Wᵀ
/// assert_eq!(affine.param_shapes().len(), 2); // weight, bias
/// # Ok::<(), nn_layers::Error>(())
/// ```
pub trait Layer<T: Float>: Parameters<T> + Send {
    /// A short lowercase name of the layer type (`"affine"`, `"relu"`,
    /// `"bn"`...). [`crate::Sequential`] names layers `affine1`, `affine2`...
    fn kind(&self) -> &'static str;

    /// The layer as data: its kind and settings, from which its
    /// [`LayerConfig`](crate::LayerConfig) builds it again (with new weights;
    /// the weights travel by name, through [`Parameters`]).
    fn spec(&self) -> LayerSpec;

    /// The output for input `x`. In [`Mode::Train`] the layer keeps what
    /// `backward` needs.
    ///
    /// # Errors
    /// When `x` has a shape the layer cannot take.
    fn forward(&mut self, x: Tensor<T>, mode: Mode) -> Result<Tensor<T>>;

    /// [`forward`](Layer::forward) of a borrowed input, for callers that keep
    /// their batch ([`crate::Network::predict`], `accuracy`). The default
    /// copies `x`; layers that only read their input when they keep nothing
    /// for backward (affine and convolution in [`Mode::Inference`]) read it
    /// in place.
    ///
    /// # Errors
    /// As [`forward`](Layer::forward).
    fn forward_view(&mut self, x: ArrayViewD<'_, T>, mode: Mode) -> Result<Tensor<T>> {
        self.forward(x.to_owned(), mode)
    }

    /// ∂L/∂x from ∂L/∂out (`dout`, in the forward output's shape), in the
    /// forward input's shape. Stores the parameter gradients.
    ///
    /// # Errors
    /// When no training-mode forward came before, or `dout` has the wrong shape.
    fn backward(&mut self, dout: Tensor<T>) -> Result<Tensor<T>>;

    /// Like [`backward`](Layer::backward) but only the parameter gradients are
    /// needed: the layer is the first of its network and ∂L/∂x would be thrown
    /// away. Layers for which ∂L/∂x is real work (affine, convolution)
    /// skip it.
    ///
    /// # Errors
    /// As [`backward`](Layer::backward).
    fn backward_params_only(&mut self, dout: Tensor<T>) -> Result<()> {
        self.backward(dout).map(drop)
    }

    /// While `fixed`, a layer that draws random masks (dropout) reuses its last
    /// mask in training-mode forwards instead of drawing a new one: what a
    /// gradient check needs, since it evaluates the same loss many times.
    fn set_fixed_mask(&mut self, fixed: bool) {
        let _ = fixed;
    }

    /// The layer's own random stream (dropout's masks): its seed and how
    /// far it has gone, so that a checkpoint can carry it and a resumed run
    /// draws the same masks as an uninterrupted one; `None` for a layer
    /// without one.
    fn random_state(&self) -> Option<RandomState> {
        None
    }

    /// Puts the layer's random stream where `state` says, a value
    /// [`random_state`](Layer::random_state) gave.
    fn set_random_state(&mut self, state: RandomState) {
        let _ = state;
    }
}

/// Where a layer's random stream stands: the seed it was made from and the
/// position in the stream (ChaCha8's word position). Written `SEED:POSITION`
/// in checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomState {
    /// The stream's seed ([`nn_core::rng::seeded`]).
    pub seed: u64,
    /// How many 32-bit words have been drawn.
    pub position: u128,
}

impl std::fmt::Display for RandomState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seed, self.position)
    }
}

impl std::str::FromStr for RandomState {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (seed, position) = s
            .split_once(':')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
            .ok_or_else(|| format!("`{s}` is not SEED:POSITION"))?;
        Ok(RandomState { seed, position })
    }
}
