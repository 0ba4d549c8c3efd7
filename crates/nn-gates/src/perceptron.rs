//! The perceptron: y = 1 if w·x + b > 0, else 0.

use ndarray::{Array1, ArrayBase, Data, Ix1, Ix2};
use nn_core::{Float, Shape};

use crate::{Error, Result};

/// A perceptron with weights w and bias b:
///
/// y = 0 if b + w·x ≤ 0, and y = 1 if b + w·x > 0.
///
/// The notes first write it with a threshold θ (y = 1 if w·x > θ); that is the
/// same perceptron with b = −θ, built by [`Perceptron::with_threshold`].
///
/// # Example
/// The notes' AND gate:
/// ```
/// use ndarray::array;
/// use nn_gates::Perceptron;
///
/// let and = Perceptron::new(array![0.5, 0.5], -0.7)?;
/// let outputs = and.output_batch(&array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])?;
/// assert_eq!(outputs, array![0.0, 0.0, 0.0, 1.0]);
/// # Ok::<(), nn_gates::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Perceptron<T: Float> {
    weights: Array1<T>,
    bias: T,
}

impl<T: Float> Perceptron<T> {
    /// A perceptron with the given weights and bias.
    ///
    /// # Errors
    /// [`Error::NoWeights`] when `weights` is empty.
    pub fn new(weights: Array1<T>, bias: T) -> Result<Self> {
        if weights.is_empty() {
            return Err(Error::NoWeights);
        }
        Ok(Perceptron { weights, bias })
    }

    /// The threshold form: y = 1 if w·x > θ. Equivalent to `new(w, −θ)`.
    ///
    /// ```
    /// use ndarray::array;
    /// use nn_gates::Perceptron;
    ///
    /// let and = Perceptron::with_threshold(array![0.5, 0.5], 0.7)?;
    /// assert_eq!(and, Perceptron::new(array![0.5, 0.5], -0.7)?);
    /// # Ok::<(), nn_gates::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::NoWeights`] when `weights` is empty.
    pub fn with_threshold(weights: Array1<T>, theta: T) -> Result<Self> {
        Self::new(weights, -theta)
    }

    /// The weights w.
    pub fn weights(&self) -> &Array1<T> {
        &self.weights
    }

    /// The bias b.
    pub fn bias(&self) -> T {
        self.bias
    }

    /// The number of inputs.
    pub fn inputs(&self) -> usize {
        self.weights.len()
    }

    /// The weighted sum a = Σᵢ wᵢxᵢ + b, before the step.
    ///
    /// # Errors
    /// [`Error::InputLength`] when `x` does not have one value per weight.
    pub fn weighted_sum<S: Data<Elem = T>>(&self, x: &ArrayBase<S, Ix1>) -> Result<T> {
        self.check_len("Perceptron::weighted_sum", x.shape())?;
        Ok(self.weights.dot(x) + self.bias)
    }

    /// The output for one input vector: 1 if w·x + b > 0, else 0.
    ///
    /// # Errors
    /// [`Error::InputLength`] when `x` does not have one value per weight.
    pub fn output<S: Data<Elem = T>>(&self, x: &ArrayBase<S, Ix1>) -> Result<T> {
        self.check_len("Perceptron::output", x.shape())?;
        Ok(step(self.weights.dot(x) + self.bias))
    }

    /// The outputs for a batch, one input vector per row: shape (N, n) → (N,).
    ///
    /// # Errors
    /// [`Error::InputLength`] when the rows do not have one value per weight.
    pub fn output_batch<S: Data<Elem = T>>(&self, x: &ArrayBase<S, Ix2>) -> Result<Array1<T>> {
        if x.ncols() != self.inputs() {
            return Err(self.length_error("Perceptron::output_batch", x.shape()));
        }
        Ok((x.dot(&self.weights) + self.bias).mapv(step))
    }

    fn check_len(&self, op: &'static str, shape: &[usize]) -> Result<()> {
        if shape == [self.inputs()] {
            Ok(())
        } else {
            Err(self.length_error(op, shape))
        }
    }

    fn length_error(&self, op: &'static str, shape: &[usize]) -> Error {
        Error::InputLength {
            op,
            input: Shape::from(shape),
            weights: self.inputs(),
        }
    }

    /// Mutable access for the learning rule.
    pub(crate) fn parts_mut(&mut self) -> (&mut Array1<T>, &mut T) {
        (&mut self.weights, &mut self.bias)
    }
}

/// The step: 1 if a > 0, else 0.
fn step<T: Float>(a: T) -> T {
    if a > T::zero() {
        T::one()
    } else {
        T::zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn the_notes_weighted_sum() {
        // x = [0, 1], w = [0.5, 0.5], b = −0.7: w*x = [0, 0.5], Σ = 0.5,
        // Σ + b = −0.19999999999999996 (0.5 − 0.7 in binary floating point).
        let x = array![0.0, 1.0];
        let w = array![0.5, 0.5];
        assert_eq!(&w * &x, array![0.0, 0.5]);
        assert_eq!((&w * &x).sum(), 0.5);
        let p = Perceptron::new(w, -0.7).unwrap();
        assert_eq!(p.weighted_sum(&x).unwrap(), -0.19999999999999996);
        assert_eq!(p.output(&x).unwrap(), 0.0);
    }

    #[test]
    fn threshold_form_agrees_with_bias_form_on_a_grid() {
        let a = Perceptron::with_threshold(array![0.5_f32, 0.5], 0.7).unwrap();
        let b = Perceptron::new(array![0.5_f32, 0.5], -0.7).unwrap();
        for i in 0..=20 {
            for j in 0..=20 {
                let x = array![i as f32 * 0.1, j as f32 * 0.1];
                let by_threshold = if a.weights.dot(&x) > 0.7 { 1.0 } else { 0.0 };
                assert_eq!(a.output(&x).unwrap(), by_threshold);
                assert_eq!(b.output(&x).unwrap(), by_threshold);
            }
        }
    }

    #[test]
    fn output_at_exactly_zero_is_zero() {
        let p = Perceptron::new(array![1.0], -1.0).unwrap();
        assert_eq!(p.output(&array![1.0]).unwrap(), 0.0);
        assert_eq!(p.output(&array![1.0 + 1e-12]).unwrap(), 1.0);
    }

    #[test]
    fn wrong_input_lengths_are_errors() {
        let p = Perceptron::new(array![0.5, 0.5], -0.7).unwrap();
        let err = p.output(&array![1.0, 0.0, 1.0]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Perceptron::output: input of shape (3,) does not fit a perceptron with 2 weights"
        );
        let err = p.output_batch(&array![[1.0], [0.0]]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Perceptron::output_batch: input of shape (2, 1) does not fit a perceptron with 2 weights"
        );
        assert_eq!(
            Perceptron::<f64>::new(array![], 0.0).unwrap_err(),
            Error::NoWeights
        );
    }
}
