//! Momentum SGD.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD};
use nn_core::{Float, ParamKind};

use crate::error::{positive, unit};
use crate::{elementwise, Optim, Result, Rule};

/// SGD with momentum: v ← α·v − η·∂L/∂W, then W ← W + v.
///
/// The velocity v starts at 0 for each parameter (state slot `v`).
pub type Momentum<T> = Optim<MomentumConfig, T, 1>;

/// Settings of [`Momentum`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MomentumConfig {
    /// η; the book's default 0.01.
    pub lr: f64,
    /// α, the fraction of the velocity kept each step; default 0.9.
    pub momentum: f64,
}

impl Default for MomentumConfig {
    fn default() -> Self {
        MomentumConfig {
            lr: 0.01,
            momentum: 0.9,
        }
    }
}

impl MomentumConfig {
    /// η > 0 and 0 ≤ α < 1, for Momentum and Nesterov.
    pub(crate) fn check(&self, op: &'static str) -> Result<()> {
        positive(op, "learning rate", self.lr)?;
        unit(op, "momentum", self.momentum)
    }
}

impl Rule<1> for MomentumConfig {
    const NAME: &'static str = "Momentum";
    const ABOUT: &'static str = "v ← α·v − η·g, W ← W + v";
    const SLOTS: &'static [&'static str; 1] = &["v"];

    fn lr_mut(&mut self) -> &mut f64 {
        &mut self.lr
    }

    fn validate(&self) -> Result<()> {
        self.check(Self::NAME)
    }

    fn apply<T: Float>(
        &self,
        _: u64,
        _: ParamKind,
        param: ArrayViewMutD<'_, T>,
        grad: ArrayViewD<'_, T>,
        [v]: &mut [ArrayD<T>; 1],
    ) {
        let (lr, alpha) = (T::cast(self.lr), T::cast(self.momentum));
        elementwise::update1(param, grad, v, |w, g, v| {
            *v = alpha * *v - lr * g;
            *w += *v;
        });
    }
}
