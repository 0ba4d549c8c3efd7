//! Two-dimensional spirals, for demonstrating small fully connected networks.

use ndarray::Array2;
use nn_core::{
    rng::{fill_standard_normal, seeded},
    Float,
};

use crate::{dataset::one_hot, Dataset, Split};

/// `classes` interleaved spiral arms in the plane, `points` training and
/// `points / 4` test points per arm (CS231n's classic toy set): for arm j
/// and r going from 0 to 1, the point (r·sin t, r·cos t) with
/// t = 4j + 4r + 0.2·z, z standard normal. Not linearly separable, so a
/// network needs hidden layers for it.
///
/// ```
/// let data = nn_data::spiral::<f64>(100, 3, 0);
/// assert_eq!(data.train.images.shape(), &[300, 2]);
/// assert_eq!(data.test.images.shape(), &[75, 2]);
/// ```
pub fn spiral<T: Float>(points: usize, classes: usize, seed: u64) -> Dataset<T> {
    let make = |n: usize, stream: u64| {
        let mut rng = seeded(seed);
        rng.set_stream(stream);
        let mut noise = vec![0.0; n * classes];
        fill_standard_normal(&mut rng, &mut noise);
        let mut x = Array2::zeros((n * classes, 2));
        let mut labels = Vec::with_capacity(n * classes);
        for j in 0..classes {
            for i in 0..n {
                let r = if n > 1 {
                    i as f64 / (n - 1) as f64
                } else {
                    0.0
                };
                let t = 4.0 * j as f64 + 4.0 * r + 0.2 * noise[j * n + i];
                x[[j * n + i, 0]] = T::cast(r * t.sin());
                x[[j * n + i, 1]] = T::cast(r * t.cos());
                labels.push(j);
            }
        }
        Split {
            images: x.into_dyn(),
            one_hot: Some(one_hot(&labels, classes).expect("spiral labels are below classes")),
            labels,
        }
    };
    Dataset {
        name: "spiral".into(),
        train: make(points, 0),
        test: make(points / 4, 1),
        classes,
    }
}
