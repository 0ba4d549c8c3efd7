//! Weight initialisers: Gaussian, Xavier, He and uniform.
//!
//! Every initialiser takes the generator explicitly (see [`crate::rng`]) and
//! fills the array in logical (row-major) order, so the same generator state
//! gives the same weights whatever the memory layout requested.

use ndarray::{Array, Dimension, ShapeBuilder};

use crate::rng::{fill_standard_normal, uniform01, Rng};
use crate::{Error, Float, Result};

/// How to draw initial weights: the choices of the book's `MultiLayerNet`.
///
/// In network files (serde): `"he"`, `"xavier"`, `{ gaussian = { std = 0.01 } }`,
/// `{ uniform = { low = -0.1, high = 0.1 } }`. The default is He, the
/// layers' default for ReLU networks.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Init {
    /// N(0, std²) with a fixed standard deviation (the book's default 0.01).
    Gaussian {
        /// The standard deviation.
        std: f64,
    },
    /// Xavier (Glorot) for sigmoid and tanh: N(0, 1/n), std = 1/√n, with n the
    /// fan-in (the book's form; Glorot's paper averages fan-in and fan-out).
    Xavier,
    /// He (Kaiming) for ReLU: N(0, 2/n), std = √(2/n), with n the fan-in.
    #[default]
    He,
    /// U(low, high).
    Uniform {
        /// Inclusive lower bound.
        low: f64,
        /// Exclusive upper bound.
        high: f64,
    },
}

impl Init {
    /// Draws an array of `shape` for a weight with `fan_in` inputs per unit
    /// (`fan_in` is ignored by `Gaussian` and `Uniform`).
    ///
    /// # Errors
    /// As the matching free function: a negative or non-finite std, a zero
    /// fan-in, or an empty uniform range.
    ///
    /// ```
    /// use nn_core::{init::Init, rng::seeded};
    ///
    /// let w = Init::He.sample::<f32, _, _>((784, 50), 784, &mut seeded(0))?;
    /// assert_eq!(w.shape(), &[784, 50]);
    /// # Ok::<(), nn_core::Error>(())
    /// ```
    pub fn sample<T, Sh, R>(
        &self,
        shape: Sh,
        fan_in: usize,
        rng: &mut R,
    ) -> Result<Array<T, Sh::Dim>>
    where
        T: Float,
        Sh: ShapeBuilder,
        R: Rng + ?Sized,
    {
        match *self {
            Init::Gaussian { std } => gaussian(shape, std, rng),
            Init::Xavier => xavier(shape, fan_in, rng),
            Init::He => he(shape, fan_in, rng),
            Init::Uniform { low, high } => uniform(shape, low, high, rng),
        }
    }
}

/// Weights drawn from N(0, std²): each is `std · z` with z standard normal.
///
/// # Errors
/// [`Error::InvalidArgument`] when `std` is negative or not finite.
///
/// ```
/// use nn_core::{init::gaussian, rng::seeded};
///
/// let w = gaussian::<f64, _, _>((2, 3), 0.01, &mut seeded(42))?;
/// assert_eq!(w, gaussian::<f64, _, _>((2, 3), 0.01, &mut seeded(42))?);
/// # Ok::<(), nn_core::Error>(())
/// ```
pub fn gaussian<T, Sh, R>(shape: Sh, std: f64, rng: &mut R) -> Result<Array<T, Sh::Dim>>
where
    T: Float,
    Sh: ShapeBuilder,
    R: Rng + ?Sized,
{
    if !(std.is_finite() && std >= 0.0) {
        return Err(Error::invalid(
            "init::gaussian",
            format!("standard deviation must be finite and ≥ 0, got {std}"),
        ));
    }
    let mut w = zeros("init::gaussian", shape)?;
    let mut z = Vec::new();
    z.try_reserve_exact(w.len())
        .map_err(|_| too_large("init::gaussian", w.shape()))?;
    z.resize(w.len(), 0.0);
    fill_standard_normal(rng, &mut z);
    w.iter_mut().zip(z).for_each(|(w, z)| *w = T::cast(std * z));
    Ok(w)
}

/// A zero array of `shape`, or an error (not a panic or an abort) when its
/// size overflows or the memory cannot be had: shapes may come from files.
fn zeros<T: Float, Sh: ShapeBuilder>(op: &'static str, shape: Sh) -> Result<Array<T, Sh::Dim>> {
    let shape = shape.into_shape_with_order();
    let dims = shape.raw_dim().clone();
    let n = dims
        .size_checked()
        .filter(|&n| {
            n.checked_mul(std::mem::size_of::<T>())
                .is_some_and(|b| b <= isize::MAX as usize)
        })
        .ok_or_else(|| too_large(op, dims.slice()))?;
    let mut values = Vec::new();
    values
        .try_reserve_exact(n)
        .map_err(|_| too_large(op, dims.slice()))?;
    values.resize(n, T::zero());
    Ok(Array::from_shape_vec(shape, values).expect("n elements for the shape"))
}

fn too_large(op: &'static str, shape: &[usize]) -> Error {
    Error::invalid(
        op,
        format!(
            "an array of shape {} is too large to allocate",
            crate::Shape::from(shape)
        ),
    )
}

fn check_fan_in(op: &'static str, fan_in: usize) -> Result<f64> {
    if fan_in == 0 {
        Err(Error::invalid(op, "fan-in must be at least 1"))
    } else {
        Ok(fan_in as f64)
    }
}

/// Xavier initialisation: N(0, 1/n) with n = `fan_in`, std = 1/√n.
///
/// # Errors
/// [`Error::InvalidArgument`] when `fan_in` is 0.
pub fn xavier<T, Sh, R>(shape: Sh, fan_in: usize, rng: &mut R) -> Result<Array<T, Sh::Dim>>
where
    T: Float,
    Sh: ShapeBuilder,
    R: Rng + ?Sized,
{
    let n = check_fan_in("init::xavier", fan_in)?;
    gaussian(shape, 1.0 / n.sqrt(), rng)
}

/// He initialisation: N(0, 2/n) with n = `fan_in`, std = √(2/n).
///
/// # Errors
/// [`Error::InvalidArgument`] when `fan_in` is 0.
pub fn he<T, Sh, R>(shape: Sh, fan_in: usize, rng: &mut R) -> Result<Array<T, Sh::Dim>>
where
    T: Float,
    Sh: ShapeBuilder,
    R: Rng + ?Sized,
{
    let n = check_fan_in("init::he", fan_in)?;
    gaussian(shape, (2.0 / n).sqrt(), rng)
}

/// Weights drawn from U(low, high): `low + (high − low)·u` with u uniform in [0, 1).
///
/// # Errors
/// [`Error::InvalidArgument`] unless `low < high`, both finite.
pub fn uniform<T, Sh, R>(shape: Sh, low: f64, high: f64, rng: &mut R) -> Result<Array<T, Sh::Dim>>
where
    T: Float,
    Sh: ShapeBuilder,
    R: Rng + ?Sized,
{
    if !(low.is_finite() && high.is_finite() && low < high) {
        return Err(Error::invalid(
            "init::uniform",
            format!("need finite low < high, got [{low}, {high})"),
        ));
    }
    let mut w = zeros("init::uniform", shape)?;
    w.iter_mut()
        .for_each(|w| *w = T::cast(low + (high - low) * uniform01(rng)));
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;
    use ndarray::{Array2, ShapeBuilder};

    fn std_of(w: &ndarray::ArrayD<f64>) -> f64 {
        let n = w.len() as f64;
        let mean = w.sum() / n;
        (w.mapv(|v| (v - mean) * (v - mean)).sum() / n).sqrt()
    }

    /// Shapes from a hostile file: 2⁴⁰ × 2⁴⁰ overflows, 2²⁰ × 2²⁰ f32s
    /// (4 TiB) cannot be had; both are errors, not a panic or an abort.
    #[test]
    fn shapes_too_large_to_allocate_are_errors() {
        let mut rng = seeded(0);
        let e = gaussian::<f32, _, _>((1 << 40, 1 << 40), 0.01, &mut rng).unwrap_err();
        assert_eq!(
            e.to_string(),
            "init::gaussian: an array of shape (1099511627776, 1099511627776) is too large to allocate"
        );
        let e = uniform::<f32, _, _>((1 << 21, 1 << 21), 0.0, 1.0, &mut rng).unwrap_err();
        assert!(e.to_string().contains("is too large to allocate"), "{e}");
    }

    #[test]
    fn each_initialiser_has_the_requested_spread() {
        let mut rng = seeded(11);
        let g = gaussian::<f64, _, _>(vec![400, 100], 0.01, &mut rng).unwrap();
        assert!((std_of(&g) - 0.01).abs() < 2e-4);
        // Xavier with n = 100: std 0.1. He with n = 100: std √0.02 ≈ 0.1414.
        let x = xavier::<f64, _, _>(vec![100, 400], 100, &mut rng).unwrap();
        assert!((std_of(&x) - 0.1).abs() < 2e-3);
        let h = he::<f64, _, _>(vec![100, 400], 100, &mut rng).unwrap();
        assert!((std_of(&h) - 0.02_f64.sqrt()).abs() < 3e-3);
        // U(−1, 3): mean 1, std 4/√12.
        let u = uniform::<f64, _, _>(vec![200, 200], -1.0, 3.0, &mut rng).unwrap();
        assert!(u.iter().all(|v| (-1.0..3.0).contains(v)));
        assert!((u.sum() / u.len() as f64 - 1.0).abs() < 2e-2);
        assert!((std_of(&u) - 4.0 / 12.0_f64.sqrt()).abs() < 1e-2);
    }

    #[test]
    fn one_seed_one_set_of_weights_whatever_the_layout_or_type() {
        let c: Array2<f64> = he((3, 4), 3, &mut seeded(9)).unwrap();
        let f: Array2<f64> = he((3, 4).f(), 3, &mut seeded(9)).unwrap();
        assert_eq!(c, f);
        let s: Array2<f32> = he((3, 4), 3, &mut seeded(9)).unwrap();
        assert_eq!(s, c.mapv(|v| v as f32));
        let other: Array2<f64> = he((3, 4), 3, &mut seeded(10)).unwrap();
        assert_ne!(c, other);
    }

    #[test]
    fn enum_dispatches_to_the_functions() {
        let a: Array2<f64> = Init::Xavier.sample((5, 5), 25, &mut seeded(1)).unwrap();
        let b: Array2<f64> = xavier((5, 5), 25, &mut seeded(1)).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_arguments_are_errors() {
        let mut rng = seeded(0);
        let e = gaussian::<f32, _, _>(3, -1.0, &mut rng).unwrap_err();
        assert_eq!(
            e.to_string(),
            "init::gaussian: standard deviation must be finite and ≥ 0, got -1"
        );
        assert!(he::<f32, _, _>(3, 0, &mut rng).is_err());
        assert!(xavier::<f32, _, _>(3, 0, &mut rng).is_err());
        let e = uniform::<f32, _, _>(3, 1.0, 1.0, &mut rng).unwrap_err();
        assert_eq!(
            e.to_string(),
            "init::uniform: need finite low < high, got [1, 1)"
        );
    }
}
