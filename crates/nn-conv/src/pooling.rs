//! Max and average pooling.

use ndarray::IxDyn;
use nn_core::{Float, Parameters, Recycler, Shape, Tensor};
use nn_layers::{Built, Error, Layer, LayerConfig, LayerSpec, Mode, Plan, Result};
use rayon::prelude::*;

use crate::pool_planes::{
    average_plane, is_2x2, max_plane, unpool_average_plane, unpool_max_plane,
};
use crate::Geometry;

/// The settings of a [`Pooling`] layer:
/// `{ kind = "pool", op = "max", size = [2, 2], stride = 2, pad = 0 }`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolingConfig {
    /// `"max"` or `"average"`.
    pub op: PoolKind,
    /// Window height and width [FH, FW].
    pub size: [usize; 2],
    /// Stride; default the window's height.
    #[serde(default)]
    pub stride: Option<usize>,
    /// Zero padding on every side, smaller than the window; default 0.
    #[serde(default)]
    pub pad: usize,
}

impl LayerConfig for PoolingConfig {
    const KIND: &'static str = "pool";
    const ABOUT: &'static str =
        "max or average pooling of (N, C, H, W) images, each channel on its own";

    fn build<T: Float>(
        &self,
        input: Option<&[usize]>,
        _: &mut nn_core::rng::ChaCha8Rng,
    ) -> Result<Built<T>> {
        let [fh, fw] = self.size;
        let stride = self.stride.unwrap_or(fh);
        let layer = Pooling::new(self.op, fh, fw, stride, self.pad)?;
        Ok(Built {
            layer: Box::new(layer),
            output: self.plan(input)?.output,
        })
    }

    fn plan(&self, input: Option<&[usize]>) -> Result<Plan> {
        let stride = self.stride.unwrap_or(self.size[0]);
        let output = match input {
            Some(&[c, h, w]) => {
                let g = Geometry::new("pool", [c, h, w], self.size, stride, self.pad)?;
                Some(vec![c, g.out_h, g.out_w])
            }
            Some(shape) => {
                return Err(Error::Description(format!(
                    "takes (C, H, W) images per sample, but its input is {}",
                    Shape::from(shape)
                )))
            }
            None => None,
        };
        Ok(Plan {
            params: Vec::new(),
            output,
        })
    }

    fn example() -> (Self, Vec<usize>) {
        let config = PoolingConfig {
            op: PoolKind::Average,
            size: [2, 2],
            stride: Some(1),
            pad: 1,
        };
        (config, vec![2, 3, 3])
    }
}

/// What a pooling window computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolKind {
    /// The largest value; the gradient goes to that value's position.
    Max,
    /// The mean over the window, counting padded positions as zeros (divide by
    /// FH·FW always, PyTorch's `count_include_pad=True`); the gradient is
    /// spread evenly over the window's pixels inside the image.
    Average,
}

/// Pooling over FH × FW windows with stride S and padding P, each channel on
/// its own: output (N, C, OH, OW) with OH = ⌊(H + 2P − FH)/S⌋ + 1.
///
/// The book's `Pooling` computes its output size as 1 + (H − FH)/S, ignoring
/// the padding it passes to im2col; here the padding counts. Padding is
/// limited to less than the window, so every window holds at least one pixel.
/// Windows are evaluated directly (no im2col), one (sample, channel) plane per
/// rayon task.
///
/// ```
/// use ndarray::{array, Array4};
/// use nn_conv::Pooling;
/// use nn_layers::{Layer, Mode};
///
/// let x = Array4::from_shape_vec((1, 1, 2, 4), vec![1.0, 5.0, 2.0, 0.0, 3.0, 4.0, 8.0, 6.0]).unwrap();
/// let mut pool = Pooling::max(2, 2, 2, 0)?;
/// let y = pool.forward(x.into_dyn(), Mode::Train)?;
/// assert_eq!(y, array![[[[5.0, 8.0]]]].into_dyn());
/// let dx = pool.backward(array![[[[10.0, 20.0]]]].into_dyn())?;
/// assert_eq!(dx.into_raw_vec_and_offset().0, [0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 20.0, 0.0]);
/// # Ok::<(), nn_layers::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pooling<T: Float> {
    kind: PoolKind,
    window: [usize; 2],
    stride: usize,
    pad: usize,
    cache: Option<Cache>,
    /// Consumed inputs and gradients, reused for ∂L/∂x and outputs.
    spare: Recycler<T>,
}

#[derive(Debug, Clone)]
struct Cache {
    geometry: Geometry,
    batch: usize,
    single: bool,
    /// For max pooling: the winning pixel of each output, as an index into
    /// its input plane (2×2 windows: as its position in the window, 0–3).
    argmax: Vec<u32>,
}

impl<T: Float> Pooling<T> {
    /// A pooling layer.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero window or stride, or padding not
    /// smaller than the window.
    pub fn new(
        kind: PoolKind,
        pool_h: usize,
        pool_w: usize,
        stride: usize,
        pad: usize,
    ) -> Result<Self> {
        if pool_h == 0 || pool_w == 0 || stride == 0 || pad >= pool_h || pad >= pool_w {
            return Err(Error::invalid(
                "Pooling::new",
                format!(
                    "window {pool_h}x{pool_w}, stride {stride}, padding {pad}: need a non-empty window, stride ≥ 1 and padding smaller than the window"
                ),
            ));
        }
        Ok(Pooling {
            kind,
            window: [pool_h, pool_w],
            stride,
            pad,
            cache: None,
            spare: Recycler::default(),
        })
    }

    /// Max pooling.
    ///
    /// # Errors
    /// As [`Pooling::new`].
    pub fn max(pool_h: usize, pool_w: usize, stride: usize, pad: usize) -> Result<Self> {
        Self::new(PoolKind::Max, pool_h, pool_w, stride, pad)
    }

    /// Average pooling.
    ///
    /// # Errors
    /// As [`Pooling::new`].
    pub fn average(pool_h: usize, pool_w: usize, stride: usize, pad: usize) -> Result<Self> {
        Self::new(PoolKind::Average, pool_h, pool_w, stride, pad)
    }

    /// Max or average.
    pub fn pool_kind(&self) -> PoolKind {
        self.kind
    }

    fn output_shape(g: &Geometry, n: usize, single: bool) -> Vec<usize> {
        if single {
            vec![g.channels, g.out_h, g.out_w]
        } else {
            vec![n, g.channels, g.out_h, g.out_w]
        }
    }
}

impl<T: Float> Parameters<T> for Pooling<T> {
    fn visit_params(&mut self, _: &mut dyn FnMut(nn_core::Param<'_, T>)) {}
}

impl<T: Float> Layer<T> for Pooling<T> {
    fn kind(&self) -> &'static str {
        PoolingConfig::KIND
    }

    fn spec(&self) -> LayerSpec {
        LayerSpec::of(&PoolingConfig {
            op: self.kind,
            size: self.window,
            stride: Some(self.stride),
            pad: self.pad,
        })
    }

    fn forward(&mut self, x: Tensor<T>, mode: Mode) -> Result<Tensor<T>> {
        let (n, c, h, w, single) = match *x.shape() {
            [c, h, w] => (1, c, h, w, true),
            [n, c, h, w] => (n, c, h, w, false),
            _ => {
                return Err(Error::BadInput {
                    layer: "Pooling",
                    got: Shape::from(x.shape()),
                    expected: "expected (N, C, H, W) or (C, H, W)".into(),
                })
            }
        };
        let g = Geometry::new(
            "Pooling.forward",
            [c, h, w],
            self.window,
            self.stride,
            self.pad,
        )?;
        let (plane, out_plane) = ((h * w).max(1), g.positions().max(1));
        let x_owned = nn_core::into_standard(x);
        let x = x_owned.as_slice().expect("standard layout is contiguous");
        // Every path below writes every output.
        let mut out = self.spare.for_output_overwrite(n * c * g.positions());
        let mut argmax = self.cache.take().map(|c| c.argmax).unwrap_or_default();
        match self.kind {
            PoolKind::Max => {
                argmax.resize(out.len(), 0);
                out.par_chunks_exact_mut(out_plane)
                    .zip(argmax.par_chunks_exact_mut(out_plane))
                    .zip(x.par_chunks_exact(plane))
                    .for_each(|((dst, arg), src)| max_plane(&g, src, dst, arg));
            }
            PoolKind::Average => {
                argmax.clear();
                out.par_chunks_exact_mut(out_plane)
                    .zip(x.par_chunks_exact(plane))
                    .for_each(|(dst, src)| average_plane(&g, src, dst));
            }
        }
        self.cache = (mode == Mode::Train).then_some(Cache {
            geometry: g,
            batch: n,
            single,
            argmax,
        });
        self.spare.keep_input(x_owned);
        let shape = Self::output_shape(&g, n, single);
        Ok(Tensor::from_shape_vec(IxDyn(&shape), out).expect("N·C·OH·OW elements"))
    }

    fn backward(&mut self, dout: Tensor<T>) -> Result<Tensor<T>> {
        let cache = self
            .cache
            .as_ref()
            .ok_or(Error::NoForward { layer: "Pooling" })?;
        let g = cache.geometry;
        let expected = Self::output_shape(&g, cache.batch, cache.single);
        if dout.shape() != expected.as_slice() {
            return Err(Error::BadGradient {
                layer: "Pooling",
                got: Shape::from(dout.shape()),
                expected: Shape::from(expected),
            });
        }
        let (plane, out_plane) = (g.height * g.width, g.positions().max(1));
        let dout_owned = nn_core::into_standard(dout);
        let dout = dout_owned
            .as_slice()
            .expect("standard layout is contiguous");
        let len = cache.batch * g.channels * plane;
        let mut dx = if self.kind == PoolKind::Max && is_2x2(&g) {
            // Every pixel is written (each window's four, then the uncovered
            // last row or column of an odd-sized image).
            self.spare.for_input_grad_overwrite(len)
        } else {
            self.spare.for_input_grad(len)
        };
        let planes = dx
            .par_chunks_exact_mut(plane.max(1))
            .zip(dout.par_chunks_exact(out_plane));
        match self.kind {
            PoolKind::Max => planes
                .zip(cache.argmax.par_chunks_exact(out_plane))
                .for_each(|((dst, grad), arg)| unpool_max_plane(&g, dst, grad, arg)),
            PoolKind::Average => {
                planes.for_each(|(dst, grad)| unpool_average_plane(&g, dst, grad));
            }
        }
        self.spare.keep_grad(dout_owned);
        let shape: Vec<usize> = if cache.single {
            vec![g.channels, g.height, g.width]
        } else {
            vec![cache.batch, g.channels, g.height, g.width]
        };
        Ok(Tensor::from_shape_vec(IxDyn(&shape), dx).expect("N·C·H·W elements"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array4};

    /// A NaN anywhere in a window gives NaN, on the 2×2 fast path and the
    /// general one alike (the fast path kept it only in the first position,
    /// the general one dropped it).
    #[test]
    fn max_pooling_propagates_nan_on_every_path() {
        for (pool, size) in [
            (Pooling::max(2, 2, 2, 0).unwrap(), 4),
            (Pooling::max(3, 3, 3, 0).unwrap(), 6),
        ] {
            let mut pool = pool;
            for at in 0..4 {
                let mut x = Array4::<f32>::zeros((1, 1, size, size));
                let (i, j) = (at / 2, at % 2);
                x[[0, 0, i, j]] = f32::NAN;
                x[[0, 0, size - 1, size - 1]] = 5.0;
                let y = pool.forward(x.into_dyn(), Mode::Train).unwrap();
                assert!(y[[0, 0, 0, 0]].is_nan(), "NaN at ({i}, {j}) lost: {y}");
                assert_eq!(y[[0, 0, 1, 1]], 5.0);
            }
        }
    }

    #[test]
    fn average_pooling_by_hand_with_padding() {
        // 3×3 image, 2×2 windows, stride 2, padding 1: four windows, each
        // holding one, two, two and four pixels, all divided by 4.
        let x = Array4::from_shape_vec((1, 1, 3, 3), (1..=9).map(f64::from).collect()).unwrap();
        let mut pool = Pooling::average(2, 2, 2, 1).unwrap();
        let y = pool.forward(x.into_dyn(), Mode::Train).unwrap();
        let want = array![[[
            [1.0 / 4.0, (2.0 + 3.0) / 4.0],
            [(4.0 + 7.0) / 4.0, (5.0 + 6.0 + 8.0 + 9.0) / 4.0]
        ]]];
        assert_eq!(y, want.into_dyn());
        let dx = pool
            .backward(Tensor::from_elem(IxDyn(&[1, 1, 2, 2]), 4.0))
            .unwrap();
        assert_eq!(dx, Tensor::<f64>::ones(IxDyn(&[1, 1, 3, 3])));
    }

    #[test]
    fn overlapping_max_windows_add_their_gradients() {
        // 1×3 row, 1×2 windows with stride 1: both windows pick the middle 9.
        let x = Array4::from_shape_vec((1, 1, 1, 3), vec![1.0, 9.0, 2.0]).unwrap();
        let mut pool = Pooling::max(1, 2, 1, 0).unwrap();
        let y = pool.forward(x.into_dyn(), Mode::Train).unwrap();
        assert_eq!(y.into_raw_vec_and_offset().0, [9.0, 9.0]);
        let dx = pool.backward(array![[[[1.0, 2.0]]]].into_dyn()).unwrap();
        assert_eq!(dx.into_raw_vec_and_offset().0, [0.0, 3.0, 0.0]);
    }

    #[test]
    fn output_size_counts_the_padding_and_bad_settings_are_errors() {
        let mut pool = Pooling::max(3, 3, 2, 1).unwrap();
        let y = pool
            .forward(Tensor::<f32>::zeros(IxDyn(&[2, 3, 7, 8])), Mode::Inference)
            .unwrap();
        // ⌊(7 + 2 − 3)/2⌋ + 1 = 4; ⌊(8 + 2 − 3)/2⌋ + 1 = 4.
        assert_eq!(y.shape(), &[2, 3, 4, 4]);
        assert!(Pooling::<f32>::max(2, 2, 2, 2).is_err());
        assert!(Pooling::<f32>::average(2, 2, 0, 0).is_err());
        let err = pool
            .forward(Tensor::zeros(IxDyn(&[4, 4])), Mode::Train)
            .unwrap_err();
        assert_eq!(err.to_string(), "Pooling.forward: input of shape (4, 4) does not fit: expected (N, C, H, W) or (C, H, W)");
    }
}
