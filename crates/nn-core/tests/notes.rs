//! Every number of the notes' NumPy sections, in the order the notes give them.
//!
//! The notes use integer arrays in places; here every array is `f64`, whose
//! arithmetic on these small integers is exact.

use ndarray::{array, Array1, Axis};
use nn_core::{
    activation::{identity, sigmoid},
    dot, gradient_descent, softmax,
};

#[test]
fn elementwise_arithmetic_of_two_vectors() {
    let x = array![1.0, 2.0, 3.0];
    let y = array![2.0, 4.0, 6.0];
    assert_eq!(&x + &y, array![3.0, 6.0, 9.0]);
    assert_eq!(&x - &y, array![-1.0, -2.0, -3.0]);
    assert_eq!(&x * &y, array![2.0, 8.0, 18.0]);
    assert_eq!(&x / &y, array![0.5, 0.5, 0.5]);
    assert_eq!(&x / 2.0, array![0.5, 1.0, 1.5]);
}

#[test]
fn matrices_and_broadcasting() {
    let a = array![[1.0, 2.0], [3.0, 4.0]];
    assert_eq!(a.shape(), &[2, 2]);
    let b = array![[3.0, 0.0], [0.0, 6.0]];
    assert_eq!(&a + &b, array![[4.0, 2.0], [3.0, 10.0]]);
    assert_eq!(&a * &b, array![[3.0, 0.0], [0.0, 24.0]]);
    assert_eq!(&a * 10.0, array![[10.0, 20.0], [30.0, 40.0]]);
    // A (2, 2) times a (2,) row broadcasts the row over both rows.
    assert_eq!(&a * &array![10.0, 20.0], array![[10.0, 40.0], [30.0, 80.0]]);
}

#[test]
fn indexing_flattening_and_masks() {
    let x = array![[51.0, 55.0], [14.0, 19.0], [0.0, 4.0]];
    assert_eq!(x.row(0), array![51.0, 55.0]);
    assert_eq!(x[[0, 1]], 55.0);
    let rows: Vec<Array1<f64>> = x.outer_iter().map(|r| r.to_owned()).collect();
    assert_eq!(
        rows,
        [array![51.0, 55.0], array![14.0, 19.0], array![0.0, 4.0]]
    );
    let flat = x.flatten().to_owned();
    assert_eq!(flat, array![51.0, 55.0, 14.0, 19.0, 0.0, 4.0]);
    assert_eq!(flat.select(Axis(0), &[0, 2, 4]), array![51.0, 14.0, 0.0]);
    let mask = flat.mapv(|v| v > 15.0);
    assert_eq!(mask, array![true, true, false, true, false, false]);
    let kept: Vec<f64> = flat.iter().copied().filter(|&v| v > 15.0).collect();
    assert_eq!(kept, [51.0, 55.0, 19.0]);
}

#[test]
fn dimensions_and_shapes() {
    let a = array![1.0, 2.0, 3.0, 4.0];
    assert_eq!((a.ndim(), a.shape(), a.shape()[0]), (1, &[4][..], 4));
    let b = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    assert_eq!((b.ndim(), b.shape()), (2, &[3, 2][..]));
}

#[test]
fn matrix_products_and_the_not_aligned_error() {
    let a = array![[1.0, 2.0], [3.0, 4.0]];
    let b = array![[5.0, 6.0], [7.0, 8.0]];
    assert_eq!(
        dot(&a, &b).unwrap(),
        array![[19.0, 22.0], [43.0, 50.0]].into_dyn()
    );

    let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let b = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    assert_eq!(
        dot(&a, &b).unwrap(),
        array![[22.0, 28.0], [49.0, 64.0]].into_dyn()
    );

    let c = array![[1.0, 2.0], [3.0, 4.0]];
    let err = dot(&a, &c).unwrap_err().to_string();
    assert!(err.contains("shapes (2, 3) and (2, 2) not aligned: 3 (dim 1) != 2 (dim 0)"));

    let a = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    assert_eq!(
        dot(&a, &array![7.0, 8.0]).unwrap(),
        array![23.0, 53.0, 83.0].into_dyn()
    );
}

#[test]
fn the_inner_product_of_a_neural_network() {
    let x = array![1.0, 2.0];
    let w = array![[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]];
    assert_eq!(dot(&x, &w).unwrap(), array![5.0, 11.0, 17.0].into_dyn());
}

fn assert_close(got: &ndarray::ArrayD<f64>, want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < tol, "{got} vs {want:?}");
    }
}

#[test]
fn the_three_layer_forward_pass_step_by_step() {
    let x = array![1.0, 0.5];
    let w1 = array![[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]];
    let b1 = array![0.1, 0.2, 0.3];
    let a1 = dot(&x, &w1).unwrap() + &b1;
    assert_close(&a1, &[0.3, 0.7, 1.1], 1e-15);
    let z1 = sigmoid(&a1);
    assert_close(&z1, &[0.57444252, 0.66818777, 0.75026011], 5e-9);

    let w2 = array![[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]];
    let z2 = sigmoid(&(dot(&z1, &w2).unwrap() + &array![0.1, 0.2]));
    let w3 = array![[0.1, 0.3], [0.2, 0.4]];
    let y = identity(&(dot(&z2, &w3).unwrap() + &array![0.1, 0.2]));
    assert_close(&y, &[0.31682708, 0.69627909], 5e-9);
}

#[test]
fn softmax_by_hand_and_with_the_max_subtracted() {
    let a = array![0.3, 2.9, 4.0];
    let exp_a = a.mapv(f64::exp);
    for (g, w) in exp_a.iter().zip([1.34985881, 18.17414537, 54.59815003]) {
        assert!((g - w).abs() < 5e-9);
    }
    assert!((exp_a.sum() - 74.1221542101633).abs() < 1e-12);
    for (g, w) in softmax(&a)
        .unwrap()
        .iter()
        .zip([0.01821127, 0.24519181, 0.73659691])
    {
        assert!((g - w).abs() < 5e-9);
    }

    let a = array![1010.0, 1000.0, 990.0];
    // The naive form overflows: exp(1010) = inf and inf / inf = NaN.
    let naive = a.mapv(f64::exp) / a.mapv(f64::exp).sum();
    assert!(naive.iter().all(|v| v.is_nan()));
    let c = a.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    assert_eq!(&a - c, array![0.0, -10.0, -20.0]);
    let y = softmax(&a).unwrap();
    for (g, w) in y
        .iter()
        .zip([9.99954600e-01, 4.53978686e-05, 2.06106005e-09])
    {
        assert!((g - w).abs() <= 1e-8 * w, "{g} vs {w}");
    }
}

#[test]
fn gradient_descent_on_function_2() {
    let x = gradient_descent(|x| x.mapv(|v| v * v).sum(), array![-3.0_f64, 4.0], 0.1, 100);
    assert!(x[0].abs() < 1e-8 && x[1].abs() < 1e-8, "{x}");
}
