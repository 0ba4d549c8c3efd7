//! The AVX2/FMA kernels: f32 in 8-lane vectors.

use std::arch::x86_64::*;

use super::tiles::{self, Lanes};
use super::{Operand, Segmented};

pub(crate) fn available() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}

/// 8 lanes in a 256-bit register.
#[derive(Clone, Copy)]
pub(super) struct Avx2(__m256);

// SAFETY: only instantiated inside this file's `#[target_feature(enable =
// "avx2,fma")]` functions, which run only where `available()` said yes.
unsafe impl Lanes for Avx2 {
    const N: usize = 8;
    type Mask = __m256i;

    #[inline(always)]
    fn mask(valid: usize) -> __m256i {
        let lanes: [i32; 8] = std::array::from_fn(|i| if i < valid { -1 } else { 0 });
        // SAFETY: 8 i32 are 256 bits, and any 256 bits are an __m256i.
        unsafe { std::mem::transmute::<[i32; 8], __m256i>(lanes) }
    }
    #[inline(always)]
    unsafe fn zero() -> Self {
        Avx2(unsafe { _mm256_setzero_ps() })
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        Avx2(unsafe { _mm256_loadu_ps(p) })
    }
    #[inline(always)]
    unsafe fn load_masked(p: *const f32, mask: __m256i) -> Self {
        Avx2(unsafe { _mm256_maskload_ps(p, mask) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        unsafe { _mm256_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn store_masked(self, p: *mut f32, mask: __m256i) {
        unsafe { _mm256_maskstore_ps(p, mask, self.0) }
    }
    #[inline(always)]
    unsafe fn splat(p: *const f32) -> Self {
        Avx2(unsafe { _mm256_broadcast_ss(&*p) })
    }
    #[inline(always)]
    unsafe fn mul_add(a: Self, b: Self, c: Self) -> Self {
        Avx2(unsafe { _mm256_fmadd_ps(a.0, b.0, c.0) })
    }
    #[inline(always)]
    unsafe fn add(a: Self, b: Self) -> Self {
        Avx2(unsafe { _mm256_add_ps(a.0, b.0) })
    }
    #[inline(always)]
    unsafe fn sum(self) -> f32 {
        let v = self.0;
        unsafe {
            let quad = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
            let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
            _mm_cvtss_f32(_mm_add_ss(pair, _mm_movehdup_ps(pair)))
        }
    }
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
    unsafe { tiles::gemm::<Avx2, Avx2, 6, 2>((m, n, k), a, b, c, ldc, accumulate) };
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
    unsafe { tiles::gemm_nt::<Avx2, 2, 5>((m, n), runs, a, b, c, ldc, accumulate) };
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
