//! Which kernel runs: the CPU's best, or the one `NN_KERNEL` names.

use std::sync::OnceLock;

/// A family of kernels. [`Kernel::active`] is the one the layers use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// f32 in 16-lane AVX-512F vectors with masked tails (x86-64).
    Avx512,
    /// f32 in 8-lane AVX2 vectors with fused multiply-adds (x86-64).
    Avx2,
    /// matrixmultiply and plain loops: any CPU, and every f64 product.
    Portable,
}

impl Kernel {
    /// Every kernel, widest first.
    pub const ALL: [Kernel; 3] = [Kernel::Avx512, Kernel::Avx2, Kernel::Portable];

    /// The name `NN_KERNEL` takes: `avx512`, `avx2` or `portable`.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Avx512 => "avx512",
            Kernel::Avx2 => "avx2",
            Kernel::Portable => "portable",
        }
    }

    /// The rows × columns of C that one tile of [`super::gemm`] computes on
    /// this kernel for a product whose C has `m` rows: products are done in
    /// whole tiles of these rows (`crate::gemm` chooses between computing C
    /// and Cᵀ by them and by [`Kernel::gemm_cols`]). AVX-512's
    /// 32 registers hold 8 rows × 32 columns of sums, which it takes unless
    /// 6 rows waste fewer (m = 30 or 100: 8-row tiles would compute 32 or 104
    /// rows); AVX2's 16 hold 6 × 16. The portable kernel's is
    /// matrixmultiply's f32 tile. Which tile computes an element does not
    /// change its bits.
    pub fn gemm_tile(self, m: usize) -> (usize, usize) {
        match self {
            Kernel::Avx512 if m.next_multiple_of(8) <= m.next_multiple_of(6) => (8, 32),
            Kernel::Avx512 => (6, 32),
            Kernel::Avx2 => (6, 16),
            Kernel::Portable => (8, 8),
        }
    }

    /// How many columns of C [`super::gemm`] computes on this kernel for
    /// `n`, counted in 16-lane (AVX-512) or 8-lane (AVX2) vectors: whole
    /// vectors, the last one partly for nothing, except that AVX-512 does
    /// its last 1 to 8 columns in one 8-lane vector, counted as 8. That is
    /// what it costs on Zen 4, which executes a 16-lane multiply-add as two
    /// 8-lane halves; on CPUs with full-width AVX-512 units an 8-lane
    /// vector costs as much as a 16-lane one, and 50 columns, counted as 56,
    /// cost 64. Used with [`Kernel::gemm_tile`]'s rows to count a product's
    /// work. (The portable kernel's count is matrixmultiply's 8-wide tiles.)
    pub fn gemm_cols(self, n: usize) -> usize {
        match self {
            Kernel::Avx512 if (1..=8).contains(&(n % 16)) => n / 16 * 16 + 8,
            Kernel::Avx512 => n.next_multiple_of(16),
            Kernel::Avx2 | Kernel::Portable => n.next_multiple_of(8),
        }
    }

    /// Whether this CPU can run the kernel.
    pub fn supported(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => super::avx512::available(),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => super::avx2::available(),
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Avx512 | Kernel::Avx2 => false,
            Kernel::Portable => true,
        }
    }

    /// The kernels this CPU can run, widest first (what the tests compare).
    pub fn supported_all() -> Vec<Kernel> {
        Kernel::ALL.into_iter().filter(|k| k.supported()).collect()
    }

    /// The kernel of this process, chosen on first use: the one the
    /// `NN_KERNEL` environment variable names (`avx512`, `avx2`, `portable`) when the
    /// CPU has it, else the widest the CPU has. A name it cannot use is
    /// reported once on standard error, and the widest is used instead.
    pub fn active() -> Kernel {
        static ACTIVE: OnceLock<Kernel> = OnceLock::new();
        *ACTIVE.get_or_init(|| {
            let best = Kernel::supported_all()[0];
            let Some(asked) = std::env::var_os("NN_KERNEL") else {
                return best;
            };
            let asked = asked.to_string_lossy();
            match Kernel::parse(&asked) {
                Ok(kernel) => kernel,
                Err(why) => {
                    eprintln!("nn: NN_KERNEL={asked}: {why}; using {}", best.name());
                    best
                }
            }
        })
    }

    /// A kernel by name, if this CPU can run it.
    ///
    /// # Errors
    /// Why not: an unknown name (the known ones listed), or a kernel this
    /// CPU lacks.
    pub fn parse(name: &str) -> Result<Kernel, String> {
        let known = Kernel::ALL.map(Kernel::name);
        let kernel = Kernel::ALL
            .into_iter()
            .find(|k| k.name() == name.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("not a kernel (expected one of {})", known.join(", ")))?;
        if kernel.supported() {
            Ok(kernel)
        } else {
            Err(format!("this CPU cannot run the {} kernel", kernel.name()))
        }
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_unknown_ones_are_refused() {
        assert_eq!(Kernel::parse("portable"), Ok(Kernel::Portable));
        assert_eq!(Kernel::parse(" Portable "), Ok(Kernel::Portable));
        for kernel in Kernel::supported_all() {
            assert_eq!(Kernel::parse(kernel.name()), Ok(kernel));
        }
        let err = Kernel::parse("sse9").unwrap_err();
        assert!(err.contains("avx512, avx2, portable"), "{err}");
        assert_eq!(Kernel::supported_all().last(), Some(&Kernel::Portable));
        assert!(Kernel::active().supported());
    }
}
