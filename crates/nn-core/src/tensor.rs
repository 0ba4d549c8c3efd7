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
