//! The AVX2/FMA kernels: f32, 8 lanes.

use std::arch::x86_64::*;

use super::{Operand, Segmented};

pub(crate) fn available() -> bool {
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
pub(crate) unsafe fn gemm(
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
pub(crate) unsafe fn gemm_nt(
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
        let ap: [*const f32; MR] =
            std::array::from_fn(|r| unsafe { a.data.as_ptr().add(a.rows[(i0 + r).min(m - 1)]) });
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
                    let av: [__m256; MR] =
                        std::array::from_fn(|r| unsafe { _mm256_loadu_ps(ap[r].add(ao + 8 * v)) });
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
pub(crate) unsafe fn transpose_blocks(
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
                let r: [__m256; 8] =
                    std::array::from_fn(|k| _mm256_loadu_ps(src.as_ptr().add((i0 + k) * ss + j0)));
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
