//! Named parameters: the one list that optimizers, checkpoints and gradient
//! checks all walk.

use ndarray::ArrayViewMutD;

use crate::Float;

/// What a named tensor is to the model that owns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// A trainable weight that multiplies the input (affine and convolution
    /// weights): optimizers update it and L2 weight decay applies to it.
    Weight,
    /// A trainable parameter without weight decay: biases, batch-norm γ and β.
    Trainable,
    /// State that is saved with the model but not trained: batch-norm running
    /// mean and variance. Buffers have no gradient.
    Buffer,
}

impl ParamKind {
    /// Whether optimizers update it.
    pub fn is_trainable(self) -> bool {
        !matches!(self, ParamKind::Buffer)
    }
}

/// One named tensor of a model, lent to a visitor.
///
/// Names are stable and dotted, from the outermost container in:
/// `affine1.weight`, `bn1.gamma`, `bn1.running_mean`.
#[derive(Debug)]
pub struct Param<'a, T> {
    /// The stable name.
    pub name: &'a str,
    /// What the tensor is.
    pub kind: ParamKind,
    /// The value, updatable in place.
    pub value: ArrayViewMutD<'a, T>,
    /// The gradient of the loss with respect to `value` from the last backward
    /// pass, if there was one (never for buffers).
    pub grad: Option<ArrayViewMutD<'a, T>>,
}

/// Anything that owns named parameters: a layer, a stack of layers, a network.
///
/// One method, which lends each parameter in turn, in a fixed order. It has
/// no default: a layer without parameters says so with an empty body, so a
/// layer that holds weights cannot forget to lend them to optimizers,
/// gradient checks and checkpoints by leaving the method out.
pub trait Parameters<T: Float> {
    /// Calls `f` once per parameter, in a stable order.
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>));

    /// The names, kinds and shapes of every parameter, in visiting order.
    fn param_shapes(&mut self) -> Vec<(String, ParamKind, Vec<usize>)> {
        let mut out = Vec::new();
        self.visit_params(&mut |p| {
            out.push((p.name.to_string(), p.kind, p.value.shape().to_vec()))
        });
        out
    }

    /// The number of trainable scalars.
    fn trainable_count(&mut self) -> usize {
        let mut n = 0;
        self.visit_params(&mut |p| {
            if p.kind.is_trainable() {
                n += p.value.len();
            }
        });
        n
    }
}
