//! Dropout.

use ndarray::ArrayD;
use nn_core::{
    rng::{seeded, ChaCha8Rng, Rng},
    Float, Parameters, Tensor,
};

use crate::error::check_shape;
use crate::spec::{Built, LayerConfig, LayerSpec};
use crate::{Error, Layer, Mode, RandomState, Result};

/// The settings of a [`Dropout`] layer:
/// `{ kind = "dropout", ratio = 0.5, style = "scaled" }`. The mask's seed is
/// drawn from the network's seed when the layer is built.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropoutConfig {
    /// The drop probability, in [0, 1).
    pub ratio: f64,
    /// `"scaled"` (the notes', default) or `"inverted"` (PyTorch's).
    #[serde(default)]
    pub style: DropoutStyle,
}

impl LayerConfig for DropoutConfig {
    const KIND: &'static str = "dropout";
    const ABOUT: &'static str = "drops each value with probability `ratio` in training";

    fn build<T: Float>(&self, input: Option<&[usize]>, rng: &mut ChaCha8Rng) -> Result<Built<T>> {
        let layer = Dropout::new(self.ratio, rng.next_u64())?.with_style(self.style);
        Ok(Built::same_shape(layer, input))
    }

    fn example() -> (Self, Vec<usize>) {
        let config = DropoutConfig {
            ratio: 0.5,
            style: DropoutStyle::Inverted,
        };
        (config, vec![6])
    }
}

/// How dropout keeps the expected activation the same in training and inference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DropoutStyle {
    /// The notes' form: training multiplies by the 0/1 mask; inference
    /// multiplies every activation by (1 − ratio).
    #[default]
    Scaled,
    /// Inverted dropout (PyTorch's): training multiplies kept activations by
    /// 1/(1 − ratio); inference is the identity, so it costs nothing.
    Inverted,
}

/// Dropout: in training, each activation is kept with probability 1 − ratio
/// and zeroed otherwise; ∂L/∂x = ∂L/∂y · mask.
///
/// The mask is drawn from the layer's own seeded generator (so a seed gives the
/// same masks on every run): element i is kept when the next 32-bit draw uᵢ
/// satisfies uᵢ ≥ ratio·2³², the notes' `rand > ratio`.
#[derive(Debug, Clone)]
pub struct Dropout<T: Float> {
    ratio: f64,
    style: DropoutStyle,
    seed: u64,
    rng: ChaCha8Rng,
    mask: Option<ArrayD<T>>,
    fixed: bool,
}

impl<T: Float> Dropout<T> {
    /// The notes' dropout ([`DropoutStyle::Scaled`]) with drop probability
    /// `ratio`, masks drawn from `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless 0 ≤ `ratio` < 1.
    pub fn new(ratio: f64, seed: u64) -> Result<Self> {
        if !(0.0..1.0).contains(&ratio) {
            return Err(Error::invalid(
                "Dropout::new",
                format!("ratio must be in [0, 1), got {ratio}"),
            ));
        }
        Ok(Dropout {
            ratio,
            style: DropoutStyle::Scaled,
            seed,
            rng: seeded(seed),
            mask: None,
            fixed: false,
        })
    }

    /// The same layer with another [`DropoutStyle`].
    pub fn with_style(mut self, style: DropoutStyle) -> Self {
        self.style = style;
        self
    }

    /// The drop probability.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    /// The style.
    pub fn style(&self) -> DropoutStyle {
        self.style
    }

    fn draw_mask(&mut self, shape: &[usize]) -> ArrayD<T> {
        let threshold = (self.ratio * 4_294_967_296.0) as u64;
        let kept = match self.style {
            DropoutStyle::Scaled => T::one(),
            DropoutStyle::Inverted => T::cast(1.0 / (1.0 - self.ratio)),
        };
        let rng = &mut self.rng;
        ArrayD::from_shape_simple_fn(shape, || {
            if u64::from(rng.next_u32()) >= threshold {
                kept
            } else {
                T::zero()
            }
        })
    }
}

impl<T: Float> Parameters<T> for Dropout<T> {
    fn visit_params(&mut self, _: &mut dyn FnMut(nn_core::Param<'_, T>)) {}
}

impl<T: Float> Layer<T> for Dropout<T> {
    fn kind(&self) -> &'static str {
        DropoutConfig::KIND
    }

    fn random_state(&self) -> Option<RandomState> {
        Some(RandomState {
            seed: self.seed,
            position: self.rng.get_word_pos(),
        })
    }

    fn set_random_state(&mut self, state: RandomState) {
        self.seed = state.seed;
        self.rng = seeded(state.seed);
        self.rng.set_word_pos(state.position);
    }

    fn spec(&self) -> LayerSpec {
        LayerSpec::of(&DropoutConfig {
            ratio: self.ratio,
            style: self.style,
        })
    }

    fn forward(&mut self, mut x: Tensor<T>, mode: Mode) -> Result<Tensor<T>> {
        match mode {
            Mode::Inference => {
                if self.style == DropoutStyle::Scaled {
                    x *= T::cast(1.0 - self.ratio);
                }
                Ok(x)
            }
            Mode::Train => {
                let reuse =
                    self.fixed && self.mask.as_ref().is_some_and(|m| m.shape() == x.shape());
                if !reuse {
                    self.mask = Some(self.draw_mask(x.shape()));
                }
                let mask = self.mask.as_ref().expect("set just above");
                x *= mask;
                Ok(x)
            }
        }
    }

    fn backward(&mut self, mut dout: Tensor<T>) -> Result<Tensor<T>> {
        let mask = self
            .mask
            .as_ref()
            .ok_or(Error::NoForward { layer: "Dropout" })?;
        check_shape("Dropout", mask.shape(), dout.shape())?;
        dout *= mask;
        Ok(dout)
    }

    fn set_fixed_mask(&mut self, fixed: bool) {
        self.fixed = fixed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::IxDyn;

    #[test]
    fn keeps_about_one_minus_ratio_and_backward_uses_the_mask() {
        let mut d = Dropout::new(0.3, 1).unwrap();
        let x = Tensor::<f64>::ones(IxDyn(&[100, 100]));
        let y = d.forward(x, Mode::Train).unwrap();
        let kept = y.sum() / 10_000.0;
        // Binomial(10⁴, 0.7): standard deviation 0.0046.
        assert!((kept - 0.7).abs() < 0.02, "{kept}");
        let dx = d
            .backward(Tensor::from_elem(IxDyn(&[100, 100]), 2.0))
            .unwrap();
        assert_eq!(dx, &y * 2.0);
    }

    #[test]
    fn inference_scales_in_the_notes_style_and_not_when_inverted() {
        let mut d = Dropout::<f64>::new(0.25, 0).unwrap();
        let y = d
            .forward(Tensor::from_elem(IxDyn(&[3]), 4.0), Mode::Inference)
            .unwrap();
        assert_eq!(y, Tensor::from_elem(IxDyn(&[3]), 3.0));
        let mut d = Dropout::<f64>::new(0.25, 0)
            .unwrap()
            .with_style(DropoutStyle::Inverted);
        let y = d
            .forward(Tensor::from_elem(IxDyn(&[3]), 4.0), Mode::Inference)
            .unwrap();
        assert_eq!(y, Tensor::from_elem(IxDyn(&[3]), 4.0));
        // Inverted training: kept entries are scaled by 1/(1 − 0.25) = 4/3.
        let y = d
            .forward(Tensor::from_elem(IxDyn(&[1000]), 3.0), Mode::Train)
            .unwrap();
        assert!(y.iter().all(|&v| v == 0.0 || v == 4.0));
    }

    #[test]
    fn fixed_masks_repeat_and_seeds_reproduce() {
        let x = || Tensor::<f32>::ones(IxDyn(&[8, 8]));
        let mut d = Dropout::new(0.5, 7).unwrap();
        let a = d.forward(x(), Mode::Train).unwrap();
        d.set_fixed_mask(true);
        let b = d.forward(x(), Mode::Train).unwrap();
        assert_eq!(a, b);
        d.set_fixed_mask(false);
        let c = d.forward(x(), Mode::Train).unwrap();
        assert_ne!(a, c);
        let mut again = Dropout::new(0.5, 7).unwrap();
        assert_eq!(again.forward(x(), Mode::Train).unwrap(), a);
        assert!(Dropout::<f32>::new(1.0, 0).is_err());
    }
}
