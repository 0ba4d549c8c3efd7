//! AdaGrad.

use ndarray::{ArrayViewD, ArrayViewMutD};
use nn_core::{Float, Tensor};

use crate::elementwise;
use crate::error::positive;
use crate::optimizer::check_grad;
use crate::slots::Slots;
use crate::{Optimizer, Result};

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
#[derive(Debug, Clone)]
pub struct AdaGrad<T: Float> {
    config: AdaGradConfig,
    slots: Slots<T, 1>,
}

impl<T: Float> AdaGrad<T> {
    /// AdaGrad with `config`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] unless η > 0.
    pub fn new(config: AdaGradConfig) -> Result<Self> {
        positive("AdaGrad::new", "learning rate", config.lr)?;
        Ok(AdaGrad {
            config,
            slots: Slots::new("AdaGrad", &["h"]),
        })
    }
}

impl<T: Float> Optimizer<T> for AdaGrad<T> {
    fn name(&self) -> &'static str {
        "AdaGrad"
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
        check_grad("AdaGrad", name, &param, &grad)?;
        let (lr, guard) = (T::cast(self.config.lr), T::cast(DIVISION_GUARD));
        let slot = self.slots.get(name, param.shape())?;
        slot.steps += 1;
        elementwise::update1(param, grad, &mut slot.tensors[0], |w, g, h| {
            *h += g * g;
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
