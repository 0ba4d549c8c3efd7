//! The shape arithmetic of a window sliding over an image.

use nn_core::Shape;
use nn_layers::{Error, Result};

/// Where a window of `kernel_h × kernel_w` visits a `height × width` image
/// with `channels` channels, moving `stride` pixels at a time over the image
/// padded by `pad` zero pixels on every side.
///
/// The output is OH × OW with OH = ⌊(H + 2P − FH)/S⌋ + 1 and
/// OW = ⌊(W + 2P − FW)/S⌋ + 1, rounding down as PyTorch does (positions where
/// the window would overhang the padded image are dropped).
///
/// ```
/// use nn_conv::Geometry;
///
/// let g = Geometry::new("example", [1, 28, 28], [5, 5], 1, 0)?;
/// assert_eq!((g.out_h, g.out_w), (24, 24));
/// let g = Geometry::new("example", [32, 14, 14], [3, 3], 1, 2)?;
/// assert_eq!((g.out_h, g.out_w), (16, 16));
/// # Ok::<(), nn_layers::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// C.
    pub channels: usize,
    /// H.
    pub height: usize,
    /// W.
    pub width: usize,
    /// FH.
    pub kernel_h: usize,
    /// FW.
    pub kernel_w: usize,
    /// S.
    pub stride: usize,
    /// P.
    pub pad: usize,
    /// OH.
    pub out_h: usize,
    /// OW.
    pub out_w: usize,
}

impl Geometry {
    /// The geometry of a `kernel` = [FH, FW] window over an `input` =
    /// [C, H, W] image; `op` names the caller in errors.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero stride, kernel or channel count,
    /// or when the window does not fit the padded image even once.
    pub fn new(
        op: &'static str,
        input: [usize; 3],
        kernel: [usize; 2],
        stride: usize,
        pad: usize,
    ) -> Result<Self> {
        let [channels, height, width] = input;
        let [kernel_h, kernel_w] = kernel;
        if stride == 0 || kernel_h == 0 || kernel_w == 0 || channels == 0 {
            return Err(Error::invalid(
                op,
                format!(
                    "stride {stride}, window {kernel_h}x{kernel_w} and {channels} channels must all be at least 1"
                ),
            ));
        }
        if height == 0 || width == 0 {
            return Err(Error::invalid(
                op,
                format!(
                    "an empty image {} has nothing to slide a window over",
                    Shape::from(input)
                ),
            ));
        }
        // Sizes may come from files: every product is checked, so a huge pad
        // or image is an error here rather than a wrap-around later.
        let too_large = || {
            Error::invalid(
                op,
                format!(
                    "input {} padded by {pad} with a {kernel_h}x{kernel_w} window is too large to index",
                    Shape::from(input)
                ),
            )
        };
        let padded = |n: usize| pad.checked_mul(2).and_then(|p| p.checked_add(n));
        let (padded_h, padded_w) = match (padded(height), padded(width)) {
            (Some(h), Some(w)) => (h, w),
            _ => return Err(too_large()),
        };
        let fits = channels
            .checked_mul(padded_h)
            .and_then(|n| n.checked_mul(padded_w))
            .and_then(|n| n.checked_mul(kernel_h))
            .and_then(|n| n.checked_mul(kernel_w))
            .is_some_and(|n| n <= isize::MAX as usize);
        if !fits {
            return Err(too_large());
        }
        if padded_h < kernel_h || padded_w < kernel_w {
            return Err(Error::invalid(
                op,
                format!(
                    "a {kernel_h}x{kernel_w} window does not fit input {} padded by {pad} ({padded_h}x{padded_w}): no output",
                    Shape::from(input)
                ),
            ));
        }
        Ok(Geometry {
            channels,
            height,
            width,
            kernel_h,
            kernel_w,
            stride,
            pad,
            out_h: (padded_h - kernel_h) / stride + 1,
            out_w: (padded_w - kernel_w) / stride + 1,
        })
    }

    /// C·FH·FW: the length of one unrolled patch.
    pub fn patch_len(&self) -> usize {
        self.channels * self.kernel_h * self.kernel_w
    }

    /// OH·OW: the number of window positions.
    pub fn positions(&self) -> usize {
        self.out_h * self.out_w
    }

    /// C·H·W: the size of one input sample.
    pub fn input_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// The columns `ow` for which input column `ow·S + j − P` lies inside the
    /// image, as a range, for kernel column `j`.
    pub(crate) fn valid_cols(&self, j: usize) -> std::ops::Range<usize> {
        valid_range(self.out_w, self.width, j, self.stride, self.pad)
    }

    /// Likewise for rows and kernel row `i`.
    pub(crate) fn valid_rows(&self, i: usize) -> std::ops::Range<usize> {
        valid_range(self.out_h, self.height, i, self.stride, self.pad)
    }
}

/// The outputs o in 0..out with 0 ≤ o·stride + k − pad < size.
fn valid_range(
    out: usize,
    size: usize,
    k: usize,
    stride: usize,
    pad: usize,
) -> std::ops::Range<usize> {
    // o·s + k ≥ pad  ⇔  o ≥ ⌈(pad − k)/s⌉ when pad > k.
    let lo = if pad > k {
        (pad - k).div_ceil(stride)
    } else {
        0
    };
    // o·s + k − pad ≤ size − 1  ⇔  o ≤ ⌊(size − 1 + pad − k)/s⌋.
    let hi = if size + pad > k {
        (size - 1 + pad - k) / stride + 1
    } else {
        0
    };
    lo.min(out)..hi.min(out).max(lo.min(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sizes from a hostile file: a pad of 2⁶³, an image of usize::MAX rows
    /// (which wrapped to an output width of 3 in release builds), and an
    /// empty image are errors that say so.
    #[test]
    fn sizes_that_cannot_be_indexed_are_errors() {
        let huge_pad = Geometry::new("conv", [1, 28, 28], [5, 5], 1, 1 << 63).unwrap_err();
        assert!(
            huge_pad.to_string().contains(
                "input (1, 28, 28) padded by 9223372036854775808 with a 5x5 window is too large"
            ),
            "{huge_pad}"
        );
        let tall = Geometry::new("pool", [1, usize::MAX, 2], [2, 2], 2, 0).unwrap_err();
        assert!(tall.to_string().contains("too large to index"), "{tall}");
        let wide = Geometry::new("pool", [1 << 22, 1 << 22, 1 << 22], [1, 1], 1, 0).unwrap_err();
        assert!(wide.to_string().contains("too large to index"), "{wide}");
        let empty = Geometry::new("conv", [1, 0, 0], [1, 1], 1, 1).unwrap_err();
        assert!(
            empty
                .to_string()
                .contains("an empty image (1, 0, 0) has nothing"),
            "{empty}"
        );
    }

    #[test]
    fn output_sizes_round_down() {
        let g = Geometry::new("t", [3, 7, 5], [3, 2], 2, 1).unwrap();
        // OH = ⌊(7 + 2 − 3)/2⌋ + 1 = 4; OW = ⌊(5 + 2 − 2)/2⌋ + 1 = 3.
        assert_eq!(
            (g.out_h, g.out_w, g.patch_len(), g.positions()),
            (4, 3, 18, 12)
        );
    }

    #[test]
    fn valid_ranges_match_a_brute_force_count() {
        for (size, k, s, p) in [
            (5, 0, 1, 0),
            (5, 2, 1, 2),
            (7, 0, 2, 1),
            (4, 3, 3, 3),
            (6, 1, 2, 0),
        ] {
            let out = (size + 2 * p - (k + 1)) / s + 1;
            let r = valid_range(out, size, k, s, p);
            let brute: Vec<usize> = (0..out)
                .filter(|&o| {
                    let x = (o * s + k) as isize - p as isize;
                    x >= 0 && x < size as isize
                })
                .collect();
            assert_eq!(
                r.collect::<Vec<_>>(),
                brute,
                "size {size} k {k} s {s} p {p}"
            );
        }
    }

    #[test]
    fn impossible_geometries_are_errors() {
        let err = Geometry::new("Convolution::forward", [1, 2, 2], [3, 3], 1, 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Convolution::forward: a 3x3 window does not fit input (1, 2, 2) padded by 0 (2x2): no output"
        );
        assert!(Geometry::new("t", [1, 4, 4], [2, 2], 0, 0).is_err());
        assert!(Geometry::new("t", [1, 2, 2], [3, 3], 1, 1).is_ok());
    }
}
