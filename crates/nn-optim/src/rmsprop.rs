//! RMSprop.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD};
use nn_core::{Float, ParamKind};

use crate::error::{positive, unit};
use crate::{elementwise, Optim, Result, Rule, DIVISION_GUARD};

/// Settings of [`RmsProp`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsPropConfig {
    /// η; the book's default 0.01.
    pub lr: f64,
    /// ρ, how much of the running mean of squared gradients is kept; 0.99.
    pub decay_rate: f64,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            lr: 0.01,
            decay_rate: 0.99,
        }
    }
}

/// RMSprop: h ← ρ·h + (1 − ρ)·(∂L/∂W)², W ← W − η·∂L/∂W / (√h + 10⁻⁷).
///
/// AdaGrad with an exponentially decaying average instead of a sum, so steps
/// do not shrink to nothing (state slot `h`).
pub type RmsProp<T> = Optim<RmsPropConfig, T, 1>;

impl Rule<1> for RmsPropConfig {
    const NAME: &'static str = "RMSprop";
    const ABOUT: &'static str = "h ← ρ·h + (1 − ρ)·g², W ← W − η·g/(√h + 1e-7)";
    const SLOTS: &'static [&'static str; 1] = &["h"];
    const NONNEGATIVE: &'static [&'static str] = &["h"];

    fn lr_mut(&mut self) -> &mut f64 {
        &mut self.lr
    }

    fn validate(&self) -> Result<()> {
        positive(Self::NAME, "learning rate", self.lr)?;
        unit(Self::NAME, "decay rate", self.decay_rate)
    }

    fn apply<T: Float>(
        &self,
        _: u64,
        _: ParamKind,
        param: ArrayViewMutD<'_, T>,
        grad: ArrayViewD<'_, T>,
        state: &mut [ArrayD<T>; 1],
    ) {
        let lr = T::cast(self.lr);
        let (rho, guard) = (T::cast(self.decay_rate), T::cast(DIVISION_GUARD));
        let [h] = state;
        elementwise::update1(param, grad, h, |w, g, h| {
            *h = rho * *h + (T::one() - rho) * g * g;
            *w -= lr * g / (h.sqrt() + guard);
        });
    }
}
