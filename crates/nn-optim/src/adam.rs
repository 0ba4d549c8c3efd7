//! Adam.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD};
use nn_core::{Float, ParamKind};

use crate::error::{positive, unit};
use crate::{elementwise, Optim, Result, Rule, DIVISION_GUARD};

/// Settings of [`Adam`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    /// α; the book's default 0.001.
    pub lr: f64,
    /// β₁, decay of the first moment; 0.9.
    pub beta1: f64,
    /// β₂, decay of the second moment; 0.999.
    pub beta2: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 0.001,
            beta1: 0.9,
            beta2: 0.999,
        }
    }
}

/// Adam (Kingma & Ba, 2015), bias-corrected, in the book's formulation, which
/// is the paper's "more efficient" form (end of section 2): at step t,
///
/// m ← m + (1 − β₁)(g − m),  v ← v + (1 − β₂)(g² − v),
/// αₜ = α·√(1 − β₂ᵗ)/(1 − β₁ᵗ),  W ← W − αₜ·m/(√v + 10⁻⁷).
///
/// The bias corrections are folded into αₜ rather than applied to m and v; the
/// only difference from Algorithm 1 (and PyTorch) is that ε is added to √v
/// instead of √v̂. That makes this Algorithm 1 with ε = 10⁻⁷/√(1 − β₂ᵗ): a
/// larger ε early on (3.2·10⁻⁶ at the first step, 3.2·10⁻⁷ at the 100th,
/// within 3% of 10⁻⁷ from step 3,000), so gradients of 10⁻⁶ or less move
/// their weights more slowly in the first steps than PyTorch's Adam would.
/// State slots: `m`, `v`, and the step count `t`, all per parameter.
pub type Adam<T> = Optim<AdamConfig, T, 2>;

/// βᵗ, which is 0 to f64 precision once t passes i32::MAX (β < 1).
pub(crate) fn decay(beta: f64, t: u64) -> f64 {
    i32::try_from(t).map_or(0.0, |t| beta.powi(t))
}

impl Rule<2> for AdamConfig {
    const NAME: &'static str = "Adam";
    const ABOUT: &'static str = "the book's Adam: bias-corrected moments, ε = 1e-7 on √v";
    const SLOTS: &'static [&'static str; 2] = &["m", "v"];
    const NONNEGATIVE: &'static [&'static str] = &["v"];

    fn lr_mut(&mut self) -> &mut f64 {
        &mut self.lr
    }

    fn validate(&self) -> Result<()> {
        positive(Self::NAME, "learning rate", self.lr)?;
        unit(Self::NAME, "beta1", self.beta1)?;
        unit(Self::NAME, "beta2", self.beta2)
    }

    fn apply<T: Float>(
        &self,
        t: u64,
        _: ParamKind,
        param: ArrayViewMutD<'_, T>,
        grad: ArrayViewD<'_, T>,
        state: &mut [ArrayD<T>; 2],
    ) {
        let AdamConfig { lr, beta1, beta2 } = *self;
        let lr_t = T::cast(lr * (1.0 - decay(beta2, t)).sqrt() / (1.0 - decay(beta1, t)));
        let (b1, b2, guard) = (
            T::cast(1.0 - beta1),
            T::cast(1.0 - beta2),
            T::cast(DIVISION_GUARD),
        );
        let [m, v] = state;
        elementwise::update2(param, grad, (m, v), |w, g, m, v| {
            *m += b1 * (g - *m);
            *v += b2 * (g * g - *v);
            *w -= lr_t * *m / (v.sqrt() + guard);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Optimizer;
    use ndarray::array;

    /// Where ε matters: a gradient of 10⁻⁶ at t = 1. m = 10⁻⁷, √v = √(10⁻³)·10⁻⁶,
    /// α₁ = 0.001·√(10⁻³)/0.1, so the step is 0.001·10⁻⁶/(10⁻⁶ + 10⁻⁷/√(10⁻³))
    /// = 0.001/(1 + √10) = 2.40253·10⁻⁴; Algorithm 1 with ε = 10⁻⁷ would take
    /// 0.001/1.1 = 9.0909·10⁻⁴.
    #[test]
    fn a_tiny_first_gradient_meets_the_books_epsilon() {
        let mut adam = Adam::<f64>::new(AdamConfig::default()).unwrap();
        let mut w = array![0.0].into_dyn();
        let g = array![1e-6].into_dyn();
        adam.update("w", ParamKind::Weight, w.view_mut(), g.view())
            .unwrap();
        let want = -0.001 / (1.0 + 10f64.sqrt());
        assert!(
            (w[0] - want).abs() < 1e-12 * want.abs(),
            "{} vs {want}",
            w[0]
        );
        assert!((want + 2.40253e-4).abs() < 1e-9);
    }
}
