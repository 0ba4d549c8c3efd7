//! Seeded, portable random numbers.
//!
//! nn never draws from an ambient or thread-local generator: everything random
//! (initial weights, dropout masks, shuffles, synthetic data) takes a generator
//! the caller owns. The project's generator is [`ChaCha8Rng`] (the ChaCha
//! stream cipher with 8 rounds, from `rand_chacha`), seeded by [`seeded`]. Its
//! output is fixed by the cipher's specification, and the conversions below
//! use only IEEE-754 basic arithmetic, `sqrt`, and the pure-Rust `libm`
//! logarithm, so **one seed gives the same numbers on every run, every
//! operating system and every CPU**.
//!
//! Any [`Rng`] works where a generator is taken; only [`ChaCha8Rng`] carries
//! the portability promise.

pub use rand_chacha::ChaCha8Rng;
pub use rand_core::{Rng, SeedableRng};

/// The project's generator, seeded from a `u64` (ChaCha8 keyed by
/// `rand_core`'s documented PCG32 expansion of the seed).
///
/// ```
/// use nn_core::rng::{seeded, Rng};
/// assert_eq!(seeded(7).next_u64(), seeded(7).next_u64());
/// assert_ne!(seeded(7).next_u64(), seeded(8).next_u64());
/// ```
pub fn seeded(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A uniform `f64` in [0, 1): the top 53 bits of one `u64`, times 2⁻⁵³.
pub fn uniform01<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    (rng.next_u64() >> 11) as f64 * SCALE
}

/// A uniform integer in `0..n`, without modulo bias (Lemire's multiply-shift
/// with rejection).
///
/// Returns 0 when `n` is 0 or 1.
pub fn below<R: Rng + ?Sized>(rng: &mut R, n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    let n = n as u64;
    // 2⁶⁴ mod n: products whose low word falls below it are rejected.
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = u128::from(rng.next_u64()) * u128::from(n);
        if (m as u64) >= threshold {
            return (m >> 64) as usize;
        }
    }
}

/// Shuffles `items` uniformly (Fisher–Yates, from the back, with [`below`]).
///
/// ```
/// use nn_core::rng::{seeded, shuffle};
///
/// let mut a: Vec<u32> = (0..10).collect();
/// shuffle(&mut seeded(1), &mut a);
/// let mut b: Vec<u32> = (0..10).collect();
/// shuffle(&mut seeded(1), &mut b);
/// assert_eq!(a, b);
/// a.sort();
/// assert_eq!(a, (0..10).collect::<Vec<_>>());
/// ```
pub fn shuffle<T, R: Rng + ?Sized>(rng: &mut R, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, below(rng, i + 1));
    }
}

/// Two independent standard-normal samples (Marsaglia's polar method).
///
/// Draws u, v uniform in (−1, 1) until s = u² + v² lies in (0, 1), then returns
/// (u·m, v·m) with m = √(−2 ln s / s).
pub fn standard_normal_pair<R: Rng + ?Sized>(rng: &mut R) -> (f64, f64) {
    loop {
        let u = 2.0 * uniform01(rng) - 1.0;
        let v = 2.0 * uniform01(rng) - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            let m = (-2.0 * libm::log(s) / s).sqrt();
            return (u * m, v * m);
        }
    }
}

/// Fills `out` with standard-normal samples, two per [`standard_normal_pair`]
/// (the second of the last pair is dropped when `out.len()` is odd).
pub fn fill_standard_normal<R: Rng + ?Sized>(rng: &mut R, out: &mut [f64]) {
    let mut chunks = out.chunks_exact_mut(2);
    for pair in &mut chunks {
        let (a, b) = standard_normal_pair(rng);
        pair[0] = a;
        pair[1] = b;
    }
    if let [last] = chunks.into_remainder() {
        *last = standard_normal_pair(rng).0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_var(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        (mean, var)
    }

    #[test]
    fn uniform01_has_the_moments_of_u01() {
        let mut rng = seeded(0);
        let x: Vec<f64> = (0..200_000).map(|_| uniform01(&mut rng)).collect();
        assert!(x.iter().all(|v| (0.0..1.0).contains(v)));
        let (mean, var) = mean_var(&x);
        // Standard errors: 1/√(12·n) ≈ 6.5e−4 for the mean.
        assert!((mean - 0.5).abs() < 4e-3, "{mean}");
        assert!((var - 1.0 / 12.0).abs() < 2e-3, "{var}");
    }

    #[test]
    fn normal_samples_have_mean_zero_and_unit_variance() {
        let mut x = vec![0.0; 200_001];
        fill_standard_normal(&mut seeded(42), &mut x);
        let (mean, var) = mean_var(&x);
        assert!(mean.abs() < 1e-2, "{mean}");
        assert!((var - 1.0).abs() < 2e-2, "{var}");
        // About 68.27% within one standard deviation.
        let within = x.iter().filter(|v| v.abs() < 1.0).count() as f64 / x.len() as f64;
        assert!((within - 0.6827).abs() < 5e-3, "{within}");
    }

    #[test]
    fn below_is_in_range_and_uniform() {
        let mut rng = seeded(3);
        let mut counts = [0usize; 7];
        for _ in 0..70_000 {
            counts[below(&mut rng, 7)] += 1;
        }
        // Each count is ≈ 10,000 ± 95 (one standard deviation).
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(below(&mut rng, 0), 0);
        assert_eq!(below(&mut rng, 1), 0);
    }

    #[test]
    fn same_seed_same_stream() {
        let mut a = vec![0.0; 9];
        let mut b = vec![0.0; 9];
        fill_standard_normal(&mut seeded(5), &mut a);
        fill_standard_normal(&mut seeded(5), &mut b);
        assert_eq!(a, b);
        fill_standard_normal(&mut seeded(6), &mut b);
        assert_ne!(a, b);
    }
}
