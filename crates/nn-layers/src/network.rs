//! A classifier: layers, softmax-with-loss on top, optional L2 weight decay.

use std::collections::BTreeMap;

use ndarray::{Axis, CowArray, Dimension, Ix2};
use nn_core::{Float, Param, ParamKind, Parameters, Tensor};

use crate::gradient_check::numerical_param_gradients;
use crate::targets::argmax;
use crate::{Error, Layer, Mode, Result, Sequential, SoftmaxWithLoss, Targets};
use nn_core::loss::Reduction;

/// Samples per forward pass in [`Network::accuracy`]: bounds the memory of
/// evaluating a large test set with a convolutional network.
pub const EVAL_BATCH: usize = 100;

/// A classification network: a [`Sequential`] stack producing class scores,
/// [`SoftmaxWithLoss`] on top, and L2 weight decay λ.
///
/// The loss is L = cross-entropy + ½λ Σ ‖W‖² over every
/// [`ParamKind::Weight`] parameter, and [`gradient`](Network::gradient) adds
/// λW to those weights' gradients to match. The book's `TwoLayerNet`,
/// `MultiLayerNet(Extend)` and the conv nets are all built as a `Network`
/// ([`crate::TwoLayerNet::build`], [`crate::MultiLayerNet::build`]).
///
/// Inputs are taken as anything that converts into a `CowArray` (`&array`,
/// `array`, `array.view()`): a borrowed input is copied once into the first
/// layer, an owned one is moved.
pub struct Network<T: Float> {
    layers: Sequential<T>,
    head: SoftmaxWithLoss<T>,
    weight_decay: f64,
    input_shape: Option<Vec<usize>>,
}

impl<T: Float> std::fmt::Debug for Network<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("layers", &self.layers)
            .field("weight_decay", &self.weight_decay)
            .field("input_shape", &self.input_shape)
            .finish()
    }
}

/// Scores as rows (samples, classes); a single sample's scores become one
/// row.
fn score_rows<T: Float>(
    scores: Tensor<T>,
    single: bool,
    layer: &'static str,
) -> Result<ndarray::Array2<T>> {
    let scores = if single {
        scores.insert_axis(Axis(0))
    } else {
        scores
    };
    let shape = nn_core::Shape::from(scores.shape());
    scores
        .into_dimensionality::<Ix2>()
        .map_err(|_| Error::BadInput {
            layer,
            got: shape,
            expected: "the network should produce (samples, classes) scores".into(),
        })
}

fn owned<'a, T: Float + 'a, D: Dimension>(x: impl Into<CowArray<'a, T, D>>) -> Tensor<T> {
    x.into().into_owned().into_dyn()
}

impl<T: Float> Network<T> {
    /// A network of `layers` with no weight decay.
    pub fn new(layers: Sequential<T>) -> Self {
        Network {
            layers,
            head: SoftmaxWithLoss::new(),
            weight_decay: 0.0,
            input_shape: None,
        }
    }

    /// Sets the L2 weight-decay coefficient λ.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless λ ≥ 0 and finite.
    pub fn with_weight_decay(mut self, lambda: f64) -> Result<Self> {
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(Error::invalid(
                "Network::with_weight_decay",
                format!("λ must be finite and ≥ 0, got {lambda}"),
            ));
        }
        self.weight_decay = lambda;
        Ok(self)
    }

    /// Records the shape of one input sample (`[1, 28, 28]`, `[784]`), which
    /// the network's description carries (builders set it).
    pub fn with_input_shape(mut self, shape: Vec<usize>) -> Self {
        self.input_shape = Some(shape);
        self
    }

    /// The shape of one input sample, when known.
    pub fn input_shape(&self) -> Option<&[usize]> {
        self.input_shape.as_deref()
    }

    /// Every parameter and running statistic by name (the PyTorch
    /// `state_dict`): `affine1.weight`, `bn1.gamma`, `bn1.running_mean`...
    pub fn state(&mut self) -> BTreeMap<String, Tensor<T>> {
        let mut out = BTreeMap::new();
        self.visit_params(&mut |p| {
            out.insert(p.name.to_string(), p.value.to_owned());
        });
        out
    }

    /// Sets every parameter and running statistic from `state`, a name →
    /// tensor map like [`state`](Network::state)'s. Nothing changes unless
    /// every name is there with its shape and there is no other name.
    ///
    /// # Errors
    /// [`Error::State`] listing every missing, extra and mis-shaped name.
    pub fn load_state(&mut self, state: &BTreeMap<String, Tensor<T>>) -> Result<()> {
        let mut problems = Vec::new();
        let mut expected = Vec::new();
        self.visit_params(&mut |p| {
            match state.get(p.name) {
                None => problems.push(format!(
                    "{} {} is missing",
                    p.name,
                    nn_core::Shape::from(p.value.shape())
                )),
                Some(t) if t.shape() != p.value.shape() => problems.push(format!(
                    "{} is {} in the state but {} in the network",
                    p.name,
                    nn_core::Shape::from(t.shape()),
                    nn_core::Shape::from(p.value.shape())
                )),
                Some(_) => {}
            }
            expected.push(p.name.to_string());
        });
        for (name, t) in state {
            if !expected.contains(name) {
                problems.push(format!(
                    "{name} {} is not in the network",
                    nn_core::Shape::from(t.shape())
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Error::State(problems));
        }
        self.visit_params(&mut |mut p| p.value.assign(&state[p.name]));
        Ok(())
    }

    /// λ.
    pub fn weight_decay(&self) -> f64 {
        self.weight_decay
    }

    /// The layers.
    pub fn layers(&self) -> &Sequential<T> {
        &self.layers
    }

    /// The layers, mutably.
    pub fn layers_mut(&mut self) -> &mut Sequential<T> {
        &mut self.layers
    }

    /// Class scores (before softmax) in the given mode.
    ///
    /// # Errors
    /// A layer's error, wrapped with its name.
    pub fn forward(&mut self, x: Tensor<T>, mode: Mode) -> Result<Tensor<T>> {
        self.layers.forward(x, mode)
    }

    /// Class scores for `x` in inference mode: (N, classes), or (classes,) for
    /// a single sample.
    ///
    /// # Errors
    /// A layer's error, wrapped with its name.
    pub fn predict<'a, D: Dimension>(
        &mut self,
        x: impl Into<CowArray<'a, T, D>>,
    ) -> Result<Tensor<T>>
    where
        T: 'a,
    {
        let x = x.into();
        if x.is_view() {
            self.layers
                .forward_view(x.view().into_dyn(), Mode::Inference)
        } else {
            self.forward(x.into_owned().into_dyn(), Mode::Inference)
        }
    }

    /// The loss in inference mode (the book's `loss`).
    ///
    /// # Errors
    /// Shape and label errors.
    pub fn loss<'a, 't, D: Dimension>(
        &mut self,
        x: impl Into<CowArray<'a, T, D>>,
        t: impl Into<Targets<'t, T>>,
    ) -> Result<T>
    where
        T: 'a + 't,
    {
        self.loss_in(owned(x), t.into(), Mode::Inference)
    }

    /// The cross-entropy of each sample in inference mode, without weight
    /// decay (PyTorch's `reduction="none"`): which samples the network gets
    /// most wrong.
    ///
    /// # Errors
    /// Shape and label errors.
    pub fn sample_losses<'a, 't, D: Dimension>(
        &mut self,
        x: impl Into<CowArray<'a, T, D>>,
        t: impl Into<Targets<'t, T>>,
    ) -> Result<ndarray::Array1<T>>
    where
        T: 'a + 't,
    {
        let scores = self.forward(owned(x), Mode::Inference)?;
        let losses = self.head.forward_with(scores, t, Reduction::None)?;
        Ok(losses
            .into_dimensionality()
            .expect("Reduction::None gives one loss per sample"))
    }

    /// The loss L = cross-entropy + ½λ Σ‖W‖² in the given mode.
    ///
    /// # Errors
    /// Shape and label errors.
    pub fn loss_in(&mut self, x: Tensor<T>, t: Targets<'_, T>, mode: Mode) -> Result<T> {
        let scores = self.forward(x, mode)?;
        let data = self.head.forward(scores, t)?;
        Ok(data + self.decay_term())
    }

    fn decay_term(&mut self) -> T {
        if self.weight_decay == 0.0 {
            return T::zero();
        }
        let mut sum = T::zero();
        self.layers.visit_params(&mut |p| {
            if p.kind == ParamKind::Weight {
                sum += p.value.iter().map(|&w| w * w).sum::<T>();
            }
        });
        T::cast(0.5 * self.weight_decay) * sum
    }

    /// Fraction of samples whose highest score is the target class, in
    /// inference mode, evaluated [`EVAL_BATCH`] samples at a time.
    ///
    /// # Errors
    /// Shape and label errors.
    pub fn accuracy<'a, 't, D: Dimension>(
        &mut self,
        x: impl Into<CowArray<'a, T, D>>,
        t: impl Into<Targets<'t, T>>,
    ) -> Result<f64>
    where
        T: 'a + 't,
    {
        let x = x.into().into_dyn();
        let t = t.into();
        let single = x.ndim() == 1;
        let n = if single { 1 } else { x.shape()[0] };
        let labels = match &t {
            Targets::Labels(l) => l.len(),
            Targets::OneHot(o) => o.nrows(),
        };
        if labels != n {
            return Err(Error::Core(nn_core::Error::LabelCount {
                op: "Network::accuracy",
                labels,
                batch: n,
                scores: nn_core::Shape::from(x.shape()),
            }));
        }
        if n == 0 {
            return Ok(0.0);
        }
        let mut correct = 0;
        for start in (0..n).step_by(EVAL_BATCH) {
            let end = (start + EVAL_BATCH).min(n);
            let chunk = if single {
                x.view()
            } else {
                x.slice_axis(Axis(0), (start..end).into())
            };
            let scores = self.layers.forward_view(chunk, Mode::Inference)?;
            let scores = score_rows(scores, single, "Network")?;
            let chunk_t = t.slice(start, end);
            chunk_t.check("Network::accuracy", scores.shape()[0], scores.shape()[1])?;
            correct += scores
                .outer_iter()
                .enumerate()
                .filter(|(i, row)| argmax(row.view()) == chunk_t.class(*i))
                .count();
        }
        Ok(correct as f64 / n as f64)
    }

    /// Back-propagation: a training-mode forward pass and a backward pass that
    /// leave ∂L/∂θ in every layer (lent by [`Parameters::visit_params`], copied
    /// by [`grads`](Network::grads)), λW added for weights. Returns the loss.
    ///
    /// # Errors
    /// Shape and label errors.
    pub fn gradient<'a, 't, D: Dimension>(
        &mut self,
        x: impl Into<CowArray<'a, T, D>>,
        t: impl Into<Targets<'t, T>>,
    ) -> Result<T>
    where
        T: 'a + 't,
    {
        let loss = self.loss_in(owned(x), t.into(), Mode::Train)?;
        let dout = self.head.backward()?;
        self.layers.backward_params_only(dout)?;
        if self.weight_decay != 0.0 {
            let lambda = T::cast(self.weight_decay);
            self.layers.visit_params(&mut |p| {
                if let (ParamKind::Weight, Some(mut g)) = (p.kind, p.grad) {
                    g.scaled_add(lambda, &p.value);
                }
            });
        }
        Ok(loss)
    }

    /// ∂L/∂θ by central differences for every trainable parameter (the book's
    /// `numerical_gradient`), with the training-mode loss. Slow: two forward
    /// passes per scalar parameter. Fix dropout masks first
    /// ([`set_fixed_masks`](Network::set_fixed_masks)) if the network has any.
    ///
    /// # Errors
    /// Shape and label errors.
    pub fn numerical_gradient<'a, 't, D: Dimension>(
        &mut self,
        x: impl Into<CowArray<'a, T, D>>,
        t: impl Into<Targets<'t, T>>,
    ) -> Result<BTreeMap<String, Tensor<T>>>
    where
        T: 'a + 't,
    {
        let x = owned(x);
        let t = t.into();
        numerical_param_gradients(self, |net| net.loss_in(x.clone(), t, Mode::Train))
    }

    /// Copies of the gradients of the last [`gradient`](Network::gradient)
    /// call, by parameter name.
    pub fn grads(&mut self) -> BTreeMap<String, Tensor<T>> {
        let mut out = BTreeMap::new();
        self.visit_params(&mut |p| {
            if let Some(g) = p.grad {
                out.insert(p.name.to_string(), g.to_owned());
            }
        });
        out
    }

    /// Class probabilities: the softmax of [`predict`](Network::predict)'s
    /// scores, one row per sample, (N, classes); a single sample (a 1-D row
    /// or a 3-D image) gives one row.
    ///
    /// ```
    /// # let mut net = nn_layers::Network::<f32>::new(nn_layers::Sequential::new().with(
    /// #     nn_layers::Affine::new(ndarray::Array2::ones((4, 3)), ndarray::Array1::zeros(3)).unwrap()));
    /// let p = net.predict_proba(&ndarray::Array2::<f32>::ones((2, 4)))?;
    /// assert_eq!(p.dim(), (2, 3));
    /// assert!((p.row(0).sum() - 1.0).abs() < 1e-6);
    /// # Ok::<(), nn_layers::Error>(())
    /// ```
    ///
    /// # Errors
    /// A layer's error; [`Error::BadInput`] when the scores are not one row
    /// per sample.
    pub fn predict_proba<'a, D: Dimension>(
        &mut self,
        x: impl Into<CowArray<'a, T, D>>,
    ) -> Result<ndarray::Array2<T>>
    where
        T: 'a,
    {
        let x = x.into();
        let single = self
            .input_shape
            .as_ref()
            .map_or(x.ndim() == 1, |s| s.len() == x.ndim());
        let scores = score_rows(self.predict(x)?, single, "Network::predict_proba")?;
        Ok(nn_core::softmax(&scores)?)
    }

    /// The most likely class of each sample (the first on ties).
    ///
    /// # Errors
    /// As [`predict_proba`](Network::predict_proba).
    pub fn classify<'a, D: Dimension>(
        &mut self,
        x: impl Into<CowArray<'a, T, D>>,
    ) -> Result<Vec<usize>>
    where
        T: 'a,
    {
        Ok(self
            .predict_proba(x)?
            .outer_iter()
            .map(|row| argmax(row))
            .collect())
    }

    /// The `k` most likely classes of each sample with their probabilities,
    /// most likely first.
    ///
    /// # Errors
    /// As [`predict_proba`](Network::predict_proba).
    pub fn top_k<'a, D: Dimension>(
        &mut self,
        x: impl Into<CowArray<'a, T, D>>,
        k: usize,
    ) -> Result<Vec<Vec<(usize, T)>>>
    where
        T: 'a,
    {
        Ok(self
            .predict_proba(x)?
            .outer_iter()
            .map(|row| {
                let mut ranked: Vec<(usize, T)> = row.iter().copied().enumerate().collect();
                // Stable: equal probabilities keep class order.
                ranked.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
                ranked.truncate(k);
                ranked
            })
            .collect())
    }

    /// The mean cross-entropy (without weight decay) and the accuracy over
    /// `x`, in inference mode, [`EVAL_BATCH`] samples at a time, with one
    /// forward pass per batch: what a validation set is measured by.
    ///
    /// # Errors
    /// Shape and label errors.
    pub fn loss_and_accuracy(
        &mut self,
        x: ndarray::ArrayViewD<'_, T>,
        labels: &[usize],
    ) -> Result<(f64, f64)> {
        let n = x.shape().first().copied().unwrap_or(0);
        if labels.len() != n || x.ndim() < 2 {
            return Err(Error::Core(nn_core::Error::LabelCount {
                op: "Network::loss_and_accuracy",
                labels: labels.len(),
                batch: n,
                scores: nn_core::Shape::from(x.shape()),
            }));
        }
        let (mut loss, mut correct) = (0.0, 0usize);
        for start in (0..n).step_by(EVAL_BATCH) {
            let end = (start + EVAL_BATCH).min(n);
            let scores = self
                .layers
                .forward_view(x.slice_axis(Axis(0), (start..end).into()), Mode::Inference)?;
            let t = &labels[start..end];
            let rows = score_rows(scores, false, "Network::loss_and_accuracy")?;
            correct += rows
                .outer_iter()
                .zip(t)
                .filter(|(row, &c)| argmax(*row) == c)
                .count();
            let losses = self
                .head
                .forward_with(rows.into_dyn(), t, Reduction::None)?;
            loss += losses.iter().map(|l| l.as_f64()).sum::<f64>();
        }
        let n = n.max(1) as f64;
        Ok((loss / n, correct as f64 / n))
    }

    /// Every dropout layer's random stream position, by layer name
    /// ([`Sequential::random_states`]).
    pub fn random_states(&self) -> BTreeMap<String, crate::RandomState> {
        self.layers.random_states()
    }

    /// Sets the random streams [`random_states`](Network::random_states) gave.
    ///
    /// # Errors
    /// As [`Sequential::set_random_states`].
    pub fn set_random_states(
        &mut self,
        states: &BTreeMap<String, crate::RandomState>,
    ) -> Result<()> {
        self.layers.set_random_states(states)
    }

    /// Fixes (or releases) every dropout mask; see [`Layer::set_fixed_mask`].
    pub fn set_fixed_masks(&mut self, fixed: bool) {
        self.layers.set_fixed_mask(fixed);
    }
}

impl<T: Float> Parameters<T> for Network<T> {
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        self.layers.visit_params(f);
    }
}
