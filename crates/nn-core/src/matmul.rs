//! Matrix products split across the rayon thread pool.

use std::any::TypeId;

use ndarray::{linalg::general_mat_mul, Array2, ArrayView2, ArrayViewMut2, Axis, CowArray, Ix2};
use rayon::prelude::*;

use crate::kernels::{self, Kernel, Operand};
use crate::{Error, Float, Result, Shape};

/// Products with fewer multiply-adds than this run on one thread: below it,
/// handing work to another thread costs more than it saves.
const PARALLEL_MIN_MACS: usize = 1 << 18;

/// The longest sum one kernel call takes: the kernels keep a K-row panel of
/// B (16 columns on AVX2, 32 on AVX-512) in cache while each row tile of A
/// passes over it, and do not block K themselves; at 1024 that panel is 64
/// or 128 KiB. Longer sums (SimpleConvNet's
/// first Affine, K = 4320) are cut into pieces of at most this many, added
/// into C one after another, in the same order on any number of threads.
const KERNEL_MAX_K: usize = 1024;

/// Rows (or columns) per piece are kept a multiple of this, so that pieces
/// fill whole kernel tiles (matrixmultiply's f32 and f64 AVX/FMA kernels work
/// on 8×8 and 8×4 tiles).
const ALIGN: usize = 8;

/// General matrix product C ← α·A·B + β·C (β = 0 overwrites C).
///
/// f32 with α = 1 and β ∈ {0, 1} runs [`kernels::gemm`] on a SIMD
/// [`Kernel`], computing C or Cᵀ = Bᵀ·Aᵀ, whichever is cheaper (an operand
/// stored transposed, as in Affine's backward pass, is copied into
/// row-major order first; sums longer than 1024 are added in pieces), with
/// C's rows split across the current rayon pool in whole
/// kernel tiles. Everything else goes to `matrixmultiply`, large products
/// split the same way: C is halved recursively along its longer side. Every
/// element of C is computed by the same operations in the same order
/// whatever the split, so the result is **bit-for-bit the same whatever the
/// number of threads**. Run inside
/// `rayon::ThreadPool::install` to choose the thread count.
///
/// # Errors
/// [`Error::NotAligned`] when A's columns are not B's rows;
/// [`Error::ShapeMismatch`] when C is not (rows of A, columns of B).
///
/// ```
/// use ndarray::{array, Array2};
///
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let b = array![[5.0, 6.0], [7.0, 8.0]];
/// let mut c = Array2::ones((2, 2));
/// nn_core::gemm(1.0, &a.view(), &b.view(), 1.0, &mut c.view_mut())?;
/// assert_eq!(c, array![[20.0, 23.0], [44.0, 51.0]]);
/// # Ok::<(), nn_core::Error>(())
/// ```
pub fn gemm<T: Float>(
    alpha: T,
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    beta: T,
    c: &mut ArrayViewMut2<'_, T>,
) -> Result<()> {
    const OP: &str = "gemm";
    if a.ncols() != b.nrows() {
        return Err(Error::NotAligned {
            op: OP,
            left: Shape::from(a.shape()),
            right: Shape::from(b.shape()),
            left_axis: 1,
            right_axis: 0,
        });
    }
    if c.dim() != (a.nrows(), b.ncols()) {
        return Err(Error::ShapeMismatch {
            op: OP,
            left: Shape::from([a.nrows(), b.ncols()]),
            right: Shape::from(c.shape()),
            what: "the product and the output",
        });
    }
    let kernel = Kernel::active();
    let accumulate = beta == T::one();
    let simd = kernel != Kernel::Portable && TypeId::of::<T>() == TypeId::of::<f32>();
    if simd && alpha == T::one() && (accumulate || beta == T::zero()) {
        if let Some(c) = c.as_slice_mut() {
            on_kernel(kernel, (a, b), c, accumulate);
            return Ok(());
        }
    }
    let pieces = rayon::current_num_threads();
    split(alpha, a.view(), b.view(), beta, c.view_mut(), pieces);
    Ok(())
}

/// What one element copied into row-major order costs, in multiply-adds of
/// the kernels (an 8 × 8 block transposes in about as many instructions as
/// 8 × 8 × 8 multiply-adds take at 16 per instruction).
const COPY_COST: usize = 8;

/// Row-major C (+)= A·B (m × n, sum over k) on the kernels: as written, or
/// as Cᵀ = Bᵀ·Aᵀ into a copy of C, whichever costs fewer multiply-adds
/// counted in whole tiles, plus [`COPY_COST`] per element copied. Affine's
/// ∂L/∂W = Xᵀ·G takes the second way round when the layer has fewer outputs
/// than inputs: X is then read in place and C's long side is the tiles'
/// wide one. Either way each element of C is the same sum in the same order.
fn on_kernel<T: Float>(
    kernel: Kernel,
    (a, b): (&ArrayView2<'_, T>, &ArrayView2<'_, T>),
    c: &mut [T],
    accumulate: bool,
) {
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    let (a_rows, b_rows) = (a.is_standard_layout(), b.is_standard_layout());
    let cost = |(m, n): (usize, usize), copied: usize| {
        m.next_multiple_of(kernel.gemm_tile(m).0) * kernel.gemm_cols(n) * k + COPY_COST * copied
    };
    let copies = |rows_ok: bool, len: usize| if rows_ok { 0 } else { len };
    let direct = cost((m, n), copies(a_rows, m * k) + copies(b_rows, k * n));
    let transposed = cost(
        (n, m),
        copies(!b_rows, k * n) + copies(!a_rows, m * k) + m * n * (1 + usize::from(accumulate)),
    );
    if direct <= transposed {
        let (a, b) = (row_major(kernel, a), row_major(kernel, b));
        by_rows(kernel, (a.view(), b.view()), c, accumulate);
        return;
    }
    let (bt, at) = (b.t(), a.t());
    let (bt, at) = (row_major(kernel, &bt), row_major(kernel, &at));
    let mut ct = vec![T::zero(); n * m];
    if accumulate {
        kernels::transpose(kernel, c, n, (m, n), &mut ct, m);
    }
    by_rows(kernel, (bt.view(), at.view()), &mut ct, accumulate);
    kernels::transpose(kernel, &ct, m, (n, m), c, n);
}

/// `m` itself when its rows are contiguous, else a row-major copy: by
/// [`kernels::transpose`] when `m` is a row-major matrix seen transposed
/// (`x.t()`, Affine's backward operands), element by element otherwise.
fn row_major<'a, T: Float>(kernel: Kernel, m: &'a ArrayView2<'a, T>) -> CowArray<'a, T, Ix2> {
    if m.is_standard_layout() {
        return CowArray::from(m.view());
    }
    let t = m.t();
    match t.as_slice() {
        Some(src) if t.is_standard_layout() => {
            let (rows, cols) = m.dim();
            let mut dst = vec![T::zero(); rows * cols];
            kernels::transpose(kernel, src, rows, (cols, rows), &mut dst, cols);
            CowArray::from(Array2::from_shape_vec((rows, cols), dst).expect("rows × cols"))
        }
        _ => CowArray::from(m.as_standard_layout().into_owned()),
    }
}

/// Row-major C (+)= A·B by [`kernels::gemm`], C's rows split across the
/// pool in whole tiles.
fn by_rows<T: Float>(
    kernel: Kernel,
    (a, b): (ArrayView2<'_, T>, ArrayView2<'_, T>),
    c: &mut [T],
    accumulate: bool,
) {
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    let a_data = a.to_slice().expect("row-major");
    let b_data = b.to_slice().expect("row-major");
    let b_rows = kernels::strided_rows(0, k, n);
    let pieces = if m * k * n < PARALLEL_MIN_MACS {
        1
    } else {
        rayon::current_num_threads()
    };
    let rows_per_piece = m
        .div_ceil(pieces.max(1))
        .next_multiple_of(kernel.gemm_tile(m).0);
    if n == 0 || rows_per_piece == 0 {
        return;
    }
    c.par_chunks_mut(rows_per_piece * n)
        .enumerate()
        .for_each(|(piece, c)| {
            let first = piece * rows_per_piece;
            let rows = c.len() / n;
            let mut a_rows = kernels::strided_rows(first * k, rows, k);
            // Whole sums of at most KERNEL_MAX_K, the same pieces for every row.
            let parts = k.div_ceil(KERNEL_MAX_K).max(1);
            for part in 0..parts {
                let (from, to) = (part * k / parts, (part + 1) * k / parts);
                kernels::gemm(
                    kernel,
                    (rows, n, to - from),
                    Operand {
                        data: a_data,
                        rows: &a_rows,
                        col_stride: 1,
                    },
                    Operand {
                        data: b_data,
                        rows: &b_rows[from..to],
                        col_stride: 1,
                    },
                    c,
                    n,
                    accumulate || part > 0,
                );
                a_rows.iter_mut().for_each(|r| *r += to - from);
            }
        });
}

fn split<T: Float>(
    alpha: T,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    beta: T,
    mut c: ArrayViewMut2<'_, T>,
    pieces: usize,
) {
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    if pieces < 2 || m * k * n < PARALLEL_MIN_MACS {
        general_mat_mul(alpha, &a, &b, beta, &mut c);
        return;
    }
    let (left, right) = (pieces / 2, pieces - pieces / 2);
    let cut = |len: usize| ((len * left / pieces).div_ceil(ALIGN) * ALIGN).min(len);
    // Each piece packs its share of the split operand and all of the other,
    // so split the longer side of C: splitting rows repeats B's k × n, and
    // splitting columns repeats A's m × k.
    if m >= n {
        let at = cut(m);
        let (a1, a2) = a.split_at(Axis(0), at);
        let (c1, c2) = c.split_at(Axis(0), at);
        rayon::join(
            || split(alpha, a1, b, beta, c1, left),
            || split(alpha, a2, b, beta, c2, right),
        );
    } else {
        let at = cut(n);
        let (b1, b2) = b.split_at(Axis(1), at);
        let (c1, c2) = c.split_at(Axis(1), at);
        rayon::join(
            || split(alpha, a, b1, beta, c1, left),
            || split(alpha, a, b2, beta, c2, right),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{init::uniform, rng::seeded};
    use ndarray::Array2;

    fn bits(a: &Array2<f32>) -> Vec<u32> {
        a.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn same_bits_on_one_two_and_three_threads() {
        let mut rng = seeded(0);
        for (m, k, n) in [
            (100, 784, 50),
            (784, 100, 50),
            (10, 900, 600),
            (33, 257, 129),
        ] {
            let a: Array2<f32> = uniform((m, k), -1.0, 1.0, &mut rng).unwrap();
            let b: Array2<f32> = uniform((k, n), -1.0, 1.0, &mut rng).unwrap();
            let run = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let mut c = Array2::from_elem((m, n), 0.5_f32);
                pool.install(|| gemm(1.0, &a.view(), &b.view(), 1.0, &mut c.view_mut()))
                    .unwrap();
                c
            };
            let one = run(1);
            assert_eq!(bits(&one), bits(&run(2)), "{m}x{k}x{n}");
            assert_eq!(bits(&one), bits(&run(3)), "{m}x{k}x{n}");
            let reference = a.dot(&b) + 0.5;
            assert!(one
                .iter()
                .zip(&reference)
                .all(|(x, y)| (x - y).abs() < 1e-3));
        }
    }

    /// Affine's products: operands seen transposed (∂L/∂W = Xᵀ·G, ∂L/∂X =
    /// G·Wᵀ) and a sum longer than one kernel call takes (SimpleConvNet's
    /// 4320 inputs), against the f64 product, on one and two threads.
    #[test]
    fn transposed_operands_and_long_sums_match_f64() {
        let mut rng = seeded(1);
        for (m, k, n, a_t, b_t) in [
            (100, 4320, 100, false, false),
            (4320, 100, 100, true, false),
            (784, 100, 50, true, false),
            (100, 100, 4320, false, true),
            (50, 2500, 30, true, true),
            (3, 7, 200, false, false),
        ] {
            let a_store: Array2<f32> = if a_t {
                uniform((k, m), -1.0, 1.0, &mut rng).unwrap()
            } else {
                uniform((m, k), -1.0, 1.0, &mut rng).unwrap()
            };
            let b_store: Array2<f32> = if b_t {
                uniform((n, k), -1.0, 1.0, &mut rng).unwrap()
            } else {
                uniform((k, n), -1.0, 1.0, &mut rng).unwrap()
            };
            let a = if a_t { a_store.t() } else { a_store.view() };
            let b = if b_t { b_store.t() } else { b_store.view() };
            let run =
                |threads: usize, beta: f32, a: &ArrayView2<'_, f32>, b: &ArrayView2<'_, f32>| {
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()
                        .unwrap();
                    let mut c = Array2::from_elem((m, n), 0.5_f32);
                    pool.install(|| gemm(1.0, a, b, beta, &mut c.view_mut()))
                        .unwrap();
                    c
                };
            let (a_copy, b_copy) = (a.to_owned(), b.to_owned());
            for beta in [0.0, 1.0] {
                let one = run(1, beta, &a, &b);
                assert_eq!(bits(&one), bits(&run(2, beta, &a, &b)), "{m}x{k}x{n}");
                // Row-major copies may take the other way round (C or Cᵀ):
                // the same sums in the same order, so the same bits.
                let copied = run(1, beta, &a_copy.view(), &b_copy.view());
                assert_eq!(bits(&one), bits(&copied), "{m}x{k}x{n}, copies");
                let exact = a.mapv(f64::from).dot(&b.mapv(f64::from)) + 0.5 * f64::from(beta);
                let worst = one
                    .iter()
                    .zip(&exact)
                    .map(|(&x, y)| (f64::from(x) - y).abs())
                    .fold(0.0, f64::max);
                // Sums of k products of values in [-1, 1]: f32 rounding grows
                // about as √k·2⁻²⁴ per term.
                assert!(worst < 1e-6 * k as f64, "{m}x{k}x{n}: off by {worst}");
            }
        }
    }

    #[test]
    fn shape_errors() {
        let a = Array2::<f64>::zeros((2, 3));
        let mut c = Array2::<f64>::zeros((2, 2));
        let err = gemm(
            1.0,
            &a.view(),
            &Array2::zeros((2, 2)).view(),
            0.0,
            &mut c.view_mut(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "gemm: shapes (2, 3) and (2, 2) not aligned: 3 (dim 1) != 2 (dim 0)"
        );
        let err = gemm(
            1.0,
            &a.view(),
            &Array2::zeros((3, 3)).view(),
            0.0,
            &mut c.view_mut(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("shapes (2, 3) and (2, 2) differ"));
    }
}
