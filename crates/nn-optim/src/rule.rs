//! The one optimizer: a [`Rule`] (settings and arithmetic) driven by
//! [`Optim`], which checks shapes, keeps per-parameter state and counts steps.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD, IxDyn};
use nn_core::{Float, ParamKind, Tensor};

use crate::optimizer::check_grad;
use crate::slots::Slots;
use crate::{Error, Optimizer, Result};

/// An optimizer's settings and update arithmetic, with `K` state tensors per
/// parameter (0 for SGD, 2 for Adam's moments).
///
/// An optimizer file holds its settings struct, which implements `Rule`, and
/// a type alias of [`Optim`]; the registry ([`crate::optimizers`]) lists it.
pub trait Rule<const K: usize>: Copy + std::fmt::Debug + Default + Send + Sync + 'static {
    /// The display name, e.g. `"Adam"`; the registry matches it ignoring case.
    const NAME: &'static str;
    /// One line for `nn` and the docs.
    const ABOUT: &'static str;
    /// The names of the state tensors in saved state, e.g. `["m", "v"]`.
    const SLOTS: &'static [&'static str; K];
    /// The slots that cannot be negative (sums and averages of squares):
    /// saved state that says otherwise is refused.
    const NONNEGATIVE: &'static [&'static str] = &[];

    /// The learning rate η, to read or set.
    fn lr_mut(&mut self) -> &mut f64;

    /// The learning rate η.
    fn lr(&self) -> f64 {
        let mut settings = *self;
        *settings.lr_mut()
    }

    /// Checks every setting; errors name `Self::NAME` and the value.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a setting out of its domain.
    fn validate(&self) -> Result<()>;

    /// Updates `param` from `grad` (same shape, checked) at step `t` of this
    /// parameter (1 for its first update; 0 when `K` is 0, which keeps no
    /// count). `state` holds the K tensors of `param`'s shape.
    fn apply<T: Float>(
        &self,
        t: u64,
        kind: ParamKind,
        param: ArrayViewMutD<'_, T>,
        grad: ArrayViewD<'_, T>,
        state: &mut [ArrayD<T>; K],
    );
}

/// An [`Optimizer`] that applies the rule `R`: `Optim<AdamConfig, f32, 2>` is
/// [`crate::Adam<f32>`].
#[derive(Debug, Clone)]
pub struct Optim<R, T, const K: usize> {
    rule: R,
    slots: Slots<T, K>,
}

impl<R: Rule<K>, T: Float, const K: usize> Optim<R, T, K> {
    /// The optimizer with settings `rule`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a setting out of its domain.
    pub fn new(rule: R) -> Result<Self> {
        rule.validate()?;
        representable::<R, T, K>(rule.lr())?;
        Ok(Optim {
            rule,
            slots: Slots::new(R::NAME, R::SLOTS, R::NONNEGATIVE),
        })
    }

    /// The settings.
    pub fn config(&self) -> &R {
        &self.rule
    }
}

/// A learning rate valid in f64 must also be a positive number in `T`:
/// 1e300 is infinite in f32, 1e-50 is 0.
fn representable<R: Rule<K>, T: Float, const K: usize>(lr: f64) -> Result<()> {
    let in_t = T::cast(lr);
    if in_t.is_finite() && in_t > T::zero() {
        Ok(())
    } else {
        Err(Error::InvalidArgument {
            op: R::NAME,
            message: format!(
                "learning rate {lr:e} is {in_t} in {}",
                T::DTYPE.to_lowercase()
            ),
        })
    }
}

impl<R: Rule<K>, T: Float, const K: usize> Optimizer<T> for Optim<R, T, K> {
    fn name(&self) -> &'static str {
        R::NAME
    }

    fn learning_rate(&self) -> f64 {
        self.rule.lr()
    }

    fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        let mut rule = self.rule;
        *rule.lr_mut() = lr;
        rule.validate()?;
        representable::<R, T, K>(lr)?;
        self.rule = rule;
        Ok(())
    }

    fn update(
        &mut self,
        name: &str,
        kind: ParamKind,
        param: ArrayViewMutD<'_, T>,
        grad: ArrayViewD<'_, T>,
    ) -> Result<()> {
        check_grad(R::NAME, name, &param, &grad)?;
        if K == 0 {
            let mut none = std::array::from_fn(|_| ArrayD::zeros(IxDyn(&[0])));
            self.rule.apply(0, kind, param, grad, &mut none);
            return Ok(());
        }
        let slot = self.slots.get(name, param.shape())?;
        slot.steps = slot
            .steps
            .checked_add(1)
            .ok_or_else(|| Error::InvalidArgument {
                op: R::NAME,
                message: format!("the step count of `{name}` overflows"),
            })?;
        self.rule
            .apply(slot.steps, kind, param, grad, &mut slot.tensors);
        Ok(())
    }

    fn state(&self) -> Vec<(String, Tensor<T>)> {
        if K == 0 {
            Vec::new()
        } else {
            self.slots.export()
        }
    }

    fn load_state(&mut self, state: Vec<(String, Tensor<T>)>) -> Result<()> {
        match state.first() {
            Some((entry, _)) if K == 0 => Err(Error::UnknownState {
                optimizer: R::NAME,
                entry: entry.clone(),
                slots: R::SLOTS,
            }),
            _ => self.slots.import(state),
        }
    }
}
