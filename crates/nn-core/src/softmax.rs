//! Softmax over the last axis, with the max subtracted first.

use ndarray::{Array, ArrayBase, Axis, Data, DataMut, Dimension};

use crate::{Error, Float, Result, Shape};

/// Softmax along the last axis: yₖ = exp(aₖ − c) / Σᵢ exp(aᵢ − c), with c the
/// maximum of the row.
///
/// A 1-D input is one vector; a 2-D input is a batch, one sample per row (and
/// in general every lane along the last axis is normalised on its own).
/// Subtracting c changes nothing mathematically (the notes derive it: multiply
/// numerator and denominator by C = exp(−c)) but keeps every `exp` argument
/// ≤ 0, so finite inputs never overflow and never give NaN.
///
/// **The notes' listing has a bug**: in their second `softmax`, the line
/// `sum_exp_a = np.sum(exp_a)` sits inside the comment `# 溢出对策` (overflow
/// countermeasure), so the function reads an undefined `sum_exp_a`. This is
/// the intended function.
///
/// # Errors
/// [`Error::BadRank`] for a 0-D input, which has no axis to normalise.
///
/// # Example
/// The notes' overflow example, which naive softmax turns into `[nan, nan, nan]`:
/// ```
/// use ndarray::array;
///
/// let y = nn_core::softmax(&array![1010.0_f64, 1000.0, 990.0])?;
/// let want = [9.99954600e-01, 4.53978686e-05, 2.06106005e-09];
/// for (got, want) in y.iter().zip(want) {
///     assert!((got - want).abs() <= 1e-8 * want);
/// }
/// # Ok::<(), nn_core::Error>(())
/// ```
pub fn softmax<T, S, D>(x: &ArrayBase<S, D>) -> Result<Array<T, D>>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    let mut y = x.to_owned();
    softmax_inplace(&mut y)?;
    Ok(y)
}

/// [`softmax`], overwriting `x`.
///
/// # Errors
/// [`Error::BadRank`] for a 0-D input.
pub fn softmax_inplace<T, S, D>(x: &mut ArrayBase<S, D>) -> Result<()>
where
    T: Float,
    S: DataMut<Elem = T>,
    D: Dimension,
{
    if x.ndim() == 0 {
        return Err(Error::BadRank {
            op: "softmax",
            expected: "an array of at least one dimension",
            got: Shape::from(x.shape()),
        });
    }
    let last = Axis(x.ndim() - 1);
    for mut lane in x.lanes_mut(last) {
        match lane.as_slice_mut() {
            Some(row) => softmax_row(row),
            None => {
                let mut row = lane.to_vec();
                softmax_row(&mut row);
                lane.iter_mut().zip(row).for_each(|(d, s)| *d = s);
            }
        }
    }
    Ok(())
}

/// Softmax of one contiguous row, in place.
fn softmax_row<T: Float>(row: &mut [T]) {
    let c = row.iter().copied().fold(T::neg_infinity(), T::max);
    let mut sum = T::zero();
    for v in row.iter_mut() {
        *v = (*v - c).exp();
        sum += *v;
    }
    let inv = T::one() / sum;
    row.iter_mut().for_each(|v| *v *= inv);
}

/// log Σᵢ exp(xᵢ) along the last axis, as max + log Σ exp(xᵢ − max), so that
/// it neither overflows nor loses the large terms. The result has the input's
/// shape without its last axis.
///
/// ```
/// use ndarray::array;
///
/// let l = nn_core::logsumexp(&array![[1000.0_f64, 1000.0], [0.0, 0.0]])?;
/// let ln2 = 2.0_f64.ln();
/// assert_eq!(l, array![1000.0 + ln2, ln2].into_dyn());
/// # Ok::<(), nn_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::BadRank`] for a 0-D input.
pub fn logsumexp<T, S, D>(x: &ArrayBase<S, D>) -> Result<Array<T, ndarray::IxDyn>>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    let x = x.view().into_dyn();
    if x.ndim() == 0 {
        return Err(Error::BadRank {
            op: "logsumexp",
            expected: "an array of at least one dimension",
            got: Shape::from(x.shape()),
        });
    }
    let last = Axis(x.ndim() - 1);
    Ok(x.map_axis(last, |lane| {
        let c = lane.iter().copied().fold(T::neg_infinity(), T::max);
        if c.is_infinite() {
            return c;
        }
        c + lane.iter().map(|&v| (v - c).exp()).sum::<T>().ln()
    }))
}

/// log softmax along the last axis: xₖ − logsumexp(x), the log-probabilities
/// of a classifier's scores without the rounding of log(softmax(x)) (which
/// gives −∞ where softmax underflows to 0).
///
/// ```
/// use ndarray::array;
///
/// let y = nn_core::log_softmax(&array![0.0_f64, 0.0, 2000.0])?;
/// assert_eq!(y[2], 0.0);
/// assert_eq!(y[0], -2000.0); // log(softmax) would be −∞
/// # Ok::<(), nn_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::BadRank`] for a 0-D input.
pub fn log_softmax<T, S, D>(x: &ArrayBase<S, D>) -> Result<Array<T, D>>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    let lse = logsumexp(x)?;
    let last = Axis(x.ndim() - 1);
    let mut y = x.to_owned();
    for (mut lane, &l) in y.lanes_mut(last).into_iter().zip(lse.iter()) {
        lane.mapv_inplace(|v| v - l);
    }
    Ok(y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr0, array, s, Array2};

    fn assert_close(got: &[f64], want: &[f64], rel: f64) {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= rel * w.abs(), "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn the_notes_first_example() {
        // a = [0.3, 2.9, 4.0] → [0.01821127, 0.24519181, 0.73659691];
        // Σ exp(a) = 74.1221542101633.
        let a = array![0.3, 2.9, 4.0];
        let sum: f64 = a.mapv(f64::exp).sum();
        assert!((sum - 74.1221542101633).abs() < 1e-12);
        let y = softmax(&a).unwrap();
        assert_close(
            y.as_slice().unwrap(),
            &[0.01821127, 0.24519181, 0.73659691],
            3e-7,
        );
        assert!((y.sum() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn the_notes_overflow_example_in_f32_and_f64() {
        let want = [9.99954600e-01, 4.53978686e-05, 2.06106005e-09];
        let y = softmax(&array![1010.0, 1000.0, 990.0]).unwrap();
        assert_close(y.as_slice().unwrap(), &want, 1e-8);
        let y = softmax(&array![1010.0_f32, 1000.0, 990.0]).unwrap();
        let y: Vec<f64> = y.iter().map(|v| f64::from(*v)).collect();
        assert_close(&y, &want, 1e-6);
    }

    #[test]
    fn rows_of_a_batch_are_independent() {
        let x = array![[0.3, 2.9, 4.0], [1010.0, 1000.0, 990.0]];
        let y = softmax(&x).unwrap();
        assert_eq!(y.row(0), softmax(&x.row(0)).unwrap());
        assert_eq!(y.row(1), softmax(&x.row(1)).unwrap());
    }

    #[test]
    fn non_contiguous_input_gives_the_same_rows() {
        let x = Array2::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as f64 * 0.7 - 3.0);
        let t = x.t();
        let y = softmax(&t).unwrap();
        for (j, row) in y.outer_iter().enumerate() {
            assert_eq!(row, softmax(&x.slice(s![.., j]).to_owned()).unwrap());
        }
    }

    #[test]
    fn scalar_input_is_an_error() {
        let err = softmax(&arr0(1.0)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "softmax: expected an array of at least one dimension, got shape ()"
        );
    }

    #[test]
    fn log_softmax_is_the_log_of_softmax_where_both_are_finite() {
        let x = array![[1.0_f64, 2.0, 3.0], [-1.0, 0.5, 4.0]];
        let got = log_softmax(&x).unwrap();
        let want = softmax(&x).unwrap().mapv(f64::ln);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-15, "{g} vs {w}");
        }
        // logsumexp([1, 2, 3]) = 3 + ln(1 + e⁻¹ + e⁻²) = 3.40760596444438.
        let l = logsumexp(&x).unwrap();
        assert!((l[0] - 3.407_605_964_444_38).abs() < 1e-13);
        assert!(logsumexp(&arr0(1.0_f64)).is_err());
    }
}
