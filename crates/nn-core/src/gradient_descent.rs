//! Gradient descent with numerical gradients.

use ndarray::{Array, Dimension};

use crate::{numerical_gradient, Float};

/// Minimises `f` from `init` by `steps` updates x ← x − η·∇f(x), with η = `lr`
/// and ∇f from [`numerical_gradient`]. Returns the final x.
///
/// # Example
/// The notes' f(x₀, x₁) = x₀² + x₁² from (−3, 4), η = 0.1, 100 steps: each step
/// multiplies x by 1 − 2η = 0.8, so x ends at 0.8¹⁰⁰·(−3, 4) ≈ (−6.1e−10, 8.1e−10).
/// ```
/// use ndarray::array;
///
/// let x = nn_core::gradient_descent(|x| x.mapv(|v| v * v).sum(), array![-3.0_f64, 4.0], 0.1, 100);
/// assert!(x[0].abs() < 1e-8 && x[1].abs() < 1e-8);
/// ```
pub fn gradient_descent<T, D, F>(mut f: F, init: Array<T, D>, lr: T, steps: usize) -> Array<T, D>
where
    T: Float,
    D: Dimension,
    F: FnMut(&Array<T, D>) -> T,
{
    let mut x = init;
    for _ in 0..steps {
        let grad = numerical_gradient(&mut f, &mut x);
        x.scaled_add(-lr, &grad);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn function_2(x: &ndarray::Array1<f64>) -> f64 {
        x.mapv(|v| v * v).sum()
    }

    #[test]
    fn reaches_the_minimum_at_the_rate_worked_by_hand() {
        let x = gradient_descent(function_2, array![-3.0, 4.0], 0.1, 100);
        assert!(x[0].abs() < 1e-8 && x[1].abs() < 1e-8, "{x}");
        // x₁₀₀ = 0.8¹⁰⁰ · x₀ (central differences are exact for quadratics up
        // to rounding).
        let k = 0.8_f64.powi(100);
        assert!((x[0] + 3.0 * k).abs() < 1e-12 && (x[1] - 4.0 * k).abs() < 1e-12);
    }

    #[test]
    fn learning_rate_too_large_diverges_too_small_barely_moves() {
        // The book's two warnings: η = 10 diverges (factor 1 − 20 = −19 per
        // step), η = 1e−10 leaves x where it started.
        let x = gradient_descent(function_2, array![-3.0, 4.0], 10.0, 100);
        assert!(x[0].abs() > 1e10 || !x[0].is_finite());
        let x = gradient_descent(function_2, array![-3.0, 4.0], 1e-10, 100);
        assert!((x[0] + 3.0).abs() < 1e-6 && (x[1] - 4.0).abs() < 1e-6);
    }
}
