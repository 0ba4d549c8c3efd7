//! How a [`crate::Convolution`] is computed, one sample at a time: the
//! products its forward and backward passes are made of, which of two ways
//! each backward product takes, and the cost model that picks.
//!
//! Per sample, with G = ∂L/∂out (FN × OH·OW) and col the unrolled sample
//! (C·FH·FW × OH·OW):
//!
//! | product | paths |
//! |---|---|
//! | out = W·col + b | [`Plan::forward_sample`]: implicit col for stride 1, explicit otherwise |
//! | ∂L/∂W += G·colᵀ | [`WeightGradient`]: runs of OW, or G transposed first (the cost model) |
//! | ∂L/∂x = col2im(Wᵀ·G) | [`InputGradient`]: a transposed convolution for stride 1, col2im otherwise |
//!
//! The products themselves are `nn_core::kernels`.

use nn_core::kernels::{self, strided_rows, Kernel, Operand, Segmented};
use nn_core::Float;

use crate::im2col::{col2im_sample, im2col_sample};
use crate::Geometry;

/// The sizes of one sample's products, and the row offsets that read the
/// unrolled matrix out of the padded image (stride 1) or out of an explicit
/// col (other strides).
///
/// Implicit for every stride-1 layer ("implicit GEMM": col is never built,
/// row (c, i, j) of it is read straight out of the padded image, outputs are
/// computed on the padded width and the extra columns dropped). Building the
/// unrolled matrix was measured slower even where the implicit grid drops 20%
/// of its columns (DeepConvNet's 8×8 layers: 7.0 ms against 4.2 ms forward,
/// 2 threads).
pub(crate) struct Plan {
    /// FN.
    pub(crate) filters: usize,
    /// C·FH·FW.
    pub(crate) k: usize,
    /// Positions computed per sample: OH·(W + 2P) implicitly, OH·OW explicitly.
    pub(crate) positions: usize,
    /// Length of one row of the computed output (W + 2P, or OW).
    row_len: usize,
    /// Offset of row (c, i, j) of the unrolled matrix in the padded image (or col).
    col_rows: Vec<usize>,
    /// Offset of filter f's row in W (FN × C·FH·FW).
    filter_rows: Vec<usize>,
    /// One padded sample, plus slack for the last rows' dropped columns.
    pub(crate) padded_len: usize,
    implicit: bool,
}

impl Plan {
    pub(crate) fn new(g: &Geometry, filters: usize) -> Plan {
        let k = g.patch_len();
        let filter_rows = strided_rows(0, filters, k);
        if g.stride == 1 {
            let (hp, wp) = (g.height + 2 * g.pad, g.width + 2 * g.pad);
            let col_rows = (0..g.channels)
                .flat_map(|c| {
                    (0..g.kernel_h)
                        .flat_map(move |i| (0..g.kernel_w).map(move |j| c * hp * wp + i * wp + j))
                })
                .collect();
            Plan {
                filters,
                k,
                positions: g.out_h * wp,
                row_len: wp,
                col_rows,
                filter_rows,
                padded_len: g.channels * hp * wp + g.kernel_w,
                implicit: true,
            }
        } else {
            Plan {
                filters,
                k,
                positions: g.positions(),
                row_len: g.out_w,
                col_rows: strided_rows(0, k, g.positions()),
                filter_rows,
                padded_len: k * g.positions(),
                implicit: false,
            }
        }
    }

    /// Writes the sample's "col" source into `buf` (`padded_len` long): the
    /// zero-padded image (implicit) or the unrolled matrix (explicit).
    pub(crate) fn prepare<T: Float>(&self, g: &Geometry, x: &[T], buf: &mut [T]) {
        if self.implicit {
            pad_image(x, [g.channels, g.height, g.width], g.pad, g.pad, buf);
        } else {
            im2col_sample(g, x, buf);
        }
    }

    /// col, read out of what [`Plan::prepare`] wrote.
    fn col<'a, T>(&'a self, src: &'a [T]) -> Operand<'a, T> {
        Operand {
            data: src,
            rows: &self.col_rows,
            col_stride: 1,
        }
    }

    /// The buffers one sample's forward pass needs: its col source and its
    /// output on the computed grid.
    pub(crate) fn forward_scratch<T: Float>(&self) -> (Vec<T>, Vec<T>) {
        (
            vec![T::zero(); self.padded_len],
            vec![T::zero(); self.filters * self.positions],
        )
    }

    /// One sample's output `out` (FN × OH·OW) = W·col + b, for the filters
    /// `weight` (FN × C·FH·FW, row-major) and the input sample `x`.
    pub(crate) fn forward_sample<T: Float>(
        &self,
        g: &Geometry,
        (weight, bias): (&[T], &[T]),
        x: &[T],
        out: &mut [T],
        (src, computed): &mut (Vec<T>, Vec<T>),
    ) {
        self.prepare(g, x, src);
        let w = Operand {
            data: weight,
            rows: &self.filter_rows,
            col_stride: 1,
        };
        kernels::gemm(
            Kernel::active(),
            (self.filters, self.positions, self.k),
            w,
            self.col(src),
            computed,
            self.positions,
            false,
        );
        // Keep the valid columns of each computed row, adding the bias.
        for ((dst, src), &b) in out
            .chunks_exact_mut(g.positions())
            .zip(computed.chunks_exact(self.positions))
            .zip(bias)
        {
            for (d, s) in dst
                .chunks_exact_mut(g.out_w)
                .zip(src.chunks_exact(self.row_len))
            {
                for (d, &s) in d.iter_mut().zip(s) {
                    *d = s + b;
                }
            }
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

/// How ∂L/∂W += G·colᵀ is added up for one sample.
///
/// **The cost model** ([`WeightGradient::choose`]) counts the vector lanes
/// each path computes, where a run costs one vector more than its length and
/// each horizontal sum one vector, and picks the cheaper. Measured (backward
/// at batch 100, 1 thread, ms, runs/transposed): SimpleConvNet's 1→30 5×5
/// layer 2.0–2.4 / 4.8–5.2, DeepConvNet's 16→16 on 28×28 16.0–17.8 /
/// 14.5–15.1, its 64→64 on 8×8 25.4–28.2 / 17.6–18.6; the model picks the
/// faster in each.
pub(crate) enum WeightGradient {
    /// G·colᵀ read in runs of OW ([`kernels::gemm_nt`], 2 × 5 tiles of
    /// (FN, K), one horizontal sum per weight); ∂L/∂W kept as FN × K.
    /// `g_rows`: where each filter's row of G starts.
    Runs { g_rows: Vec<usize> },
    /// col·Gᵀ: G transposed per sample onto the computed grid, then the
    /// broadcast kernel [`kernels::gemm`] in 6 × 16 tiles of (K, FN);
    /// ∂L/∂W kept as K × FN until [`WeightGradient::in_filter_layout`].
    /// `gt_rows`: where each position's row of Gᵀ starts.
    Transposed { gt_rows: Vec<usize> },
}

impl WeightGradient {
    /// The cheaper path by the cost model above.
    pub(crate) fn choose(g: &Geometry, plan: &Plan) -> WeightGradient {
        let (k, fnum) = (plan.k, plan.filters);
        let runs = fnum.next_multiple_of(2)
            * k.next_multiple_of(5)
            * (g.out_h * (g.out_w.next_multiple_of(8) + 8) + 8);
        let transposed = k.next_multiple_of(6) * fnum.next_multiple_of(16) * plan.positions;
        if transposed < runs {
            WeightGradient::Transposed {
                gt_rows: strided_rows(0, plan.positions, fnum),
            }
        } else {
            WeightGradient::Runs {
                g_rows: strided_rows(0, fnum, g.positions()),
            }
        }
    }

    /// The buffer one group of samples needs: Gᵀ on the computed grid (its
    /// dropped positions stay zero), or nothing.
    pub(crate) fn scratch<T: Float>(&self, plan: &Plan) -> Vec<T> {
        match self {
            WeightGradient::Runs { .. } => Vec::new(),
            WeightGradient::Transposed { .. } => vec![T::zero(); plan.positions * plan.filters],
        }
    }

    /// Adds one sample's G·colᵀ to `dw` (FN·K long, in this path's layout):
    /// `grad` is the sample's G, `src` what [`Plan::prepare`] wrote for it,
    /// `gt` this path's [`WeightGradient::scratch`].
    pub(crate) fn add_sample<T: Float>(
        &self,
        g: &Geometry,
        plan: &Plan,
        (grad, src): (&[T], &[T]),
        gt: &mut [T],
        dw: &mut [T],
    ) {
        let (k, fnum, p_out) = (plan.k, plan.filters, g.positions());
        match self {
            WeightGradient::Runs { g_rows } => {
                // G's rows and col's rows, both read as OH runs of OW: G's
                // runs are OW apart, col's a padded (or unrolled) row apart.
                let a = Segmented {
                    data: grad,
                    rows: g_rows,
                    seg_stride: g.out_w,
                };
                let b = Segmented {
                    data: src,
                    rows: &plan.col_rows,
                    seg_stride: plan.row_len,
                };
                let runs = (g.out_h, g.out_w);
                kernels::gemm_nt(Kernel::active(), (fnum, k), runs, a, b, dw, k, true);
            }
            WeightGradient::Transposed { gt_rows } => {
                for oh in 0..g.out_h {
                    kernels::transpose(
                        Kernel::active(),
                        &grad[oh * g.out_w..],
                        p_out,
                        (fnum, g.out_w),
                        &mut gt[oh * plan.row_len * fnum..],
                        fnum,
                    );
                }
                let b = Operand {
                    data: &gt[..],
                    rows: gt_rows,
                    col_stride: 1,
                };
                let dims = (k, fnum, plan.positions);
                kernels::gemm(Kernel::active(), dims, plan.col(src), b, dw, fnum, true);
            }
        }
    }

    /// The summed ∂L/∂W in the filters' layout, FN × K.
    pub(crate) fn in_filter_layout<T: Float>(&self, dw: Vec<T>, plan: &Plan) -> Vec<T> {
        match self {
            WeightGradient::Runs { .. } => dw,
            WeightGradient::Transposed { .. } => transpose(&dw, plan.k, plan.filters),
        }
    }
}

/// How one sample's ∂L/∂x = col2im(Wᵀ·G) is computed.
pub(crate) enum InputGradient<T> {
    /// Stride 1 with P < FH, FW: a convolution of G, padded by FH − 1 − P
    /// (and FW − 1 − P), with the filters flipped and transposed; its output
    /// is exactly H × W, so neither col nor col2im is needed.
    Transposed {
        flipped: Vec<T>,
        plan: TransposedPlan,
    },
    /// Wᵀ·G (C·FH·FW × OH·OW), then col2im.
    Col2im {
        /// Wᵀ, K × FN.
        w_t: Vec<T>,
        /// Row offsets of Wᵀ and of G.
        rows: (Vec<usize>, Vec<usize>),
    },
}

impl<T: Float> InputGradient<T> {
    /// The transposed convolution where it applies, col2im otherwise;
    /// `weight` is W, FN × C·FH·FW row-major.
    pub(crate) fn choose(g: &Geometry, plan: &Plan, weight: &[T]) -> InputGradient<T> {
        let fnum = plan.filters;
        if plan.implicit && g.pad < g.kernel_h && g.pad < g.kernel_w {
            InputGradient::Transposed {
                flipped: flip_filters(weight, fnum, [g.channels, g.kernel_h, g.kernel_w]),
                plan: TransposedPlan::new(g, fnum),
            }
        } else {
            InputGradient::Col2im {
                w_t: transpose(weight, fnum, plan.k),
                rows: (
                    strided_rows(0, plan.k, fnum),
                    strided_rows(0, fnum, g.positions()),
                ),
            }
        }
    }

    /// `dx` (C × H × W) of one sample from its gradient `grad` (FN × OH ×
    /// OW); `work` is scratch kept between samples.
    pub(crate) fn sample(&self, g: &Geometry, grad: &[T], dx: &mut [T], work: &mut Vec<T>) {
        match self {
            InputGradient::Transposed { flipped, plan } => plan.run(g, flipped, grad, dx, work),
            InputGradient::Col2im { w_t, rows } => {
                let (k, fnum, p_out) = (rows.0.len(), rows.1.len(), g.positions());
                work.resize(k * p_out, T::zero());
                let a = Operand {
                    data: &w_t[..],
                    rows: &rows.0,
                    col_stride: 1,
                };
                let b = Operand {
                    data: grad,
                    rows: &rows.1,
                    col_stride: 1,
                };
                kernels::gemm(Kernel::active(), (k, p_out, fnum), a, b, work, p_out, false);
                col2im_sample(g, work, dx);
            }
        }
    }
}

/// The (cols × rows) transpose of a row-major (rows × cols) matrix.
fn transpose<T: Float>(m: &[T], rows: usize, cols: usize) -> Vec<T> {
    let mut t = vec![T::zero(); rows * cols];
    kernels::transpose(Kernel::active(), m, cols, (rows, cols), &mut t, rows);
    t
}

/// The filters of the transposed convolution, `W'[c][f][i][j] =
/// W[f][c][FH − 1 − i][FW − 1 − j]`, as a (C × FN·FH·FW) row-major matrix,
/// from W (FN × C × FH × FW, row-major).
fn flip_filters<T: Float>(w: &[T], fnum: usize, [c, fh, fw]: [usize; 3]) -> Vec<T> {
    let mut out = Vec::with_capacity(w.len());
    for ch in 0..c {
        for f in 0..fnum {
            for i in 0..fh {
                for j in 0..fw {
                    out.push(w[((f * c + ch) * fh + fh - 1 - i) * fw + fw - 1 - j]);
                }
            }
        }
    }
    out
}

/// ∂L/∂x of a stride-1 convolution as a convolution of G, padded by
/// FH − 1 − P (and FW − 1 − P), with the flipped filters: its output is
/// exactly H × W.
pub(crate) struct TransposedPlan {
    /// Padding of G.
    qh: usize,
    qw: usize,
    /// Width of padded G, the computed row length.
    wq: usize,
    /// Row (f, i, j) of the implicit unrolled matrix of padded G.
    rows: Vec<usize>,
    /// Offset of channel c's row in the flipped filters (C × FN·FH·FW).
    flipped_rows: Vec<usize>,
    padded_len: usize,
}

impl TransposedPlan {
    fn new(g: &Geometry, fnum: usize) -> TransposedPlan {
        let (qh, qw) = (g.kernel_h - 1 - g.pad, g.kernel_w - 1 - g.pad);
        let (hq, wq) = (g.out_h + 2 * qh, g.out_w + 2 * qw);
        let rows: Vec<usize> = (0..fnum)
            .flat_map(|f| {
                (0..g.kernel_h)
                    .flat_map(move |i| (0..g.kernel_w).map(move |j| f * hq * wq + i * wq + j))
            })
            .collect();
        TransposedPlan {
            qh,
            qw,
            wq,
            flipped_rows: strided_rows(0, g.channels, rows.len()),
            rows,
            padded_len: fnum * hq * wq + g.kernel_w,
        }
    }

    /// dx (C × H × W) of one sample from its gradient G (FN × OH × OW).
    fn run<T: Float>(
        &self,
        g: &Geometry,
        flipped: &[T],
        grad: &[T],
        dx: &mut [T],
        work: &mut Vec<T>,
    ) {
        let fnum = self.rows.len() / (g.kernel_h * g.kernel_w);
        let computed = g.height * self.wq;
        work.resize(self.padded_len + g.channels * computed, T::zero());
        let (padded, out) = work.split_at_mut(self.padded_len);
        pad_image(grad, [fnum, g.out_h, g.out_w], self.qh, self.qw, padded);
        let a = Operand {
            data: flipped,
            rows: &self.flipped_rows,
            col_stride: 1,
        };
        let b = Operand {
            data: &padded[..],
            rows: &self.rows,
            col_stride: 1,
        };
        let dims = (g.channels, computed, self.rows.len());
        kernels::gemm(Kernel::active(), dims, a, b, out, computed, false);
        for (dst, src) in dx.chunks_exact_mut(g.width).zip(out.chunks_exact(self.wq)) {
            dst.copy_from_slice(&src[..g.width]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The weight-gradient path each of the book's layers gets: the runs for
    /// SimpleConvNet's, the transposed gradient for DeepConvNet's (the faster
    /// of the two in each case, as measured in [`WeightGradient`]'s doc).
    /// Both paths are checked against numerical gradients in
    /// `tests/gradient_checks.rs`.
    #[test]
    fn each_book_layer_gets_its_faster_weight_gradient() {
        let transposed = |c, fnum, side, k, pad| {
            let g = Geometry::new("test", [c, side, side], [k, k], 1, pad).unwrap();
            let path = WeightGradient::choose(&g, &Plan::new(&g, fnum));
            matches!(path, WeightGradient::Transposed { .. })
        };
        assert!(!transposed(1, 30, 28, 5, 0), "SimpleConvNet 1→30 5×5");
        for (c, fnum, side, pad) in [
            (1, 16, 28, 1),
            (16, 16, 28, 1),
            (16, 32, 14, 1),
            (32, 32, 14, 2),
            (32, 64, 8, 1),
            (64, 64, 8, 1),
        ] {
            assert!(
                transposed(c, fnum, side, 3, pad),
                "DeepConvNet {c}→{fnum} on {side}×{side}"
            );
        }
    }

    /// Flipping by flat index agrees with the definition, W'[c][f][i][j] =
    /// W[f][c][FH − 1 − i][FW − 1 − j], on a 2 × 3 × 2 × 3 filter bank.
    #[test]
    fn flipped_filters_follow_their_definition() {
        let (fnum, c, fh, fw) = (2, 3, 2, 3);
        let w: Vec<f64> = (0..fnum * c * fh * fw).map(|v| v as f64).collect();
        let flipped = flip_filters(&w, fnum, [c, fh, fw]);
        for ch in 0..c {
            for f in 0..fnum {
                for i in 0..fh {
                    for j in 0..fw {
                        let got = flipped[((ch * fnum + f) * fh + i) * fw + j];
                        let want = (((f * c + ch) * fh + fh - 1 - i) * fw + fw - 1 - j) as f64;
                        assert_eq!(got, want, "W'[{ch}][{f}][{i}][{j}]");
                    }
                }
            }
        }
    }
}
