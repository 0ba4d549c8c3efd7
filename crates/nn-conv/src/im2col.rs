//! im2col and col2im: unrolling image patches into matrix rows, and back.

use ndarray::{Array2, Array4, ArrayView2, ArrayView4, Axis};
use nn_core::{Float, Shape};
use nn_layers::{Error, Result};

use crate::Geometry;

/// Unrolls every window position of every sample into one row, the notes'
/// `im2col(input_data, filter_h, filter_w, stride, pad)`.
///
/// For input (N, C, H, W) the result has shape (N·OH·OW, C·FH·FW): row
/// n·OH·OW + oh·OW + ow holds the patch under the window at (oh, ow) of sample
/// n, with its columns in (c, fh, fw) order, row-major, and zeros where the
/// window covers padding. A convolution is then one matrix product of this
/// with the filters reshaped to (FN, C·FH·FW) and transposed.
///
/// # Worked example
/// One 3×3 image, a 2×2 window, stride 1, no padding: 2×2 positions, so 4
/// rows of 4.
/// ```text
///               position (0,0) → [1, 2, 4, 5]
/// 1 2 3         position (0,1) → [2, 3, 5, 6]
/// 4 5 6    →    position (1,0) → [4, 5, 7, 8]
/// 7 8 9         position (1,1) → [5, 6, 8, 9]
/// ```
/// ```
/// use ndarray::{array, Array4};
///
/// let x = Array4::from_shape_vec((1, 1, 3, 3), (1..=9).map(f64::from).collect()).unwrap();
/// let col = nn_conv::im2col(&x.view(), 2, 2, 1, 0)?;
/// assert_eq!(col, array![[1., 2., 4., 5.], [2., 3., 5., 6.], [4., 5., 7., 8.], [5., 6., 8., 9.]]);
/// # Ok::<(), nn_layers::Error>(())
/// ```
///
/// [`crate::Convolution`] uses the same unrolling per sample, transposed to
/// (C·FH·FW, OH·OW), so that its product lands directly in (FN, OH, OW) order.
///
/// # Errors
/// [`Error::InvalidArgument`] when the window does not fit (see [`Geometry`]).
pub fn im2col<T: Float>(
    x: &ArrayView4<'_, T>,
    filter_h: usize,
    filter_w: usize,
    stride: usize,
    pad: usize,
) -> Result<Array2<T>> {
    let (n, c, h, w) = x.dim();
    let g = Geometry::new("im2col", [c, h, w], [filter_h, filter_w], stride, pad)?;
    let x = x.as_standard_layout();
    let x = x.as_slice().expect("standard layout is contiguous");
    let mut out = Array2::zeros((n * g.positions(), g.patch_len()));
    let mut sample_col = vec![T::zero(); g.patch_len() * g.positions()];
    for (i, rows) in out
        .axis_chunks_iter_mut(Axis(0), g.positions().max(1))
        .enumerate()
    {
        im2col_sample(
            &g,
            &x[i * g.input_len()..][..g.input_len()],
            &mut sample_col,
        );
        let sample = ArrayView2::from_shape((g.patch_len(), g.positions()), &sample_col)
            .expect("buffer holds patch_len × positions values");
        let mut rows = rows;
        rows.assign(&sample.t());
    }
    Ok(out)
}

/// The adjoint of [`im2col`], the notes' `col2im`: scatters each row back to
/// the pixels of its window, **adding** where windows overlap, and drops the
/// padding. This is how the gradient with respect to the unrolled matrix
/// becomes the gradient with respect to the image.
///
/// `col` must have shape (N·OH·OW, C·FH·FW) for `input_shape` = (N, C, H, W).
///
/// ```
/// use ndarray::Array2;
///
/// // Every entry 1: each pixel receives one 1 per window covering it.
/// let col = Array2::<f64>::ones((4, 4));
/// let x = nn_conv::col2im(&col.view(), [1, 1, 3, 3], 2, 2, 1, 0)?;
/// assert_eq!(x.into_raw_vec_and_offset().0, [1., 2., 1., 2., 4., 2., 1., 2., 1.]);
/// # Ok::<(), nn_layers::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] when the window does not fit, or `col` does not
/// have the shape the geometry implies.
pub fn col2im<T: Float>(
    col: &ArrayView2<'_, T>,
    input_shape: [usize; 4],
    filter_h: usize,
    filter_w: usize,
    stride: usize,
    pad: usize,
) -> Result<Array4<T>> {
    let [n, c, h, w] = input_shape;
    let g = Geometry::new("col2im", [c, h, w], [filter_h, filter_w], stride, pad)?;
    if col.dim() != (n * g.positions(), g.patch_len()) {
        return Err(Error::invalid(
            "col2im",
            format!(
                "col of shape {} does not fit: expected ({}, {}) for input {} and a {filter_h}x{filter_w} window",
                Shape::from(col.shape()),
                n * g.positions(),
                g.patch_len(),
                Shape::from(input_shape)
            ),
        ));
    }
    let mut out = Array4::zeros((n, c, h, w));
    let dst = out.as_slice_mut().expect("new arrays are contiguous");
    let mut sample_col = vec![T::zero(); g.patch_len() * g.positions()];
    for (i, rows) in col
        .axis_chunks_iter(Axis(0), g.positions().max(1))
        .enumerate()
    {
        let mut sample = Array2::from_shape_vec(
            (g.patch_len(), g.positions()),
            std::mem::take(&mut sample_col),
        )
        .expect("buffer holds patch_len × positions values");
        sample.assign(&rows.t());
        sample_col = sample.into_raw_vec_and_offset().0;
        col2im_sample(
            &g,
            &sample_col,
            &mut dst[i * g.input_len()..][..g.input_len()],
        );
    }
    Ok(out)
}

/// Unrolls one sample `x` (C·H·W values, row-major) into `col`, a row-major
/// (C·FH·FW, OH·OW) matrix: row (c·FH + i)·FW + j holds, for every window
/// position, the pixel under kernel cell (i, j) of channel c (0 in padding).
pub(crate) fn im2col_sample<T: Float>(g: &Geometry, x: &[T], col: &mut [T]) {
    let (ow_n, p) = (g.out_w, g.positions());
    let plane = g.height * g.width;
    let mut rows = col.chunks_exact_mut(p);
    for c in 0..g.channels {
        let img = &x[c * plane..][..plane];
        for i in 0..g.kernel_h {
            let oh_valid = g.valid_rows(i);
            for j in 0..g.kernel_w {
                let row = rows.next().expect("col has patch_len rows");
                let ow_valid = g.valid_cols(j);
                for (oh, dst) in row.chunks_exact_mut(ow_n).enumerate() {
                    if !oh_valid.contains(&oh) || ow_valid.is_empty() {
                        dst.fill(T::zero());
                        continue;
                    }
                    let y = oh * g.stride + i - g.pad;
                    let src = &img[y * g.width..][..g.width];
                    dst[..ow_valid.start].fill(T::zero());
                    dst[ow_valid.end..].fill(T::zero());
                    let x0 = ow_valid.start * g.stride + j - g.pad;
                    if g.stride == 1 {
                        dst[ow_valid.clone()].copy_from_slice(&src[x0..][..ow_valid.len()]);
                    } else {
                        for (d, s) in dst[ow_valid.clone()]
                            .iter_mut()
                            .zip(src[x0..].iter().step_by(g.stride))
                        {
                            *d = *s;
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col_sample`]: overwrites `dx` (C·H·W) with the sum, for
/// each pixel, of the entries of `col` that were copied from it.
pub(crate) fn col2im_sample<T: Float>(g: &Geometry, col: &[T], dx: &mut [T]) {
    dx.fill(T::zero());
    let (ow_n, p) = (g.out_w, g.positions());
    let plane = g.height * g.width;
    let mut rows = col.chunks_exact(p);
    for c in 0..g.channels {
        let img = &mut dx[c * plane..][..plane];
        for i in 0..g.kernel_h {
            let oh_valid = g.valid_rows(i);
            for j in 0..g.kernel_w {
                let row = rows.next().expect("col has patch_len rows");
                let ow_valid = g.valid_cols(j);
                if ow_valid.is_empty() {
                    continue;
                }
                for oh in oh_valid.clone() {
                    let y = oh * g.stride + i - g.pad;
                    let dst = &mut img[y * g.width..][..g.width];
                    let src = &row[oh * ow_n..][ow_valid.clone()];
                    let x0 = ow_valid.start * g.stride + j - g.pad;
                    if g.stride == 1 {
                        for (d, s) in dst[x0..][..src.len()].iter_mut().zip(src) {
                            *d += *s;
                        }
                    } else {
                        for (d, s) in dst[x0..].iter_mut().step_by(g.stride).zip(src) {
                            *d += *s;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array4;

    /// im2col straight from the definition, one value at a time.
    fn im2col_reference(x: &Array4<f64>, fh: usize, fw: usize, s: usize, p: usize) -> Array2<f64> {
        let (n, c, h, w) = x.dim();
        let (oh, ow) = ((h + 2 * p - fh) / s + 1, (w + 2 * p - fw) / s + 1);
        Array2::from_shape_fn((n * oh * ow, c * fh * fw), |(r, k)| {
            let (b, pos) = (r / (oh * ow), r % (oh * ow));
            let (y0, x0) = ((pos / ow) * s, (pos % ow) * s);
            let (ch, i, j) = (k / (fh * fw), (k / fw) % fh, k % fw);
            let (y, xx) = (
                (y0 + i) as isize - p as isize,
                (x0 + j) as isize - p as isize,
            );
            if y < 0 || xx < 0 || y >= h as isize || xx >= w as isize {
                0.0
            } else {
                x[[b, ch, y as usize, xx as usize]]
            }
        })
    }

    #[test]
    fn matches_the_definition_for_many_geometries() {
        for (shape, fh, fw, s, p) in [
            ((2, 3, 5, 4), 3, 3, 1, 1),
            ((1, 2, 7, 6), 2, 3, 2, 0),
            ((3, 1, 6, 6), 5, 5, 1, 2),
            ((1, 2, 5, 5), 3, 1, 3, 2),
            ((2, 1, 4, 9), 4, 2, 2, 1),
        ] {
            let x = Array4::from_shape_fn(shape, |(a, b, c, d)| {
                (a * 1000 + b * 100 + c * 10 + d) as f64
            });
            let col = im2col(&x.view(), fh, fw, s, p).unwrap();
            assert_eq!(
                col,
                im2col_reference(&x, fh, fw, s, p),
                "{shape:?} {fh}x{fw} s{s} p{p}"
            );
        }
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for any x and c.
        for (shape, fh, fw, s, p) in [
            ((2, 3, 5, 4), 3, 3, 1, 1),
            ((1, 2, 7, 6), 2, 3, 2, 0),
            ((1, 1, 4, 9), 4, 2, 2, 1),
        ] {
            let x = Array4::from_shape_fn(shape, |(a, b, c, d)| {
                ((a + 2 * b + 3 * c + 5 * d) % 7) as f64 - 3.0
            });
            let col = im2col(&x.view(), fh, fw, s, p).unwrap();
            let c = Array2::from_shape_fn(col.dim(), |(i, j)| ((3 * i + j) % 5) as f64 - 2.0);
            let back = col2im(
                &c.view(),
                [shape.0, shape.1, shape.2, shape.3],
                fh,
                fw,
                s,
                p,
            )
            .unwrap();
            let lhs: f64 = (&col * &c).sum();
            let rhs: f64 = (&x * &back).sum();
            assert_eq!(lhs, rhs);
        }
    }

    #[test]
    fn shape_errors() {
        let x = Array4::<f32>::zeros((1, 1, 2, 2));
        assert!(im2col(&x.view(), 3, 3, 1, 0).is_err());
        let err = col2im(
            &Array2::<f32>::zeros((3, 4)).view(),
            [1, 1, 3, 3],
            2,
            2,
            1,
            0,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "col2im: col of shape (3, 4) does not fit: expected (4, 4) for input (1, 1, 3, 3) and a 2x2 window"
        );
    }
}
