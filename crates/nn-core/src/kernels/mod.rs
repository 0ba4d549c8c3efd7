//! The kernels: the matrix products of the layers' hot paths, their
//! CPU-feature dispatch, and all of the workspace's `unsafe`.
//!
//! Three products, each reading its operands where they lie:
//! - [`gemm`]: C (+)= A·B with A's and B's rows given as offsets into
//!   slices. A convolution's large operand (one sample's unrolled patches,
//!   C·FH·FW × OH·OW, used by only FN ∈ 16…64 rows) is read in place, row
//!   by row, even when its rows are windows into a padded image: a general
//!   GEMM such as matrixmultiply first copies ("packs") both operands, and
//!   with so few rows per element packing costs about as much as the
//!   arithmetic (measured: DeepConvNet's 16→16 layer ran at 25 GFLOP/s).
//!   [`crate::gemm`] (Affine's products) runs it too, split across threads.
//! - [`gemm_nt`]: C (+)= A·Bᵀ with both operands' rows contiguous along the
//!   sum, run by run, one horizontal sum per element. It suits few rows and
//!   long runs (SimpleConvNet's weight gradient); with more rows and short
//!   runs it is faster to [`transpose`] one operand and use [`gemm`].
//! - [`transpose`].
//!
//! Which [`Kernel`] runs them is chosen once per process
//! ([`Kernel::active`]): the widest the CPU has, or the one `NN_KERNEL`
//! names. f32 runs the SIMD kernels; f64 and the portable kernel go to
//! matrixmultiply through ndarray, or to plain loops. Each product computes
//! every element of C by the same operations in the same order whatever
//! the tiling, so splitting C across threads never changes a bit; the
//! kernels differ from each other by rounding only (their tests bound it
//! against f64). All are single-threaded: callers run samples, or pieces
//! of C, in parallel.

use std::any::TypeId;

use crate::Float;
use ndarray::{linalg::general_mat_mul, Array2, ArrayViewMut2, ShapeBuilder};

mod dispatch;
pub use dispatch::Kernel;

/// A matrix read in place: element (i, l) is `data[rows[i] + l·col_stride]`.
///
/// Row offsets rather than one row stride, so that an "implicit" unrolled
/// matrix, whose rows are windows into a padded image at irregular offsets,
/// can be multiplied without being built.
#[derive(Clone, Copy)]
pub struct Operand<'a, T> {
    /// The elements.
    pub data: &'a [T],
    /// Where each row starts in `data`.
    pub rows: &'a [usize],
    /// The distance between a row's consecutive elements.
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
            "kernels::gemm: {what} is too short for its rows"
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
pub fn gemm<T: Float>(
    kernel: Kernel,
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
        "kernels::gemm: bad operands"
    );
    a.check("A", k);
    b.check("B", n);
    assert!(
        (m - 1) * ldc + n <= c.len() && n <= ldc,
        "kernels::gemm: C is too short"
    );
    #[cfg(target_arch = "x86_64")]
    if simd::<T>(kernel) {
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
        // SAFETY: the CPU runs `kernel` (checked by `simd`), and every element the
        // operands address was bounds-checked above.
        unsafe {
            if kernel == Kernel::Avx512 {
                avx512::gemm((m, n, k), a, b, c, ldc, accumulate);
            } else {
                avx2::gemm((m, n, k), a, b, c, ldc, accumulate);
            }
        }
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
pub struct Segmented<'a, T> {
    /// The elements.
    pub data: &'a [T],
    /// Where each row's first run starts in `data`.
    pub rows: &'a [usize],
    /// The distance between the starts of a row's consecutive runs.
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
            "kernels::gemm_nt: {what} is too short for its rows"
        );
    }
}

/// C (m × n, row stride `ldc`) = A·Bᵀ, or C += A·Bᵀ when `accumulate`:
/// C(i, j) = Σ_s Σ_t A(i, s, t)·B(j, s, t) over `segments` runs of `seg_len`,
/// with A (m rows) and B (n rows) read in place. Each C(i, j) is computed by
/// the same operations in the same order whatever the caller's threading.
///
/// # Panics
/// When an operand is too short for its rows and runs, or C for m × n.
// The two operands and their shared runs are what the product is.
#[allow(clippy::too_many_arguments)]
pub fn gemm_nt<T: Float>(
    kernel: Kernel,
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
        "kernels::gemm_nt: bad operands"
    );
    a.check("A", runs);
    b.check("B", runs);
    assert!(
        (m - 1) * ldc + n <= c.len() && n <= ldc,
        "kernels::gemm_nt: C is too short"
    );
    #[cfg(target_arch = "x86_64")]
    if simd::<T>(kernel) {
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
        // SAFETY: the CPU runs `kernel` (checked by `simd`), and every element the
        // operands address was bounds-checked above.
        unsafe {
            if kernel == Kernel::Avx512 {
                avx512::gemm_nt((m, n), runs, a, b, c, ldc, accumulate);
            } else {
                avx2::gemm_nt((m, n), runs, a, b, c, ldc, accumulate);
            }
        }
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
pub fn transpose<T: Float>(
    kernel: Kernel,
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
        "kernels::transpose: a slice is too short"
    );
    let (mut rows_done, mut cols_done) = (0, 0);
    #[cfg(target_arch = "x86_64")]
    if simd::<T>(kernel) {
        // SAFETY: T is f32 (checked), so the slices can be viewed as f32
        // slices of the same length.
        let (s32, d32) = unsafe {
            (
                &*(src as *const [T] as *const [f32]),
                &mut *(dst as *mut [T] as *mut [f32]),
            )
        };
        // SAFETY: the CPU has AVX2 (checked by `simd`: every SIMD kernel's CPU
        // has it); the blocks lie inside both
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
pub fn strided_rows(start: usize, count: usize, stride: usize) -> Vec<usize> {
    (0..count).map(|i| start + i * stride).collect()
}

/// Whether `kernel` is a SIMD kernel this CPU runs and `T` is f32: the
/// condition for the `unsafe` paths below. (Every AVX-512 CPU has AVX2,
/// and the AVX-512 kernel transposes with AVX2.)
fn simd<T: 'static>(kernel: Kernel) -> bool {
    TypeId::of::<T>() == TypeId::of::<f32>() && kernel != Kernel::Portable && kernel.supported()
}

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod tiles;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{init::uniform, rng::seeded};

    use tiles::Emulated;

    /// How a test computes a product: a kernel through the checked entry
    /// points, or the tiles of a width on emulated lanes (so that the
    /// tiling of every kernel's width is checked on any CPU).
    #[derive(Clone, Copy, Debug)]
    enum Way {
        Kernel(Kernel),
        Lanes8,
        Lanes16,
    }

    impl Way {
        fn gemm(
            self,
            dims: (usize, usize, usize),
            a: Operand<'_, f32>,
            b: Operand<'_, f32>,
            c: &mut [f32],
            ldc: usize,
            accumulate: bool,
        ) {
            // SAFETY: the emulated lanes run on any CPU, and the tests'
            // operands hold every element their dimensions address (the
            // kernels' entry points check the same operands).
            match self {
                Way::Kernel(kernel) => gemm(kernel, dims, a, b, c, ldc, accumulate),
                Way::Lanes8 => unsafe {
                    tiles::gemm::<Emulated<8>, Emulated<8>, 6, 2>(dims, a, b, c, ldc, accumulate)
                },
                // The AVX-512 kernel's choice of 8- or 6-row tiles.
                Way::Lanes16 if Kernel::Avx512.gemm_tile(dims.0).0 == 8 => unsafe {
                    tiles::gemm::<Emulated<16>, Emulated<8>, 8, 2>(dims, a, b, c, ldc, accumulate)
                },
                Way::Lanes16 => unsafe {
                    tiles::gemm::<Emulated<16>, Emulated<8>, 6, 2>(dims, a, b, c, ldc, accumulate)
                },
            }
        }

        #[allow(clippy::too_many_arguments)]
        fn gemm_nt(
            self,
            dims: (usize, usize),
            runs: (usize, usize),
            a: Segmented<'_, f32>,
            b: Segmented<'_, f32>,
            c: &mut [f32],
            ldc: usize,
            accumulate: bool,
        ) {
            // SAFETY: as in `gemm` above.
            match self {
                Way::Kernel(kernel) => gemm_nt(kernel, dims, runs, a, b, c, ldc, accumulate),
                Way::Lanes8 => unsafe {
                    tiles::gemm_nt::<Emulated<8>, 2, 5>(dims, runs, a, b, c, ldc, accumulate)
                },
                Way::Lanes16 => unsafe {
                    tiles::gemm_nt::<Emulated<16>, 2, 5>(dims, runs, a, b, c, ldc, accumulate)
                },
            }
        }
    }

    /// Every kernel this CPU runs and every emulated width, each
    /// overwriting and accumulating.
    fn every_way_both_ways() -> Vec<(Way, bool)> {
        Kernel::supported_all()
            .into_iter()
            .map(Way::Kernel)
            .chain([Way::Lanes8, Way::Lanes16])
            .flat_map(|w| [(w, false), (w, true)])
            .collect()
    }

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
            // Last columns in a narrow vector on AVX-512: 32 + 16 + 2, 32 + 8,
            // 8 alone, 2 alone.
            (12, 50, 37, false),
            (9, 40, 20, true),
            (13, 8, 11, false),
            (3, 2, 5, false),
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
            for (way, accumulate) in every_way_both_ways() {
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
                way.gemm((m, n, k), ao, bo, &mut c, ldc, accumulate);
                for i in 0..m {
                    for j in 0..n {
                        let dot: f64 = (0..k)
                            .map(|l| f64::from(a[a_rows[i] + l * cs]) * f64::from(b[b_rows[l] + j]))
                            .sum();
                        let w = dot + if accumulate { 0.5 } else { 0.0 };
                        let got = f64::from(c[i * ldc + j]);
                        assert!(
                            (got - w).abs() <= 1e-4 * (1.0 + w.abs()),
                            "{way:?} {m}x{n}x{k} ({i},{j}): {got} vs {w}"
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
            for (way, accumulate) in every_way_both_ways() {
                let mut c = vec![0.25_f32; m * ldc];
                way.gemm_nt(
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
                            "{way:?} {m}x{n} runs {segments}x{len} ({i},{j}): {got} vs {want}"
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
            for kernel in Kernel::supported_all() {
                let mut dst = vec![-1.0_f32; cols * ds];
                transpose(kernel, &src, ss, (rows, cols), &mut dst, ds);
                for j in 0..cols {
                    for i in 0..rows {
                        assert_eq!(dst[j * ds + i], src[i * ss + j], "{rows}x{cols} ({i},{j})");
                    }
                    assert!(dst[j * ds + rows..(j + 1) * ds].iter().all(|&v| v == -1.0));
                }
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
            Kernel::active(),
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
