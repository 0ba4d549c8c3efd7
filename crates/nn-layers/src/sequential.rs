//! A stack of layers, itself a layer.

use std::collections::BTreeMap;

use nn_core::{Float, Param, Parameters, Tensor};

use crate::{Error, Layer, LayerSpec, Mode, RandomState, Result};

/// Layers applied in order; a [`Layer`] itself.
///
/// Each layer has a name: [`push`](Sequential::push) names it after its
/// [`kind`](Layer::kind) and how many of that kind came before (`affine1`,
/// `relu1`, `affine2`, the book's `Affine1`, `Relu1`...), and parameters are
/// visited as `name.param` (`affine1.weight`, `bn1.running_mean`). Errors
/// from a layer are wrapped with its name.
///
/// ```
/// use ndarray::array;
/// use nn_core::{init::Init, rng::seeded, Parameters};
/// use nn_layers::{Affine, Layer, Mode, Relu, Sequential};
///
/// let mut rng = seeded(0);
/// let mut net = Sequential::new()
///     .with(Affine::<f64>::init(4, 3, Init::He, &mut rng)?)
///     .with(Relu::new())
///     .with(Affine::init(3, 2, Init::He, &mut rng)?);
/// let names: Vec<String> = net.param_shapes().into_iter().map(|p| p.0).collect();
/// assert_eq!(names, ["affine1.weight", "affine1.bias", "affine2.weight", "affine2.bias"]);
/// let y = net.forward(array![[1.0, 2.0, 3.0, 4.0]].into_dyn(), Mode::Inference)?;
/// assert_eq!(y.shape(), &[1, 2]);
/// # Ok::<(), nn_layers::Error>(())
/// ```
pub struct Sequential<T: Float> {
    layers: Vec<Entry<T>>,
}

struct Entry<T: Float> {
    name: String,
    layer: Box<dyn Layer<T>>,
    trainable: bool,
}

impl<T: Float> Default for Sequential<T> {
    fn default() -> Self {
        Sequential { layers: Vec::new() }
    }
}

impl<T: Float> std::fmt::Debug for Sequential<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl<T: Float> Sequential<T> {
    /// An empty stack.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `layer`, named `{kind}{k}` where k counts layers of that kind.
    pub fn push<L: Layer<T> + 'static>(&mut self, layer: L) -> &mut Self {
        self.push_boxed(Box::new(layer))
    }

    /// [`push`](Sequential::push) for a layer already boxed (as a registry
    /// builds them).
    pub fn push_boxed(&mut self, layer: Box<dyn Layer<T>>) -> &mut Self {
        let kind = layer.kind();
        let mut k = 1 + self
            .layers
            .iter()
            .filter(|e| e.layer.kind() == kind)
            .count();
        while self.get(&format!("{kind}{k}")).is_some() {
            k += 1;
        }
        self.insert(format!("{kind}{k}"), layer);
        self
    }

    /// [`push`](Sequential::push), builder style.
    pub fn with<L: Layer<T> + 'static>(mut self, layer: L) -> Self {
        self.push(layer);
        self
    }

    /// Appends `layer` under `name`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the name is empty, contains a `.`, or is
    /// taken.
    pub fn push_named<L: Layer<T> + 'static>(&mut self, name: &str, layer: L) -> Result<&mut Self> {
        if name.is_empty() || name.contains('.') || self.get(name).is_some() {
            return Err(Error::invalid(
                "Sequential::push_named",
                format!("layer name `{name}` is empty, contains '.', or is already used"),
            ));
        }
        self.insert(name.to_string(), Box::new(layer));
        Ok(self)
    }

    fn insert(&mut self, name: String, mut layer: Box<dyn Layer<T>>) {
        let trainable = layer.trainable_count() > 0;
        self.layers.push(Entry {
            name,
            layer,
            trainable,
        });
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The layer names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.layers.iter().map(|e| e.name.as_str())
    }

    /// Each layer's description, in order.
    pub fn specs(&self) -> Vec<LayerSpec> {
        self.layers.iter().map(|e| e.layer.spec()).collect()
    }

    /// The layer called `name`.
    pub fn get(&self, name: &str) -> Option<&dyn Layer<T>> {
        self.layers
            .iter()
            .find(|e| e.name == name)
            .map(|e| &*e.layer)
    }

    /// The layer called `name`, mutably.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut (dyn Layer<T> + 'static)> {
        self.layers
            .iter_mut()
            .find(|e| e.name == name)
            .map(|e| &mut *e.layer)
    }
}

impl<T: Float> Parameters<T> for Sequential<T> {
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        for e in &mut self.layers {
            let prefix = &e.name;
            e.layer.visit_params(&mut |p| {
                let name = format!("{prefix}.{}", p.name);
                f(Param { name: &name, ..p });
            });
        }
    }
}

impl<T: Float> Sequential<T> {
    /// Every layer's random stream position ([`Layer::random_state`]), by
    /// layer name: what a checkpoint carries to resume training exactly.
    pub fn random_states(&self) -> BTreeMap<String, RandomState> {
        self.layers
            .iter()
            .filter_map(|e| Some((e.name.clone(), e.layer.random_state()?)))
            .collect()
    }

    /// Sets the random streams of the layers named in `states`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming a layer that is not here or has no
    /// random stream.
    pub fn set_random_states(&mut self, states: &BTreeMap<String, RandomState>) -> Result<()> {
        for (name, &state) in states {
            match self.layers.iter_mut().find(|e| &e.name == name) {
                Some(e) if e.layer.random_state().is_some() => e.layer.set_random_state(state),
                _ => {
                    return Err(Error::invalid(
                        "Sequential::set_random_states",
                        format!("no layer `{name}` with a random stream"),
                    ))
                }
            }
        }
        Ok(())
    }
}

impl<T: Float> Layer<T> for Sequential<T> {
    fn kind(&self) -> &'static str {
        "sequential"
    }

    /// `{ kind = "sequential", layers = [...] }`. A network's own stack is
    /// described layer by layer ([`crate::Network::layers`]); a `Sequential`
    /// nested inside it has no registered builder, so building its
    /// description fails with "unknown layer kind `sequential`".
    fn spec(&self) -> LayerSpec {
        let layers = self
            .specs()
            .into_iter()
            .filter_map(|s| serde_json::to_value(s).ok())
            .collect();
        let mut settings = serde_json::Map::new();
        settings.insert("layers".into(), serde_json::Value::Array(layers));
        LayerSpec {
            kind: "sequential".into(),
            settings,
        }
    }

    fn forward(&mut self, x: Tensor<T>, mode: Mode) -> Result<Tensor<T>> {
        self.layers.iter_mut().try_fold(x, |x, e| {
            e.layer
                .forward(x, mode)
                .map_err(|err| err.in_layer(&e.name))
        })
    }

    /// The first layer reads `x` in place when it can
    /// ([`Layer::forward_view`]); the others take their inputs by value.
    fn forward_view(&mut self, x: ndarray::ArrayViewD<'_, T>, mode: Mode) -> Result<Tensor<T>> {
        let Some((first, rest)) = self.layers.split_first_mut() else {
            return Ok(x.to_owned());
        };
        let y = first
            .layer
            .forward_view(x, mode)
            .map_err(|err| err.in_layer(&first.name))?;
        rest.iter_mut().try_fold(y, |x, e| {
            e.layer
                .forward(x, mode)
                .map_err(|err| err.in_layer(&e.name))
        })
    }

    fn backward(&mut self, dout: Tensor<T>) -> Result<Tensor<T>> {
        self.layers.iter_mut().rev().try_fold(dout, |d, e| {
            e.layer.backward(d).map_err(|err| err.in_layer(&e.name))
        })
    }

    /// Back-propagates only as far as the first layer with trainable
    /// parameters, which computes its parameter gradients but not ∂L/∂x;
    /// layers before it are skipped.
    fn backward_params_only(&mut self, dout: Tensor<T>) -> Result<()> {
        let Some(first) = self.layers.iter().position(|e| e.trainable) else {
            return Ok(());
        };
        let mut d = dout;
        for e in self.layers[first + 1..].iter_mut().rev() {
            d = e.layer.backward(d).map_err(|err| err.in_layer(&e.name))?;
        }
        let e = &mut self.layers[first];
        e.layer
            .backward_params_only(d)
            .map_err(|err| err.in_layer(&e.name))
    }

    fn set_fixed_mask(&mut self, fixed: bool) {
        for e in &mut self.layers {
            e.layer.set_fixed_mask(fixed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Affine, Dropout, Relu};
    use ndarray::array;

    fn net() -> Sequential<f64> {
        let a1 = Affine::new(array![[1.0, -1.0], [2.0, 0.5]], array![0.0, 0.1]).unwrap();
        let a2 = Affine::new(array![[1.0], [1.0]], array![0.0]).unwrap();
        Sequential::new().with(a1).with(Relu::new()).with(a2)
    }

    #[test]
    fn names_and_errors_carry_the_layer_name() {
        let mut s = net();
        assert_eq!(
            s.names().collect::<Vec<_>>(),
            ["affine1", "relu1", "affine2"]
        );
        let err = s
            .forward(array![[1.0, 2.0, 3.0]].into_dyn(), Mode::Train)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "layer `affine1`: Affine.forward: input of shape (1, 3) does not fit: expected 2 features per sample for weight of shape (2, 2)"
        );
        assert!(s.push_named("relu1", Relu::new()).is_err());
        assert!(s.push_named("a.b", Relu::new()).is_err());
        s.push_named("out", Relu::new()).unwrap();
        // The third ReLU (one of them named `out`) is `relu3`.
        s.push(Relu::new());
        assert_eq!(s.names().last(), Some("relu3"));
    }

    #[test]
    fn forward_backward_by_hand() {
        let mut s = net();
        // x = (1, 1): affine1 → (3, −0.4), relu → (3, 0), affine2 → 3.
        let y = s
            .forward(array![[1.0, 1.0]].into_dyn(), Mode::Train)
            .unwrap();
        assert_eq!(y, array![[3.0]].into_dyn());
        // dy = 1: affine2 dx = (1, 1); relu → (1, 0); affine1 dx = (1·1 + 0·−1, 1·2 + 0) = (1, 2).
        let dx = s.backward(array![[1.0]].into_dyn()).unwrap();
        assert_eq!(dx, array![[1.0, 2.0]].into_dyn());
    }

    #[test]
    fn params_only_backward_skips_layers_before_the_first_trainable_one() {
        let mut s = Sequential::new()
            .with(Dropout::new(0.5, 0).unwrap())
            .with(Affine::new(array![[1.0], [1.0]], array![0.0]).unwrap());
        s.forward(array![[1.0, 1.0]].into_dyn(), Mode::Train)
            .unwrap();
        s.backward_params_only(array![[1.0]].into_dyn()).unwrap();
        let mut grads = Vec::new();
        s.visit_params(&mut |p| grads.push((p.name.to_string(), p.grad.is_some())));
        assert_eq!(
            grads,
            [
                ("affine1.weight".into(), true),
                ("affine1.bias".into(), true)
            ]
        );
    }
}
