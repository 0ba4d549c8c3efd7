//! Properties that hold for every input, checked with proptest.

use ndarray::{Array1, Array2};
use nn_core::{numerical_gradient, softmax};
use proptest::prelude::*;

fn finite() -> impl Strategy<Value = f64> {
    -1.0e4..1.0e4_f64
}

proptest! {
    /// Every row of softmax is a probability vector, whatever finite scores
    /// it is given (including gaps that underflow most entries to 0).
    #[test]
    fn softmax_rows_sum_to_one(rows in 1usize..6, cols in 1usize..12, seed in prop::collection::vec(finite(), 72)) {
        let x = Array2::from_shape_fn((rows, cols), |(i, j)| seed[(i * cols + j) % seed.len()] * (1.0 + i as f64));
        let y = softmax(&x).unwrap();
        for row in y.rows() {
            prop_assert!(row.iter().all(|v| v.is_finite() && *v >= 0.0));
            prop_assert!((row.sum() - 1.0).abs() < 1e-12, "row sums to {}", row.sum());
        }
    }

    /// Softmax is unchanged by adding a constant to a row.
    #[test]
    fn softmax_is_shift_invariant(v in prop::collection::vec(-50.0..50.0_f64, 1..10), c in -500.0..500.0_f64) {
        let x = Array1::from(v);
        let a = softmax(&x).unwrap();
        let b = softmax(&(&x + c)).unwrap();
        for (p, q) in a.iter().zip(&b) {
            prop_assert!((p - q).abs() < 1e-12);
        }
    }

    /// For f(x) = Σ aᵢxᵢ² + bᵢxᵢ the gradient is 2aᵢxᵢ + bᵢ, and central
    /// differences of a quadratic are exact up to rounding.
    #[test]
    fn numerical_gradient_of_a_quadratic(
        terms in prop::collection::vec((-5.0..5.0_f64, -5.0..5.0_f64, -10.0..10.0_f64), 1..16)
    ) {
        let a: Array1<f64> = terms.iter().map(|t| t.0).collect();
        let b: Array1<f64> = terms.iter().map(|t| t.1).collect();
        let mut x: Array1<f64> = terms.iter().map(|t| t.2).collect();
        let f = |x: &Array1<f64>| (&a * x * x + &b * x).sum();
        let g = numerical_gradient(f, &mut x);
        let want = 2.0 * &a * &x + &b;
        for (got, want) in g.iter().zip(&want) {
            prop_assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
    }
}
