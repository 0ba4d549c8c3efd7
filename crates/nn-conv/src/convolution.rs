//! Convolution layer.

use ndarray::{Array1, Array4, IxDyn};
use nn_core::{init::Init, rng::Rng, Float, Param, ParamKind, Parameters, Recycler, Shape, Tensor};
use nn_layers::{reconcile, Built, Error, Layer, LayerConfig, LayerSpec, Mode, Result};
use rayon::prelude::*;

use crate::conv_plan::{InputGradient, Plan, WeightGradient};
use crate::Geometry;

/// The settings of a [`Convolution`] layer:
/// `{ kind = "conv", channels = 1, filters = 30, kernel = [5, 5], stride = 1, pad = 0, init = "he" }`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvolutionConfig {
    /// Input channels C; inferred from the input shape when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<usize>,
    /// Filters FN (output channels).
    pub filters: usize,
    /// Filter height and width [FH, FW].
    pub kernel: [usize; 2],
    /// Stride; default 1.
    #[serde(default = "one")]
    pub stride: usize,
    /// Zero padding on every side; default 0.
    #[serde(default)]
    pub pad: usize,
    /// How the filters start (fan-in C·FH·FW); biases start at 0. Default He.
    #[serde(default)]
    pub init: Init,
}

fn one() -> usize {
    1
}

impl LayerConfig for ConvolutionConfig {
    const KIND: &'static str = "conv";
    const ABOUT: &'static str = "2-D convolution of (N, C, H, W) images with FN filters of FH×FW";

    fn build<T: Float>(
        &self,
        input: Option<&[usize]>,
        rng: &mut nn_core::rng::ChaCha8Rng,
    ) -> Result<Built<T>> {
        let plan = self.plan(input)?;
        let channels = plan.params[0].1[1];
        let layer = Convolution::init(
            channels,
            self.filters,
            self.kernel,
            self.stride,
            self.pad,
            self.init,
            rng,
        )?;
        Ok(Built {
            layer: Box::new(layer),
            output: plan.output,
        })
    }

    fn plan(&self, input: Option<&[usize]>) -> Result<nn_layers::Plan> {
        let image = match input {
            Some(&[c, h, w]) => Some([c, h, w]),
            Some(shape) => {
                return Err(Error::Description(format!(
                    "takes (C, H, W) images per sample, but its input is {}",
                    Shape::from(shape)
                )))
            }
            None => None,
        };
        let provided = image.as_ref().map(|i| (i[0], &i[..]));
        let channels = reconcile("channels", self.channels, provided)?;
        let output = match image {
            Some([_, h, w]) => {
                let g =
                    Geometry::new("conv", [channels, h, w], self.kernel, self.stride, self.pad)?;
                Some(vec![self.filters, g.out_h, g.out_w])
            }
            None => None,
        };
        let [kh, kw] = self.kernel;
        Ok(nn_layers::Plan {
            params: vec![
                ("weight", vec![self.filters, channels, kh, kw]),
                ("bias", vec![self.filters]),
            ],
            output,
        })
    }

    fn example() -> (Self, Vec<usize>) {
        let config = ConvolutionConfig {
            channels: None,
            filters: 2,
            kernel: [3, 3],
            stride: 1,
            pad: 1,
            init: Init::He,
        };
        (config, vec![2, 4, 4])
    }
}

/// The weight gradient is summed over this many fixed groups of samples
/// (computed in parallel, then added in order), whatever the thread count, so
/// that results are bit-identical on any number of threads.
const GRAD_GROUPS: usize = 8;

/// 2-D convolution (cross-correlation, as in the book and every framework)
/// with FN filters W of shape (FN, C, FH, FW), bias b of shape (FN,), stride S
/// and zero padding P:
///
/// ```text
/// out[n, f, oh, ow] = b[f] + Σ_{c,i,j} W[f, c, i, j] · x[n, c, oh·S + i − P, ow·S + j − P]
/// ```
///
/// In matrix form, per sample: out (FN × OH·OW) = W (FN × C·FH·FW) · col,
/// where col is the sample unrolled by [`crate::im2col`] (transposed); and
/// backward, with G = ∂L/∂out: ∂L/∂W = Σₙ G·colᵀ, ∂L/∂b = Σ G, and
/// ∂L/∂x = col2im(Wᵀ·G).
///
/// **How it is computed** (`conv_plan.rs`, which documents the choices
/// once). With stride 1 (every layer of the book's networks) col is never
/// built: row (c, i, j) of it is read straight out of the padded sample
/// ("implicit GEMM"), and ∂L/∂x is a convolution of the padded gradient with
/// the filters flipped, so col2im is not needed either. Other strides build
/// col per sample, in a buffer that stays in cache. ∂L/∂W takes whichever of
/// two products a cost model finds cheaper. Samples run in parallel; the
/// products are `nn_core::kernels`.
///
/// When the layer is the first of its network (its ∂L/∂x is never used),
/// [`Layer::backward_params_only`] skips that part. Input (N, C, H, W), or
/// (C, H, W) for one sample. Parameters: `weight` ([`ParamKind::Weight`]),
/// `bias`.
#[derive(Debug, Clone)]
pub struct Convolution<T: Float> {
    weight: Array4<T>,
    bias: Array1<T>,
    dweight: Array4<T>,
    dbias: Array1<T>,
    has_grad: bool,
    stride: usize,
    pad: usize,
    /// How the filters were drawn (He for given filters), for [`Layer::spec`].
    init: Init,
    cache: Option<Cache<T>>,
    /// Replaced inputs and consumed gradients, reused for ∂L/∂x and outputs.
    spare: Recycler<T>,
}

#[derive(Debug, Clone)]
struct Cache<T> {
    geometry: Geometry,
    batch: usize,
    single: bool,
    /// The forward input, (N, C, H, W) in standard layout.
    x: Tensor<T>,
}

impl<T: Float> Convolution<T> {
    /// A convolution with the given filters (FN, C, FH, FW), bias (FN,),
    /// stride and padding.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero stride, an empty filter, or a
    /// bias whose length is not FN.
    pub fn new(weight: Array4<T>, bias: Array1<T>, stride: usize, pad: usize) -> Result<Self> {
        let (fnum, c, fh, fw) = weight.dim();
        if stride == 0 || fnum == 0 || c == 0 || fh == 0 || fw == 0 || bias.len() != fnum {
            return Err(Error::invalid(
                "Convolution::new",
                format!(
                    "filters of shape {} with bias of shape {}, stride {stride}: need non-empty filters, one bias per filter and stride ≥ 1",
                    Shape::from(weight.shape()),
                    Shape::from(bias.shape())
                ),
            ));
        }
        Ok(Convolution {
            dweight: Array4::zeros(weight.raw_dim()),
            dbias: Array1::zeros(fnum),
            weight: weight.as_standard_layout().into_owned(),
            bias: bias.as_standard_layout().into_owned(),
            has_grad: false,
            stride,
            pad,
            init: Init::He,
            cache: None,
            spare: Recycler::default(),
        })
    }

    /// `filters` filters of `kernel` = [FH, FW] over `channels` input
    /// channels, drawn by `init` with fan-in C·FH·FW; zero biases.
    ///
    /// # Errors
    /// As [`Convolution::new`] and [`Init::sample`].
    pub fn init<R: Rng + ?Sized>(
        channels: usize,
        filters: usize,
        kernel: [usize; 2],
        stride: usize,
        pad: usize,
        init: Init,
        rng: &mut R,
    ) -> Result<Self> {
        let [fh, fw] = kernel;
        let weight = init.sample((filters, channels, fh, fw), channels * fh * fw, rng)?;
        let mut layer = Self::new(weight, Array1::zeros(filters), stride, pad)?;
        layer.init = init;
        Ok(layer)
    }

    /// The filters W, (FN, C, FH, FW).
    pub fn weight(&self) -> &Array4<T> {
        &self.weight
    }

    /// The biases, (FN,).
    pub fn bias(&self) -> &Array1<T> {
        &self.bias
    }

    /// (∂L/∂W, ∂L/∂b) from the last backward pass.
    pub fn grads(&self) -> Option<(&Array4<T>, &Array1<T>)> {
        self.has_grad.then_some((&self.dweight, &self.dbias))
    }

    /// The output for an input of `shape` whose row-major elements are `xs`,
    /// with the geometry, batch size and whether it was a single sample.
    fn convolve(
        &mut self,
        shape: &[usize],
        xs: &[T],
    ) -> Result<(Geometry, usize, bool, Tensor<T>)> {
        let (fnum, channels, fh, fw) = self.weight.dim();
        let (n, c, h, w, single) = match *shape {
            [c, h, w] => (1, c, h, w, true),
            [n, c, h, w] => (n, c, h, w, false),
            _ => (0, 0, 0, 0, false),
        };
        if c != channels || (shape.len() != 3 && shape.len() != 4) {
            return Err(Error::BadInput {
                layer: "Convolution",
                got: Shape::from(shape),
                expected: format!(
                    "expected (N, {channels}, H, W) or ({channels}, H, W) for filters of shape {}",
                    Shape::from(self.weight.shape())
                ),
            });
        }
        let g = Geometry::new(
            "Convolution.forward",
            [c, h, w],
            [fh, fw],
            self.stride,
            self.pad,
        )?;
        let plan = Plan::new(&g, fnum);
        let weight = self.weight.as_slice().expect("kept in standard layout");
        let params = (weight, self.bias.as_slice().expect("one-dimensional"));
        // Every element is written below (compaction of the computed rows).
        let mut out = self.spare.for_output_overwrite(n * fnum * g.positions());
        out.par_chunks_exact_mut(fnum * g.positions())
            .zip(xs.par_chunks_exact(g.input_len()))
            .for_each_init(
                || plan.forward_scratch(),
                |scratch, (out_s, x_s)| plan.forward_sample(&g, params, x_s, out_s, scratch),
            );
        let shape: Vec<usize> = if single {
            vec![fnum, g.out_h, g.out_w]
        } else {
            vec![n, fnum, g.out_h, g.out_w]
        };
        let out = Tensor::from_shape_vec(IxDyn(&shape), out).expect("N·FN·OH·OW elements");
        Ok((g, n, single, out))
    }

    fn backward_inner(&mut self, dout: Tensor<T>, need_dx: bool) -> Result<Option<Tensor<T>>> {
        let cache = self.cache.as_ref().ok_or(Error::NoForward {
            layer: "Convolution",
        })?;
        let (g, n) = (cache.geometry, cache.batch);
        let fnum = self.weight.shape()[0];
        let expected: Vec<usize> = if cache.single {
            vec![fnum, g.out_h, g.out_w]
        } else {
            vec![n, fnum, g.out_h, g.out_w]
        };
        if dout.shape() != expected.as_slice() {
            return Err(Error::BadGradient {
                layer: "Convolution",
                got: Shape::from(dout.shape()),
                expected: Shape::from(expected),
            });
        }
        let dout = nn_core::into_standard(dout);
        let grads = dout.as_slice().expect("standard layout is contiguous");
        let x = cache.x.as_slice().expect("cached in standard layout");
        let plan = Plan::new(&g, fnum);
        let (k, p_out) = (plan.k, g.positions());
        let weight = self.weight.as_slice().expect("kept in standard layout");
        let dw_path = WeightGradient::choose(&g, &plan);
        let dx_path = need_dx.then(|| InputGradient::choose(&g, &plan, weight));
        let mut dx = if need_dx {
            self.spare.for_input_grad(n * g.input_len())
        } else {
            Vec::new()
        };

        // Each of GRAD_GROUPS fixed groups of samples: ∂L/∂W and ∂L/∂b
        // partial sums, and ∂L/∂x of its samples; partials added in order.
        let per = n.div_ceil(GRAD_GROUPS.min(n).max(1)).max(1);
        let groups = n.div_ceil(per);
        let dx_groups: Vec<Option<&mut [T]>> = if need_dx {
            dx.chunks_mut(per * g.input_len()).map(Some).collect()
        } else {
            (0..groups).map(|_| None).collect()
        };
        let partials: Vec<(Vec<T>, Vec<T>)> = dx_groups
            .into_par_iter()
            .enumerate()
            .map(|(group, mut dx_group)| {
                let mut dw = vec![T::zero(); fnum * k];
                let mut db = vec![T::zero(); fnum];
                let mut src = vec![T::zero(); plan.padded_len];
                let mut gt = dw_path.scratch(&plan);
                let mut work = Vec::new();
                let first = group * per;
                for s in first..(first + per).min(n) {
                    let g_s = &grads[s * fnum * p_out..][..fnum * p_out];
                    plan.prepare(&g, &x[s * g.input_len()..][..g.input_len()], &mut src);
                    for (b, row) in db.iter_mut().zip(g_s.chunks_exact(p_out)) {
                        *b += nn_core::sum(row);
                    }
                    dw_path.add_sample(&g, &plan, (g_s, &src), &mut gt, &mut dw);
                    if let (Some(path), Some(dx_group)) = (&dx_path, dx_group.as_mut()) {
                        let dx_s = &mut dx_group[(s - first) * g.input_len()..][..g.input_len()];
                        path.sample(&g, g_s, dx_s, &mut work);
                    }
                }
                (dw, db)
            })
            .collect();

        let mut dw = vec![T::zero(); fnum * k];
        let mut db = Array1::zeros(fnum);
        for (pw, pb) in &partials {
            dw.iter_mut().zip(pw).for_each(|(a, &b)| *a += b);
            db.iter_mut().zip(pb).for_each(|(a, &b)| *a += b);
        }
        let dw = dw_path.in_filter_layout(dw, &plan);
        self.dweight =
            Array4::from_shape_vec(self.weight.raw_dim(), dw).expect("FN × C·FH·FW elements");
        self.dbias = db;
        self.has_grad = true;
        self.spare.keep_grad(dout);
        if !need_dx {
            return Ok(None);
        }
        let shape: Vec<usize> = if cache.single {
            vec![g.channels, g.height, g.width]
        } else {
            vec![n, g.channels, g.height, g.width]
        };
        Ok(Some(
            Tensor::from_shape_vec(IxDyn(&shape), dx).expect("N·C·H·W elements"),
        ))
    }
}

impl<T: Float> Parameters<T> for Convolution<T> {
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        let has_grad = self.has_grad;
        f(Param {
            name: "weight",
            kind: ParamKind::Weight,
            value: self.weight.view_mut().into_dyn(),
            grad: has_grad.then(|| self.dweight.view_mut().into_dyn()),
        });
        f(Param {
            name: "bias",
            kind: ParamKind::Trainable,
            value: self.bias.view_mut().into_dyn(),
            grad: has_grad.then(|| self.dbias.view_mut().into_dyn()),
        });
    }
}

impl<T: Float> Layer<T> for Convolution<T> {
    fn kind(&self) -> &'static str {
        ConvolutionConfig::KIND
    }

    fn spec(&self) -> LayerSpec {
        let (filters, channels, fh, fw) = self.weight.dim();
        LayerSpec::of(&ConvolutionConfig {
            channels: Some(channels),
            filters,
            kernel: [fh, fw],
            stride: self.stride,
            pad: self.pad,
            init: self.init,
        })
    }

    fn forward(&mut self, x: Tensor<T>, mode: Mode) -> Result<Tensor<T>> {
        let x = nn_core::into_standard(x);
        let xs = x.as_slice().expect("standard layout is contiguous");
        let (geometry, batch, single, out) = self.convolve(x.shape(), xs)?;
        if let Some(old) = self.cache.take() {
            self.spare.keep_input(old.x);
        }
        if mode == Mode::Train {
            self.cache = Some(Cache {
                geometry,
                batch,
                single,
                x,
            });
        } else {
            self.spare.keep_input(x);
        }
        Ok(out)
    }

    /// In [`Mode::Inference`], a row-major `x` is read in place.
    fn forward_view(&mut self, x: ndarray::ArrayViewD<'_, T>, mode: Mode) -> Result<Tensor<T>> {
        match x.as_slice() {
            Some(xs) if mode == Mode::Inference => {
                let (_, _, _, out) = self.convolve(x.shape(), xs)?;
                if let Some(old) = self.cache.take() {
                    self.spare.keep_input(old.x);
                }
                Ok(out)
            }
            _ => self.forward(x.to_owned(), mode),
        }
    }

    fn backward(&mut self, dout: Tensor<T>) -> Result<Tensor<T>> {
        Ok(self
            .backward_inner(dout, true)?
            .expect("dx is computed when asked for"))
    }

    fn backward_params_only(&mut self, dout: Tensor<T>) -> Result<()> {
        self.backward_inner(dout, false).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_borrowed_input_gives_the_same_output() {
        use nn_core::{init::uniform, rng::seeded};
        let mut conv =
            Convolution::<f64>::init(2, 3, [3, 3], 1, 1, Init::He, &mut seeded(0)).unwrap();
        let x = uniform(IxDyn(&[2, 2, 5, 4]), -1.0, 1.0, &mut seeded(1)).unwrap();
        let owned = conv.forward(x.clone(), Mode::Inference).unwrap();
        assert_eq!(conv.forward_view(x.view(), Mode::Inference).unwrap(), owned);
        // A view that is not row-major is copied first.
        let mut swapped = x.view();
        swapped.swap_axes(2, 3);
        let swapped_owned = conv.forward(swapped.to_owned(), Mode::Inference).unwrap();
        assert_eq!(
            conv.forward_view(swapped, Mode::Inference).unwrap(),
            swapped_owned
        );
        // Training mode keeps (a copy of) the input for backward.
        let y = conv.forward_view(x.view(), Mode::Train).unwrap();
        assert!(conv.backward(Tensor::ones(y.raw_dim())).is_ok());
        let err = conv
            .forward_view(
                x.view().into_shape_with_order(IxDyn(&[4, 5, 4])).unwrap(),
                Mode::Inference,
            )
            .unwrap_err();
        assert!(err.to_string().contains("(4, 5, 4)"), "{err}");
    }
}
