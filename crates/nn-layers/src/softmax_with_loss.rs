//! Softmax followed by cross-entropy: the output layer of a classifier.

use ndarray::{Array1, Array2, Axis, IxDyn};
use nn_core::loss::Reduction;
use nn_core::{Float, Shape, Tensor};

use crate::reshape::reshaped;
use crate::{Error, Result, Targets};

/// Softmax and cross-entropy in one layer:
/// L = −(1/N) Σₙ Σₖ tₙₖ log yₙₖ with y = softmax(x) row by row, and
/// ∂L/∂x = (y − t)/N.
///
/// The log is taken of the softmax directly, log yₖ = xₖ − c − log Σⱼ exp(xⱼ − c)
/// (c the row maximum), which is exact and finite for any finite scores. So,
/// unlike the book's layer, no 10⁻⁷ guard enters the loss, and (y − t)/N is
/// its exact gradient (with the guard the loss differs from what backward
/// differentiates by up to 10⁻⁷/y). [`nn_core::loss::cross_entropy_error`]
/// keeps the book's guarded form for probability inputs.
///
/// Scores are (N, classes), or (classes,) for a single sample.
///
/// ```
/// use ndarray::array;
/// use nn_core::loss::Reduction;
/// use nn_layers::{SoftmaxWithLoss, Targets};
///
/// let mut head = SoftmaxWithLoss::new();
/// let loss = head.forward(array![[0.0, 0.0]].into_dyn(), Targets::Labels(&[1]))?;
/// assert!((loss - 2.0_f64.ln()).abs() < 1e-15);
/// assert_eq!(head.backward()?, array![[0.5, -0.5]].into_dyn()); // (y − t)/N
///
/// // One loss per sample, and each sample's own gradient y − t:
/// let scores = array![[0.0, 0.0], [0.0, 0.0]].into_dyn();
/// let each = head.forward_with(scores, Targets::Labels(&[1, 0]), Reduction::None)?;
/// assert_eq!(each, array![2.0_f64.ln(), 2.0_f64.ln()].into_dyn());
/// assert_eq!(head.backward()?, array![[0.5, -0.5], [-0.5, 0.5]].into_dyn());
/// # Ok::<(), nn_layers::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SoftmaxWithLoss<T: Float> {
    cache: Option<Cache<T>>,
}

#[derive(Debug, Clone)]
struct Cache<T> {
    /// Softmax of the scores, (N, classes).
    y: Array2<T>,
    target: OwnedTargets<T>,
    input_shape: Vec<usize>,
    /// The gradient's divisor: N for the mean, 1 otherwise.
    divisor: T,
}

#[derive(Debug, Clone)]
enum OwnedTargets<T> {
    Labels(Vec<usize>),
    OneHot(Array2<T>),
}

impl<T: Float> Default for SoftmaxWithLoss<T> {
    fn default() -> Self {
        SoftmaxWithLoss { cache: None }
    }
}

impl<T: Float> SoftmaxWithLoss<T> {
    /// The layer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The mean cross-entropy of softmax(`scores`) against `targets`; keeps
    /// what backward needs.
    ///
    /// # Errors
    /// [`Error::BadInput`] for scores that are not 1-D or 2-D; label count,
    /// range or one-hot shape errors from [`Targets::check`].
    pub fn forward<'t>(
        &mut self,
        scores: Tensor<T>,
        targets: impl Into<Targets<'t, T>>,
    ) -> Result<T>
    where
        T: 't,
    {
        let loss = self.forward_with(scores, targets, Reduction::Mean)?;
        Ok(loss.iter().copied().sum())
    }

    /// The cross-entropy reduced by `reduction`: a 0-D tensor for
    /// [`Reduction::Mean`] and [`Reduction::Sum`], the (N,) losses of the
    /// samples for [`Reduction::None`]. The next [`backward`](Self::backward)
    /// is the gradient of the mean, of the sum, or of each sample's own loss
    /// (which is the gradient of the sum).
    ///
    /// # Errors
    /// As [`forward`](Self::forward).
    pub fn forward_with<'t>(
        &mut self,
        scores: Tensor<T>,
        targets: impl Into<Targets<'t, T>>,
        reduction: Reduction,
    ) -> Result<Tensor<T>>
    where
        T: 't,
    {
        let targets = targets.into();
        let input_shape = scores.shape().to_vec();
        let (n, classes) = match input_shape.as_slice() {
            [c] => (1, *c),
            [n, c] => (*n, *c),
            _ => {
                return Err(Error::BadInput {
                    layer: "SoftmaxWithLoss",
                    got: Shape::from(input_shape),
                    expected: "expected scores of shape (classes,) or (batch, classes)".into(),
                })
            }
        };
        if n == 0 || classes == 0 {
            // The mean of no losses is NaN: an error, not a loss.
            return Err(Error::BadInput {
                layer: "SoftmaxWithLoss",
                got: Shape::from(input_shape),
                expected: "expected at least one sample and one class".into(),
            });
        }
        targets.check("SoftmaxWithLoss.forward", n, classes)?;
        let mut y = reshaped(scores, (n, classes));
        let mut losses = Array1::zeros(n);
        for (i, mut row) in y.outer_iter_mut().enumerate() {
            let c = row.fold(T::neg_infinity(), |m, &v| m.max(v));
            row.mapv_inplace(|v| v - c);
            // row now holds x − c; log yₖ = (xₖ − c) − log Σ exp(xⱼ − c).
            let log_sum = row.mapv(T::exp).sum().ln();
            losses[i] = -match targets {
                Targets::Labels(l) => row[l[i]] - log_sum,
                Targets::OneHot(t) => row
                    .iter()
                    .zip(t.row(i))
                    .filter(|(_, &tk)| tk != T::zero())
                    .map(|(&xk, &tk)| tk * (xk - log_sum))
                    .sum(),
            };
            row.mapv_inplace(|v| (v - log_sum).exp());
        }
        let target = match targets {
            Targets::Labels(l) => OwnedTargets::Labels(l.to_vec()),
            Targets::OneHot(t) => OwnedTargets::OneHot(t.to_owned()),
        };
        let n = T::cast(n as f64);
        let (loss, divisor) = match reduction {
            Reduction::Mean => (ndarray::arr0(losses.sum() / n).into_dyn(), n),
            Reduction::Sum => (ndarray::arr0(losses.sum()).into_dyn(), T::one()),
            Reduction::None => (losses.into_dyn(), T::one()),
        };
        self.cache = Some(Cache {
            y,
            target,
            input_shape,
            divisor,
        });
        Ok(loss)
    }

    /// ∂L/∂scores = (y − t)/N (or y − t, see
    /// [`forward_with`](Self::forward_with)), in the scores' shape.
    ///
    /// # Errors
    /// [`Error::NoForward`] before any forward.
    pub fn backward(&self) -> Result<Tensor<T>> {
        let cache = self.cache.as_ref().ok_or(Error::NoForward {
            layer: "SoftmaxWithLoss",
        })?;
        let mut dx = cache.y.clone();
        match &cache.target {
            OwnedTargets::Labels(l) => {
                for (mut row, &label) in dx.outer_iter_mut().zip(l) {
                    row[label] -= T::one();
                }
            }
            OwnedTargets::OneHot(t) => dx -= t,
        }
        if cache.divisor != T::one() {
            dx /= cache.divisor;
        }
        Ok(reshaped(dx.into_dyn(), IxDyn(&cache.input_shape)))
    }

    /// The softmax probabilities of the last forward pass, (N, classes).
    pub fn probabilities(&self) -> Option<&Array2<T>> {
        self.cache.as_ref().map(|c| &c.y)
    }

    /// The predicted class of each sample of the last forward pass.
    pub fn predictions(&self) -> Option<Array1<usize>> {
        let y = self.probabilities()?;
        Some(y.map_axis(Axis(1), crate::targets::argmax))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn loss_equals_cross_entropy_of_the_softmax() {
        let x = array![[0.3, 2.9, 4.0], [1010.0, 1000.0, 990.0]];
        let mut head = SoftmaxWithLoss::new();
        let loss = head.forward(x.clone().into_dyn(), &[2, 1]).unwrap();
        // By hand from the notes' softmax values: y₀₂ = 0.73659691,
        // y₁₁ = 4.53978686e−5 (computed exactly as −(−10 − log(1 + e⁻¹⁰ + e⁻²⁰))).
        let l0 = -(0.73659691_f64).ln();
        let l1 = 10.0 + (1.0 + (-10.0_f64).exp() + (-20.0_f64).exp()).ln();
        assert!((loss - (l0 + l1) / 2.0).abs() < 1e-8, "{loss}");
        let one_hot = array![[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]];
        let loss_oh = head.forward(x.into_dyn(), &one_hot).unwrap();
        assert!((loss - loss_oh).abs() < 1e-14);
    }

    /// The same two samples as above, not averaged: each loss by hand, their
    /// sum, and the gradient of the sum, y − t.
    #[test]
    fn sum_and_per_sample_reductions() {
        let x = array![[0.3, 2.9, 4.0], [1010.0, 1000.0, 990.0]].into_dyn();
        let l0 = -(0.73659691_f64).ln();
        let l1 = 10.0 + (1.0 + (-10.0_f64).exp() + (-20.0_f64).exp()).ln();
        let mut head = SoftmaxWithLoss::new();
        let each = head
            .forward_with(x.clone(), &[2, 1], Reduction::None)
            .unwrap();
        assert_eq!(each.shape(), [2]);
        assert!(
            (each[0] - l0).abs() < 1e-8 && (each[1] - l1).abs() < 1e-12,
            "{each}"
        );
        let dx_each = head.backward().unwrap();
        let sum = head
            .forward_with(x.clone(), &[2, 1], Reduction::Sum)
            .unwrap();
        assert_eq!(sum.shape(), [] as [usize; 0]);
        assert!((sum[[]] - (l0 + l1)).abs() < 1e-8);
        let dx_sum = head.backward().unwrap();
        assert_eq!(dx_each, dx_sum);
        let mut y_minus_t = head.probabilities().unwrap().clone();
        y_minus_t[[0, 2]] -= 1.0;
        y_minus_t[[1, 1]] -= 1.0;
        assert_eq!(dx_sum, y_minus_t.into_dyn());
        let mean = head.forward(x, &[2, 1]).unwrap();
        assert_eq!(mean, sum[[]] / 2.0);
    }

    #[test]
    fn backward_is_y_minus_t_over_n_for_both_target_forms() {
        let x = array![[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]].into_dyn();
        let mut head = SoftmaxWithLoss::new();
        head.forward(x.clone(), &[0, 2]).unwrap();
        let y = head.probabilities().unwrap().clone();
        let dx = head.backward().unwrap();
        let t = array![[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
        assert_eq!(dx, ((&y - &t) / 2.0).into_dyn());
        head.forward(x, &t).unwrap();
        assert_eq!(head.backward().unwrap(), ((&y - &t) / 2.0).into_dyn());
        assert_eq!(head.predictions().unwrap(), array![2, 0]);
    }

    #[test]
    fn a_single_sample_is_a_batch_of_one() {
        let mut head = SoftmaxWithLoss::new();
        let loss = head
            .forward(array![0.0, 0.0, 0.0, 0.0].into_dyn(), &[3])
            .unwrap();
        assert!((loss - 4.0_f64.ln()).abs() < 1e-15);
        assert_eq!(
            head.backward().unwrap(),
            array![0.25, 0.25, 0.25, -0.75].into_dyn()
        );
    }

    #[test]
    fn label_errors_name_the_shapes() {
        let mut head = SoftmaxWithLoss::<f32>::new();
        let err = head
            .forward(Tensor::zeros(IxDyn(&[3, 10])), &[1, 2])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "SoftmaxWithLoss.forward: 2 labels for a batch of 3 (scores of shape (3, 10))"
        );
        let err = head
            .forward(Tensor::zeros(IxDyn(&[1, 10])), &[10])
            .unwrap_err();
        assert!(err
            .to_string()
            .contains("label 10 of sample 0 is out of range for 10 classes"));
        let err = head
            .forward(Tensor::zeros(IxDyn(&[2, 2, 2])), &[1, 2])
            .unwrap_err();
        assert!(err.to_string().contains("input of shape (2, 2, 2)"));
        assert!(SoftmaxWithLoss::<f32>::new().backward().is_err());
    }
}
