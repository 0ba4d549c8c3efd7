//! Mini-batches in a seeded random order.

use nn_core::rng::{below, seeded, shuffle};

/// How the mini-batches of an epoch are drawn from the training set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sampling {
    /// Every sample once per epoch, in a seeded random order (what PyTorch's
    /// `DataLoader(shuffle=True)` does).
    #[default]
    Shuffle,
    /// Every index drawn uniformly and independently, with replacement: the
    /// book's `common/trainer.py` (`np.random.choice(train_size,
    /// batch_size)` per step). An epoch of `len` draws sees about
    /// 1 − 1/e ≈ 63% of the samples, some more than once.
    Replacement,
}

/// The mini-batches of one epoch: `len` indices into `0..len` drawn from
/// `seed` and `epoch` as a [`Sampling`] says (a permutation, by default),
/// cut into batches of `batch_size` (the last one shorter when `len` is not
/// a multiple). The same seed and epoch give the same batches on every run
/// and machine; each epoch has its own order.
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
    /// The batches of epoch `epoch` over `len` samples, shuffled
    /// ([`Sampling::Shuffle`]). A `batch_size` of 0 is taken as 1.
    pub fn new(len: usize, batch_size: usize, seed: u64, epoch: u64) -> Self {
        Self::with_sampling(len, batch_size, seed, epoch, Sampling::Shuffle)
    }

    /// The batches of epoch `epoch`: `len` indices into `0..len` drawn as
    /// `sampling` says, cut into batches of `batch_size`.
    ///
    /// ```
    /// use nn_data::{MiniBatches, Sampling};
    ///
    /// let drawn: Vec<usize> =
    ///     MiniBatches::with_sampling(1000, 100, 3, 0, Sampling::Replacement).flatten().collect();
    /// assert_eq!(drawn.len(), 1000);
    /// let mut seen = vec![false; 1000];
    /// drawn.iter().for_each(|&i| seen[i] = true);
    /// let distinct = seen.iter().filter(|&&s| s).count();
    /// assert!((580..=680).contains(&distinct), "{distinct}"); // ≈ 1000 (1 − 1/e) = 632
    /// ```
    pub fn with_sampling(
        len: usize,
        batch_size: usize,
        seed: u64,
        epoch: u64,
        sampling: Sampling,
    ) -> Self {
        let mut rng = seeded(seed);
        rng.set_stream(epoch);
        let order = match sampling {
            Sampling::Shuffle => {
                let mut order: Vec<usize> = (0..len).collect();
                shuffle(&mut rng, &mut order);
                order
            }
            Sampling::Replacement => (0..len).map(|_| below(&mut rng, len)).collect(),
        };
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
