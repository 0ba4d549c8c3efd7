//! Pooling of one (sample, channel) plane, forward and backward: the loops
//! [`crate::Pooling`] runs on each plane in parallel.
//!
//! The general paths take the window offsets (i, j) outside and the output
//! positions inside, so that each pass reads one shifted, strided run of the
//! plane ([`for_each_run`]); visiting the offsets in row-major order with a
//! strict `>` keeps the first maximum. Max pooling with 2×2 windows and stride
//! 2 (every pooling layer of the book's networks) has its own path.

use nn_core::Float;

use crate::Geometry;

/// Whether `g` is max pooling's fast case: 2×2 windows, stride 2, no padding.
pub(crate) fn is_2x2(g: &Geometry) -> bool {
    (g.kernel_h, g.kernel_w, g.stride, g.pad) == (2, 2, 2, 0)
}

/// For each window offset (i, j) in row-major order and each output row, the
/// run of outputs whose window pixel (i, j) lies inside the image: calls
/// `f(first input index, first output index, run length)`; the inputs of a
/// run are `g.stride` apart.
fn for_each_run(g: &Geometry, mut f: impl FnMut(usize, usize, usize)) {
    for i in 0..g.kernel_h {
        for j in 0..g.kernel_w {
            let cols = g.valid_cols(j);
            for oh in g.valid_rows(i) {
                let y = oh * g.stride + i - g.pad;
                let x0 = cols.start * g.stride + j - g.pad;
                f(y * g.width + x0, oh * g.out_w + cols.start, cols.len());
            }
        }
    }
}

/// Whether `v` takes the place of the window's maximum so far, `cur`: when
/// larger, or when it is NaN and `cur` is not, so that a NaN in a window
/// gives NaN, as in PyTorch, on every path.
#[inline]
#[allow(clippy::eq_op)] // x != x is the branch-free NaN test
fn beats<T: Float>(v: T, cur: T) -> bool {
    // `|` and `&`, not `||` and `&&`: no branch to mispredict.
    (v > cur) | ((v != v) & (cur == cur))
}

/// Max pooling of the plane `src` (H × W) into `dst` (OH × OW), recording
/// each output's winning pixel in `arg`: as an index into the plane, or on
/// the 2×2 path as its position in the window (0, 1 top row; 2, 3).
pub(crate) fn max_plane<T: Float>(g: &Geometry, src: &[T], dst: &mut [T], arg: &mut [u32]) {
    if is_2x2(g) {
        return max_2x2(src, g.width, (g.out_h, g.out_w), dst, arg);
    }
    dst.fill(T::neg_infinity());
    for_each_run(g, |base, out0, len| {
        let (d, a) = (&mut dst[out0..][..len], &mut arg[out0..][..len]);
        for k in 0..len {
            // Branch-free (which of the window's values is the largest is
            // unpredictable): a max, and the index chosen by an all-ones or
            // all-zeros mask.
            let at = (base + k * g.stride) as u32;
            let v = src[at as usize];
            let wins = beats(v, d[k]);
            let mask = u32::from(wins).wrapping_neg();
            d[k] = if wins { v } else { d[k] };
            a[k] = (at & mask) | (a[k] & !mask);
        }
    });
}

/// Average pooling of the plane `src` into `dst`, dividing by FH·FW
/// (padded positions count as zeros).
pub(crate) fn average_plane<T: Float>(g: &Geometry, src: &[T], dst: &mut [T]) {
    dst.fill(T::zero());
    for_each_run(g, |base, out0, len| {
        for (k, d) in dst[out0..][..len].iter_mut().enumerate() {
            *d += src[base + k * g.stride];
        }
    });
    let scale = T::cast(1.0 / (g.kernel_h * g.kernel_w) as f64);
    dst.iter_mut().for_each(|d| *d *= scale);
}

/// The backward pass of [`max_plane`]: each output's gradient in `grad` goes
/// to its winner. The 2×2 path writes every pixel of `dx`; the general one
/// adds to `dx`, which must start at zero.
pub(crate) fn unpool_max_plane<T: Float>(g: &Geometry, dx: &mut [T], grad: &[T], arg: &[u32]) {
    if is_2x2(g) {
        return unpool_2x2(dx, (g.height, g.width), g.out_w, grad, arg);
    }
    for (&d, &at) in grad.iter().zip(arg) {
        dx[at as usize] += d;
    }
}

/// The backward pass of [`average_plane`]: each output's gradient, divided
/// by FH·FW, added to the window's pixels inside the image; `dx` must start
/// at zero.
pub(crate) fn unpool_average_plane<T: Float>(g: &Geometry, dx: &mut [T], grad: &[T]) {
    let scale = T::cast(1.0 / (g.kernel_h * g.kernel_w) as f64);
    for_each_run(g, |base, out0, len| {
        let run = dx[base..].iter_mut().step_by(g.stride);
        for (d, &v) in run.zip(&grad[out0..][..len]) {
            *d += v * scale;
        }
    });
}

/// 2×2 max pooling with stride 2: each output from its four pixels through
/// a comparison tree (depth 2, not a chain of 4), branch-free; strict `>`
/// keeps the first maximum in row-major order, as the general path does. The
/// winner is recorded as its position in the window: 0, 1 (top row), 2, 3.
fn max_2x2<T: Float>(
    src: &[T],
    w: usize,
    (out_h, out_w): (usize, usize),
    dst: &mut [T],
    arg: &mut [u32],
) {
    for oh in 0..out_h {
        let top = &src[2 * oh * w..][..2 * out_w];
        let bottom = &src[(2 * oh + 1) * w..][..2 * out_w];
        let (d, a) = (
            &mut dst[oh * out_w..][..out_w],
            &mut arg[oh * out_w..][..out_w],
        );
        for (((d, a), t), b) in d
            .iter_mut()
            .zip(a)
            .zip(top.chunks_exact(2))
            .zip(bottom.chunks_exact(2))
        {
            let right_top = beats(t[1], t[0]);
            let m_top = if right_top { t[1] } else { t[0] };
            let right_bottom = beats(b[1], b[0]);
            let m_bottom = if right_bottom { b[1] } else { b[0] };
            let lower = beats(m_bottom, m_top);
            *d = if lower { m_bottom } else { m_top };
            let right = if lower { right_bottom } else { right_top };
            *a = 2 * u32::from(lower) + u32::from(right);
        }
    }
}

/// The backward pass of [`max_2x2`] for one plane: writes every pixel, the
/// window's winner receiving the gradient and the other three zero.
fn unpool_2x2<T: Float>(
    dst: &mut [T],
    (h, w): (usize, usize),
    out_w: usize,
    g_out: &[T],
    arg: &[u32],
) {
    let zero = T::zero();
    for (oh, (grads, wins)) in g_out
        .chunks_exact(out_w)
        .zip(arg.chunks_exact(out_w))
        .enumerate()
    {
        let (top, bottom) = dst[2 * oh * w..][..2 * w].split_at_mut(w);
        for (((t, b), &d), &win) in top
            .chunks_exact_mut(2)
            .zip(bottom.chunks_exact_mut(2))
            .zip(grads)
            .zip(wins)
        {
            t[0] = if win == 0 { d } else { zero };
            t[1] = if win == 1 { d } else { zero };
            b[0] = if win == 2 { d } else { zero };
            b[1] = if win == 3 { d } else { zero };
        }
        // An odd width leaves the last column outside every window.
        top[2 * out_w..].fill(zero);
        bottom[2 * out_w..].fill(zero);
    }
    // An odd height leaves the last row outside every window.
    dst[2 * (g_out.len() / out_w.max(1)) * w..h * w].fill(zero);
}
