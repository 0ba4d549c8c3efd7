//! Loss functions: mean squared error and cross-entropy, averaged over a batch,
//! or one value per sample (the `_per_sample` forms, PyTorch's
//! `reduction="none"`).
//!
//! A 2-D input is a batch with one sample per row; a 1-D input is a single
//! sample and is treated as a batch of one (the notes' `reshape(1, size)`).

use ndarray::{Array1, ArrayBase, ArrayView2, Axis, Data, Dimension, Ix2};

use crate::{Error, Float, Result, Shape};

/// The `log` guard: cross-entropy evaluates log(y + 10⁻⁷) rather than log(y).
///
/// Without it a predicted probability of exactly 0 for the true class gives
/// −log 0 = ∞; with it the loss of that sample is at most −log 10⁻⁷ ≈ 16.12.
/// The guard also biases every term slightly: for y = 0.6 the loss is
/// −log(0.6000001) = 0.510825457… instead of 0.510825623…. In `f32` the guard
/// is below the spacing of numbers near 1, so log(1 + 10⁻⁷) rounds to 0.
pub const CROSS_ENTROPY_DELTA: f64 = 1e-7;

/// How a loss layer combines the losses of a batch's samples (PyTorch's
/// `reduction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduction {
    /// Their mean: the book's loss, and gradients divided by the batch size.
    #[default]
    Mean,
    /// Their sum: gradients not divided by the batch size.
    Sum,
    /// One loss per sample; each sample's gradient is that of its own loss.
    None,
}

/// Views a 1-D sample or a 2-D batch as a 2-D batch.
fn as_batch<'a, T, S, D>(op: &'static str, x: &'a ArrayBase<S, D>) -> Result<ArrayView2<'a, T>>
where
    S: Data<Elem = T>,
    D: Dimension,
{
    let view = x.view().into_dyn();
    let view = match view.ndim() {
        1 => view.insert_axis(Axis(0)),
        2 => view,
        _ => {
            return Err(Error::BadRank {
                op,
                expected: "a 1-D sample or a 2-D batch",
                got: Shape::from(x.shape()),
            })
        }
    };
    Ok(view
        .into_dimensionality::<Ix2>()
        .expect("rank checked above"))
}

fn same_shape<T, S1, S2, D1, D2>(
    op: &'static str,
    y: &ArrayBase<S1, D1>,
    t: &ArrayBase<S2, D2>,
) -> Result<()>
where
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
{
    if y.shape() == t.shape() {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            op,
            left: Shape::from(y.shape()),
            right: Shape::from(t.shape()),
            what: "prediction and target",
        })
    }
}

/// Mean squared error: E = ½ Σₖ (yₖ − tₖ)² per sample, averaged over the batch.
///
/// For a 1-D sample this is exactly the notes' `0.5 * np.sum((y - t)**2)`.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `y` and `t` differ in shape;
/// [`Error::BadRank`] for anything but 1-D or 2-D.
///
/// # Example
/// ```
/// use ndarray::array;
///
/// let y = array![0.1_f64, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0];
/// let t = array![0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
/// let e = nn_core::loss::mean_squared_error(&y, &t)?;
/// assert!((e - 0.0975).abs() < 1e-15);
/// # Ok::<(), nn_core::Error>(())
/// ```
pub fn mean_squared_error<T, S1, S2, D1, D2>(
    y: &ArrayBase<S1, D1>,
    t: &ArrayBase<S2, D2>,
) -> Result<T>
where
    T: Float,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
{
    Ok(mean(mean_squared_error_per_sample(y, t)?))
}

/// [`mean_squared_error`] of each sample: ½ Σₖ (yₙₖ − tₙₖ)², one per row.
///
/// ```
/// use ndarray::array;
///
/// let y = array![[1.0_f64, 2.0], [0.0, 0.5]];
/// let t = array![[1.0, 0.0], [1.0, 0.0]];
/// let each = nn_core::loss::mean_squared_error_per_sample(&y, &t)?;
/// assert_eq!(each, array![2.0, 0.625]); // ½·4, ½·(1 + 0.25)
/// assert_eq!(nn_core::loss::mean_squared_error(&y, &t)?, 1.3125);
/// # Ok::<(), nn_core::Error>(())
/// ```
///
/// # Errors
/// As [`mean_squared_error`].
pub fn mean_squared_error_per_sample<T, S1, S2, D1, D2>(
    y: &ArrayBase<S1, D1>,
    t: &ArrayBase<S2, D2>,
) -> Result<Array1<T>>
where
    T: Float,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
{
    const OP: &str = "mean_squared_error";
    same_shape(OP, y, t)?;
    let (y, t) = (as_batch(OP, y)?, as_batch(OP, t)?);
    Ok(rows(y, t, |a, b| T::cast(0.5) * (a - b) * (a - b)))
}

/// Σₖ f(yₙₖ, tₙₖ) for each row n.
fn rows<T: Float>(y: ArrayView2<'_, T>, t: ArrayView2<'_, T>, f: impl Fn(T, T) -> T) -> Array1<T> {
    y.outer_iter()
        .zip(t.outer_iter())
        .map(|(y, t)| y.iter().zip(t).map(|(&a, &b)| f(a, b)).sum())
        .collect()
}

/// The mean of per-sample losses (at least one sample: the batch views here
/// have one row or more, or the label checks refused them).
fn mean<T: Float>(per_sample: Array1<T>) -> T {
    per_sample.sum() / T::cast(per_sample.len().max(1) as f64)
}

/// Cross-entropy with one-hot (or any probability-vector) targets:
/// E = −(1/N) Σₙ Σₖ tₙₖ · log(yₙₖ + 10⁻⁷).
///
/// `y` holds probabilities (softmax output). See [`CROSS_ENTROPY_DELTA`] for
/// the 10⁻⁷ inside the log.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `y` and `t` differ in shape;
/// [`Error::BadRank`] for anything but 1-D or 2-D.
///
/// # Example
/// ```
/// use ndarray::array;
///
/// let y = array![0.1_f64, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0];
/// let t = array![0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
/// let e = nn_core::loss::cross_entropy_error(&y, &t)?;
/// assert!((e - 0.510825457099338).abs() < 1e-12);
/// # Ok::<(), nn_core::Error>(())
/// ```
pub fn cross_entropy_error<T, S1, S2, D1, D2>(
    y: &ArrayBase<S1, D1>,
    t: &ArrayBase<S2, D2>,
) -> Result<T>
where
    T: Float,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
{
    Ok(mean(cross_entropy_error_per_sample(y, t)?))
}

/// [`cross_entropy_error`] of each sample: −Σₖ tₙₖ · log(yₙₖ + 10⁻⁷).
///
/// # Errors
/// As [`cross_entropy_error`].
pub fn cross_entropy_error_per_sample<T, S1, S2, D1, D2>(
    y: &ArrayBase<S1, D1>,
    t: &ArrayBase<S2, D2>,
) -> Result<Array1<T>>
where
    T: Float,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
{
    const OP: &str = "cross_entropy_error";
    same_shape(OP, y, t)?;
    let (y, t) = (as_batch(OP, y)?, as_batch(OP, t)?);
    let delta = T::cast(CROSS_ENTROPY_DELTA);
    Ok(rows(y, t, |p, q| -(q * (p + delta).ln())))
}

/// Cross-entropy with class-index targets:
/// E = −(1/N) Σₙ log(yₙ,ₗₙ + 10⁻⁷), where lₙ is the label of sample n.
///
/// Equal to [`cross_entropy_error`] with the one-hot encoding of `labels`,
/// without building it (the notes' commented-out
/// `y[np.arange(batch_size), t]` form). A 1-D `y` takes exactly one label.
///
/// # Errors
/// [`Error::LabelCount`] when there are not as many labels as samples;
/// [`Error::LabelOutOfRange`] when a label is not a column of `y`;
/// [`Error::BadRank`] for anything but 1-D or 2-D.
///
/// # Example
/// ```
/// use ndarray::array;
///
/// let y = array![[0.1, 0.6, 0.3], [0.8, 0.1, 0.1]];
/// let e = nn_core::loss::cross_entropy_error_labels(&y, &[1, 0])?;
/// let want = -((0.6_f64 + 1e-7).ln() + (0.8_f64 + 1e-7).ln()) / 2.0;
/// assert!((e - want).abs() < 1e-15);
/// # Ok::<(), nn_core::Error>(())
/// ```
pub fn cross_entropy_error_labels<T, S, D>(y: &ArrayBase<S, D>, labels: &[usize]) -> Result<T>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    Ok(mean(cross_entropy_error_labels_per_sample(y, labels)?))
}

/// [`cross_entropy_error_labels`] of each sample: −log(yₙ,ₗₙ + 10⁻⁷).
///
/// ```
/// use ndarray::array;
///
/// let y = array![[0.1, 0.6, 0.3], [0.8, 0.1, 0.1]];
/// let each = nn_core::loss::cross_entropy_error_labels_per_sample(&y, &[1, 0])?;
/// assert!((each[0] + (0.6_f64 + 1e-7).ln()).abs() < 1e-15);
/// assert!((each[1] + (0.8_f64 + 1e-7).ln()).abs() < 1e-15);
/// # Ok::<(), nn_core::Error>(())
/// ```
///
/// # Errors
/// As [`cross_entropy_error_labels`].
pub fn cross_entropy_error_labels_per_sample<T, S, D>(
    y: &ArrayBase<S, D>,
    labels: &[usize],
) -> Result<Array1<T>>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    const OP: &str = "cross_entropy_error_labels";
    let batch = as_batch(OP, y)?;
    check_labels(OP, batch.shape(), labels)?;
    let delta = T::cast(CROSS_ENTROPY_DELTA);
    Ok(batch
        .outer_iter()
        .zip(labels)
        .map(|(row, &l)| -(row[l] + delta).ln())
        .collect())
}

/// Checks that `labels` has one valid class index per row of a
/// `(batch, classes)` score matrix.
///
/// # Errors
/// [`Error::LabelCount`] or [`Error::LabelOutOfRange`], naming `op`.
pub fn check_labels(op: &'static str, scores: &[usize], labels: &[usize]) -> Result<()> {
    let (batch, classes) = match scores {
        [n, c] => (*n, *c),
        [c] => (1, *c),
        _ => {
            return Err(Error::BadRank {
                op,
                expected: "a 1-D sample or a 2-D batch",
                got: Shape::from(scores),
            })
        }
    };
    if labels.len() != batch {
        return Err(Error::LabelCount {
            op,
            labels: labels.len(),
            batch,
            scores: Shape::from(scores),
        });
    }
    match labels.iter().position(|&l| l >= classes) {
        Some(sample) => Err(Error::LabelOutOfRange {
            op,
            label: labels[sample],
            sample,
            classes,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1, Array2, Array3};

    fn notes_y_t() -> (Array1<f64>, Array1<f64>) {
        let y = array![0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0];
        let mut t = Array1::zeros(10);
        t[2] = 1.0;
        (y, t)
    }

    #[test]
    fn the_notes_mse_and_cross_entropy() {
        let (y, t) = notes_y_t();
        // ½·(0.1² + 0.05² + 0.4² + 0.05² + 0.1² + 0.1²) = ½·0.195 = 0.0975.
        let mse = mean_squared_error(&y, &t).unwrap();
        assert!((mse - 0.0975).abs() < 1e-15, "{mse}");
        // −log(0.6 + 1e-7) = 0.510825457099338...
        let ce = cross_entropy_error(&y, &t).unwrap();
        assert!((ce - 0.510825457099338).abs() < 1e-14, "{ce}");
        assert!((ce + (0.6_f64 + 1e-7).ln()).abs() < 1e-16);
    }

    #[test]
    fn the_books_second_prediction() {
        // The book's second y puts 0.6 on class 7: MSE 0.5975, CE 2.302584...
        let (_, t) = notes_y_t();
        let y = array![0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0];
        assert!((mean_squared_error(&y, &t).unwrap() - 0.5975).abs() < 1e-15);
        let ce = cross_entropy_error(&y, &t).unwrap();
        assert!((ce - 2.302584092994546).abs() < 1e-14, "{ce}");
    }

    #[test]
    fn batch_is_the_mean_of_its_samples_and_labels_agree_with_one_hot() {
        let (y0, t0) = notes_y_t();
        let y1 = array![0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0];
        let mut y = Array2::zeros((2, 10));
        y.row_mut(0).assign(&y0);
        y.row_mut(1).assign(&y1);
        let t = ndarray::stack(Axis(0), &[t0.view(), t0.view()]).unwrap();
        let ce = cross_entropy_error(&y, &t).unwrap();
        assert!((ce - (0.510825457099338 + 2.302584092994546) / 2.0).abs() < 1e-14);
        let ce_labels = cross_entropy_error_labels(&y, &[2, 2]).unwrap();
        assert!((ce - ce_labels).abs() < 1e-15);
        let mse = mean_squared_error(&y, &t).unwrap();
        assert!((mse - (0.0975 + 0.5975) / 2.0).abs() < 1e-15);
    }

    #[test]
    fn the_guard_keeps_a_zero_probability_finite() {
        let ce: f64 = cross_entropy_error_labels(&array![1.0, 0.0], &[1]).unwrap();
        assert!((ce - 16.11809565095832).abs() < 1e-12, "{ce}");
    }

    #[test]
    fn errors_name_the_operation_and_shapes() {
        let (y, _) = notes_y_t();
        let err = cross_entropy_error(&y, &array![1.0, 0.0]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cross_entropy_error: shapes (10,) and (2,) differ; prediction and target must have the same shape"
        );
        let y2 = Array2::<f64>::zeros((3, 10));
        let err = cross_entropy_error_labels(&y2, &[1, 2]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cross_entropy_error_labels: 2 labels for a batch of 3 (scores of shape (3, 10))"
        );
        let err = cross_entropy_error_labels(&y2, &[1, 10, 2]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cross_entropy_error_labels: label 10 of sample 1 is out of range for 10 classes"
        );
        let y3 = Array3::<f64>::zeros((1, 2, 3));
        let err = mean_squared_error(&y3, &y3).unwrap_err();
        assert!(err
            .to_string()
            .contains("expected a 1-D sample or a 2-D batch, got shape (1, 2, 3)"));
    }
}
