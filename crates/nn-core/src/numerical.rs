//! Numerical differentiation by central differences.

use ndarray::{Array, ArrayBase, DataMut, Dimension};

use crate::Float;

/// The step of every central difference in nn: h = 10⁻⁴, the notes' choice.
///
/// The truncation error of a central difference is O(h²) ≈ 10⁻⁸ and its
/// rounding error about ε·|f|/h, which is ≈ 10⁻¹² in `f64` but ≈ 10⁻³ in
/// `f32`: run numerical gradients in `f64`.
pub const NUMERICAL_H: f64 = 1e-4;

/// The derivative of `f` at `x` by central difference:
/// f′(x) ≈ (f(x + h) − f(x − h)) / 2h with h = [`NUMERICAL_H`].
///
/// # Example
/// The book's f(x) = 0.01x² + 0.1x, whose derivative 0.02x + 0.1 is 0.2 at 5:
/// ```
/// let f = |x: f64| 0.01 * x * x + 0.1 * x;
/// let d = nn_core::numerical_diff(f, 5.0);
/// assert!((d - 0.2).abs() < 1e-10);
/// ```
pub fn numerical_diff<T: Float>(f: impl Fn(T) -> T, x: T) -> T {
    let h = T::cast(NUMERICAL_H);
    (f(x + h) - f(x - h)) / (h + h)
}

/// The gradient of `f` at `x`, one central difference per element:
/// ∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h with h = [`NUMERICAL_H`].
///
/// `x` may have any shape; the gradient has the same. Each element is nudged
/// in place (so `f` sees the nudged `x`) and then **restored from a saved
/// copy**, not by adding h back: afterwards `x` is bit-for-bit what it was.
/// Costs 2·`x.len()` evaluations of `f`.
///
/// # Example
/// The notes' f(x₀, x₁) = x₀² + x₁², whose gradient at (3, 4) is (6, 8):
/// ```
/// use ndarray::array;
///
/// let mut x = array![3.0_f64, 4.0];
/// let g = nn_core::numerical_gradient(|x| x.mapv(|v| v * v).sum(), &mut x);
/// assert!((g[0] - 6.0).abs() < 1e-7 && (g[1] - 8.0).abs() < 1e-7);
/// assert_eq!(x, array![3.0, 4.0]);
/// ```
pub fn numerical_gradient<T, S, D, F>(mut f: F, x: &mut ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: DataMut<Elem = T>,
    D: Dimension,
    F: FnMut(&ArrayBase<S, D>) -> T,
{
    let h = T::cast(NUMERICAL_H);
    let shape = x.raw_dim();
    let mut grad = Array::zeros(shape.clone());
    let mut idx = shape.clone();
    idx.slice_mut().fill(0);
    for _ in 0..x.len() {
        let original = x[idx.clone()];
        x[idx.clone()] = original + h;
        let plus = f(x);
        x[idx.clone()] = original - h;
        let minus = f(x);
        x[idx.clone()] = original;
        grad[idx.clone()] = (plus - minus) / (h + h);
        advance(&mut idx, &shape);
    }
    grad
}

/// Steps `idx` to the next index in row-major order (an odometer: the last
/// axis turns fastest). Wraps to all zeros after the last index.
fn advance<D: Dimension>(idx: &mut D, shape: &D) {
    for (i, &n) in idx.slice_mut().iter_mut().zip(shape.slice()).rev() {
        *i += 1;
        if *i < n {
            return;
        }
        *i = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array3};

    fn function_2(x: &ndarray::Array1<f64>) -> f64 {
        x.mapv(|v| v * v).sum()
    }

    #[test]
    fn numerical_diff_of_the_books_function_1() {
        // f(x) = 0.01x² + 0.1x, f′(x) = 0.02x + 0.1: 0.2 at 5 and 0.3 at 10.
        let f = |x: f64| 0.01 * x * x + 0.1 * x;
        assert!((numerical_diff(f, 5.0) - 0.2).abs() < 1e-10);
        assert!((numerical_diff(f, 10.0) - 0.3).abs() < 1e-10);
    }

    #[test]
    fn gradient_of_the_notes_function_2_at_three_points() {
        // ∇(x₀² + x₁²) = (2x₀, 2x₁).
        for (x0, x1) in [(3.0, 4.0), (0.0, 2.0), (3.0, 0.0)] {
            let mut x = array![x0, x1];
            let g = numerical_gradient(function_2, &mut x);
            assert!((g[0] - 2.0 * x0).abs() < 1e-7 && (g[1] - 2.0 * x1).abs() < 1e-7);
        }
    }

    #[test]
    fn works_on_any_shape_and_restores_every_bit() {
        // f(x) = Σ cᵢ·xᵢ³ with cᵢ = i + 1, so ∂f/∂xᵢ = 3cᵢxᵢ².
        let mut x = Array3::from_shape_fn((2, 3, 2), |(i, j, k)| {
            0.1 + (i * 6 + j * 2 + k) as f64 / 7.0
        });
        let before: Vec<u64> = x.iter().map(|v| v.to_bits()).collect();
        let f = |x: &Array3<f64>| {
            x.iter()
                .enumerate()
                .map(|(i, v)| (i + 1) as f64 * v * v * v)
                .sum::<f64>()
        };
        let g = numerical_gradient(f, &mut x);
        for (i, (gi, xi)) in g.iter().zip(x.iter()).enumerate() {
            let want = 3.0 * (i + 1) as f64 * xi * xi;
            assert!((gi - want).abs() < 1e-6, "{i}: {gi} vs {want}");
        }
        let after: Vec<u64> = x.iter().map(|v| v.to_bits()).collect();
        assert_eq!(before, after);
        assert_eq!(g.shape(), &[2, 3, 2]);
    }

    #[test]
    fn f_sees_the_nudged_input() {
        let mut x = array![1.0, 2.0];
        let mut seen = Vec::new();
        let _ = numerical_gradient(
            |x: &ndarray::Array1<f64>| {
                seen.push((x[0], x[1]));
                0.0
            },
            &mut x,
        );
        let h = NUMERICAL_H;
        assert_eq!(
            seen,
            [
                (1.0 + h, 2.0),
                (1.0 - h, 2.0),
                (1.0, 2.0 + h),
                (1.0, 2.0 - h)
            ]
        );
    }
}
