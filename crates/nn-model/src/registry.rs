//! The registry: every kind of layer, named once.
//!
//! Network files, checkpoints, `nn model layers` and the "every layer" tests
//! all go through [`layer_kinds`]. Adding a layer is its own file (the layer
//! and its [`LayerConfig`]) and one line below.

use nn_conv::{ConvolutionConfig, PoolingConfig};
use nn_core::{rng::ChaCha8Rng, Float};
use nn_layers::{
    AffineConfig, BatchNormConfig, Built, DropoutConfig, FlattenConfig, GeluConfig, LayerConfig,
    LayerSpec, LeakyReluConfig, Plan, ReluConfig, Result, SigmoidConfig, TanhConfig,
};

/// Builds a layer from its description, for inputs of a per-sample shape.
type BuildFn<T> = fn(&LayerSpec, Option<&[usize]>, &mut ChaCha8Rng) -> Result<Built<T>>;

/// One kind of layer: its name, what it computes, and how to build it from a
/// [`LayerSpec`] for element type `T`.
pub struct LayerKind<T: Float> {
    /// The kind, as in files and [`nn_layers::Layer::kind`]: `"affine"`.
    pub kind: &'static str,
    /// One line on what it computes.
    pub about: &'static str,
    build: BuildFn<T>,
    plan: fn(&LayerSpec, Option<&[usize]>) -> Result<Plan>,
    example: fn() -> (LayerSpec, Vec<usize>),
}

impl<T: Float> std::fmt::Debug for LayerKind<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerKind")
            .field("kind", &self.kind)
            .finish()
    }
}

impl<T: Float> LayerKind<T> {
    /// The entry of config type `C`.
    pub fn of<C: LayerConfig>() -> Self {
        LayerKind {
            kind: C::KIND,
            about: C::ABOUT,
            build: |spec, input, rng| spec.config::<C>()?.build(input, rng),
            plan: |spec, input| spec.config::<C>()?.plan(input),
            example: || {
                let (config, input) = C::example();
                (LayerSpec::of(&config), input)
            },
        }
    }

    /// Builds the layer `spec` describes, for inputs of per-sample shape
    /// `input` when known, drawing from `rng`.
    ///
    /// # Errors
    /// The settings' errors (a field missing or of the wrong type) and the
    /// layer's own (a size that does not fit its input).
    pub fn build(
        &self,
        spec: &LayerSpec,
        input: Option<&[usize]>,
        rng: &mut ChaCha8Rng,
    ) -> Result<Built<T>> {
        (self.build)(spec, input, rng)
    }

    /// What the layer `spec` describes would hold and give, allocating
    /// nothing (see [`LayerConfig::plan`]).
    ///
    /// # Errors
    /// As [`build`](LayerKind::build).
    pub fn plan(&self, spec: &LayerSpec, input: Option<&[usize]>) -> Result<Plan> {
        (self.plan)(spec, input)
    }

    /// A small example of the kind and an input shape it takes (for tests
    /// that run over every kind).
    pub fn example(&self) -> (LayerSpec, Vec<usize>) {
        (self.example)()
    }
}

/// Every kind of layer nn knows, in the order `nn model layers` lists them.
pub fn layer_kinds<T: Float>() -> Vec<LayerKind<T>> {
    vec![
        LayerKind::of::<AffineConfig>(),
        LayerKind::of::<ConvolutionConfig>(),
        LayerKind::of::<PoolingConfig>(),
        LayerKind::of::<FlattenConfig>(),
        LayerKind::of::<BatchNormConfig>(),
        LayerKind::of::<DropoutConfig>(),
        LayerKind::of::<ReluConfig>(),
        LayerKind::of::<LeakyReluConfig>(),
        LayerKind::of::<SigmoidConfig>(),
        LayerKind::of::<TanhConfig>(),
        LayerKind::of::<GeluConfig>(),
    ]
}

/// The kind called `kind`.
pub fn layer_kind<T: Float>(kind: &str) -> Option<LayerKind<T>> {
    layer_kinds().into_iter().find(|k| k.kind == kind)
}
