//! Batch normalisation.

use ndarray::{Array1, Array3, Axis, IxDyn, Zip};
use nn_core::{Float, Param, ParamKind, Parameters, Shape, Tensor};

use crate::error::check_shape;
use crate::reshape::reshaped;
use crate::spec::{reconcile, Built, LayerConfig, LayerSpec, Plan};
use crate::{Error, Layer, Mode, Result};

/// The settings of a [`BatchNorm`] layer:
/// `{ kind = "bn", features = 30, eps = 1e-5, momentum = 0.9 }`.
///
/// Whether it normalises per feature or per channel follows its input: per
/// feature for (N, D) rows, per channel for (N, C, H, W) images, so
/// `features` is D or C, and is inferred from the input shape when absent.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchNormConfig {
    /// Features (of rows) or channels (of images).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<usize>,
    /// ε; default [`BATCH_NORM_EPS`].
    #[serde(default = "default_eps")]
    pub eps: f64,
    /// Momentum of the running statistics; default [`BATCH_NORM_MOMENTUM`].
    #[serde(default = "default_momentum")]
    pub momentum: f64,
}

fn default_eps() -> f64 {
    BATCH_NORM_EPS
}

fn default_momentum() -> f64 {
    BATCH_NORM_MOMENTUM
}

impl LayerConfig for BatchNormConfig {
    const KIND: &'static str = "bn";
    const ABOUT: &'static str =
        "batch normalisation, per feature of (N, D) rows or per channel of (N, C, H, W) images";

    fn build<T: Float>(
        &self,
        input: Option<&[usize]>,
        _: &mut nn_core::rng::ChaCha8Rng,
    ) -> Result<Built<T>> {
        let features = self.plan(input)?.params[0].1[0];
        let layer = BatchNorm::new(features)
            .with_eps(self.eps)?
            .with_momentum(self.momentum)?;
        Ok(Built::same_shape(layer, input))
    }

    fn plan(&self, input: Option<&[usize]>) -> Result<Plan> {
        let provided = match input {
            Some(shape @ ([_] | [_, _, _])) => Some((shape[0], shape)),
            Some(shape) => {
                return Err(Error::Description(format!(
                    "takes (D,) rows or (C, H, W) images per sample, but its input is {}",
                    Shape::from(shape)
                )))
            }
            None => None,
        };
        let features = reconcile("features", self.features, provided)?;
        Ok(Plan {
            params: ["gamma", "beta", "running_mean", "running_var"]
                .into_iter()
                .map(|name| (name, vec![features]))
                .collect(),
            output: input.map(<[usize]>::to_vec),
        })
    }

    fn example() -> (Self, Vec<usize>) {
        let config = BatchNormConfig {
            features: None,
            eps: BATCH_NORM_EPS,
            momentum: BATCH_NORM_MOMENTUM,
        };
        (config, vec![2, 2, 2])
    }
}

/// The default ε of [`BatchNorm`]: 10⁻⁵.
///
/// The book writes `10e-7`, which is 10⁻⁶ (probably meant as 10⁻⁷). Any small
/// value works; nn uses PyTorch's 10⁻⁵ so that models and results compare
/// directly. [`BatchNorm::with_eps`] sets another.
pub const BATCH_NORM_EPS: f64 = 1e-5;

/// The default momentum of the running statistics: 0.9, the book's.
pub const BATCH_NORM_MOMENTUM: f64 = 0.9;

/// Batch normalisation (Ioffe & Szegedy, 2015).
///
/// Training, over the m values of each feature in the batch:
/// μ = (1/m) Σ xᵢ, σ² = (1/m) Σ (xᵢ − μ)², x̂ᵢ = (xᵢ − μ)/√(σ² + ε), yᵢ = γ·x̂ᵢ + β,
/// and the running statistics move towards the batch's:
/// running_mean ← momentum·running_mean + (1 − momentum)·μ (likewise the
/// variance, with the biased σ² as the book does).
/// Inference uses the running statistics in place of μ and σ².
///
/// Backward: ∂L/∂β = Σ g, ∂L/∂γ = Σ g·x̂,
/// ∂L/∂x = γ/(m·√(σ² + ε)) · (m·g − Σ g − x̂·Σ g·x̂).
///
/// A feature is a column of a 2-D input (N, D) and a channel of a 4-D input
/// (N, C, H, W), whose statistics are taken over N, H and W (the usual
/// spatial batch norm; the book's code flattens images and normalises each
/// pixel separately). A 1-D (D,) or 3-D (C, H, W) input is a single sample.
/// Parameters: `gamma`, `beta` (trainable), `running_mean`, `running_var`
/// (buffers). The running variance starts at 1 (the book starts it at 0, which
/// makes inference before any training divide by √ε).
#[derive(Debug, Clone)]
pub struct BatchNorm<T: Float> {
    gamma: Array1<T>,
    beta: Array1<T>,
    running_mean: Array1<T>,
    running_var: Array1<T>,
    dgamma: Array1<T>,
    dbeta: Array1<T>,
    has_grad: bool,
    momentum: T,
    eps: T,
    /// (ε, momentum) as given, for [`Layer::spec`].
    settings: (f64, f64),
    cache: Option<Cache<T>>,
}

#[derive(Debug, Clone)]
struct Cache<T> {
    xhat: Array3<T>,
    inv_std: Array1<T>,
    input_shape: Vec<usize>,
}

impl<T: Float> BatchNorm<T> {
    /// Batch norm over `features` features (or channels): γ = 1, β = 0.
    pub fn new(features: usize) -> Self {
        BatchNorm {
            gamma: Array1::ones(features),
            beta: Array1::zeros(features),
            running_mean: Array1::zeros(features),
            running_var: Array1::ones(features),
            dgamma: Array1::zeros(features),
            dbeta: Array1::zeros(features),
            has_grad: false,
            momentum: T::cast(BATCH_NORM_MOMENTUM),
            eps: T::cast(BATCH_NORM_EPS),
            settings: (BATCH_NORM_EPS, BATCH_NORM_MOMENTUM),
            cache: None,
        }
    }

    /// Sets the running-statistics momentum.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless 0 ≤ `momentum` ≤ 1.
    pub fn with_momentum(mut self, momentum: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&momentum) {
            return Err(Error::invalid(
                "BatchNorm::with_momentum",
                format!("momentum must be in [0, 1], got {momentum}"),
            ));
        }
        self.momentum = T::cast(momentum);
        self.settings.1 = momentum;
        Ok(self)
    }

    /// Sets ε.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `eps` > 0 and finite.
    pub fn with_eps(mut self, eps: f64) -> Result<Self> {
        if !(eps.is_finite() && eps > 0.0) {
            return Err(Error::invalid(
                "BatchNorm::with_eps",
                format!("eps must be > 0, got {eps}"),
            ));
        }
        self.eps = T::cast(eps);
        self.settings.0 = eps;
        Ok(self)
    }

    /// Number of features (channels).
    pub fn features(&self) -> usize {
        self.gamma.len()
    }

    /// The running mean and variance.
    pub fn running_stats(&self) -> (&Array1<T>, &Array1<T>) {
        (&self.running_mean, &self.running_var)
    }

    /// (N, C, S) for an input shape, or the error.
    fn layout(&self, shape: &[usize]) -> Result<(usize, usize, usize)> {
        let (n, c, s) = match shape {
            [c] => (1, *c, 1),
            [n, c] => (*n, *c, 1),
            [c, h, w] => (1, *c, h * w),
            [n, c, h, w] => (*n, *c, h * w),
            _ => (0, 0, 0),
        };
        if c != self.features() || c == 0 {
            return Err(Error::BadInput {
                layer: "BatchNorm",
                got: Shape::from(shape),
                expected: format!(
                    "expected (N, {f}) or (N, {f}, H, W) for {f} features",
                    f = self.features()
                ),
            });
        }
        Ok((n, c, s))
    }
}

impl<T: Float> Parameters<T> for BatchNorm<T> {
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        let g = self.has_grad;
        f(Param {
            name: "gamma",
            kind: ParamKind::Trainable,
            value: self.gamma.view_mut().into_dyn(),
            grad: g.then(|| self.dgamma.view_mut().into_dyn()),
        });
        f(Param {
            name: "beta",
            kind: ParamKind::Trainable,
            value: self.beta.view_mut().into_dyn(),
            grad: g.then(|| self.dbeta.view_mut().into_dyn()),
        });
        f(Param {
            name: "running_mean",
            kind: ParamKind::Buffer,
            value: self.running_mean.view_mut().into_dyn(),
            grad: None,
        });
        f(Param {
            name: "running_var",
            kind: ParamKind::Buffer,
            value: self.running_var.view_mut().into_dyn(),
            grad: None,
        });
    }
}

impl<T: Float> Layer<T> for BatchNorm<T> {
    fn kind(&self) -> &'static str {
        BatchNormConfig::KIND
    }

    fn spec(&self) -> LayerSpec {
        LayerSpec::of(&BatchNormConfig {
            features: Some(self.features()),
            eps: self.settings.0,
            momentum: self.settings.1,
        })
    }

    fn forward(&mut self, x: Tensor<T>, mode: Mode) -> Result<Tensor<T>> {
        let input_shape = x.shape().to_vec();
        let (n, c, s) = self.layout(&input_shape)?;
        let mut x = reshaped(x, (n, c, s));
        if mode == Mode::Inference {
            self.cache = None;
            for ch in 0..c {
                let scale = self.gamma[ch] / (self.running_var[ch] + self.eps).sqrt();
                let (mean, shift) = (self.running_mean[ch], self.beta[ch]);
                x.index_axis_mut(Axis(1), ch)
                    .mapv_inplace(|v| (v - mean) * scale + shift);
            }
            return Ok(reshaped(x.into_dyn(), IxDyn(&input_shape)));
        }
        if n * s == 0 {
            // Statistics of no values are NaN, and would stay in the running
            // averages for good.
            return Err(Error::BadInput {
                layer: "BatchNorm",
                got: Shape::from(input_shape),
                expected: "training needs at least one value per channel".into(),
            });
        }
        let m = T::cast((n * s) as f64);
        let mut inv_std = Array1::zeros(c);
        let keep = T::one() - self.momentum;
        for ch in 0..c {
            let mut lane = x.index_axis_mut(Axis(1), ch);
            let mean = lane.sum() / m;
            let var = lane.fold(T::zero(), |acc, &v| acc + (v - mean) * (v - mean)) / m;
            let istd = T::one() / (var + self.eps).sqrt();
            lane.mapv_inplace(|v| (v - mean) * istd);
            inv_std[ch] = istd;
            self.running_mean[ch] = self.momentum * self.running_mean[ch] + keep * mean;
            self.running_var[ch] = self.momentum * self.running_var[ch] + keep * var;
        }
        let xhat = x.clone();
        for ch in 0..c {
            let (g, b) = (self.gamma[ch], self.beta[ch]);
            x.index_axis_mut(Axis(1), ch).mapv_inplace(|v| g * v + b);
        }
        self.cache = Some(Cache {
            xhat,
            inv_std,
            input_shape: input_shape.clone(),
        });
        Ok(reshaped(x.into_dyn(), IxDyn(&input_shape)))
    }

    fn backward(&mut self, dout: Tensor<T>) -> Result<Tensor<T>> {
        let cache = self
            .cache
            .as_ref()
            .ok_or(Error::NoForward { layer: "BatchNorm" })?;
        check_shape("BatchNorm", &cache.input_shape, dout.shape())?;
        let (n, c, s) = cache.xhat.dim();
        let m = T::cast((n * s) as f64);
        let mut g = reshaped(dout, (n, c, s));
        for ch in 0..c {
            let xhat = cache.xhat.index_axis(Axis(1), ch);
            let mut gl = g.index_axis_mut(Axis(1), ch);
            let dbeta = gl.sum();
            let dgamma = Zip::from(&gl)
                .and(&xhat)
                .fold(T::zero(), |acc, &g, &xh| acc + g * xh);
            let k = self.gamma[ch] * cache.inv_std[ch] / m;
            Zip::from(&mut gl)
                .and(&xhat)
                .for_each(|g, &xh| *g = k * (m * *g - dbeta - xh * dgamma));
            self.dbeta[ch] = dbeta;
            self.dgamma[ch] = dgamma;
        }
        self.has_grad = true;
        Ok(reshaped(g.into_dyn(), IxDyn(&cache.input_shape)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array4};

    #[test]
    fn training_normalises_each_feature_and_updates_running_stats() {
        let mut bn = BatchNorm::new(2);
        // Feature 0: 1, 3 (μ 2, σ² 1); feature 1: 10, 10 (μ 10, σ² 0).
        let y = bn
            .forward(array![[1.0, 10.0], [3.0, 10.0]].into_dyn(), Mode::Train)
            .unwrap();
        let s = 1.0 / (1.0_f64 + 1e-5).sqrt();
        assert_eq!(y, array![[-s, 0.0], [s, 0.0]].into_dyn());
        let (rm, rv) = bn.running_stats();
        assert!((rm[0] - 0.2).abs() < 1e-15 && (rm[1] - 1.0).abs() < 1e-15);
        assert!((rv[0] - 1.0).abs() < 1e-15 && (rv[1] - 0.9).abs() < 1e-15);
    }

    #[test]
    fn inference_uses_running_stats() {
        let mut bn = BatchNorm::new(1);
        let y = bn
            .forward(array![[4.0]].into_dyn(), Mode::Inference)
            .unwrap();
        // Running mean 0, variance 1: y = 4/√(1 + ε).
        assert!((y[[0, 0]] - 4.0 / (1.0_f64 + 1e-5).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn images_are_normalised_per_channel() {
        let x = Array4::from_shape_fn((2, 3, 2, 2), |(n, c, h, w)| {
            (n * 7 + c * 100 + h * 2 + w) as f64
        });
        let mut bn = BatchNorm::new(3);
        let y = bn.forward(x.into_dyn(), Mode::Train).unwrap();
        for ch in 0..3 {
            let lane = y.index_axis(Axis(1), ch);
            let mean = lane.sum() / 8.0;
            let var = lane.mapv(|v| (v - mean) * (v - mean)).sum() / 8.0;
            assert!(
                mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-3,
                "{mean} {var}"
            );
        }
    }

    #[test]
    fn gradient_of_sum_of_outputs_is_zero() {
        // Σᵢ yᵢ = Σ(γx̂ᵢ + β) = mβ does not depend on x: ∂/∂x = 0, ∂/∂β = m.
        let mut bn = BatchNorm::new(2);
        bn.forward(
            array![[1.0_f64, -2.0], [3.0, 0.5], [0.0, 4.0]].into_dyn(),
            Mode::Train,
        )
        .unwrap();
        let dx = bn.backward(Tensor::ones(IxDyn(&[3, 2]))).unwrap();
        assert!(dx.iter().all(|v| v.abs() < 1e-12), "{dx}");
        assert_eq!(bn.dbeta, array![3.0, 3.0]);
    }

    #[test]
    fn wrong_feature_count_is_an_error() {
        let mut bn = BatchNorm::<f32>::new(3);
        let err = bn
            .forward(Tensor::zeros(IxDyn(&[4, 2])), Mode::Train)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "BatchNorm.forward: input of shape (4, 2) does not fit: expected (N, 3) or (N, 3, H, W) for 3 features"
        );
        assert!(BatchNorm::<f32>::new(3).with_momentum(1.5).is_err());
        assert!(BatchNorm::<f32>::new(3).with_eps(0.0).is_err());
    }
}
