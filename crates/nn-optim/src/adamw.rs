//! AdamW.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD};
use nn_core::{Float, ParamKind};

use crate::adam::decay;
use crate::error::{positive, unit};
use crate::{elementwise, Optim, Result, Rule};

/// Settings of [`AdamW`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWConfig {
    /// α; 0.001.
    pub lr: f64,
    /// β₁, decay of the first moment; 0.9.
    pub beta1: f64,
    /// β₂, decay of the second moment; 0.999.
    pub beta2: f64,
    /// ε, added to √v̂; 10⁻⁸.
    pub eps: f64,
    /// λ, the decoupled weight decay; 0.01.
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            lr: 0.001,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        }
    }
}

/// AdamW (Loshchilov & Hutter, 2019): Adam with the weight decay taken out of
/// the gradient and applied to the weights directly, in the form of PyTorch's
/// `torch.optim.AdamW`: at step t,
///
/// W ← W·(1 − α·λ)  for weights ([`ParamKind::Weight`]) only,
/// m ← β₁·m + (1 − β₁)·g,  v ← β₂·v + (1 − β₂)·g²,
/// W ← W − α·m̂/(√v̂ + ε),  m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ).
///
/// Biases and batch norm's γ and β ([`ParamKind::Trainable`]) are not
/// decayed. Use it with the network's `weight_decay` (the L2 term in the loss)
/// at 0, or both decays apply. State slots: `m`, `v`, and the step count `t`.
pub type AdamW<T> = Optim<AdamWConfig, T, 2>;

impl Rule<2> for AdamWConfig {
    const NAME: &'static str = "AdamW";
    const ABOUT: &'static str = "Adam with decoupled weight decay on weights, as torch.optim.AdamW";
    const SLOTS: &'static [&'static str; 2] = &["m", "v"];
    const NONNEGATIVE: &'static [&'static str] = &["v"];

    fn lr_mut(&mut self) -> &mut f64 {
        &mut self.lr
    }

    fn validate(&self) -> Result<()> {
        positive(Self::NAME, "learning rate", self.lr)?;
        unit(Self::NAME, "beta1", self.beta1)?;
        unit(Self::NAME, "beta2", self.beta2)?;
        positive(Self::NAME, "eps", self.eps)?;
        unit(
            Self::NAME,
            "weight decay × learning rate",
            self.weight_decay * self.lr,
        )
    }

    fn apply<T: Float>(
        &self,
        t: u64,
        kind: ParamKind,
        param: ArrayViewMutD<'_, T>,
        grad: ArrayViewD<'_, T>,
        [m, v]: &mut [ArrayD<T>; 2],
    ) {
        let AdamWConfig {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
        } = *self;
        let shrink = match kind {
            ParamKind::Weight => T::cast(1.0 - lr * weight_decay),
            _ => T::one(),
        };
        let (c1, c2) = (1.0 - decay(beta1, t), (1.0 - decay(beta2, t)).sqrt());
        // α·m̂/(√v̂ + ε) = (α/c₁)·m/(√v/c₂ + ε)
        let (step, c2, eps) = (T::cast(lr / c1), T::cast(c2), T::cast(eps));
        let (b1, b2) = (T::cast(beta1), T::cast(beta2));
        let (a1, a2) = (T::cast(1.0 - beta1), T::cast(1.0 - beta2));
        elementwise::update2(param, grad, (m, v), |w, g, m, v| {
            *w *= shrink;
            *m = b1 * *m + a1 * g;
            *v = b2 * *v + a2 * g * g;
            *w -= step * *m / (v.sqrt() / c2 + eps);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Optimizer;
    use ndarray::array;

    /// Two steps from w = 1 with g = 0.5 then −0.25, α = 0.1, λ = 0.01, worked
    /// from the formulas above in plain arithmetic. Step 1: m̂ = g, v̂ = g², so
    /// w₁ = 1·(1 − 0.001) − 0.1·0.5/(0.5 + 10⁻⁸). A bias moves the same way
    /// without the factor 0.999.
    #[test]
    fn the_first_two_steps_match_the_worked_example() {
        let config = AdamWConfig {
            lr: 0.1,
            ..AdamWConfig::default()
        };
        let mut opt = AdamW::<f64>::new(config).unwrap();
        let (mut w, mut b) = (array![1.0].into_dyn(), array![1.0].into_dyn());
        let mut expected = [1.0_f64, 1.0];
        let (mut m, mut v) = (0.0_f64, 0.0_f64);
        for (t, g) in [(1, 0.5_f64), (2, -0.25)] {
            let grad = array![g].into_dyn();
            opt.update("w", ParamKind::Weight, w.view_mut(), grad.view())
                .unwrap();
            opt.update("b", ParamKind::Trainable, b.view_mut(), grad.view())
                .unwrap();
            m = 0.9 * m + 0.1 * g;
            v = 0.999 * v + 0.001 * g * g;
            let m_hat = m / (1.0 - 0.9_f64.powi(t));
            let v_hat = v / (1.0 - 0.999_f64.powi(t));
            let adam_step = 0.1 * m_hat / (v_hat.sqrt() + 1e-8);
            expected[0] = expected[0] * (1.0 - 0.1 * 0.01) - adam_step;
            expected[1] -= adam_step;
        }
        // The first step alone, by hand: 0.999 − 0.1·0.5/0.50000001.
        let w1: f64 = 0.999 - 0.05 / 0.500_000_01;
        assert!((w1 - 0.899_000_002).abs() < 1e-12);
        for (got, want) in [(w[0], expected[0]), (b[0], expected[1])] {
            assert!((got - want).abs() < 1e-14, "{got} vs {want}");
        }
        assert!(b[0] - w[0] > 8e-4, "the weight decays, the bias does not");
    }

    #[test]
    fn a_decay_that_would_flip_the_weights_is_refused() {
        let config = AdamWConfig {
            lr: 1.0,
            weight_decay: 1.5,
            ..AdamWConfig::default()
        };
        let err = AdamW::<f32>::new(config).unwrap_err().to_string();
        assert!(
            err.contains("AdamW: weight decay × learning rate must be in [0, 1), got 1.5"),
            "{err}"
        );
    }
}
