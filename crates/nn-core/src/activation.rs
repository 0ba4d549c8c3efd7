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
    x.mapv(scalar::sigmoid)
}

/// [`sigmoid`], overwriting `x`.
pub fn sigmoid_inplace<T, S, D>(x: &mut ArrayBase<S, D>)
where
    T: Float,
    S: DataMut<Elem = T>,
    D: Dimension,
{
    x.mapv_inplace(scalar::sigmoid);
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
    x.mapv(scalar::tanh)
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
    x.mapv(scalar::relu)
}

/// [`relu`], overwriting `x`.
pub fn relu_inplace<T, S, D>(x: &mut ArrayBase<S, D>)
where
    T: Float,
    S: DataMut<Elem = T>,
    D: Dimension,
{
    x.mapv_inplace(scalar::relu);
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

/// Leaky ReLU: x for x > 0, `slope`·x otherwise (slope 0.01 is usual).
pub fn leaky_relu<T, S, D>(x: &ArrayBase<S, D>, slope: f64) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    let slope = T::cast(slope);
    x.mapv(|v| scalar::leaky_relu(v, slope))
}

/// GELU in its tanh approximation (Hendrycks & Gimpel, 2016; PyTorch's
/// `approximate='tanh'`): ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
pub fn gelu<T, S, D>(x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    x.mapv(scalar::gelu)
}

/// The activations on one value: what the array functions above map, and what
/// the activation layers of nn-layers compute, with their derivatives.
pub mod scalar {
    use crate::Float;

    /// 1/(1 + e⁻ˣ), computed so that no `exp` overflows.
    #[inline]
    pub fn sigmoid<T: Float>(x: T) -> T {
        if x >= T::zero() {
            T::one() / (T::one() + (-x).exp())
        } else {
            let e = x.exp();
            e / (T::one() + e)
        }
    }

    /// σ'(x) = y(1 − y), from the output y = σ(x).
    #[inline]
    pub fn sigmoid_derivative_from_output<T: Float>(y: T) -> T {
        (T::one() - y) * y
    }

    /// tanh x.
    #[inline]
    pub fn tanh<T: Float>(x: T) -> T {
        x.tanh()
    }

    /// tanh'(x) = 1 − y², from the output y = tanh x.
    #[inline]
    pub fn tanh_derivative_from_output<T: Float>(y: T) -> T {
        T::one() - y * y
    }

    /// max(x, 0).
    #[inline]
    pub fn relu<T: Float>(x: T) -> T {
        if x > T::zero() {
            x
        } else {
            T::zero()
        }
    }

    /// x for x > 0, `slope`·x otherwise.
    #[inline]
    pub fn leaky_relu<T: Float>(x: T, slope: T) -> T {
        if x > T::zero() {
            x
        } else {
            slope * x
        }
    }

    /// 1 for x > 0, `slope` otherwise (the value at 0 is the left derivative).
    #[inline]
    pub fn leaky_relu_derivative<T: Float>(x: T, slope: T) -> T {
        if x > T::zero() {
            T::one()
        } else {
            slope
        }
    }

    /// √(2/π).
    const GELU_C: f64 = 0.797_884_560_802_865_4;
    /// The cubic term's coefficient of the tanh approximation.
    const GELU_A: f64 = 0.044_715;

    /// ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³).
    #[inline]
    pub fn gelu<T: Float>(x: T) -> T {
        let u = T::cast(GELU_C) * (x + T::cast(GELU_A) * x * x * x);
        T::cast(0.5) * x * (T::one() + u.tanh())
    }

    /// d/dx of [`gelu`]: ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²),
    /// t = tanh u.
    #[inline]
    pub fn gelu_derivative<T: Float>(x: T) -> T {
        let half = T::cast(0.5);
        let c = T::cast(GELU_C);
        let a = T::cast(GELU_A);
        let t = (c * (x + a * x * x * x)).tanh();
        half * (T::one() + t)
            + half * x * (T::one() - t * t) * c * (T::one() + T::cast(3.0) * a * x * x)
    }
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

    #[test]
    fn leaky_relu_and_gelu_worked_by_hand() {
        assert_eq!(
            leaky_relu(&array![-2.0_f64, 0.0, 3.0], 0.1),
            array![-0.2, 0.0, 3.0]
        );
        // gelu(1) = ½(1 + tanh(√(2/π)·1.044715)) = ½(1 + tanh(0.833554...)) = 0.8411919906...
        let y = gelu(&array![0.0_f64, 1.0, -1.0]);
        assert_eq!(y[0], 0.0);
        assert!((y[1] - 0.841_191_990_608_276_8).abs() < 1e-12, "{}", y[1]);
        // gelu(x) − gelu(−x) = x.
        assert!((y[1] - y[2] - 1.0).abs() < 1e-15);
    }

    #[test]
    fn derivatives_match_central_differences() {
        let h = 1e-6;
        for x in [-3.0_f64, -0.7, 0.3, 2.5] {
            let num = |f: &dyn Fn(f64) -> f64| (f(x + h) - f(x - h)) / (2.0 * h);
            let d = num(&scalar::gelu);
            assert!(
                (d - scalar::gelu_derivative(x)).abs() < 1e-8,
                "gelu' at {x}"
            );
            let d = num(&scalar::sigmoid);
            assert!((d - scalar::sigmoid_derivative_from_output(scalar::sigmoid(x))).abs() < 1e-8);
            let d = num(&scalar::tanh);
            assert!((d - scalar::tanh_derivative_from_output(scalar::tanh(x))).abs() < 1e-8);
            let d = num(&|v| scalar::leaky_relu(v, 0.1));
            assert!((d - scalar::leaky_relu_derivative(x, 0.1)).abs() < 1e-8);
        }
    }
}
