//! Matrix products split across the rayon thread pool.

use std::any::TypeId;

use ndarray::{linalg::general_mat_mul, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

use crate::kernels::{self, Kernel, Operand};
use crate::{Error, Float, Result, Shape};

/// Products with fewer multiply-adds than this run on one thread: below it,
/// handing work to another thread costs more than it saves.
const PARALLEL_MIN_MACS: usize = 1 << 18;

/// The longest sum the kernels take: the kernels keep a K × 16 panel of B
/// in cache while each 6-row tile of A passes over it, and do not block K;
/// at 1024 that panel is 64 KiB (L2). Longer sums (SimpleConvNet's first
/// Affine, K = 4320, ran 4–7% slower on the kernel) go to matrixmultiply,
/// which packs B in cache-sized blocks.
const KERNEL_MAX_K: usize = 1024;

/// Rows (or columns) per piece are kept a multiple of this, so that pieces
/// fill whole kernel tiles (matrixmultiply's f32 and f64 AVX/FMA kernels work
/// on 8×8 and 8×4 tiles).
const ALIGN: usize = 8;

/// General matrix product C ← α·A·B + β·C (β = 0 overwrites C).
///
/// f32 with α = 1, β ∈ {0, 1} and K ≤ 1024 runs [`kernels::gemm`] on a SIMD
/// [`Kernel`] (A or B stored transposed is transposed first), with C's rows
/// split across the current rayon pool in whole kernel tiles. Everything
/// else goes to `matrixmultiply`, large products split the same way: C is
/// halved recursively along its longer side. Every element of C is one dot
/// product over the whole of K in the same order either way, so the result
/// is **bit-for-bit the same whatever the number of threads**. Run inside
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
    if simd && a.ncols() <= KERNEL_MAX_K && alpha == T::one() && (accumulate || beta == T::zero()) {
        if let (true, true, Some(c)) = (
            a.is_standard_layout(),
            b.is_standard_layout(),
            c.as_slice_mut(),
        ) {
            by_rows(kernel, (a.view(), b.view()), c, accumulate);
            return Ok(());
        }
    }
    let pieces = rayon::current_num_threads();
    split(alpha, a.view(), b.view(), beta, c.view_mut(), pieces);
    Ok(())
}

/// Row-major C (+)= A·B by [`kernels::gemm`], C's rows split across the
/// pool in multiples of the kernels' 6-row tiles.
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
    let rows_per_piece = m.div_ceil(pieces.max(1)).div_ceil(6) * 6;
    if n == 0 || rows_per_piece == 0 {
        return;
    }
    c.par_chunks_mut(rows_per_piece * n)
        .enumerate()
        .for_each(|(piece, c)| {
            let first = piece * rows_per_piece;
            let rows = c.len() / n;
            let a_rows = kernels::strided_rows(first * k, rows, k);
            kernels::gemm(
                kernel,
                (rows, n, k),
                Operand {
                    data: a_data,
                    rows: &a_rows,
                    col_stride: 1,
                },
                Operand {
                    data: b_data,
                    rows: &b_rows,
                    col_stride: 1,
                },
                c,
                n,
                accumulate,
            );
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
