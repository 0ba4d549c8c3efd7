//! The `Optimizer` trait.

use ndarray::{ArrayViewD, ArrayViewMutD};
use nn_core::{Float, Parameters, Shape, Tensor};

use crate::{Error, Result};

/// Updates named parameters from their gradients.
///
/// Optimizers with memory (momentum, squared-gradient sums, moments) keep it
/// per parameter, keyed by the parameter's name and created lazily at its first
/// update, as the book's optimizers do; [`state`](Optimizer::state) and
/// [`load_state`](Optimizer::load_state) move it in and out of checkpoints.
///
/// Required: [`name`](Optimizer::name), [`learning_rate`](Optimizer::learning_rate),
/// [`update`](Optimizer::update). [`step`](Optimizer::step) walks a model.
pub trait Optimizer<T: Float>: std::fmt::Debug + Send {
    /// The optimizer's name, e.g. `"Adam"`.
    fn name(&self) -> &'static str;

    /// The learning rate η.
    fn learning_rate(&self) -> f64;

    /// Updates `param` in place from `grad`; `name` keys its state.
    ///
    /// # Errors
    /// [`Error::GradShape`] when the shapes differ; [`Error::StateShape`] when
    /// the parameter no longer has the shape its state was created with.
    fn update(
        &mut self,
        name: &str,
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
                    result = self.update(p.name, p.value, g.view());
                }
            }
        });
        result
    }

    /// The optimizer's state as named tensors, `slot.parameter` (e.g.
    /// `m.affine1.weight`); empty for stateless optimizers.
    fn state(&self) -> Vec<(String, Tensor<T>)> {
        Vec::new()
    }

    /// Restores state saved by [`state`](Optimizer::state).
    ///
    /// # Errors
    /// [`Error::UnknownState`] for an entry this optimizer does not keep.
    fn load_state(&mut self, state: Vec<(String, Tensor<T>)>) -> Result<()> {
        match state.into_iter().next() {
            None => Ok(()),
            Some((entry, _)) => Err(Error::UnknownState {
                optimizer: self.name(),
                entry,
                slots: &[],
            }),
        }
    }
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
