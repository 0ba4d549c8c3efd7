//! The tensor types: plain ndarray arrays.
//!
//! nn does not wrap ndarray. A [`Tensor`] is an [`ndarray::ArrayD`] (dynamic
//! rank) and is what crosses layer boundaries; hot code converts to fixed-rank
//! views ([`ndarray::ArrayView2`], [`ndarray::ArrayView4`]) once and works on
//! those. ARCHITECTURE.md explains why this is an alias and not a newtype.

/// A dynamic-rank tensor: what layers take and return.
pub type Tensor<T> = ndarray::ArrayD<T>;

/// A borrowed dynamic-rank tensor.
pub type TensorView<'a, T> = ndarray::ArrayViewD<'a, T>;

/// A mutably borrowed dynamic-rank tensor.
pub type TensorViewMut<'a, T> = ndarray::ArrayViewMutD<'a, T>;

/// `x` in standard (row-major, contiguous) layout: moved as it is when it
/// already is, copied once otherwise.
///
/// (`x.as_standard_layout().into_owned()` would copy even a standard array:
/// it borrows it first.)
///
/// ```
/// use ndarray::{array, IxDyn};
///
/// let x = array![[1.0, 2.0], [3.0, 4.0]].into_dyn();
/// let address = x.as_ptr();
/// let y = nn_core::into_standard(x);
/// assert_eq!(y.as_ptr(), address); // not copied
/// let t = nn_core::into_standard(y.t().to_owned().reversed_axes());
/// assert!(t.is_standard_layout());
/// ```
pub fn into_standard<T: Clone>(x: Tensor<T>) -> Tensor<T> {
    if x.is_standard_layout() {
        x
    } else {
        x.as_standard_layout().into_owned()
    }
}
