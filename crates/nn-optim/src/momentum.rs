//! Momentum SGD.

use ndarray::{ArrayViewD, ArrayViewMutD};
use nn_core::{Float, Tensor};

use crate::elementwise;
use crate::error::{positive, unit};
use crate::optimizer::check_grad;
use crate::slots::Slots;
use crate::{Optimizer, Result};

/// Settings of [`Momentum`] and [`crate::Nesterov`].
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
    pub(crate) fn validate(&self, op: &'static str) -> Result<()> {
        positive(op, "learning rate", self.lr)?;
        unit(op, "momentum", self.momentum)
    }
}

/// SGD with momentum: v ← α·v − η·∂L/∂W, then W ← W + v.
///
/// The velocity v starts at 0 for each parameter (state slot `v`).
#[derive(Debug, Clone)]
pub struct Momentum<T: Float> {
    config: MomentumConfig,
    slots: Slots<T, 1>,
}

impl<T: Float> Momentum<T> {
    /// Momentum with `config`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] unless η > 0 and 0 ≤ α < 1.
    pub fn new(config: MomentumConfig) -> Result<Self> {
        config.validate("Momentum::new")?;
        Ok(Momentum {
            config,
            slots: Slots::new("Momentum", &["v"]),
        })
    }
}

impl<T: Float> Optimizer<T> for Momentum<T> {
    fn name(&self) -> &'static str {
        "Momentum"
    }

    fn learning_rate(&self) -> f64 {
        self.config.lr
    }

    fn update(
        &mut self,
        name: &str,
        param: ArrayViewMutD<'_, T>,
        grad: ArrayViewD<'_, T>,
    ) -> Result<()> {
        check_grad("Momentum", name, &param, &grad)?;
        let (lr, alpha) = (T::cast(self.config.lr), T::cast(self.config.momentum));
        let slot = self.slots.get(name, param.shape())?;
        slot.steps += 1;
        elementwise::update1(param, grad, &mut slot.tensors[0], |w, g, v| {
            *v = alpha * *v - lr * g;
            *w += *v;
        });
        Ok(())
    }

    fn state(&self) -> Vec<(String, Tensor<T>)> {
        self.slots.export()
    }

    fn load_state(&mut self, state: Vec<(String, Tensor<T>)>) -> Result<()> {
        self.slots.import(state)
    }
}
