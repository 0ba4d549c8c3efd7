//! Mini-batches in a seeded random order.

use nn_core::rng::{seeded, shuffle};

/// The mini-batches of one epoch: a permutation of `0..len` drawn from
/// `seed` and `epoch`, cut into batches of `batch_size` (the last one
/// shorter when `len` is not a multiple). The same seed and epoch give the
/// same batches on every run and machine; each epoch has its own order.
///
/// ```
/// use nn_data::MiniBatches;
///
/// let a: Vec<Vec<usize>> = MiniBatches::new(10, 4, 7, 0).collect();
/// let b: Vec<Vec<usize>> = MiniBatches::new(10, 4, 7, 0).collect();
/// assert_eq!(a, b);
/// assert_eq!(a.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
/// let mut all: Vec<usize> = a.concat();
/// all.sort();
/// assert_eq!(all, (0..10).collect::<Vec<_>>());
/// assert_ne!(a, MiniBatches::new(10, 4, 7, 1).collect::<Vec<_>>());
/// ```
#[derive(Debug, Clone)]
pub struct MiniBatches {
    order: Vec<usize>,
    batch_size: usize,
    next: usize,
}

impl MiniBatches {
    /// The batches of epoch `epoch` over `len` samples. A `batch_size` of 0
    /// is taken as 1.
    pub fn new(len: usize, batch_size: usize, seed: u64, epoch: u64) -> Self {
        let mut rng = seeded(seed);
        rng.set_stream(epoch);
        let mut order: Vec<usize> = (0..len).collect();
        shuffle(&mut rng, &mut order);
        MiniBatches {
            order,
            batch_size: batch_size.max(1),
            next: 0,
        }
    }

    /// Number of batches in the epoch.
    pub fn count(len: usize, batch_size: usize) -> usize {
        len.div_ceil(batch_size.max(1))
    }
}

impl Iterator for MiniBatches {
    type Item = Vec<usize>;

    fn next(&mut self) -> Option<Vec<usize>> {
        if self.next >= self.order.len() {
            return None;
        }
        let end = (self.next + self.batch_size).min(self.order.len());
        let batch = self.order[self.next..end].to_vec();
        self.next = end;
        Some(batch)
    }
}
