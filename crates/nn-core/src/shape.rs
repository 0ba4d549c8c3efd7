//! Shapes as they appear in error messages.

use std::fmt;

/// An array shape that prints the way NumPy prints it: `(2, 3)`, `(3,)`, `()`.
///
/// Every shape-carrying error in nn stores its shapes as `Shape`, so messages
/// read like NumPy's.
///
/// ```
/// use nn_core::Shape;
///
/// assert_eq!(Shape::from(&[2, 3][..]).to_string(), "(2, 3)");
/// assert_eq!(Shape::from(&[3][..]).to_string(), "(3,)");
/// assert_eq!(Shape::from(&[][..]).to_string(), "()");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Shape(pub Vec<usize>);

impl Shape {
    /// The dimensions.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// Number of elements an array of this shape holds.
    pub fn size(&self) -> usize {
        self.0.iter().product()
    }
}

impl From<&[usize]> for Shape {
    fn from(dims: &[usize]) -> Self {
        Shape(dims.to_vec())
    }
}

impl From<Vec<usize>> for Shape {
    fn from(dims: Vec<usize>) -> Self {
        Shape(dims)
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(dims: [usize; N]) -> Self {
        Shape(dims.to_vec())
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => f.write_str("()"),
            [d] => write!(f, "({d},)"),
            [first, rest @ ..] => {
                write!(f, "({first}")?;
                for d in rest {
                    write!(f, ", {d}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_a_python_tuple() {
        assert_eq!(
            Shape::from([100, 1, 28, 28]).to_string(),
            "(100, 1, 28, 28)"
        );
        assert_eq!(format!("{:?}", Shape::from([7])), "(7,)");
        assert_eq!(Shape::from([2, 3]).size(), 6);
        assert_eq!(Shape::default().size(), 1);
    }
}
