//! The matrix products of a convolution, without packing the big operand.
//!
//! A convolution's products have one small operand (the filters, or one
//! sample's output gradient) and one large one (the sample's unrolled patches,
//! C·FH·FW × OH·OW, used by only FN ∈ 16…64 rows). A general GEMM such as
//! matrixmultiply copies ("packs") both operands into its own layout first;
//! with so few rows per element, packing the large one costs about as much as
//! the arithmetic (measured: DeepConvNet's 16→16 layer ran at 25 GFLOP/s).
//! This module computes C += A·B reading B in place, row by row, which is the
//! layout the convolution produces anyway.
//!
//! The weight gradient G·colᵀ has both operands' rows contiguous along the
//! sum; [`gemm_nt`] multiplies them as they are, run by run, with one
//! horizontal sum per weight, which suits few filters and long runs
//! (SimpleConvNet). With more filters and short runs (DeepConvNet) it is
//! faster to [`transpose`] G and use [`gemm`]; the convolution picks.
//!
//! [`gemm`], [`gemm_nt`] and [`transpose`] are the entry points: f32 on
//! x86-64 CPUs with AVX2 and FMA runs the kernels below; everything else
//! (f64, other CPUs) goes to matrixmultiply through ndarray, or to plain
//! loops. All are single-threaded: the convolution already runs samples in
//! parallel.

use std::any::TypeId;

use ndarray::{linalg::general_mat_mul, Array2, ArrayViewMut2, ShapeBuilder};
use nn_core::Float;

/// A matrix read in place: element (i, l) is `data[rows[i] + l·col_stride]`.
///
/// Row offsets rather than one row stride, so that an "implicit" unrolled
/// matrix, whose rows are windows into a padded image at irregular offsets,
/// can be multiplied without being built.
#[derive(Clone, Copy)]
pub(crate) struct Operand<'a, T> {
    pub data: &'a [T],
    pub rows: &'a [usize],
    pub col_stride: usize,
}

impl<'a, T> Operand<'a, T> {
    /// Checks that every row holds `len` elements inside `data`.
    fn check(&self, what: &str, len: usize) {
        if len == 0 {
            return;
        }
        let last = (len - 1) * self.col_stride;
        assert!(
            self.rows.iter().all(|&r| r + last < self.data.len()),
            "microkernel::gemm: {what} is too short for its rows"
        );
    }
}

/// C (m × n, row stride `ldc`) = A·B, or C += A·B when `accumulate`, with A
/// (m × k) and B (k × n) read in place. Both must have contiguous rows
/// (`col_stride` 1), which every product of a convolution has.
///
/// # Panics
/// When an operand is too short for its row offsets and the dimensions, or
/// B's columns are not contiguous (callers derive all of them from one
/// geometry).
pub(crate) fn gemm<T: Float>(
    (m, n, k): (usize, usize, usize),
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    c: &mut [T],
    ldc: usize,
    accumulate: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        a.rows.len() == m && b.rows.len() == k && a.col_stride == 1 && b.col_stride == 1,
        "microkernel::gemm: bad operands"
    );
    a.check("A", k);
    b.check("B", n);
    assert!(
        (m - 1) * ldc + n <= c.len() && n <= ldc,
        "microkernel::gemm: C is too short"
    );
    #[cfg(target_arch = "x86_64")]
    if TypeId::of::<T>() == TypeId::of::<f32>() && avx2::available() {
        // SAFETY: T is f32 (checked just above), so the slices can be viewed as
        // f32 slices of the same length.
        let (ad, bd, c) = unsafe {
            (
                &*(a.data as *const [T] as *const [f32]),
                &*(b.data as *const [T] as *const [f32]),
                &mut *(c as *mut [T] as *mut [f32]),
            )
        };
        let a = Operand {
            data: ad,
            rows: a.rows,
            col_stride: 1,
        };
        let b = Operand {
            data: bd,
            rows: b.rows,
            col_stride: 1,
        };
        // SAFETY: the CPU has AVX2 and FMA (checked), and every element the
        // operands address was bounds-checked above.
        unsafe { avx2::gemm((m, n, k), a, b, c, ldc, accumulate) };
        return;
    }
    portable((m, n, k), a, b, c, ldc, accumulate);
}

/// The same product by matrixmultiply, after gathering A and B into
/// contiguous matrices (the path for f64 and for CPUs without AVX2/FMA).
fn portable<T: Float>(
    (m, n, k): (usize, usize, usize),
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    c: &mut [T],
    ldc: usize,
    accumulate: bool,
) {
    let a = Array2::from_shape_fn((m, k), |(i, l)| a.data[a.rows[i] + l * a.col_stride]);
    let b = Array2::from_shape_fn((k, n), |(l, j)| b.data[b.rows[l] + j]);
    let c_len = (m - 1) * ldc + n;
    let mut c = ArrayViewMut2::from_shape((m, n).strides((ldc, 1)), &mut c[..c_len])
        .expect("bounds checked by gemm");
    let beta = if accumulate { T::one() } else { T::zero() };
    general_mat_mul(T::one(), &a, &b, beta, &mut c);
}

/// A matrix whose rows are read in `segments` runs: element t of run s of
/// row i is `data[rows[i] + s·seg_stride + t]`.
///
/// One sample's output gradient (FN rows of OH runs of OW) and its implicit
/// unrolled matrix (C·FH·FW rows, each OH runs of OW inside the padded image,
/// `W + 2P` apart) are both of this form, with the same runs: the weight
/// gradient is their product [`gemm_nt`] without transposing either.
#[derive(Clone, Copy)]
pub(crate) struct Segmented<'a, T> {
    pub data: &'a [T],
    pub rows: &'a [usize],
    pub seg_stride: usize,
}

impl<'a, T> Segmented<'a, T> {
    /// Checks that every row's runs lie inside `data`.
    fn check(&self, what: &str, (segments, seg_len): (usize, usize)) {
        if segments == 0 || seg_len == 0 {
            return;
        }
        let last = (segments - 1) * self.seg_stride + seg_len - 1;
        assert!(
            self.rows.iter().all(|&r| r + last < self.data.len()),
            "microkernel::gemm_nt: {what} is too short for its rows"
        );
    }
}

/// C (m × n, row stride `ldc`) = A·Bᵀ, or C += A·Bᵀ when `accumulate`:
/// C[i][j] = Σ_s Σ_t A(i, s, t)·B(j, s, t) over `segments` runs of `seg_len`,
/// with A (m rows) and B (n rows) read in place. Each C[i][j] is computed by
/// the same operations in the same order whatever the caller's threading.
///
/// # Panics
/// When an operand is too short for its rows and runs, or C for m × n.
pub(crate) fn gemm_nt<T: Float>(
    (m, n): (usize, usize),
    runs: (usize, usize),
    a: Segmented<'_, T>,
    b: Segmented<'_, T>,
    c: &mut [T],
    ldc: usize,
    accumulate: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        a.rows.len() == m && b.rows.len() == n,
        "microkernel::gemm_nt: bad operands"
    );
    a.check("A", runs);
    b.check("B", runs);
    assert!(
        (m - 1) * ldc + n <= c.len() && n <= ldc,
        "microkernel::gemm_nt: C is too short"
    );
    #[cfg(target_arch = "x86_64")]
    if TypeId::of::<T>() == TypeId::of::<f32>() && avx2::available() {
        // SAFETY: T is f32 (checked just above), so the slices can be viewed as
        // f32 slices of the same length.
        let (ad, bd, c) = unsafe {
            (
                &*(a.data as *const [T] as *const [f32]),
                &*(b.data as *const [T] as *const [f32]),
                &mut *(c as *mut [T] as *mut [f32]),
            )
        };
        let a = Segmented {
            data: ad,
            rows: a.rows,
            seg_stride: a.seg_stride,
        };
        let b = Segmented {
            data: bd,
            rows: b.rows,
            seg_stride: b.seg_stride,
        };
        // SAFETY: the CPU has AVX2 and FMA (checked), and every element the
        // operands address was bounds-checked above.
        unsafe { avx2::gemm_nt((m, n), runs, a, b, c, ldc, accumulate) };
        return;
    }
    portable_nt((m, n), runs, a, b, c, ldc, accumulate);
}

/// [`gemm_nt`] by plain loops (f64, and CPUs without AVX2/FMA).
fn portable_nt<T: Float>(
    (m, n): (usize, usize),
    (segments, seg_len): (usize, usize),
    a: Segmented<'_, T>,
    b: Segmented<'_, T>,
    c: &mut [T],
    ldc: usize,
    accumulate: bool,
) {
    for i in 0..m {
        for j in 0..n {
            let mut sum = T::zero();
            for s in 0..segments {
                let ar = &a.data[a.rows[i] + s * a.seg_stride..][..seg_len];
                let br = &b.data[b.rows[j] + s * b.seg_stride..][..seg_len];
                for (&x, &y) in ar.iter().zip(br) {
                    sum += x * y;
                }
            }
            let out = &mut c[i * ldc + j];
            *out = if accumulate { *out + sum } else { sum };
        }
    }
}

/// `dst[j·ds + i] = src[i·ss + j]` for i < rows, j < cols: the transpose of
/// a rows × cols block (row stride `ss`) into a cols × rows one (row stride
/// `ds`). f32 on AVX2 moves 8 × 8 blocks through registers; a scalar loop
/// does the edges and every other case.
///
/// # Panics
/// When either slice is too short for its block.
pub(crate) fn transpose<T: Float>(
    src: &[T],
    ss: usize,
    (rows, cols): (usize, usize),
    dst: &mut [T],
    ds: usize,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(
        (rows - 1) * ss + cols <= src.len() && (cols - 1) * ds + rows <= dst.len(),
        "microkernel::transpose: a slice is too short"
    );
    let (mut rows_done, mut cols_done) = (0, 0);
    #[cfg(target_arch = "x86_64")]
    if TypeId::of::<T>() == TypeId::of::<f32>() && avx2::available() {
        // SAFETY: T is f32 (checked), so the slices can be viewed as f32
        // slices of the same length.
        let (s32, d32) = unsafe {
            (
                &*(src as *const [T] as *const [f32]),
                &mut *(dst as *mut [T] as *mut [f32]),
            )
        };
        // SAFETY: the CPU has AVX2 (checked); the blocks lie inside both
        // slices (checked above).
        unsafe { avx2::transpose_blocks(s32, ss, (rows, cols), d32, ds) };
        (rows_done, cols_done) = (rows / 8 * 8, cols / 8 * 8);
    }
    for i in 0..rows {
        // Columns the block loop covered for this row, if it covered the row.
        let from = if i < rows_done { cols_done } else { 0 };
        for j in from..cols {
            dst[j * ds + i] = src[i * ss + j];
        }
    }
}

/// Offsets of `count` rows `stride` apart, from `start`.
pub(crate) fn strided_rows(start: usize, count: usize, stride: usize) -> Vec<usize> {
    (0..count).map(|i| start + i * stride).collect()
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{Operand, Segmented};

    pub(super) fn available() -> bool {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }

    /// See [`super::gemm`]. Tiles are 6 rows × 16 columns: 12 accumulators,
    /// 2 loads of B and 1 broadcast of A use 15 of the 16 vector registers.
    /// (A 4 × 24 tile needs all 16, and the compiler spilled: measured 26–34
    /// GFLOP/s against 67–69 for 6 × 16 on the same products.)
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA, and A, B and C must hold every
    /// element the dimensions and strides address (as `super::gemm` checks).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn gemm(
        (m, n, k): (usize, usize, usize),
        a: Operand<'_, f32>,
        b: Operand<'_, f32>,
        c: &mut [f32],
        ldc: usize,
        accumulate: bool,
    ) {
        // SAFETY: forwarded from this function's own contract.
        unsafe { tiles::<6, 2>((m, n, k), a, b, c, ldc, accumulate) };
    }

    /// Runs MR × 8·NV tiles column panel by column panel, so that the k × 8·NV
    /// panel of B stays in cache while every row tile of A uses it.
    ///
    /// # Safety
    /// As [`gemm`].
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tiles<const MR: usize, const NV: usize>(
        (m, n, k): (usize, usize, usize),
        a: Operand<'_, f32>,
        b: Operand<'_, f32>,
        c: &mut [f32],
        ldc: usize,
        accumulate: bool,
    ) {
        // Rows past the end of A read these zeros and write to `scratch`, so
        // every tile runs the full MR-row kernel.
        let zeros = vec![0.0_f32; k.max(1)];
        let mut scratch = [0.0_f32; 32]; // ≥ 8·NV
        let nr = 8 * NV;
        for j0 in (0..n).step_by(nr) {
            let cols = nr.min(n - j0);
            let mask = tail_mask(cols);
            for i0 in (0..m).step_by(MR) {
                let mut a_rows = [zeros.as_ptr(); MR];
                let mut c_rows = [scratch.as_mut_ptr(); MR];
                for r in 0..MR.min(m - i0) {
                    // SAFETY: row i0 + r < m, within A and C (checked by the caller).
                    a_rows[r] = unsafe { a.data.as_ptr().add(a.rows[i0 + r]) };
                    c_rows[r] = unsafe { c.as_mut_ptr().add((i0 + r) * ldc + j0) };
                }
                // SAFETY: every row of B has `cols` valid floats from column j0;
                // the masked loads and stores touch no others; the row pointers
                // address k elements of A (or of `zeros`) and `cols` of C (or of
                // `scratch`).
                unsafe {
                    tile::<MR, NV>(
                        a_rows,
                        b.data.as_ptr().add(j0),
                        b.rows,
                        c_rows,
                        cols,
                        mask,
                        accumulate,
                    )
                };
            }
        }
    }

    /// See [`super::gemm_nt`]. Tiles of 2 rows of A × 5 rows of B: 10
    /// accumulators, 2 vectors of A and 1 of B in registers (13 of 16), 10
    /// FMAs for 7 loads. 2 × 5 also divides SimpleConvNet's 30 × 25 weight
    /// gradient exactly.
    ///
    /// # Safety
    /// As [`gemm`], for the segmented operands of `super::gemm_nt`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn gemm_nt(
        (m, n): (usize, usize),
        runs: (usize, usize),
        a: Segmented<'_, f32>,
        b: Segmented<'_, f32>,
        c: &mut [f32],
        ldc: usize,
        accumulate: bool,
    ) {
        // SAFETY: forwarded from this function's own contract.
        unsafe { tiles_nt::<2, 5>((m, n), runs, a, b, c, ldc, accumulate) };
    }

    /// # Safety
    /// As [`gemm_nt`].
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tiles_nt<const MR: usize, const NR: usize>(
        (m, n): (usize, usize),
        (segments, seg_len): (usize, usize),
        a: Segmented<'_, f32>,
        b: Segmented<'_, f32>,
        c: &mut [f32],
        ldc: usize,
        accumulate: bool,
    ) {
        let full = seg_len / 8;
        let tail = seg_len % 8;
        let mask = tail_mask(if tail == 0 { 8 } else { tail });
        for i0 in (0..m).step_by(MR) {
            // Rows past the end repeat the last row; their sums are not stored.
            // SAFETY: every row offset was bounds-checked by the caller.
            let ap: [*const f32; MR] = std::array::from_fn(|r| unsafe {
                a.data.as_ptr().add(a.rows[(i0 + r).min(m - 1)])
            });
            for j0 in (0..n).step_by(NR) {
                let bp: [*const f32; NR] = std::array::from_fn(|q| unsafe {
                    b.data.as_ptr().add(b.rows[(j0 + q).min(n - 1)])
                });
                let mut acc = [[_mm256_setzero_ps(); NR]; MR];
                for s in 0..segments {
                    let (ao, bo) = (s * a.seg_stride, s * b.seg_stride);
                    for v in 0..full {
                        // SAFETY: run s of every row holds `seg_len` floats,
                        // and vector v lies inside it.
                        let av: [__m256; MR] = std::array::from_fn(|r| unsafe {
                            _mm256_loadu_ps(ap[r].add(ao + 8 * v))
                        });
                        for q in 0..NR {
                            let bv = unsafe { _mm256_loadu_ps(bp[q].add(bo + 8 * v)) };
                            for r in 0..MR {
                                acc[r][q] = _mm256_fmadd_ps(av[r], bv, acc[r][q]);
                            }
                        }
                    }
                    if tail > 0 {
                        // SAFETY: the masked loads read only the run's last
                        // `tail` floats (and zero the other lanes).
                        let av: [__m256; MR] = std::array::from_fn(|r| unsafe {
                            _mm256_maskload_ps(ap[r].add(ao + 8 * full), mask)
                        });
                        for q in 0..NR {
                            let bv = unsafe { _mm256_maskload_ps(bp[q].add(bo + 8 * full), mask) };
                            for r in 0..MR {
                                acc[r][q] = _mm256_fmadd_ps(av[r], bv, acc[r][q]);
                            }
                        }
                    }
                }
                for (r, row) in acc.iter().enumerate().take(MR.min(m - i0)) {
                    for (q, &sum) in row.iter().enumerate().take(NR.min(n - j0)) {
                        let out = &mut c[(i0 + r) * ldc + j0 + q];
                        let v = hsum(sum);
                        *out = if accumulate { *out + v } else { v };
                    }
                }
            }
        }
    }

    /// The sum of a vector's eight lanes, in a fixed order.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn hsum(v: __m256) -> f32 {
        let quad = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
        _mm_cvtss_f32(_mm_add_ss(pair, _mm_movehdup_ps(pair)))
    }

    /// The 8 × 8 blocks of [`super::transpose`], each through registers:
    /// 8 loads, 24 shuffles, 8 stores.
    ///
    /// # Safety
    /// The CPU must support AVX2, and both slices must hold the blocks (as
    /// `super::transpose` checks).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn transpose_blocks(
        src: &[f32],
        ss: usize,
        (rows, cols): (usize, usize),
        dst: &mut [f32],
        ds: usize,
    ) {
        for i0 in (0..rows / 8 * 8).step_by(8) {
            for j0 in (0..cols / 8 * 8).step_by(8) {
                // SAFETY: rows i0..i0+8 and columns j0..j0+8 are inside the
                // block, so inside `src`; and the same, transposed, in `dst`.
                unsafe {
                    let r: [__m256; 8] = std::array::from_fn(|k| {
                        _mm256_loadu_ps(src.as_ptr().add((i0 + k) * ss + j0))
                    });
                    let t0 = _mm256_unpacklo_ps(r[0], r[1]);
                    let t1 = _mm256_unpackhi_ps(r[0], r[1]);
                    let t2 = _mm256_unpacklo_ps(r[2], r[3]);
                    let t3 = _mm256_unpackhi_ps(r[2], r[3]);
                    let t4 = _mm256_unpacklo_ps(r[4], r[5]);
                    let t5 = _mm256_unpackhi_ps(r[4], r[5]);
                    let t6 = _mm256_unpacklo_ps(r[6], r[7]);
                    let t7 = _mm256_unpackhi_ps(r[6], r[7]);
                    let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
                    let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
                    let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
                    let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
                    let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
                    let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
                    let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
                    let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
                    let out = [
                        _mm256_permute2f128_ps::<0x20>(u0, u4),
                        _mm256_permute2f128_ps::<0x20>(u1, u5),
                        _mm256_permute2f128_ps::<0x20>(u2, u6),
                        _mm256_permute2f128_ps::<0x20>(u3, u7),
                        _mm256_permute2f128_ps::<0x31>(u0, u4),
                        _mm256_permute2f128_ps::<0x31>(u1, u5),
                        _mm256_permute2f128_ps::<0x31>(u2, u6),
                        _mm256_permute2f128_ps::<0x31>(u3, u7),
                    ];
                    for (k, v) in out.into_iter().enumerate() {
                        _mm256_storeu_ps(dst.as_mut_ptr().add((j0 + k) * ds + i0), v);
                    }
                }
            }
        }
    }

    /// A mask selecting the valid lanes of a tile's last vector.
    fn tail_mask(cols: usize) -> __m256i {
        let valid = cols - 8 * ((cols - 1) / 8);
        let lanes: [i32; 8] = std::array::from_fn(|i| if i < valid { -1 } else { 0 });
        // SAFETY: reading 8 i32 from an array of 8 i32.
        unsafe { _mm256_loadu_si256(lanes.as_ptr().cast()) }
    }

    /// C[r][0..cols] (+)= Σ_l A[r][l] · B[l][0..cols] for the MR rows of a tile.
    ///
    /// # Safety
    /// As [`gemm`]; every row of B (at `b + b_rows[l]`) has `cols` valid
    /// floats; `cols` is 1 to 8·NV and `mask` is `tail_mask(cols)`.
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    #[inline]
    unsafe fn tile<const MR: usize, const NV: usize>(
        a: [*const f32; MR],
        b: *const f32,
        b_rows: &[usize],
        c: [*mut f32; MR],
        cols: usize,
        mask: __m256i,
        accumulate: bool,
    ) {
        let vectors = cols.div_ceil(8);
        let mut acc = [[_mm256_setzero_ps(); NV]; MR];
        if cols == 8 * NV {
            for (l, &offset) in b_rows.iter().enumerate() {
                // SAFETY: row l of B has 8·NV valid floats from `b`.
                let row = unsafe { b.add(offset) };
                let bv: [__m256; NV] =
                    std::array::from_fn(|v| unsafe { _mm256_loadu_ps(row.add(8 * v)) });
                for r in 0..MR {
                    // SAFETY: element l of A's row r.
                    let av = unsafe { _mm256_broadcast_ss(&*a[r].add(l)) };
                    for v in 0..NV {
                        acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
                    }
                }
            }
        } else {
            for (l, &offset) in b_rows.iter().enumerate() {
                // SAFETY: row l of B has `cols` valid floats; the last vector
                // is masked, and vectors past it are not loaded.
                let row = unsafe { b.add(offset) };
                let bv: [__m256; NV] = std::array::from_fn(|v| {
                    if v + 1 < vectors {
                        unsafe { _mm256_loadu_ps(row.add(8 * v)) }
                    } else if v + 1 == vectors {
                        unsafe { _mm256_maskload_ps(row.add(8 * v), mask) }
                    } else {
                        _mm256_setzero_ps()
                    }
                });
                for r in 0..MR {
                    // SAFETY: element l of A's row r.
                    let av = unsafe { _mm256_broadcast_ss(&*a[r].add(l)) };
                    for v in 0..vectors {
                        acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
                    }
                }
            }
        }
        for (acc_row, &c_row) in acc.iter().zip(&c) {
            for (v, &sum) in acc_row.iter().enumerate().take(vectors) {
                // SAFETY: C's row has `cols` valid floats; the last vector is masked.
                unsafe {
                    let p = c_row.add(8 * v);
                    let full = 8 * (v + 1) <= cols;
                    let old = match (accumulate, full) {
                        (false, _) => _mm256_setzero_ps(),
                        (true, true) => _mm256_loadu_ps(p),
                        (true, false) => _mm256_maskload_ps(p, mask),
                    };
                    let new = _mm256_add_ps(old, sum);
                    if full {
                        _mm256_storeu_ps(p, new);
                    } else {
                        _mm256_maskstore_ps(p, mask, new);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nn_core::{init::uniform, rng::seeded};

    #[test]
    fn matches_the_definition_on_every_edge() {
        // (m, n, k, whether A's rows are irregularly spaced)
        let mut rng = seeded(0);
        for (m, n, k, irregular_a) in [
            (4, 24, 5, false),
            (16, 784, 144, false),
            (30, 576, 25, false),
            (7, 13, 9, false),
            (1, 1, 1, false),
            (30, 196, 16, false),
            (64, 64, 576, false),
            (288, 32, 256, true),
            (5, 25, 3, true),
            (144, 16, 784, true),
            (25, 30, 576, true),
            (9, 47, 0, false),
        ] {
            // Rows of A at a regular or at an irregular spacing.
            let (rs, cs) = (k + 2, 1);
            // Irregular row offsets for B, as an implicit unrolled matrix has.
            let b_rows: Vec<usize> = (0..k).map(|l| l * (n + 5) + (l % 3)).collect();
            let a: Vec<f32> = uniform(m * rs + k * cs + 2, -1.0, 1.0, &mut rng)
                .unwrap()
                .to_vec();
            let b: Vec<f32> = uniform(k * (n + 5) + 3, -1.0, 1.0, &mut rng)
                .unwrap()
                .to_vec();
            let a_rows: Vec<usize> = (0..m)
                .map(|i| i * rs + if irregular_a { i % 2 } else { 0 })
                .collect();
            let ldc = n + 2;
            for accumulate in [false, true] {
                let mut c = vec![0.5_f32; m * ldc];
                let (ao, bo) = (
                    Operand {
                        data: &a[..],
                        rows: &a_rows,
                        col_stride: cs,
                    },
                    Operand {
                        data: &b[..],
                        rows: &b_rows,
                        col_stride: 1,
                    },
                );
                gemm((m, n, k), ao, bo, &mut c, ldc, accumulate);
                for i in 0..m {
                    for j in 0..n {
                        let dot: f64 = (0..k)
                            .map(|l| f64::from(a[a_rows[i] + l * cs]) * f64::from(b[b_rows[l] + j]))
                            .sum();
                        let w = dot + if accumulate { 0.5 } else { 0.0 };
                        let got = f64::from(c[i * ldc + j]);
                        assert!(
                            (got - w).abs() <= 1e-4 * (1.0 + w.abs()),
                            "{m}x{n}x{k} ({i},{j}): {got} vs {w}"
                        );
                    }
                    // The padding between rows of C is untouched.
                    assert!(c[i * ldc + n..i * ldc + ldc].iter().all(|&v| v == 0.5));
                }
            }
        }
    }

    #[test]
    fn gemm_nt_matches_the_definition_on_every_edge() {
        let mut rng = seeded(1);
        // (m, n, segments, run length): tiles of 2 × 5 with and without
        // partial tiles, runs with and without a partial vector.
        for (m, n, segments, len) in [
            (30, 25, 24, 24),
            (16, 144, 28, 28),
            (64, 576, 8, 8),
            (3, 7, 5, 13),
            (1, 1, 1, 1),
            (5, 11, 2, 3),
            (4, 6, 0, 5),
            (2, 5, 3, 0),
        ] {
            // Runs 3 apart beyond their length in A, irregular rows in B.
            let a_stride = len + 3;
            let b_stride = len + 4;
            let a_rows: Vec<usize> = (0..m).map(|i| i * segments * a_stride + (i % 2)).collect();
            let b_rows: Vec<usize> = (0..n).map(|j| j * 7 + (j % 3)).collect();
            let a_len = m * segments * a_stride + len + 2;
            let b_len = (n * 7 + 3) + segments * b_stride + len;
            let a: Vec<f32> = uniform(a_len, -1.0, 1.0, &mut rng).unwrap().to_vec();
            let b: Vec<f32> = uniform(b_len, -1.0, 1.0, &mut rng).unwrap().to_vec();
            let ldc = n + 3;
            for accumulate in [false, true] {
                let mut c = vec![0.25_f32; m * ldc];
                gemm_nt(
                    (m, n),
                    (segments, len),
                    Segmented {
                        data: &a[..],
                        rows: &a_rows,
                        seg_stride: a_stride,
                    },
                    Segmented {
                        data: &b[..],
                        rows: &b_rows,
                        seg_stride: b_stride,
                    },
                    &mut c,
                    ldc,
                    accumulate,
                );
                for i in 0..m {
                    for j in 0..n {
                        let dot: f64 = (0..segments)
                            .flat_map(|s| (0..len).map(move |t| (s, t)))
                            .map(|(s, t)| {
                                f64::from(a[a_rows[i] + s * a_stride + t])
                                    * f64::from(b[b_rows[j] + s * b_stride + t])
                            })
                            .sum();
                        let want = dot + if accumulate { 0.25 } else { 0.0 };
                        let got = f64::from(c[i * ldc + j]);
                        assert!(
                            (got - want).abs() <= 1e-4 * (1.0 + want.abs()),
                            "{m}x{n} runs {segments}x{len} ({i},{j}): {got} vs {want}"
                        );
                    }
                    assert!(c[i * ldc + n..i * ldc + ldc].iter().all(|&v| v == 0.25));
                }
            }
        }
    }

    #[test]
    fn transpose_moves_every_element_once() {
        for (rows, cols) in [
            (8, 8),
            (16, 24),
            (30, 24),
            (64, 8),
            (13, 29),
            (1, 9),
            (7, 7),
        ] {
            let (ss, ds) = (cols + 3, rows + 5);
            let src: Vec<f32> = (0..rows * ss).map(|v| v as f32).collect();
            let mut dst = vec![-1.0_f32; cols * ds];
            transpose(&src, ss, (rows, cols), &mut dst, ds);
            for j in 0..cols {
                for i in 0..rows {
                    assert_eq!(dst[j * ds + i], src[i * ss + j], "{rows}x{cols} ({i},{j})");
                }
                assert!(dst[j * ds + rows..(j + 1) * ds].iter().all(|&v| v == -1.0));
            }
        }
    }

    #[test]
    fn f64_takes_the_portable_path() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [5.0, 6.0, 7.0, 8.0];
        let mut c = [1.0; 4];
        let rows = strided_rows(0, 2, 2);
        gemm(
            (2, 2, 2),
            Operand {
                data: &a[..],
                rows: &rows,
                col_stride: 1,
            },
            Operand {
                data: &b[..],
                rows: &rows,
                col_stride: 1,
            },
            &mut c,
            2,
            true,
        );
        assert_eq!(c, [20.0, 23.0, 44.0, 51.0]);
    }
}
