//! Mini-batch sampling: seeded, shaped as asked, and uniform.

use nn_data::{MiniBatches, Sampling};

fn batches(len: usize, batch: usize, seed: u64, epoch: u64, sampling: Sampling) -> Vec<Vec<usize>> {
    MiniBatches::with_sampling(len, batch, seed, epoch, sampling).collect()
}

#[test]
fn replacement_is_seeded_and_cut_like_a_shuffle() {
    let a = batches(250, 100, 5, 2, Sampling::Replacement);
    assert_eq!(a, batches(250, 100, 5, 2, Sampling::Replacement));
    assert_ne!(a, batches(250, 100, 5, 3, Sampling::Replacement));
    assert_ne!(a, batches(250, 100, 6, 2, Sampling::Replacement));
    assert_eq!(a.iter().map(Vec::len).collect::<Vec<_>>(), [100, 100, 50]);
    assert!(a.iter().flatten().all(|&i| i < 250));
    // 250 draws from 250 repeat some index (the chance of none is 250!/250^250).
    let mut sorted = a.concat();
    sorted.sort_unstable();
    sorted.dedup();
    assert!(sorted.len() < 250);
}

#[test]
fn new_is_the_shuffle() {
    assert_eq!(
        MiniBatches::new(30, 7, 1, 4).collect::<Vec<_>>(),
        batches(30, 7, 1, 4, Sampling::Shuffle)
    );
    assert_ne!(
        batches(30, 7, 1, 4, Sampling::Shuffle),
        batches(30, 7, 1, 4, Sampling::Replacement)
    );
}

/// 1,000 epochs of 10 draws from 10: each index is a Binomial(10,000, 0.1)
/// count, mean 1,000 and standard deviation 30; ±150 is five of them.
#[test]
fn replacement_draws_every_index_equally_often() {
    let mut counts = [0usize; 10];
    for e in 0..1000 {
        for i in batches(10, 3, 9, e, Sampling::Replacement).concat() {
            counts[i] += 1;
        }
    }
    assert_eq!(counts.iter().sum::<usize>(), 10_000);
    assert!(
        counts.iter().all(|&c| (850..=1150).contains(&c)),
        "{counts:?}"
    );
}

/// A label not below the class count was a row of zeros; now it is an error.
#[test]
fn one_hot_refuses_a_label_out_of_range() {
    let t = nn_data::one_hot::<f32>(&[1, 0], 2).unwrap();
    assert_eq!(t, ndarray::array![[0.0, 1.0], [1.0, 0.0]]);
    let err = nn_data::one_hot::<f32>(&[1, 7, 0], 3)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "one_hot: label 7 at index 1 is not below the 3 classes"
    );
}
