//! Elementwise activation functions, on arrays of any shape.
//!
//! Each function returns a new array of the input's shape; the `_inplace`
//! forms overwrite their argument, for layers that own their input.

use ndarray::{Array, ArrayBase, Data, DataMut, Dimension};

use crate::Float;

/// The step function: h(x) = 1 if x > 0, else 0 (so h(0) = 0).
///
/// The notes return NumPy `int64`; here the result keeps the input's element
/// type so that it composes with the other activations.
///
/// ```
/// use ndarray::array;
/// assert_eq!(nn_core::activation::step(&array![-1.0, 0.0, 2.0]), array![0.0, 0.0, 1.0]);
/// ```
pub fn step<T, S, D>(x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    x.mapv(|v| if v > T::zero() { T::one() } else { T::zero() })
}

/// The logistic sigmoid: σ(x) = 1 / (1 + exp(−x)).
///
/// Evaluated as 1 / (1 + exp(−x)) for x ≥ 0 and exp(x) / (1 + exp(x)) for
/// x < 0, so `exp` only ever sees non-positive arguments: no overflow, and
/// σ(±1000) is exactly 1 and 0.
///
/// ```
/// use ndarray::array;
/// let y = nn_core::activation::sigmoid(&array![-1000.0, 0.0, 1000.0]);
/// assert_eq!(y, array![0.0, 0.5, 1.0]);
/// ```
pub fn sigmoid<T, S, D>(x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    x.mapv(sigmoid_scalar)
}

/// [`sigmoid`], overwriting `x`.
pub fn sigmoid_inplace<T, S, D>(x: &mut ArrayBase<S, D>)
where
    T: Float,
    S: DataMut<Elem = T>,
    D: Dimension,
{
    x.mapv_inplace(sigmoid_scalar);
}

#[inline]
fn sigmoid_scalar<T: Float>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

/// The hyperbolic tangent: tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ).
///
/// ```
/// use ndarray::array;
/// let y = nn_core::activation::tanh(&array![0.0, 1000.0]);
/// assert_eq!(y, array![0.0, 1.0]);
/// ```
pub fn tanh<T, S, D>(x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    x.mapv(T::tanh)
}

/// The rectified linear unit: h(x) = max(0, x).
///
/// ```
/// use ndarray::array;
/// assert_eq!(nn_core::activation::relu(&array![-2.0, 0.0, 3.0]), array![0.0, 0.0, 3.0]);
/// ```
pub fn relu<T, S, D>(x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    x.mapv(relu_scalar)
}

/// [`relu`], overwriting `x`.
pub fn relu_inplace<T, S, D>(x: &mut ArrayBase<S, D>)
where
    T: Float,
    S: DataMut<Elem = T>,
    D: Dimension,
{
    x.mapv_inplace(relu_scalar);
}

#[inline]
fn relu_scalar<T: Float>(x: T) -> T {
    if x > T::zero() {
        x
    } else {
        T::zero()
    }
}

/// The identity: h(x) = x, the output activation for regression.
///
/// ```
/// use ndarray::array;
/// assert_eq!(nn_core::activation::identity(&array![0.3, -0.7]), array![0.3, -0.7]);
/// ```
pub fn identity<T, S, D>(x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    x.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array};

    #[test]
    fn step_on_the_notes_range() {
        // np.arange(-5.0, 5.0, 0.1) through step_function: 0 up to and
        // including the sample nearest 0, 1 after.
        let x = Array::range(-5.0, 5.0, 0.1);
        let y = step(&x);
        for (&xi, &yi) in x.iter().zip(&y) {
            assert_eq!(yi, if xi > 0.0 { 1.0 } else { 0.0 });
        }
        assert_eq!(y.sum(), 49.0);
    }

    #[test]
    fn sigmoid_values_worked_by_hand() {
        // σ(0) = 1/2; σ(ln 3) = 1/(1 + 1/3) = 3/4; σ(−ln 3) = 1/4.
        let l3 = 3.0_f64.ln();
        let y = sigmoid(&array![0.0, l3, -l3]);
        for (got, want) in y.iter().zip([0.5, 0.75, 0.25]) {
            assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        }
    }

    #[test]
    fn sigmoid_is_finite_and_exact_at_the_extremes_in_both_types() {
        let y = sigmoid(&array![-1000.0_f32, 1000.0, -88.0, 88.0]);
        assert!(y.iter().all(|v| v.is_finite()));
        assert_eq!((y[0], y[1]), (0.0, 1.0));
        let y = sigmoid(&array![[-1000.0_f64], [1000.0]]);
        assert_eq!(y, array![[0.0], [1.0]]);
    }

    #[test]
    fn sigmoid_matches_the_notes_first_layer() {
        // Z1 = sigmoid([0.3, 0.7, 1.1]) = [0.57444252, 0.66818777, 0.75026011].
        let z = sigmoid(&array![0.3_f64, 0.7, 1.1]);
        for (got, want) in z.iter().zip([0.57444252, 0.66818777, 0.75026011]) {
            assert!((got - want).abs() < 5e-9, "{got} vs {want}");
        }
    }

    #[test]
    fn inplace_forms_agree_with_allocating_forms() {
        let x = array![[-1.5_f32, 0.0], [0.25, 7.0]].into_dyn();
        let mut y = x.clone();
        sigmoid_inplace(&mut y);
        assert_eq!(y, sigmoid(&x));
        let mut y = x.clone();
        relu_inplace(&mut y);
        assert_eq!(y, array![[0.0_f32, 0.0], [0.25, 7.0]].into_dyn());
    }

    #[test]
    fn tanh_is_odd_and_bounded() {
        let y = tanh(&array![-0.5_f64, 0.5, -1000.0]);
        assert_eq!(y[0], -y[1]);
        assert!((y[1] - 0.462_117_157_260_009_8).abs() < 1e-15);
        assert_eq!(y[2], -1.0);
    }
}
