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

/// Whether this CPU executes a 16-lane multiply-add as two 8-lane halves,
/// so that an 8-lane one costs half as much: AMD's Zen 4 (family 25, the
/// only family-25 cores with AVX-512). Zen 5 and Intel's AVX-512 cores have
/// full-width units, where 8 lanes cost as much as 16.
fn half_width_fma() -> bool {
    static HALVES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HALVES.get_or_init(|| {
        // The vendor string is 12 bytes in EBX, EDX, ECX.
        let leaf0 = __cpuid(0);
        let vendor = [leaf0.ebx, leaf0.edx, leaf0.ecx].map(u32::to_le_bytes);
        vendor.concat() == b"AuthenticAMD" && family(__cpuid(1).eax) == 25
    })
}

/// The CPU family in a CPUID signature (leaf 1, EAX): the base family, plus
/// the extended family when the base is 15.
fn family(signature: u32) -> u32 {
    match (signature >> 8) & 0xf {
        0xf => 0xf + ((signature >> 20) & 0xff),
        base => base,
    }
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
/// with runs read 16 floats at a time, the last 1 to 15 through a mask.
///
/// On a CPU with [`half_width_fma`], runs whose last vector would be at
/// most half full are read 8 floats at a time instead: SimpleConvNet's
/// runs of 24 then take three unmasked 8-lane multiply-adds (the cost of
/// 1.5 16-lane ones there) instead of a whole and a masked 16-lane one
/// (2). On Zen 4 that made SimpleConvNet's training step 6.5% faster.
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
    unsafe {
        if (1..=8).contains(&(runs.1 % 16)) && half_width_fma() {
            tiles::gemm_nt::<Avx2, 2, 5>((m, n), runs, a, b, c, ldc, accumulate);
        } else {
            tiles::gemm_nt::<Avx512, 2, 5>((m, n), runs, a, b, c, ldc, accumulate);
        }
    }
}

#[cfg(test)]
mod tests {
    /// Signatures as AMD and Intel document them.
    #[test]
    fn family_decodes_signatures() {
        assert_eq!(super::family(0x00a1_0f11), 25); // EPYC 9004 (Zen 4)
        assert_eq!(super::family(0x00a0_0f11), 25); // EPYC 7003 (Zen 3)
        assert_eq!(super::family(0x00b0_0f21), 26); // EPYC 9005 (Zen 5)
        assert_eq!(super::family(0x0008_06f8), 6); // Xeon 4th gen (Sapphire Rapids)
    }
}
