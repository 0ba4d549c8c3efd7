//! The tiled products, written once for any vector width.
//!
//! [`Lanes`] is the small interface a SIMD instruction set gives the tiles:
//! loads (whole and masked), stores, a broadcast, a fused multiply-add and
//! a horizontal sum. `avx2.rs` and `avx512.rs` implement it with
//! intrinsics and instantiate [`gemm`] and [`gemm_nt`] inside their own
//! `#[target_feature]` functions, into which everything here is inlined.
//! The tests run the same tiles on plain arrays of 8 and 16 lanes, so the
//! tiling of every width is checked on any CPU.

use super::{Operand, Segmented};

/// A vector of `N` f32 lanes.
///
/// # Safety
/// Implementations are called only where their instruction set is
/// available; pointer arguments address `N` valid floats (or, masked, the
/// lanes the mask selects).
pub(super) unsafe trait Lanes: Copy {
    /// Lanes per vector.
    const N: usize;
    /// Which lanes a masked load or store touches.
    type Mask: Copy;
    /// The first `valid` lanes (1 ≤ valid ≤ N).
    fn mask(valid: usize) -> Self::Mask;
    /// All lanes 0.
    unsafe fn zero() -> Self;
    /// N floats from `p`.
    unsafe fn load(p: *const f32) -> Self;
    /// The masked lanes from `p`, the others 0; nothing else is read.
    unsafe fn load_masked(p: *const f32, mask: Self::Mask) -> Self;
    /// N floats to `p`.
    unsafe fn store(self, p: *mut f32);
    /// The masked lanes to `p`; nothing else is written.
    unsafe fn store_masked(self, p: *mut f32, mask: Self::Mask);
    /// `*p` in every lane.
    unsafe fn splat(p: *const f32) -> Self;
    /// a·b + c in each lane, rounded once.
    unsafe fn mul_add(a: Self, b: Self, c: Self) -> Self;
    /// a + b in each lane.
    unsafe fn add(a: Self, b: Self) -> Self;
    /// The sum of the lanes, in a fixed order.
    unsafe fn sum(self) -> f32;
}

/// C (+)= A·B (see [`super::gemm`]) in MR × N·NV tiles, column panel by
/// column panel, so that the k × N·NV panel of B stays in cache while
/// every row tile of A uses it. Each element of C is one sum over l in
/// order, whatever the tiling.
///
/// A last, narrower panel is its whole vectors of `V` (fewer than NV) and
/// the columns after them (1 to N). Those are copied once, zero-padded,
/// into rows of one vector: of `H` when they fit its lanes and it is
/// narrower, else of `V` (pass `H = V` for never). The tiles then load
/// every vector of B whole; masks are used only to store C. (Masked loads
/// in the inner loop, and a variable count of vectors there, ran the
/// last panel at half the speed of the others on Zen 4.)
///
/// # Safety
/// `V`'s and `H`'s instruction sets must be available, and A, B and C must
/// hold every element the dimensions and offsets address (as `super::gemm`
/// checks); N·NV ≤ 64; NV ≤ 2.
#[inline(always)]
pub(super) unsafe fn gemm<V: Lanes, H: Lanes, const MR: usize, const NV: usize>(
    (m, n, k): (usize, usize, usize),
    a: Operand<'_, f32>,
    b: Operand<'_, f32>,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
) {
    // A last panel has 0 or 1 whole vectors, each a separate instance.
    const { assert!(NV <= 2, "tiles::gemm: more than 2 vectors per tile row") };
    // Rows past the end of A read these zeros and write to `scratch`, so
    // every tile runs the full MR-row kernel.
    let zeros = vec![0.0_f32; k.max(1)];
    let mut scratch = [0.0_f32; 64];
    let nr = V::N * NV;
    assert!(
        nr <= scratch.len(),
        "kernels: a tile wider than its scratch row"
    );
    let mut packed = Vec::new();
    for j0 in (0..n).step_by(nr) {
        let cols = nr.min(n - j0);
        // A last panel: `whole` vectors and `rest` more columns (1 to N),
        // packed into rows of `lanes` (H's or V's).
        let whole = (cols - 1) / V::N;
        let rest = cols - V::N * whole;
        let narrow = H::N < V::N && rest <= H::N;
        let lanes = if narrow { H::N } else { V::N };
        if cols < nr {
            packed.clear();
            packed.resize(k * lanes, 0.0_f32);
            for (row, &offset) in packed.chunks_exact_mut(lanes).zip(b.rows) {
                let from = offset + j0 + V::N * whole;
                row[..rest].copy_from_slice(&b.data[from..from + rest]);
            }
        }
        let tail = (packed.as_ptr(), rest);
        for i0 in (0..m).step_by(MR) {
            let mut a_rows = [zeros.as_ptr(); MR];
            let mut c_rows = [scratch.as_mut_ptr(); MR];
            for r in 0..MR.min(m - i0) {
                // SAFETY: row i0 + r < m, within A and C (checked by the caller).
                a_rows[r] = unsafe { a.data.as_ptr().add(a.rows[i0 + r]) };
                c_rows[r] = unsafe { c.as_mut_ptr().add((i0 + r) * ldc + j0) };
            }
            // SAFETY: every row of B has `cols` valid floats from column j0,
            // `packed` has k rows of `lanes`; the masked stores touch no
            // other columns of C; the row pointers address k elements of A
            // (or of `zeros`) and `cols` of C (or of `scratch`).
            unsafe {
                let panel = b.data.as_ptr().add(j0);
                match (cols == nr, whole, narrow) {
                    (true, ..) => tile::<V, MR, NV>(a_rows, panel, b.rows, c_rows, accumulate),
                    (false, 0, true) => tile_with_tail::<V, H, MR, 0>(
                        a_rows, panel, b.rows, tail, c_rows, accumulate,
                    ),
                    (false, 0, false) => tile_with_tail::<V, V, MR, 0>(
                        a_rows, panel, b.rows, tail, c_rows, accumulate,
                    ),
                    (false, _, true) => tile_with_tail::<V, H, MR, 1>(
                        a_rows, panel, b.rows, tail, c_rows, accumulate,
                    ),
                    (false, _, false) => tile_with_tail::<V, V, MR, 1>(
                        a_rows, panel, b.rows, tail, c_rows, accumulate,
                    ),
                }
            };
        }
    }
}

/// C[r][0..N·NV] (+)= Σ_l A[r][l] · B[l][0..N·NV] for the MR rows of a tile.
///
/// # Safety
/// As [`gemm`]; every row of B (at `b + b_rows[l]`) and of C has N·NV
/// valid floats.
#[inline(always)]
unsafe fn tile<V: Lanes, const MR: usize, const NV: usize>(
    a: [*const f32; MR],
    b: *const f32,
    b_rows: &[usize],
    c: [*mut f32; MR],
    accumulate: bool,
) {
    // SAFETY (whole body): the pointers address what the contract says.
    unsafe {
        let mut acc = [[V::zero(); NV]; MR];
        for (l, &offset) in b_rows.iter().enumerate() {
            let row = b.add(offset);
            let bv: [V; NV] = std::array::from_fn(|v| V::load(row.add(V::N * v)));
            for r in 0..MR {
                let av = V::splat(a[r].add(l));
                for v in 0..NV {
                    acc[r][v] = V::mul_add(av, bv[v], acc[r][v]);
                }
            }
        }
        for (acc_row, &c_row) in acc.iter().zip(&c) {
            for (v, &sum) in acc_row.iter().enumerate() {
                put(sum, c_row.add(V::N * v), None, accumulate);
            }
        }
    }
}

/// As [`tile`], for a last panel of W whole vectors of `V` and `rest` more
/// columns in one vector of `T`, read from `packed` (k rows of T::N
/// floats, the columns after the whole vectors, zero-padded). With `T`
/// narrower than `V` this saves the lanes a wide vector would compute for
/// nothing where a wide vector costs as much as two narrow ones (AVX-512
/// on Zen 4 executes each 16-lane multiply-add as two 8-lane halves):
/// Affine's 50 outputs take 3 × 16 + 8 lanes instead of 4 × 16. The sums
/// are the same multiply-adds in the same order as [`tile`]'s. W is a
/// constant so that the accumulators stay in registers (with a variable
/// count the compiler spilled them).
///
/// # Safety
/// As [`tile`], with W·V::N valid floats in every row of B, k rows of
/// T::N floats at `packed`, and W·V::N + `rest` valid floats in every row
/// of C; 1 ≤ rest ≤ T::N.
#[inline(always)]
unsafe fn tile_with_tail<V: Lanes, T: Lanes, const MR: usize, const W: usize>(
    a: [*const f32; MR],
    b: *const f32,
    b_rows: &[usize],
    (packed, rest): (*const f32, usize),
    c: [*mut f32; MR],
    accumulate: bool,
) {
    let at = V::N * W;
    // SAFETY (whole body): as the contract says; the masked stores touch
    // only the `rest` columns after the whole vectors.
    unsafe {
        let mut acc = [[V::zero(); W]; MR];
        let mut tail = [T::zero(); MR];
        for (l, &offset) in b_rows.iter().enumerate() {
            let row = b.add(offset);
            let bv: [V; W] = std::array::from_fn(|v| V::load(row.add(V::N * v)));
            let bt = T::load(packed.add(l * T::N));
            for r in 0..MR {
                let av = V::splat(a[r].add(l));
                for v in 0..W {
                    acc[r][v] = V::mul_add(av, bv[v], acc[r][v]);
                }
                tail[r] = T::mul_add(T::splat(a[r].add(l)), bt, tail[r]);
            }
        }
        let mask = (rest < T::N).then(|| T::mask(rest));
        for ((acc_row, &tail), &c_row) in acc.iter().zip(&tail).zip(&c) {
            for (v, &sum) in acc_row.iter().enumerate() {
                put(sum, c_row.add(V::N * v), None, accumulate);
            }
            put(tail, c_row.add(at), mask, accumulate);
        }
    }
}

/// Writes one vector of sums to C at `p` (all lanes, or the masked ones),
/// added to what is there when `accumulate`.
///
/// # Safety
/// `p` addresses the lanes written (and read).
#[inline(always)]
unsafe fn put<L: Lanes>(sum: L, p: *mut f32, mask: Option<L::Mask>, accumulate: bool) {
    // SAFETY: as the contract says.
    unsafe {
        let old = match (accumulate, mask) {
            (false, _) => L::zero(),
            (true, None) => L::load(p),
            (true, Some(mask)) => L::load_masked(p, mask),
        };
        let new = L::add(old, sum);
        match mask {
            None => new.store(p),
            Some(mask) => new.store_masked(p, mask),
        }
    }
}

/// C (+)= A·Bᵀ (see [`super::gemm_nt`]) in tiles of MR rows of A × NR
/// rows of B, run by run, one horizontal sum per element of C.
///
/// # Safety
/// As [`gemm`], for the segmented operands of `super::gemm_nt`.
#[inline(always)]
pub(super) unsafe fn gemm_nt<V: Lanes, const MR: usize, const NR: usize>(
    (m, n): (usize, usize),
    (segments, seg_len): (usize, usize),
    a: Segmented<'_, f32>,
    b: Segmented<'_, f32>,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
) {
    let full = seg_len / V::N;
    let tail = seg_len % V::N;
    let mask = V::mask(if tail == 0 { V::N } else { tail });
    for i0 in (0..m).step_by(MR) {
        // Rows past the end repeat the last row; their sums are not stored.
        // SAFETY: every row offset was bounds-checked by the caller.
        let ap: [*const f32; MR] =
            std::array::from_fn(|r| unsafe { a.data.as_ptr().add(a.rows[(i0 + r).min(m - 1)]) });
        for j0 in (0..n).step_by(NR) {
            let bp: [*const f32; NR] = std::array::from_fn(|q| unsafe {
                b.data.as_ptr().add(b.rows[(j0 + q).min(n - 1)])
            });
            // SAFETY (the loop): run s of every row holds `seg_len` floats;
            // whole vectors lie inside it, and the masked loads read only
            // its last `tail` floats.
            let mut acc = [[unsafe { V::zero() }; NR]; MR];
            for s in 0..segments {
                let (ao, bo) = (s * a.seg_stride, s * b.seg_stride);
                for v in 0..full {
                    let av: [V; MR] =
                        std::array::from_fn(|r| unsafe { V::load(ap[r].add(ao + V::N * v)) });
                    for q in 0..NR {
                        let bv = unsafe { V::load(bp[q].add(bo + V::N * v)) };
                        for r in 0..MR {
                            acc[r][q] = unsafe { V::mul_add(av[r], bv, acc[r][q]) };
                        }
                    }
                }
                if tail > 0 {
                    let av: [V; MR] = std::array::from_fn(|r| unsafe {
                        V::load_masked(ap[r].add(ao + V::N * full), mask)
                    });
                    for q in 0..NR {
                        let bv = unsafe { V::load_masked(bp[q].add(bo + V::N * full), mask) };
                        for r in 0..MR {
                            acc[r][q] = unsafe { V::mul_add(av[r], bv, acc[r][q]) };
                        }
                    }
                }
            }
            for (r, row) in acc.iter().enumerate().take(MR.min(m - i0)) {
                for (q, &sum) in row.iter().enumerate().take(NR.min(n - j0)) {
                    let out = &mut c[(i0 + r) * ldc + j0 + q];
                    // SAFETY: as above.
                    let v = unsafe { sum.sum() };
                    *out = if accumulate { *out + v } else { v };
                }
            }
        }
    }
}

/// N lanes as a plain array, for testing the tiles of every width on any
/// CPU: the same operations as the SIMD lanes, one lane at a time.
#[cfg(test)]
#[derive(Clone, Copy)]
pub(super) struct Emulated<const N: usize>([f32; N]);

// SAFETY: plain Rust on every CPU; the pointers are as the trait requires.
#[cfg(test)]
unsafe impl<const N: usize> Lanes for Emulated<N> {
    const N: usize = N;
    type Mask = usize;

    fn mask(valid: usize) -> usize {
        valid
    }
    unsafe fn zero() -> Self {
        Emulated([0.0; N])
    }
    unsafe fn load(p: *const f32) -> Self {
        Emulated(std::array::from_fn(|i| unsafe { *p.add(i) }))
    }
    unsafe fn load_masked(p: *const f32, valid: usize) -> Self {
        Emulated(std::array::from_fn(|i| {
            if i < valid {
                unsafe { *p.add(i) }
            } else {
                0.0
            }
        }))
    }
    unsafe fn store(self, p: *mut f32) {
        for (i, v) in self.0.into_iter().enumerate() {
            unsafe { *p.add(i) = v };
        }
    }
    unsafe fn store_masked(self, p: *mut f32, valid: usize) {
        for (i, v) in self.0.into_iter().enumerate().take(valid) {
            unsafe { *p.add(i) = v };
        }
    }
    unsafe fn splat(p: *const f32) -> Self {
        Emulated([unsafe { *p }; N])
    }
    unsafe fn mul_add(a: Self, b: Self, c: Self) -> Self {
        Emulated(std::array::from_fn(|i| a.0[i].mul_add(b.0[i], c.0[i])))
    }
    unsafe fn add(a: Self, b: Self) -> Self {
        Emulated(std::array::from_fn(|i| a.0[i] + b.0[i]))
    }
    unsafe fn sum(self) -> f32 {
        self.0.iter().sum()
    }
}
