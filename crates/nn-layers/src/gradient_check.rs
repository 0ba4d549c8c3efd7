//! Gradient checks: back-propagation against central differences.

use std::collections::BTreeMap;
use std::fmt;

use ndarray::Zip;
use nn_core::{
    init::gaussian, numerical_gradient, rng::seeded, Float, Parameters, Tensor, NUMERICAL_H,
};

use crate::{Layer, Mode, Network, Result, Targets};

/// How far back-propagation is from numerical differentiation for one tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientDiff {
    /// The parameter name, or `"input"` for ∂L/∂x in [`check_layer`].
    pub name: String,
    /// max |backprop − numerical| over the tensor's elements.
    pub max_abs_diff: f64,
    /// max |numerical| over the elements, for scale.
    pub max_abs_grad: f64,
}

impl fmt::Display for GradientDiff {
    /// The book's `gradient_check.py` line, `W1:2.1e-10`, with the scale.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{:.2e} (largest gradient {:.2e})",
            self.name, self.max_abs_diff, self.max_abs_grad
        )
    }
}

/// Central-difference gradients of `loss` with respect to every trainable
/// parameter of `model`, by name: each scalar θᵢ is set to θᵢ ± h
/// (h = [`NUMERICAL_H`]), `loss` evaluated, and θᵢ restored bit for bit.
///
/// # Errors
/// The first error `loss` returns.
pub fn numerical_param_gradients<T, M, F>(
    model: &mut M,
    mut loss: F,
) -> Result<BTreeMap<String, Tensor<T>>>
where
    T: Float,
    M: Parameters<T> + ?Sized,
    F: FnMut(&mut M) -> Result<T>,
{
    let h = T::cast(NUMERICAL_H);
    let mut grads = BTreeMap::new();
    for (name, kind, shape) in model.param_shapes() {
        if !kind.is_trainable() {
            continue;
        }
        let mut grad = Tensor::zeros(shape);
        for (i, g) in grad.iter_mut().enumerate() {
            let original = nudge(model, &name, i, None);
            nudge(model, &name, i, Some(original + h));
            let plus = loss(model);
            nudge(model, &name, i, Some(original - h));
            let minus = loss(model);
            nudge(model, &name, i, Some(original));
            *g = (plus? - minus?) / (h + h);
        }
        grads.insert(name, grad);
    }
    Ok(grads)
}

/// Reads element `index` (row-major) of parameter `name`, and writes `value`
/// there if given. Returns the value before the write.
fn nudge<T: Float, M: Parameters<T> + ?Sized>(
    model: &mut M,
    name: &str,
    index: usize,
    value: Option<T>,
) -> T {
    let mut old = T::nan();
    model.visit_params(&mut |mut p| {
        if p.name == name {
            let slot = match p.value.as_slice_mut() {
                Some(s) => &mut s[index],
                None => p
                    .value
                    .iter_mut()
                    .nth(index)
                    .expect("index below the parameter's length"),
            };
            old = *slot;
            if let Some(v) = value {
                *slot = v;
            }
        }
    });
    old
}

fn max_abs_diff<T: Float>(name: &str, backprop: &Tensor<T>, numerical: &Tensor<T>) -> GradientDiff {
    let mut diff = 0.0_f64;
    if backprop.shape() != numerical.shape() {
        diff = f64::INFINITY;
    } else {
        Zip::from(backprop)
            .and(numerical)
            .for_each(|&b, &n| diff = diff.max((b - n).abs().as_f64()));
    }
    GradientDiff {
        name: name.to_string(),
        max_abs_diff: diff,
        max_abs_grad: numerical.iter().fold(0.0, |m, v| m.max(v.abs().as_f64())),
    }
}

/// One [`GradientDiff`] per numerical gradient; a parameter that back-propagation
/// left without a gradient counts as an infinite difference.
fn compare<T: Float>(
    backprop: &BTreeMap<String, Tensor<T>>,
    numerical: &BTreeMap<String, Tensor<T>>,
) -> Vec<GradientDiff> {
    numerical
        .iter()
        .map(|(name, num)| match backprop.get(name) {
            Some(bp) => max_abs_diff(name, bp, num),
            None => GradientDiff {
                name: name.clone(),
                max_abs_diff: f64::INFINITY,
                max_abs_grad: 0.0,
            },
        })
        .collect()
}

/// Checks a network's back-propagation ([`Network::gradient`]) against its
/// numerical gradient, parameter by parameter. Dropout masks are fixed for
/// the duration (so every evaluation sees the same mask) and released after.
///
/// Run it in `f64`: in `f32` the central difference alone is off by ~10⁻³.
///
/// # Errors
/// Shape and label errors from the network.
pub fn gradient_check<'t, T: Float + 't>(
    net: &mut Network<T>,
    x: &Tensor<T>,
    t: impl Into<Targets<'t, T>>,
) -> Result<Vec<GradientDiff>> {
    let t = t.into();
    net.set_fixed_masks(true);
    let result = (|| {
        net.gradient(x, t)?;
        let backprop = net.grads();
        let numerical = net.numerical_gradient(x, t)?;
        Ok(compare(&backprop, &numerical))
    })();
    net.set_fixed_masks(false);
    result
}

/// Checks one layer's backward pass: with the loss L = Σ (layer(x) ⊙ R) for a
/// fixed random R (seeded), ∂L/∂out = R exactly, so `backward(R)` must match
/// the central-difference gradients with respect to the input (reported as
/// `"input"`) and to every trainable parameter. Masks are fixed as in
/// [`gradient_check`].
///
/// # Errors
/// The layer's errors.
pub fn check_layer<T: Float, L: Layer<T> + ?Sized>(
    layer: &mut L,
    x: &Tensor<T>,
    seed: u64,
) -> Result<Vec<GradientDiff>> {
    layer.set_fixed_mask(true);
    let result = check_layer_inner(layer, x, seed);
    layer.set_fixed_mask(false);
    result
}

fn check_layer_inner<T: Float, L: Layer<T> + ?Sized>(
    layer: &mut L,
    x: &Tensor<T>,
    seed: u64,
) -> Result<Vec<GradientDiff>> {
    let out = layer.forward(x.clone(), Mode::Train)?;
    let r: Tensor<T> = gaussian(out.raw_dim(), 1.0, &mut seeded(seed))?;
    let dx = layer.backward(r.clone())?;
    let mut backprop = BTreeMap::new();
    layer.visit_params(&mut |p| {
        if let Some(g) = p.grad {
            backprop.insert(p.name.to_string(), g.to_owned());
        }
    });

    let weighted = |out: Tensor<T>| -> T {
        Zip::from(&out)
            .and(&r)
            .fold(T::zero(), |acc, &o, &w| acc + o * w)
    };
    let mut xs = x.clone();
    let mut failure = None;
    let num_dx = numerical_gradient(
        |x: &Tensor<T>| match layer.forward(x.clone(), Mode::Train) {
            Ok(out) => weighted(out),
            Err(e) => {
                failure = Some(e);
                T::nan()
            }
        },
        &mut xs,
    );
    if let Some(e) = failure {
        return Err(e);
    }
    let mut report = vec![max_abs_diff("input", &dx, &num_dx)];
    let numerical =
        numerical_param_gradients(layer, |l| Ok(weighted(l.forward(x.clone(), Mode::Train)?)))?;
    report.extend(compare(&backprop, &numerical));
    Ok(report)
}
