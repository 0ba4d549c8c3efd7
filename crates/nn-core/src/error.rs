//! The error type of nn-core.

use crate::Shape;

/// Result alias used throughout nn-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in nn-core. Each message names the operation
/// and the shapes involved.
///
/// ```
/// use ndarray::array;
///
/// let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// let c = array![[1.0, 2.0], [3.0, 4.0]];
/// let err = nn_core::dot(&a, &c).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "dot: shapes (2, 3) and (2, 2) not aligned: 3 (dim 1) != 2 (dim 0)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The contracted dimensions of a product differ (NumPy's "not aligned").
    #[error("{op}: shapes {left} and {right} not aligned: {} (dim {left_axis}) != {} (dim {right_axis})",
        left.0[*left_axis], right.0[*right_axis])]
    NotAligned {
        /// The operation, e.g. `"dot"`.
        op: &'static str,
        /// Shape of the left operand.
        left: Shape,
        /// Shape of the right operand.
        right: Shape,
        /// Contracted axis of the left operand.
        left_axis: usize,
        /// Contracted axis of the right operand.
        right_axis: usize,
    },

    /// Two arrays that must have the same shape do not.
    #[error("{op}: shapes {left} and {right} differ; {what} must have the same shape")]
    ShapeMismatch {
        /// The operation.
        op: &'static str,
        /// Shape of the first array.
        left: Shape,
        /// Shape of the second array.
        right: Shape,
        /// What the two arrays are, e.g. `"prediction and target"`.
        what: &'static str,
    },

    /// An array has a rank the operation does not accept.
    #[error("{op}: expected {expected}, got shape {got}")]
    BadRank {
        /// The operation.
        op: &'static str,
        /// The accepted ranks, in words, e.g. `"a 1-D or 2-D array"`.
        expected: &'static str,
        /// The shape that was passed.
        got: Shape,
    },

    /// The number of labels differs from the number of samples.
    #[error("{op}: {labels} labels for a batch of {batch} (scores of shape {scores})")]
    LabelCount {
        /// The operation.
        op: &'static str,
        /// Number of labels given.
        labels: usize,
        /// Number of samples in the batch.
        batch: usize,
        /// Shape of the scores.
        scores: Shape,
    },

    /// A class-index label is not a valid column of the scores.
    #[error("{op}: label {label} of sample {sample} is out of range for {classes} classes")]
    LabelOutOfRange {
        /// The operation.
        op: &'static str,
        /// The offending label.
        label: usize,
        /// Its position in the batch.
        sample: usize,
        /// Number of classes (columns of the scores).
        classes: usize,
    },

    /// A scalar argument is outside its domain (a negative standard deviation,
    /// an empty range...).
    #[error("{op}: {message}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong, with the offending value.
        message: String,
    },
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(op: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            op,
            message: message.into(),
        }
    }
}
