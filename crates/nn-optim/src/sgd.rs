//! Stochastic gradient descent.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD};
use nn_core::{Float, ParamKind};

use crate::error::positive;
use crate::{elementwise, Optim, Result, Rule};

/// Plain gradient descent: W ← W − η·∂L/∂W. No state.
///
/// ```
/// use ndarray::array;
/// use nn_core::ParamKind;
/// use nn_optim::{Optimizer, Sgd, SgdConfig};
///
/// let mut sgd = Sgd::new(SgdConfig { lr: 0.5 })?;
/// let mut w = array![1.0, 2.0].into_dyn();
/// let g = array![2.0, -2.0].into_dyn();
/// sgd.update("w", ParamKind::Weight, w.view_mut(), g.view())?;
/// assert_eq!(w, array![0.0, 3.0].into_dyn());
/// # Ok::<(), nn_optim::Error>(())
/// ```
pub type Sgd<T> = Optim<SgdConfig, T, 0>;

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

impl Rule<0> for SgdConfig {
    const NAME: &'static str = "SGD";
    const ABOUT: &'static str = "W ← W − η·g";
    const SLOTS: &'static [&'static str; 0] = &[];

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
        _: &mut [ArrayD<T>; 0],
    ) {
        let lr = T::cast(self.lr);
        elementwise::update(param, grad, |w, g| *w -= lr * g);
    }
}
