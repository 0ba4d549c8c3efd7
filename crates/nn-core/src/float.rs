//! The one element trait every crate of nn is generic over.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

/// A floating-point element type: implemented for [`f32`] (speed) and [`f64`]
/// (gradient checks).
///
/// `Float` gathers every bound the rest of nn needs, so that downstream code
/// writes `T: Float` and nothing more: arithmetic and transcendental functions
/// ([`num_traits::Float`]), matrix products through ndarray
/// ([`ndarray::LinalgScalar`]), `array * scalar` ([`ndarray::ScalarOperand`]),
/// use from rayon threads (`Send + Sync`), printing (`Debug + Display`),
/// compound assignment and summation.
///
/// Literals are written with [`Float::cast`], which reads better in formulas
/// than `T::from(0.5).unwrap()`:
///
/// ```
/// use nn_core::Float;
///
/// fn halve<T: Float>(x: T) -> T {
///     x * T::cast(0.5)
/// }
/// assert_eq!(halve(3.0_f32), 1.5);
/// assert_eq!(halve(3.0_f64).as_f64(), 1.5);
/// ```
pub trait Float:
    num_traits::Float
    + ndarray::LinalgScalar
    + ndarray::ScalarOperand
    + Send
    + Sync
    + Debug
    + Display
    + Default
    + Sum
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + 'static
{
    /// The element's name as the safetensors and NumPy dtypes spell it:
    /// `"F32"` or `"F64"`.
    const DTYPE: &'static str;

    /// Size of one element in bytes.
    const BYTES: usize;

    /// Converts an `f64` to this type, rounding to nearest for `f32`.
    fn cast(value: f64) -> Self;

    /// Widens (or keeps) this value as an `f64`; exact for both types.
    fn as_f64(self) -> f64;

    /// Appends the value's little-endian bytes to `out`.
    fn write_le(self, out: &mut Vec<u8>);

    /// Reads one value from exactly [`Float::BYTES`] little-endian bytes.
    ///
    /// Returns `None` when `bytes` has the wrong length.
    fn read_le(bytes: &[u8]) -> Option<Self>;
}

macro_rules! impl_float {
    ($t:ty, $dtype:literal) => {
        impl Float for $t {
            const DTYPE: &'static str = $dtype;
            const BYTES: usize = std::mem::size_of::<$t>();

            #[inline(always)]
            fn cast(value: f64) -> Self {
                value as $t
            }

            #[inline(always)]
            fn as_f64(self) -> f64 {
                self as f64
            }

            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }

            fn read_le(bytes: &[u8]) -> Option<Self> {
                Some(<$t>::from_le_bytes(bytes.try_into().ok()?))
            }
        }
    };
}

impl_float!(f32, "F32");
impl_float!(f64, "F64");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast_rounds_to_nearest_and_widening_is_exact() {
        assert_eq!(f32::cast(0.1), 0.1_f32);
        assert_eq!(0.1_f32.as_f64(), 0.100_000_001_490_116_12);
        assert_eq!(f64::cast(0.1), 0.1);
    }

    #[test]
    fn bytes_round_trip_little_endian() {
        let mut out = Vec::new();
        1.5_f32.write_le(&mut out);
        assert_eq!(out, [0x00, 0x00, 0xc0, 0x3f]);
        assert_eq!(f32::read_le(&out), Some(1.5));
        assert_eq!(f32::read_le(&out[..3]), None);
        let mut out = Vec::new();
        (-2.0_f64).write_le(&mut out);
        assert_eq!(f64::read_le(&out), Some(-2.0));
        assert_eq!(f64::BYTES, 8);
        assert_eq!(<f64 as Float>::DTYPE, "F64");
    }
}
