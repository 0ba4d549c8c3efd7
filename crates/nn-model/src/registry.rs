//! The registry: every kind of layer, named once.
//!
//! Network files, checkpoints, `nn model layers` and the "every layer" tests
//! all go through [`layer_kinds`]. Adding a layer is its own file (the layer
//! and its [`LayerConfig`]) and one line in [`registry`].
//!
//! The list is walked two ways: [`layer_kinds`] makes the full entries, a
//! builder for the element type asked for; planning a network (its
//! parameters' shapes, its output's) walks it for the plans alone. Planning
//! is what this crate itself does, so it compiles no layer's forward and
//! backward: those are compiled once, in the crate that builds networks of
//! a given element type (in a cold release build of `nn` this crate took
//! 9.9 s of CPU, most of it compiling every layer for `f32` only to plan).

use nn_conv::{ConvolutionConfig, PoolingConfig};
use nn_core::{rng::ChaCha8Rng, Float};
use nn_layers::{
    AffineConfig, BatchNormConfig, Built, DropoutConfig, FlattenConfig, GeluConfig, LayerConfig,
    LayerSpec, LeakyReluConfig, Plan, ReluConfig, Result, SigmoidConfig, TanhConfig,
};

/// Builds a layer from its description, for inputs of a per-sample shape.
type BuildFn<T> = fn(&LayerSpec, Option<&[usize]>, &mut ChaCha8Rng) -> Result<Built<T>>;

/// Plans a layer from its description (see [`LayerConfig::plan`]).
type PlanFn = fn(&LayerSpec, Option<&[usize]>) -> Result<Plan>;

/// One kind of layer: its name, what it computes, and how to build it from a
/// [`LayerSpec`] for element type `T`.
pub struct LayerKind<T: Float> {
    /// The kind, as in files and [`nn_layers::Layer::kind`]: `"affine"`.
    pub kind: &'static str,
    /// One line on what it computes.
    pub about: &'static str,
    build: BuildFn<T>,
    plan: PlanFn,
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
            plan: plan::<C>,
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

/// Every kind of layer nn knows, in the order `nn model layers` lists them:
/// the registry.
fn registry(each: &mut impl Register) {
    each.kind::<AffineConfig>();
    each.kind::<ConvolutionConfig>();
    each.kind::<PoolingConfig>();
    each.kind::<FlattenConfig>();
    each.kind::<BatchNormConfig>();
    each.kind::<DropoutConfig>();
    each.kind::<ReluConfig>();
    each.kind::<LeakyReluConfig>();
    each.kind::<SigmoidConfig>();
    each.kind::<TanhConfig>();
    each.kind::<GeluConfig>();
}

/// A walk over the [`registry`], called once per config type.
trait Register {
    fn kind<C: LayerConfig>(&mut self);
}

/// Every kind of layer nn knows, in the order `nn model layers` lists them.
pub fn layer_kinds<T: Float>() -> Vec<LayerKind<T>> {
    struct Kinds<T: Float>(Vec<LayerKind<T>>);
    impl<T: Float> Register for Kinds<T> {
        fn kind<C: LayerConfig>(&mut self) {
            self.0.push(LayerKind::of::<C>());
        }
    }
    let mut kinds = Kinds(Vec::new());
    registry(&mut kinds);
    kinds.0
}

/// The kind called `kind`.
pub fn layer_kind<T: Float>(kind: &str) -> Option<LayerKind<T>> {
    layer_kinds().into_iter().find(|k| k.kind == kind)
}

/// An entry of the registry, as [`NetworkSpec`](crate::NetworkSpec)'s walk
/// over a network's layers finds it: by its kind's name.
pub(crate) trait Entry {
    /// The kind, as in files: `"affine"`.
    fn kind(&self) -> &'static str;
}

impl<T: Float> Entry for LayerKind<T> {
    fn kind(&self) -> &'static str {
        self.kind
    }
}

impl Entry for Planner {
    fn kind(&self) -> &'static str {
        self.kind
    }
}

/// A kind of layer as planning sees it: its name and its plan, no builder.
pub(crate) struct Planner {
    kind: &'static str,
    plan: PlanFn,
}

impl Planner {
    /// As [`LayerKind::plan`].
    pub(crate) fn plan(&self, spec: &LayerSpec, input: Option<&[usize]>) -> Result<Plan> {
        (self.plan)(spec, input)
    }
}

/// Every kind of layer, for planning, in the registry's order.
pub(crate) fn planners() -> Vec<Planner> {
    struct Planners(Vec<Planner>);
    impl Register for Planners {
        fn kind<C: LayerConfig>(&mut self) {
            self.0.push(Planner {
                kind: C::KIND,
                plan: plan::<C>,
            });
        }
    }
    let mut planners = Planners(Vec::new());
    registry(&mut planners);
    planners.0
}

/// Plans the layer of config type `C` that `spec` describes.
fn plan<C: LayerConfig>(spec: &LayerSpec, input: Option<&[usize]>) -> Result<Plan> {
    spec.config::<C>()?.plan(input)
}
