//! What a classifier is trained to predict: class indices or one-hot rows.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use nn_core::{Float, Shape};

use crate::{Error, Result};

/// Training targets for a batch: class indices, or one-hot (probability)
/// rows of shape (N, classes).
///
/// Built with `From` from `&[usize]`, `&Vec<usize>`, `&[usize; N]`, 2-D arrays
/// and views, and 1-D one-hot vectors (a single sample).
#[derive(Debug, Clone, Copy)]
pub enum Targets<'a, T> {
    /// One class index per sample.
    Labels(&'a [usize]),
    /// One row per sample; each row sums to 1.
    OneHot(ArrayView2<'a, T>),
}

impl<'a, T: Float> Targets<'a, T> {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Targets::Labels(l) => l.len(),
            Targets::OneHot(t) => t.nrows(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The class of sample `i`: the label, or the argmax of the one-hot row.
    pub fn class(&self, i: usize) -> usize {
        match self {
            Targets::Labels(l) => l[i],
            Targets::OneHot(t) => argmax(t.row(i)),
        }
    }

    /// Samples `start..end` (clamped to the batch).
    pub fn slice(&self, start: usize, end: usize) -> Targets<'a, T> {
        let end = end.min(self.len());
        match *self {
            Targets::Labels(l) => Targets::Labels(&l[start.min(end)..end]),
            Targets::OneHot(mut t) => {
                t.slice_axis_inplace(Axis(0), (start.min(end)..end).into());
                Targets::OneHot(t)
            }
        }
    }

    /// Checks that there is one target per row of `(batch, classes)` scores.
    ///
    /// # Errors
    /// [`nn_core::Error::LabelCount`], [`nn_core::Error::LabelOutOfRange`], or
    /// [`nn_core::Error::ShapeMismatch`] for one-hot rows of the wrong shape.
    pub fn check(&self, op: &'static str, batch: usize, classes: usize) -> Result<()> {
        match self {
            Targets::Labels(l) => {
                nn_core::loss::check_labels(op, &[batch, classes], l)?;
            }
            Targets::OneHot(t) if t.dim() != (batch, classes) => {
                return Err(Error::Core(nn_core::Error::ShapeMismatch {
                    op,
                    left: Shape::from([batch, classes]),
                    right: Shape::from(t.shape()),
                    what: "scores and one-hot targets",
                }));
            }
            Targets::OneHot(_) => {}
        }
        Ok(())
    }
}

/// Index of the largest entry (the first, on ties; NaN never wins); 0 for
/// an empty row. Takes a 1-D view, a slice or a `&Vec`.
///
/// ```
/// use nn_layers::argmax;
///
/// assert_eq!(argmax(&[0.1, 0.7, 0.2][..]), 1);
/// assert_eq!(argmax(&vec![3.0, 1.0]), 0);
/// assert_eq!(argmax(ndarray::array![1.0, 5.0, 5.0].view()), 1);
/// ```
pub fn argmax<'a, T: Float>(row: impl Into<ArrayView1<'a, T>>) -> usize {
    let row = row.into();
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] || (row[best].is_nan() && !v.is_nan()) {
            best = i;
        }
    }
    best
}

impl<'a, T> From<&'a [usize]> for Targets<'a, T> {
    fn from(l: &'a [usize]) -> Self {
        Targets::Labels(l)
    }
}

impl<'a, T> From<&'a Vec<usize>> for Targets<'a, T> {
    fn from(l: &'a Vec<usize>) -> Self {
        Targets::Labels(l)
    }
}

impl<'a, T, const N: usize> From<&'a [usize; N]> for Targets<'a, T> {
    fn from(l: &'a [usize; N]) -> Self {
        Targets::Labels(l)
    }
}

impl<'a, T> From<ArrayView2<'a, T>> for Targets<'a, T> {
    fn from(t: ArrayView2<'a, T>) -> Self {
        Targets::OneHot(t)
    }
}

impl<'a, T> From<&'a Array2<T>> for Targets<'a, T> {
    fn from(t: &'a Array2<T>) -> Self {
        Targets::OneHot(t.view())
    }
}

impl<'a, T> From<&'a Array1<T>> for Targets<'a, T> {
    /// A single sample's one-hot vector, as a batch of one.
    fn from(t: &'a Array1<T>) -> Self {
        Targets::OneHot(t.view().insert_axis(Axis(0)))
    }
}
