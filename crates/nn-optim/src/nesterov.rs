//! Nesterov's accelerated gradient.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD};
use nn_core::{Float, ParamKind};

use crate::{elementwise, MomentumConfig, Optim, Result, Rule};

/// Nesterov's accelerated gradient in the form of Bengio et al. (2012,
/// arXiv:1212.0901), which evaluates the gradient at the current weights:
///
/// v ← α·v − η·∂L/∂W,  W ← W + α·v − η·∂L/∂W
///
/// (equivalently W ← W + α²·v_old − (1 + α)·η·∂L/∂W). The book's listing
/// applies α² to the *updated* velocity (`v *= α; v -= η·g; W += α²·v; ...`),
/// which is not Nesterov's update; this is the paper's (and PyTorch's
/// `nesterov=True`). It differs from [`crate::Momentum`] in the line that
/// moves W.
pub type Nesterov<T> = Optim<NesterovConfig, T, 1>;

/// Settings of [`Nesterov`]: those of [`crate::Momentum`].
///
/// ```
/// use nn_optim::{MomentumConfig, Nesterov, NesterovConfig};
///
/// let config = NesterovConfig(MomentumConfig { lr: 0.1, ..MomentumConfig::default() });
/// let nesterov = Nesterov::<f32>::new(config)?;
/// # Ok::<(), nn_optim::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NesterovConfig(pub MomentumConfig);

impl Rule<1> for NesterovConfig {
    const NAME: &'static str = "Nesterov";
    const ABOUT: &'static str = "v ← α·v − η·g, W ← W + α·v − η·g";
    const SLOTS: &'static [&'static str; 1] = &["v"];

    fn lr_mut(&mut self) -> &mut f64 {
        &mut self.0.lr
    }

    fn validate(&self) -> Result<()> {
        self.0.check(Self::NAME)
    }

    fn apply<T: Float>(
        &self,
        _: u64,
        _: ParamKind,
        param: ArrayViewMutD<'_, T>,
        grad: ArrayViewD<'_, T>,
        [v]: &mut [ArrayD<T>; 1],
    ) {
        let (lr, alpha) = (T::cast(self.0.lr), T::cast(self.0.momentum));
        elementwise::update1(param, grad, v, |w, g, v| {
            *v = alpha * *v - lr * g;
            *w += alpha * *v - lr * g;
        });
    }
}
