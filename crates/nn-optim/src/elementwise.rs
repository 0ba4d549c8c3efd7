//! The element-wise loops of the optimizers: flat, and parallel when long.
//!
//! Contiguous tensors are viewed as 1-D, where ndarray's loops are flat (over
//! a dynamic-rank array they cost ~2 ns per element), and long ones are split
//! across the rayon pool. Each element is updated by exactly one call, so the
//! results do not depend on the thread count. A non-contiguous parameter view
//! falls back to the dynamic-rank loop.

use ndarray::{ArrayD, ArrayView1, ArrayViewD, ArrayViewMut1, ArrayViewMutD, Zip};
use nn_core::{Float, ELEMENTWISE_CHUNK};

/// `x`, or zero when it is subnormal (non-zero and smaller than the
/// smallest normal number): how [`update1`] and [`update2`] store every
/// state value after the rule's update. It matters for the decaying states
/// (momentum, Adam's m and v, RMSprop's h).
///
/// The state of a weight whose gradient stays zero (one feeding a ReLU that
/// no longer fires) shrinks by a constant factor at every step into the
/// subnormal range, and stays there: a tenth of the smallest subnormals
/// rounds to nothing, so `m − 0.1·m` is `m` again. After two epochs of
/// SimpleConvNet, 100k of the 432k first moments of its large Affine layer
/// were subnormal, and arithmetic on subnormals is slow: on Zen 4 the
/// later epochs ran 5–10% slower than the first. A subnormal state's
/// contribution to an update is below half the last bit of any weight
/// larger than about 10⁻²⁴, so the weights keep the same bits; the state
/// reads 0 instead of a few 10⁻⁴⁵.
#[inline(always)]
fn flushed<T: Float>(x: T) -> T {
    if x.abs() < T::min_positive_value() {
        T::zero()
    } else {
        x
    }
}

fn parallel(len: usize) -> bool {
    len >= 2 * ELEMENTWISE_CHUNK
}

fn flat<'a, T>(v: ArrayViewMutD<'a, T>) -> Result<ArrayViewMut1<'a, T>, ArrayViewMutD<'a, T>> {
    let len = v.len();
    if v.is_standard_layout() {
        Ok(v.into_shape_with_order(len).expect("standard layout"))
    } else {
        Err(v)
    }
}

fn flat_ref<'a, T>(v: ArrayViewD<'a, T>) -> Option<ArrayView1<'a, T>> {
    let len = v.len();
    v.is_standard_layout()
        .then(|| v.into_shape_with_order(len).expect("standard layout"))
}

/// `f(w, g)` for each parameter element and its gradient.
pub(crate) fn update<T: Float>(
    param: ArrayViewMutD<'_, T>,
    grad: ArrayViewD<'_, T>,
    f: impl Fn(&mut T, T) + Send + Sync,
) {
    let body = |w: &mut T, &g: &T| f(w, g);
    match (flat(param), flat_ref(grad.view())) {
        (Ok(p), Some(g)) if parallel(p.len()) => Zip::from(p).and(g).par_for_each(body),
        (Ok(p), Some(g)) => Zip::from(p).and(g).for_each(body),
        (Ok(p), None) => Zip::from(p.into_dyn()).and(&grad).for_each(body),
        (Err(p), _) => Zip::from(p).and(&grad).for_each(body),
    }
}

/// `f(w, g, s)` with one state tensor of the parameter's shape, each state
/// value then stored [`flushed`].
pub(crate) fn update1<T: Float>(
    param: ArrayViewMutD<'_, T>,
    grad: ArrayViewD<'_, T>,
    s: &mut ArrayD<T>,
    f: impl Fn(&mut T, T, &mut T) + Send + Sync,
) {
    let body = |w: &mut T, &g: &T, s: &mut T| {
        f(w, g, s);
        *s = flushed(*s);
    };
    match (flat(param), flat_ref(grad.view()), flat(s.view_mut())) {
        (Ok(p), Some(g), Ok(s)) if parallel(p.len()) => {
            Zip::from(p).and(g).and(s).par_for_each(body)
        }
        (Ok(p), Some(g), Ok(s)) => Zip::from(p).and(g).and(s).for_each(body),
        (p, _, _) => {
            let p = p.map(|p| p.into_dyn()).unwrap_or_else(|p| p);
            Zip::from(p).and(&grad).and(s).for_each(body)
        }
    }
}

/// `f(w, g, s1, s2)` with two state tensors of the parameter's shape, each
/// state value then stored [`flushed`].
pub(crate) fn update2<T: Float>(
    param: ArrayViewMutD<'_, T>,
    grad: ArrayViewD<'_, T>,
    (s1, s2): (&mut ArrayD<T>, &mut ArrayD<T>),
    f: impl Fn(&mut T, T, &mut T, &mut T) + Send + Sync,
) {
    let body = |w: &mut T, &g: &T, a: &mut T, b: &mut T| {
        f(w, g, a, b);
        *a = flushed(*a);
        *b = flushed(*b);
    };
    match (
        flat(param),
        flat_ref(grad.view()),
        flat(s1.view_mut()),
        flat(s2.view_mut()),
    ) {
        (Ok(p), Some(g), Ok(a), Ok(b)) if parallel(p.len()) => {
            Zip::from(p).and(g).and(a).and(b).par_for_each(body)
        }
        (Ok(p), Some(g), Ok(a), Ok(b)) => Zip::from(p).and(g).and(a).and(b).for_each(body),
        (p, _, _, _) => {
            let p = p.map(|p| p.into_dyn()).unwrap_or_else(|p| p);
            Zip::from(p).and(&grad).and(s1).and(s2).for_each(body)
        }
    }
}
