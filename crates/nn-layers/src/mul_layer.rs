//! The multiplication node of the notes' computational graph.

use nn_core::Float;

use crate::{Error, Result};

/// z = x·y on scalars; backward: ∂L/∂x = ∂L/∂z·y, ∂L/∂y = ∂L/∂z·x.
///
/// The notes' shopping example: 2 apples at 100 with tax 1.1 cost 220.
/// ```
/// use nn_layers::MulLayer;
///
/// let (mut apples, mut tax) = (MulLayer::new(), MulLayer::new());
/// let price = tax.forward(apples.forward(100.0_f64, 2.0), 1.1);
/// assert!((price - 220.0).abs() < 1e-12);
/// let (d_apple_price, d_tax) = tax.backward(1.0)?;
/// let (d_apple, d_count) = apples.backward(d_apple_price)?;
/// assert!((d_apple - 2.2).abs() < 1e-12 && (d_count - 110.0).abs() < 1e-12);
/// assert_eq!(d_tax, 200.0);
/// # Ok::<(), nn_layers::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MulLayer<T: Float> {
    inputs: Option<(T, T)>,
}

impl<T: Float> MulLayer<T> {
    /// A multiplication node.
    pub fn new() -> Self {
        MulLayer { inputs: None }
    }

    /// z = x·y; remembers x and y.
    pub fn forward(&mut self, x: T, y: T) -> T {
        self.inputs = Some((x, y));
        x * y
    }

    /// (∂L/∂x, ∂L/∂y) = (dout·y, dout·x).
    ///
    /// # Errors
    /// [`Error::NoForward`] before any forward.
    pub fn backward(&self, dout: T) -> Result<(T, T)> {
        let (x, y) = self.inputs.ok_or(Error::NoForward { layer: "MulLayer" })?;
        Ok((dout * y, dout * x))
    }
}
