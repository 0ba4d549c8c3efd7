//! Owned reshapes that copy only when the data is not already row-major.

use ndarray::{Array, ShapeArg};
use nn_core::{Float, Tensor};

/// `x` reshaped to `shape`, reusing its buffer when it is in standard
/// (row-major, contiguous) layout and copying once otherwise.
///
/// The caller guarantees that `shape` holds exactly `x.len()` elements.
pub(crate) fn reshaped<T: Float, Sh: ShapeArg>(x: Tensor<T>, shape: Sh) -> Array<T, Sh::Dim> {
    nn_core::into_standard(x)
        .into_shape_with_order(shape)
        .expect("callers pass a shape with the tensor's element count; the data is row-major")
}
