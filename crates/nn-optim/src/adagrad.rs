//! AdaGrad.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD};
use nn_core::{Float, ParamKind};

use crate::error::positive;
use crate::{elementwise, Optim, Result, Rule};

/// The constant added to √h before dividing, the book's 10⁻⁷ (also used by
/// RMSprop and Adam).
pub const DIVISION_GUARD: f64 = 1e-7;

/// Settings of [`AdaGrad`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaGradConfig {
    /// η; the book's default 0.01.
    pub lr: f64,
}

impl Default for AdaGradConfig {
    fn default() -> Self {
        AdaGradConfig { lr: 0.01 }
    }
}

/// AdaGrad: h ← h + (∂L/∂W)², W ← W − η·∂L/∂W / (√h + 10⁻⁷).
///
/// Each weight's step shrinks with the sum of its squared gradients (state
/// slot `h`).
///
/// **The notes' listing has a bug**: its update loop is
/// `for key in params.items():`, which binds `key` to `(name, array)` pairs,
/// so `self.h[key]` fails. The loop is meant to run over the keys, as here.
pub type AdaGrad<T> = Optim<AdaGradConfig, T, 1>;

impl Rule<1> for AdaGradConfig {
    const NAME: &'static str = "AdaGrad";
    const ABOUT: &'static str = "h ← h + g², W ← W − η·g/(√h + 1e-7)";
    const SLOTS: &'static [&'static str; 1] = &["h"];
    const NONNEGATIVE: &'static [&'static str] = &["h"];

    fn lr_mut(&mut self) -> &mut f64 {
        &mut self.lr
    }

    fn validate(&self) -> Result<()> {
        positive(Self::NAME, "learning rate", self.lr)
    }

    fn apply<T: Float>(
        &self,
        _: u64,
        _: ParamKind,
        param: ArrayViewMutD<'_, T>,
        grad: ArrayViewD<'_, T>,
        state: &mut [ArrayD<T>; 1],
    ) {
        let (lr, guard) = (T::cast(self.lr), T::cast(DIVISION_GUARD));
        let [h] = state;
        elementwise::update1(param, grad, h, |w, g, h| {
            *h += g * g;
            *w -= lr * g / (h.sqrt() + guard);
        });
    }
}
