//! Predictions as probabilities, classes and top-k, on a network whose
//! scores are worked out by hand.

use ndarray::{array, Array1, Array2};
use nn_layers::{argmax, Affine, Network, Sequential};

/// One affine layer with W = I (3×3) and b = 0: the scores are the inputs.
fn identity() -> Network<f64> {
    let layer = Affine::new(Array2::eye(3), Array1::zeros(3)).unwrap();
    Network::new(Sequential::new().with(layer))
}

#[test]
fn probabilities_classes_and_top_k_follow_softmax_of_the_scores() {
    let mut net = identity();
    let x = array![[0.0, 1.0, 2.0], [2.0, 0.0, 0.0]];
    let p = net.predict_proba(&x).unwrap();
    // softmax([0, 1, 2]) = [1, e, e²]/(1 + e + e²)
    let e = std::f64::consts::E;
    let z = 1.0 + e + e * e;
    let expected = [1.0 / z, e / z, e * e / z];
    for (got, want) in p.row(0).iter().zip(expected) {
        assert!((got - want).abs() < 1e-15, "{p}");
    }
    assert_eq!(p.dim(), (2, 3));
    assert_eq!(net.classify(&x).unwrap(), [2, 0]);
    let top = net.top_k(&x, 2).unwrap();
    assert_eq!(top[0].iter().map(|c| c.0).collect::<Vec<_>>(), [2, 1]);
    assert!((top[0][0].1 - e * e / z).abs() < 1e-15);
    // Row 1: [2, 0, 0]; the tie between classes 1 and 2 keeps class order.
    assert_eq!(top[1].iter().map(|c| c.0).collect::<Vec<_>>(), [0, 1]);
    // A single sample (1-D) gives one row.
    assert_eq!(
        net.predict_proba(&array![5.0, 1.0, 0.0]).unwrap().dim(),
        (1, 3)
    );
}

#[test]
fn argmax_takes_views_slices_and_vectors() {
    assert_eq!(argmax(&[0.1, 0.7, 0.2][..]), 1);
    assert_eq!(argmax(&vec![3.0f32, 1.0]), 0);
    assert_eq!(argmax(array![1.0, 5.0, 5.0].view()), 1);
    assert_eq!(argmax(&[f64::NAN, 1.0][..]), 1);
    assert_eq!(argmax::<f64>(&[][..]), 0);
}

#[test]
fn loss_and_accuracy_measures_one_pass() {
    let mut net = identity();
    let x = array![[0.0, 1.0, 2.0], [2.0, 0.0, 0.0]].into_dyn();
    let (loss, accuracy) = net.loss_and_accuracy(x.view(), &[2, 1]).unwrap();
    // Cross-entropy: −ln(e²/z) for the first, −ln(1/(e² + 2)) for the second.
    let e = std::f64::consts::E;
    let want = (-(e * e / (1.0 + e + e * e)).ln() + (e * e + 2.0).ln()) / 2.0;
    assert!((loss - want).abs() < 1e-12, "{loss} vs {want}");
    assert_eq!(accuracy, 0.5);
}
