//! Adam.

use ndarray::{ArrayViewD, ArrayViewMutD};
use nn_core::{Float, Tensor};

use crate::elementwise;
use crate::error::{positive, unit};
use crate::optimizer::check_grad;
use crate::slots::Slots;
use crate::{Optimizer, Result, DIVISION_GUARD};

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
/// instead of √v̂, i.e. an effective ε of 10⁻⁷·√(1 − β₂ᵗ). State slots: `m`,
/// `v`, and the step count `t`, all per parameter.
#[derive(Debug, Clone)]
pub struct Adam<T: Float> {
    config: AdamConfig,
    slots: Slots<T, 2>,
}

impl<T: Float> Adam<T> {
    /// Adam with `config`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] unless α > 0 and 0 ≤ β₁, β₂ < 1.
    pub fn new(config: AdamConfig) -> Result<Self> {
        positive("Adam::new", "learning rate", config.lr)?;
        unit("Adam::new", "beta1", config.beta1)?;
        unit("Adam::new", "beta2", config.beta2)?;
        Ok(Adam {
            config,
            slots: Slots::new("Adam", &["m", "v"]),
        })
    }
}

impl<T: Float> Optimizer<T> for Adam<T> {
    fn name(&self) -> &'static str {
        "Adam"
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
        check_grad("Adam", name, &param, &grad)?;
        let AdamConfig { lr, beta1, beta2 } = self.config;
        let slot = self.slots.get(name, param.shape())?;
        slot.steps += 1;
        let t = slot.steps as i32;
        let lr_t = T::cast(lr * (1.0 - beta2.powi(t)).sqrt() / (1.0 - beta1.powi(t)));
        let (b1, b2, guard) = (
            T::cast(1.0 - beta1),
            T::cast(1.0 - beta2),
            T::cast(DIVISION_GUARD),
        );
        let [m, v] = &mut slot.tensors;
        elementwise::update2(param, grad, (m, v), |w, g, m, v| {
            *m += b1 * (g - *m);
            *v += b2 * (g * g - *v);
            *w -= lr_t * *m / (v.sqrt() + guard);
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
