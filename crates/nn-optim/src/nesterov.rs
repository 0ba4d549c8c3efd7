//! Nesterov's accelerated gradient.

use ndarray::{ArrayViewD, ArrayViewMutD};
use nn_core::{Float, Tensor};

use crate::elementwise;
use crate::optimizer::check_grad;
use crate::slots::Slots;
use crate::{MomentumConfig, Optimizer, Result};

/// Nesterov's accelerated gradient in the form of Bengio et al. (2012,
/// arXiv:1212.0901), which evaluates the gradient at the current weights:
///
/// v ← α·v − η·∂L/∂W,  W ← W + α·v − η·∂L/∂W
///
/// (equivalently W ← W + α²·v_old − (1 + α)·η·∂L/∂W). The book's listing
/// applies α² to the *updated* velocity (`v *= α; v -= η·g; W += α²·v; ...`),
/// which is not Nesterov's update; this is the paper's (and PyTorch's
/// `nesterov=True`).
#[derive(Debug, Clone)]
pub struct Nesterov<T: Float> {
    config: MomentumConfig,
    slots: Slots<T, 1>,
}

impl<T: Float> Nesterov<T> {
    /// Nesterov with `config` (the same settings as Momentum).
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] unless η > 0 and 0 ≤ α < 1.
    pub fn new(config: MomentumConfig) -> Result<Self> {
        config.validate("Nesterov::new")?;
        Ok(Nesterov {
            config,
            slots: Slots::new("Nesterov", &["v"]),
        })
    }
}

impl<T: Float> Optimizer<T> for Nesterov<T> {
    fn name(&self) -> &'static str {
        "Nesterov"
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
        check_grad("Nesterov", name, &param, &grad)?;
        let (lr, alpha) = (T::cast(self.config.lr), T::cast(self.config.momentum));
        let slot = self.slots.get(name, param.shape())?;
        slot.steps += 1;
        elementwise::update1(param, grad, &mut slot.tensors[0], |w, g, v| {
            *v = alpha * *v - lr * g;
            *w += alpha * *v - lr * g;
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
