//! Stochastic gradient descent.

use ndarray::{ArrayViewD, ArrayViewMutD};
use nn_core::Float;

use crate::elementwise;
use crate::error::positive;
use crate::optimizer::check_grad;
use crate::{Optimizer, Result};

/// Settings of [`Sgd`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig {
    /// η; the book's default 0.01.
    pub lr: f64,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig { lr: 0.01 }
    }
}

/// Plain gradient descent: W ← W − η·∂L/∂W. No state.
///
/// ```
/// use ndarray::array;
/// use nn_optim::{Optimizer, Sgd, SgdConfig};
///
/// let mut sgd = Sgd::new(SgdConfig { lr: 0.5 })?;
/// let mut w = array![1.0, 2.0].into_dyn();
/// sgd.update("w", w.view_mut(), array![2.0, -2.0].into_dyn().view())?;
/// assert_eq!(w, array![0.0, 3.0].into_dyn());
/// # Ok::<(), nn_optim::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sgd {
    config: SgdConfig,
}

impl Sgd {
    /// SGD with `config`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] unless η > 0.
    pub fn new(config: SgdConfig) -> Result<Self> {
        positive("Sgd::new", "learning rate", config.lr)?;
        Ok(Sgd { config })
    }
}

impl<T: Float> Optimizer<T> for Sgd {
    fn name(&self) -> &'static str {
        "SGD"
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
        check_grad("SGD", name, &param, &grad)?;
        let lr = T::cast(self.config.lr);
        elementwise::update(param, grad, |w, g| *w -= lr * g);
        Ok(())
    }
}
