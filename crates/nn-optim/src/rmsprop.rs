//! RMSprop.

use ndarray::{ArrayViewD, ArrayViewMutD};
use nn_core::{Float, Tensor};

use crate::elementwise;
use crate::error::{positive, unit};
use crate::optimizer::check_grad;
use crate::slots::Slots;
use crate::{Optimizer, Result, DIVISION_GUARD};

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
#[derive(Debug, Clone)]
pub struct RmsProp<T: Float> {
    config: RmsPropConfig,
    slots: Slots<T, 1>,
}

impl<T: Float> RmsProp<T> {
    /// RMSprop with `config`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] unless η > 0 and 0 ≤ ρ < 1.
    pub fn new(config: RmsPropConfig) -> Result<Self> {
        positive("RmsProp::new", "learning rate", config.lr)?;
        unit("RmsProp::new", "decay rate", config.decay_rate)?;
        Ok(RmsProp {
            config,
            slots: Slots::new("RMSprop", &["h"]),
        })
    }
}

impl<T: Float> Optimizer<T> for RmsProp<T> {
    fn name(&self) -> &'static str {
        "RMSprop"
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
        check_grad("RMSprop", name, &param, &grad)?;
        let lr = T::cast(self.config.lr);
        let (rho, guard) = (T::cast(self.config.decay_rate), T::cast(DIVISION_GUARD));
        let slot = self.slots.get(name, param.shape())?;
        slot.steps += 1;
        elementwise::update1(param, grad, &mut slot.tensors[0], |w, g, h| {
            *h = rho * *h + (T::one() - rho) * g * g;
            *w -= lr * g / (h.sqrt() + guard);
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
