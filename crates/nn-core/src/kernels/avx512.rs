//! The AVX-512 kernels: f32 in 16-lane vectors, tails through mask
//! registers. The tiles are `tiles.rs`'s, tested on emulated 16-lane
//! vectors on any CPU; this file only says how 16 lanes load, store,
//! broadcast, multiply-add and sum.

use std::arch::x86_64::*;

use super::avx2::Avx2;
use super::tiles::{self, Lanes};
use super::{Operand, Segmented};

/// AVX-512F for the products, and AVX2/FMA, which every AVX-512 CPU has,
/// for the transposes.
pub(crate) fn available() -> bool {
    is_x86_feature_detected!("avx512f") && super::avx2::available()
}

/// 16 lanes in a 512-bit register.
#[derive(Clone, Copy)]
pub(super) struct Avx512(__m512);

// SAFETY: only instantiated inside this file's `#[target_feature(enable =
// "avx512f")]` functions, which run only where `available()` said yes.
unsafe impl Lanes for Avx512 {
    const N: usize = 16;
    type Mask = __mmask16;

    #[inline(always)]
    fn mask(valid: usize) -> __mmask16 {
        // valid ≤ 16, so the shift fits in u32 and the mask in 16 bits.
        ((1_u32 << valid) - 1) as __mmask16
    }
    #[inline(always)]
    unsafe fn zero() -> Self {
        Avx512(unsafe { _mm512_setzero_ps() })
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        Avx512(unsafe { _mm512_loadu_ps(p) })
    }
    #[inline(always)]
    unsafe fn load_masked(p: *const f32, mask: __mmask16) -> Self {
        Avx512(unsafe { _mm512_maskz_loadu_ps(mask, p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        unsafe { _mm512_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn store_masked(self, p: *mut f32, mask: __mmask16) {
        unsafe { _mm512_mask_storeu_ps(p, mask, self.0) }
    }
    #[inline(always)]
    unsafe fn splat(p: *const f32) -> Self {
        Avx512(unsafe { _mm512_set1_ps(*p) })
    }
    #[inline(always)]
    unsafe fn mul_add(a: Self, b: Self, c: Self) -> Self {
        Avx512(unsafe { _mm512_fmadd_ps(a.0, b.0, c.0) })
    }
    #[inline(always)]
    unsafe fn add(a: Self, b: Self) -> Self {
        Avx512(unsafe { _mm512_add_ps(a.0, b.0) })
    }
    #[inline(always)]
    unsafe fn sum(self) -> f32 {
        unsafe { _mm512_reduce_add_ps(self.0) }
    }
}

/// See [`super::gemm`]. Tiles of 8 or 6 rows × 32 columns (16 or 12
/// accumulators of the 32 registers), as [`super::Kernel::gemm_tile`] says
/// for `m` rows; the product's last 1 to 8 columns in one 8-lane AVX2
/// vector (`tiles::gemm`'s narrow tail).
///
/// # Safety
/// The CPU must support AVX-512F, and A, B and C must hold every element
/// the dimensions and strides address (as `super::gemm` checks).
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn gemm(
    (m, n, k): (usize, usize, usize),
    a: Operand<'_, f32>,
    b: Operand<'_, f32>,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
) {
    // SAFETY: forwarded from this function's own contract.
    unsafe {
        if super::Kernel::Avx512.gemm_tile(m).0 == 8 {
            tiles::gemm::<Avx512, Avx2, 8, 2>((m, n, k), a, b, c, ldc, accumulate);
        } else {
            tiles::gemm::<Avx512, Avx2, 6, 2>((m, n, k), a, b, c, ldc, accumulate);
        }
    }
}

/// See [`super::gemm_nt`]. Tiles of 2 rows of A × 5 rows of B, as AVX2's,
/// with runs read 16 floats at a time.
///
/// # Safety
/// As [`gemm`], for the segmented operands of `super::gemm_nt`.
#[target_feature(enable = "avx512f")]
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
    unsafe { tiles::gemm_nt::<Avx512, 2, 5>((m, n), runs, a, b, c, ldc, accumulate) };
}
