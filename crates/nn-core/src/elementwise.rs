//! Element-wise loops over pairs of flat buffers, in parallel when long.

use rayon::prelude::*;

/// Elements per task in element-wise loops. Below twice this, loops run on
/// the calling thread: handing out less work costs more than it saves.
pub const ELEMENTWISE_CHUNK: usize = 1 << 15;

/// Calls `f` on matching chunks of `a` and `b` (equal lengths), in parallel
/// on the rayon pool for long buffers. Chunk boundaries depend only on the
/// length, and each element is touched by one call, so results do not depend
/// on the number of threads.
///
/// Layers use it on their tensors' contiguous storage; ndarray's `Zip` over
/// dynamic-rank arrays was measured at 2 ns per element on a 1.7 M-element
/// ReLU backward, against 0.2 ns for this flat loop.
///
/// ```
/// let mut x = vec![-1.0_f32, 2.0, -3.0];
/// let mut mask = vec![false; 3];
/// nn_core::zip_chunks(&mut x, &mut mask, |x, m| {
///     for (x, m) in x.iter_mut().zip(m) {
///         *m = *x > 0.0;
///         *x = x.max(0.0);
///     }
/// });
/// assert_eq!((x, mask), (vec![0.0, 2.0, 0.0], vec![false, true, false]));
/// ```
///
/// # Panics
/// When the lengths differ: callers pair buffers of tensors whose shapes they
/// have already checked.
pub fn zip_chunks<A, B, F>(a: &mut [A], b: &mut [B], f: F)
where
    A: Send,
    B: Send,
    F: Fn(&mut [A], &mut [B]) + Send + Sync,
{
    assert_eq!(a.len(), b.len(), "zip_chunks: buffers of different lengths");
    if a.len() < 2 * ELEMENTWISE_CHUNK {
        f(a, b);
    } else {
        a.par_chunks_mut(ELEMENTWISE_CHUNK)
            .zip(b.par_chunks_mut(ELEMENTWISE_CHUNK))
            .for_each(|(a, b)| f(a, b));
    }
}

/// Like [`zip_chunks`], with the second buffer only read.
///
/// ```
/// let mut out = vec![0.0_f32; 4];
/// nn_core::map_chunks(&mut out, &[1u8, 2, 3, 4], |o, b| {
///     o.iter_mut().zip(b).for_each(|(o, &b)| *o = f32::from(b) / 2.0);
/// });
/// assert_eq!(out, [0.5, 1.0, 1.5, 2.0]);
/// ```
///
/// # Panics
/// When the lengths differ (see [`zip_chunks`]).
pub fn map_chunks<A, B, F>(a: &mut [A], b: &[B], f: F)
where
    A: Send,
    B: Sync,
    F: Fn(&mut [A], &[B]) + Send + Sync,
{
    assert_eq!(a.len(), b.len(), "map_chunks: buffers of different lengths");
    if a.len() < 2 * ELEMENTWISE_CHUNK {
        f(a, b);
    } else {
        a.par_chunks_mut(ELEMENTWISE_CHUNK)
            .zip(b.par_chunks(ELEMENTWISE_CHUNK))
            .for_each(|(a, b)| f(a, b));
    }
}

/// Σ `xs`, with eight running sums over interleaved elements combined at the
/// end.
///
/// `xs.iter().sum()` adds one element at a time, each addition waiting for
/// the last (float addition is not associative, so the compiler may not
/// reorder it): about 4 cycles per element. Eight independent sums let the
/// additions overlap and vectorise. The order is fixed by the length alone,
/// so the result is the same on every run and every thread count; it may
/// differ from the sequential sum in the last bits.
///
/// ```
/// let xs: Vec<f64> = (1..=100).map(f64::from).collect();
/// assert_eq!(nn_core::sum(&xs), 5050.0);
/// ```
pub fn sum<T: crate::Float>(xs: &[T]) -> T {
    let mut lanes = [T::zero(); 8];
    let mut chunks = xs.chunks_exact(8);
    for chunk in &mut chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            *lane += x;
        }
    }
    let tail: T = chunks.remainder().iter().copied().sum();
    (lanes[0] + lanes[4])
        + (lanes[1] + lanes[5])
        + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]))
        + tail
}
