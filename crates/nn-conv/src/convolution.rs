//! Convolution layer.

use ndarray::{Array1, Array4, IxDyn};
use nn_core::{init::Init, rng::Rng, Float, Param, ParamKind, Parameters, Recycler, Shape, Tensor};
use nn_layers::{reconcile, Built, Error, Layer, LayerConfig, LayerSpec, Mode, Result};
use rayon::prelude::*;

use crate::im2col::{col2im_sample, im2col_sample};
use crate::Geometry;
use nn_core::kernels::{self, strided_rows, Kernel, Operand, Segmented};

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
/// **How it is computed.** With stride 1 (every layer of the book's networks)
/// the unrolled matrix is never built: each sample is padded once, and row
/// (c, i, j) of col is read straight out of the padded image, the outputs
/// being computed on the padded width and the extra columns dropped
/// ("implicit GEMM"). ∂L/∂x is then the same kind of convolution of the padded
/// gradient with the filters flipped and transposed, so col2im is not needed
/// either. Other strides build col per sample, in a buffer that stays in cache. Samples run in parallel; every
/// buffer a sample needs fits in the core's cache. See `nn_core::kernels` for
/// the product itself.
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

/// The sizes of one sample's products, and the row offsets that read the
/// unrolled matrix out of the padded image (stride 1) or out of an explicit
/// col (other strides).
struct Plan {
    /// C·FH·FW.
    k: usize,
    /// Positions computed per sample: OH·(W + 2P) implicitly, OH·OW explicitly.
    positions: usize,
    /// Length of one row of the computed output (W + 2P, or OW).
    row_len: usize,
    /// Offset of row (c, i, j) of the unrolled matrix in the padded image (or col).
    col_rows: Vec<usize>,
    /// One padded sample, plus slack for the last rows' dropped columns.
    padded_len: usize,
    implicit: bool,
}

impl Plan {
    /// Implicit for every stride-1 layer: building the unrolled matrix was
    /// measured slower even where the implicit grid drops 20% of its columns
    /// (DeepConvNet's 8×8 layers: 7.0 ms against 4.2 ms forward, 2 threads).
    fn new(g: &Geometry) -> Plan {
        let k = g.patch_len();
        if g.stride == 1 {
            let (hp, wp) = (g.height + 2 * g.pad, g.width + 2 * g.pad);
            let col_rows = (0..g.channels)
                .flat_map(|c| {
                    (0..g.kernel_h)
                        .flat_map(move |i| (0..g.kernel_w).map(move |j| c * hp * wp + i * wp + j))
                })
                .collect();
            Plan {
                k,
                positions: g.out_h * wp,
                row_len: wp,
                col_rows,
                padded_len: g.channels * hp * wp + g.kernel_w,
                implicit: true,
            }
        } else {
            Plan {
                k,
                positions: g.positions(),
                row_len: g.out_w,
                col_rows: strided_rows(0, k, g.positions()),
                padded_len: k * g.positions(),
                implicit: false,
            }
        }
    }

    /// Writes the sample's "col" source into `buf`: the zero-padded image
    /// (implicit) or the unrolled matrix (explicit).
    fn prepare<T: Float>(&self, g: &Geometry, x: &[T], buf: &mut [T]) {
        if self.implicit {
            pad_image(x, [g.channels, g.height, g.width], g.pad, g.pad, buf);
        } else {
            im2col_sample(g, x, buf);
        }
    }
}

/// Copies `x` (C × H × W) into `out` with `ph` zero rows above and below and
/// `pw` zero columns on each side; whatever follows the padded image in `out`
/// is zeroed too. Only the border is written with zeros.
fn pad_image<T: Float>(x: &[T], [c, h, w]: [usize; 3], ph: usize, pw: usize, out: &mut [T]) {
    let (hp, wp) = (h + 2 * ph, w + 2 * pw);
    let zero = T::zero();
    for (ch, plane) in out.chunks_exact_mut(hp * wp).take(c).enumerate() {
        plane[..ph * wp + pw].fill(zero);
        for y in 0..h {
            let row = &mut plane[(y + ph) * wp..][..wp];
            row[pw..pw + w].copy_from_slice(&x[(ch * h + y) * w..][..w]);
            // The right border of this row and the left border of the next.
            let next = (y + ph) * wp + pw + w;
            let end = if y + 1 < h { next + 2 * pw } else { hp * wp };
            plane[next..end].fill(zero);
        }
        if h == 0 {
            plane.fill(zero);
        }
    }
    out[c * hp * wp..].fill(zero);
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
            bias,
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
        let plan = Plan::new(&g);
        let p_out = g.positions();
        let weights = self.weight.as_slice().expect("kept in standard layout");
        let a_rows = strided_rows(0, fnum, plan.k);
        let bias = &self.bias;
        // Every element is written below (compaction of the computed rows).
        let mut out = self.spare.for_output_overwrite(n * fnum * p_out);
        out.par_chunks_exact_mut(fnum * p_out)
            .zip(xs.par_chunks_exact(g.input_len()))
            .for_each_init(
                || {
                    (
                        vec![T::zero(); plan.padded_len],
                        vec![T::zero(); fnum * plan.positions],
                    )
                },
                |(src, computed), (out_s, x_s)| {
                    plan.prepare(&g, x_s, src);
                    let a = Operand {
                        data: weights,
                        rows: &a_rows,
                        col_stride: 1,
                    };
                    let b = Operand {
                        data: &src[..],
                        rows: &plan.col_rows,
                        col_stride: 1,
                    };
                    kernels::gemm(
                        Kernel::active(),
                        (fnum, plan.positions, plan.k),
                        a,
                        b,
                        computed,
                        plan.positions,
                        false,
                    );
                    // Keep the valid columns of each computed row, adding the bias.
                    for ((dst, src), &b) in out_s
                        .chunks_exact_mut(p_out)
                        .zip(computed.chunks_exact(plan.positions))
                        .zip(bias)
                    {
                        for (d, s) in dst
                            .chunks_exact_mut(g.out_w)
                            .zip(src.chunks_exact(plan.row_len))
                        {
                            for (d, &s) in d.iter_mut().zip(s) {
                                *d = s + b;
                            }
                        }
                    }
                },
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
        let plan = Plan::new(&g);
        let (k, p_out) = (plan.k, g.positions());
        // ∂L/∂x by the transposed convolution (implicit) when the stride is 1
        // and the padding leaves FH − 1 − P ≥ 0; by col2im otherwise.
        let transposed = need_dx && plan.implicit && g.pad < g.kernel_h && g.pad < g.kernel_w;
        let flipped = transposed.then(|| flip_filters(&self.weight));
        let dx_plan = transposed.then(|| TransposedPlan::new(&g, fnum));
        let w_t = (need_dx && !transposed)
            .then(|| transpose(self.weight.as_slice().expect("standard"), fnum, k));
        let mut dx = if need_dx {
            self.spare.for_input_grad(n * g.input_len())
        } else {
            Vec::new()
        };

        // Each of GRAD_GROUPS fixed groups of samples: ∂L/∂W (FN × K) and
        // ∂L/∂b partial sums, and ∂L/∂x of its samples; partials added in order.
        let per = n.div_ceil(GRAD_GROUPS.min(n).max(1)).max(1);
        let groups = n.div_ceil(per);
        let dx_groups: Vec<Option<&mut [T]>> = if need_dx {
            dx.chunks_mut(per * g.input_len()).map(Some).collect()
        } else {
            (0..groups).map(|_| None).collect()
        };
        // G's rows (one per filter) and col's rows, both read as OH runs of
        // OW: G's runs are OW apart, col's a padded (or unrolled) row apart.
        let g_rows = strided_rows(0, fnum, p_out);
        let gt_rows = strided_rows(0, plan.positions, fnum);
        let via_gt = dw_via_transposed_gradient(&g, fnum, &plan);
        let partials: Vec<(Vec<T>, Vec<T>)> = dx_groups
            .into_par_iter()
            .enumerate()
            .map(|(group, mut dx_group)| {
                // ∂L/∂W (FN × K), or its transpose (K × FN) when `via_gt`.
                let mut dw = vec![T::zero(); fnum * k];
                let mut db = vec![T::zero(); fnum];
                let mut src = vec![T::zero(); plan.padded_len];
                // Gᵀ on the computed grid; the dropped positions stay zero.
                let mut gt = if via_gt {
                    vec![T::zero(); plan.positions * fnum]
                } else {
                    Vec::new()
                };
                let mut work = Vec::new();
                for s in group * per..((group + 1) * per).min(n) {
                    let g_s = &grads[s * fnum * p_out..][..fnum * p_out];
                    plan.prepare(&g, &x[s * g.input_len()..][..g.input_len()], &mut src);
                    for (b, row) in db.iter_mut().zip(g_s.chunks_exact(p_out)) {
                        *b += nn_core::sum(row);
                    }
                    if via_gt {
                        for oh in 0..g.out_h {
                            kernels::transpose(
                                Kernel::active(),
                                &g_s[oh * g.out_w..],
                                p_out,
                                (fnum, g.out_w),
                                &mut gt[oh * plan.row_len * fnum..],
                                fnum,
                            );
                        }
                        let a = Operand {
                            data: &src[..],
                            rows: &plan.col_rows,
                            col_stride: 1,
                        };
                        let b = Operand {
                            data: &gt[..],
                            rows: &gt_rows,
                            col_stride: 1,
                        };
                        kernels::gemm(
                            Kernel::active(),
                            (k, fnum, plan.positions),
                            a,
                            b,
                            &mut dw,
                            fnum,
                            true,
                        );
                    } else {
                        let a = Segmented {
                            data: g_s,
                            rows: &g_rows,
                            seg_stride: g.out_w,
                        };
                        let b = Segmented {
                            data: &src[..],
                            rows: &plan.col_rows,
                            seg_stride: plan.row_len,
                        };
                        kernels::gemm_nt(
                            Kernel::active(),
                            (fnum, k),
                            (g.out_h, g.out_w),
                            a,
                            b,
                            &mut dw,
                            k,
                            true,
                        );
                    }

                    if let Some(dx_group) = dx_group.as_mut() {
                        let dx_s =
                            &mut dx_group[(s - group * per) * g.input_len()..][..g.input_len()];
                        if let (Some(wf), Some(tp)) = (flipped.as_ref(), dx_plan.as_ref()) {
                            tp.run(&g, wf, g_s, dx_s, &mut work);
                        } else {
                            let w_t = w_t
                                .as_ref()
                                .expect("computed when dx is needed without the transposed path");
                            work.resize(k * p_out, T::zero());
                            let a_rows = strided_rows(0, k, fnum);
                            let a = Operand {
                                data: &w_t[..],
                                rows: &a_rows,
                                col_stride: 1,
                            };
                            let b_rows = strided_rows(0, fnum, p_out);
                            let b = Operand {
                                data: g_s,
                                rows: &b_rows,
                                col_stride: 1,
                            };
                            kernels::gemm(
                                Kernel::active(),
                                (k, p_out, fnum),
                                a,
                                b,
                                &mut work,
                                p_out,
                                false,
                            );
                            col2im_sample(&g, &work, dx_s);
                        }
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
        if via_gt {
            dw = transpose(&dw, k, fnum);
        }
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

/// Whether ∂L/∂W is computed as col·Gᵀ (G transposed per sample, then the
/// broadcast kernel [`kernels::gemm`] in 6 × 16 tiles of (K, FN) over
/// the computed grid) rather than as G·colᵀ read in runs of OW
/// ([`kernels::gemm_nt`], 2 × 5 tiles of (FN, K), one horizontal sum per
/// weight). A cost model of lanes computed, where a run costs one vector
/// more than its length and each sum one vector, picks the cheaper.
/// Measured (backward at batch 100, 1 thread, ms, runs/transposed):
/// SimpleConvNet's 1→30 5×5 layer 2.0–2.4 / 4.8–5.2, DeepConvNet's 16→16
/// on 28×28 16.0–17.8 / 14.5–15.1, its 64→64 on 8×8 25.4–28.2 / 17.6–18.6;
/// the model picks the faster in each.
fn dw_via_transposed_gradient(g: &Geometry, fnum: usize, plan: &Plan) -> bool {
    let k = plan.k;
    let runs = fnum.next_multiple_of(2)
        * k.next_multiple_of(5)
        * (g.out_h * (g.out_w.next_multiple_of(8) + 8) + 8);
    let transposed = k.next_multiple_of(6) * fnum.next_multiple_of(16) * plan.positions;
    transposed < runs
}

/// The (cols × rows) transpose of a row-major (rows × cols) matrix.
fn transpose<T: Float>(m: &[T], rows: usize, cols: usize) -> Vec<T> {
    let mut t = vec![T::zero(); rows * cols];
    kernels::transpose(Kernel::active(), m, cols, (rows, cols), &mut t, rows);
    t
}

/// The filters of the transposed convolution, `W'[c][f][i][j] =
/// W[f][c][FH − 1 − i][FW − 1 − j]`, as a (C × FN·FH·FW) row-major matrix.
fn flip_filters<T: Float>(w: &Array4<T>) -> Vec<T> {
    let (fnum, c, fh, fw) = w.dim();
    let mut out = Vec::with_capacity(w.len());
    for ch in 0..c {
        for f in 0..fnum {
            for i in 0..fh {
                for j in 0..fw {
                    out.push(w[[f, ch, fh - 1 - i, fw - 1 - j]]);
                }
            }
        }
    }
    out
}

/// ∂L/∂x of a stride-1 convolution as a convolution of G, padded by
/// FH − 1 − P (and FW − 1 − P), with the flipped filters: its output is
/// exactly H × W.
struct TransposedPlan {
    /// Padding of G.
    qh: usize,
    qw: usize,
    /// Width of padded G, the computed row length.
    wq: usize,
    /// Row (f, i, j) of the implicit unrolled matrix of padded G.
    rows: Vec<usize>,
    padded_len: usize,
}

impl TransposedPlan {
    fn new(g: &Geometry, fnum: usize) -> TransposedPlan {
        let (qh, qw) = (g.kernel_h - 1 - g.pad, g.kernel_w - 1 - g.pad);
        let (hq, wq) = (g.out_h + 2 * qh, g.out_w + 2 * qw);
        let rows = (0..fnum)
            .flat_map(|f| {
                (0..g.kernel_h)
                    .flat_map(move |i| (0..g.kernel_w).map(move |j| f * hq * wq + i * wq + j))
            })
            .collect();
        TransposedPlan {
            qh,
            qw,
            wq,
            rows,
            padded_len: fnum * hq * wq + g.kernel_w,
        }
    }

    /// dx (C × H × W) of one sample from its gradient G (FN × OH × OW).
    fn run<T: Float>(
        &self,
        g: &Geometry,
        flipped: &[T],
        g_s: &[T],
        dx: &mut [T],
        work: &mut Vec<T>,
    ) {
        let fnum = self.rows.len() / (g.kernel_h * g.kernel_w);
        let computed = g.height * self.wq;
        work.resize(self.padded_len + g.channels * computed, T::zero());
        let (padded, out) = work.split_at_mut(self.padded_len);
        pad_image(g_s, [fnum, g.out_h, g.out_w], self.qh, self.qw, padded);
        let a_rows = strided_rows(0, g.channels, self.rows.len());
        let a = Operand {
            data: flipped,
            rows: &a_rows,
            col_stride: 1,
        };
        let b = Operand {
            data: &padded[..],
            rows: &self.rows,
            col_stride: 1,
        };
        kernels::gemm(
            Kernel::active(),
            (g.channels, computed, self.rows.len()),
            a,
            b,
            out,
            computed,
            false,
        );
        for (dst, src) in dx.chunks_exact_mut(g.width).zip(out.chunks_exact(self.wq)) {
            dst.copy_from_slice(&src[..g.width]);
        }
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

    /// The weight-gradient product each of the book's layers gets: the runs
    /// for SimpleConvNet's, the transposed gradient for DeepConvNet's (the
    /// faster of the two in each case, as measured in the doc comment of
    /// `dw_via_transposed_gradient`). Both paths are checked against
    /// numerical gradients in `tests/gradient_checks.rs`.
    #[test]
    fn each_book_layer_gets_its_faster_weight_gradient() {
        let via = |c, fnum, side, k, pad| {
            let g = Geometry::new("test", [c, side, side], [k, k], 1, pad).unwrap();
            dw_via_transposed_gradient(&g, fnum, &Plan::new(&g))
        };
        assert!(!via(1, 30, 28, 5, 0), "SimpleConvNet 1→30 5×5");
        for (c, fnum, side, pad) in [
            (1, 16, 28, 1),
            (16, 16, 28, 1),
            (16, 32, 14, 1),
            (32, 32, 14, 2),
            (32, 64, 8, 1),
            (64, 64, 8, 1),
        ] {
            assert!(
                via(c, fnum, side, 3, pad),
                "DeepConvNet {c}→{fnum} on {side}×{side}"
            );
        }
    }
}
