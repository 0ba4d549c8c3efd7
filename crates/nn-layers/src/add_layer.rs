//! The addition node of the notes' computational graph.

use nn_core::Float;

/// z = x + y on scalars; backward passes ∂L/∂z to both inputs unchanged.
///
/// ```
/// use nn_layers::AddLayer;
///
/// let add = AddLayer;
/// assert_eq!(add.forward(200.0, 450.0), 650.0);
/// assert_eq!(add.backward(1.1), (1.1, 1.1));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AddLayer;

impl AddLayer {
    /// z = x + y.
    pub fn forward<T: Float>(&self, x: T, y: T) -> T {
        x + y
    }

    /// (∂L/∂x, ∂L/∂y) = (dout, dout).
    pub fn backward<T: Float>(&self, dout: T) -> (T, T) {
        (dout, dout)
    }
}
