//! The `Optimizer` trait.

use ndarray::{ArrayViewD, ArrayViewMutD};
use nn_core::{Float, ParamKind, Parameters, Shape, Tensor};

use crate::{Error, Result};

/// Updates named parameters from their gradients.
///
/// Optimizers with memory (momentum, squared-gradient sums, moments) keep it
/// per parameter, keyed by the parameter's name and created lazily at its first
/// update, as the book's optimizers do; [`state`](Optimizer::state) and
/// [`load_state`](Optimizer::load_state) move it in and out of checkpoints.
///
/// Every optimizer of this crate is an [`crate::Optim`] driving a
/// [`crate::Rule`]; implement the trait directly only for something that does
/// not fit that shape. [`step`](Optimizer::step) walks a model.
pub trait Optimizer<T: Float>: std::fmt::Debug + Send {
    /// The optimizer's name, e.g. `"Adam"`.
    fn name(&self) -> &'static str;

    /// The learning rate η.
    fn learning_rate(&self) -> f64;

    /// Sets the learning rate η (for schedules).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `lr` is finite and > 0.
    fn set_learning_rate(&mut self, lr: f64) -> Result<()>;

    /// Updates `param` in place from `grad`; `name` keys its state and `kind`
    /// says what it is (AdamW decays [`ParamKind::Weight`]s only).
    ///
    /// # Errors
    /// [`Error::GradShape`] when the shapes differ; [`Error::StateShape`] when
    /// the parameter no longer has the shape its state was created with.
    fn update(
        &mut self,
        name: &str,
        kind: ParamKind,
        param: ArrayViewMutD<'_, T>,
        grad: ArrayViewD<'_, T>,
    ) -> Result<()>;

    /// One update of every trainable parameter of `model` that has a gradient.
    ///
    /// # Errors
    /// The first error of [`update`](Optimizer::update); parameters after it
    /// are left as they were.
    fn step(&mut self, model: &mut dyn Parameters<T>) -> Result<()> {
        let mut result = Ok(());
        model.visit_params(&mut |p| {
            if result.is_ok() && p.kind.is_trainable() {
                if let Some(g) = p.grad {
                    result = self.update(p.name, p.kind, p.value, g.view());
                }
            }
        });
        result
    }

    /// The optimizer's state as named tensors, `slot.parameter` (e.g.
    /// `m.affine1.weight`, and the step count `t.affine1.weight`); empty for
    /// stateless optimizers.
    fn state(&self) -> Vec<(String, Tensor<T>)>;

    /// Restores state saved by [`state`](Optimizer::state).
    ///
    /// # Errors
    /// [`Error::UnknownState`] for an entry this optimizer does not keep.
    fn load_state(&mut self, state: Vec<(String, Tensor<T>)>) -> Result<()>;
}

/// `grad` must have `param`'s shape.
pub(crate) fn check_grad<T>(
    optimizer: &'static str,
    name: &str,
    param: &ArrayViewMutD<'_, T>,
    grad: &ArrayViewD<'_, T>,
) -> Result<()> {
    if param.shape() == grad.shape() {
        Ok(())
    } else {
        Err(Error::GradShape {
            optimizer,
            name: name.to_string(),
            param: Shape::from(param.shape()),
            grad: Shape::from(grad.shape()),
        })
    }
}
