//! Two-input logic gates: a small trait, the notes' perceptron gates, and
//! composition into two-layer circuits such as XOR.

use ndarray::{arr1, aview1};
use nn_core::Float;

use crate::{Error, Perceptron, Result};

/// A two-input logic gate.
///
/// One required method, [`Gate::eval`]; gates compose by feeding outputs of
/// some gates into others ([`TwoLayer`], the adders of [`crate::adder`]).
pub trait Gate {
    /// The gate's name, for tables and error messages.
    fn name(&self) -> &str;

    /// The output for inputs `a`, `b`.
    fn eval(&self, a: bool, b: bool) -> bool;

    /// The outputs for inputs 00, 01, 10 and 11, in that order, as 0/1.
    fn truth_table(&self) -> [u8; 4] {
        [(false, false), (false, true), (true, false), (true, true)]
            .map(|(a, b)| u8::from(self.eval(a, b)))
    }
}

impl<G: Gate + ?Sized> Gate for &G {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn eval(&self, a: bool, b: bool) -> bool {
        (**self).eval(a, b)
    }
}

impl<G: Gate + ?Sized> Gate for Box<G> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn eval(&self, a: bool, b: bool) -> bool {
        (**self).eval(a, b)
    }
}

/// A gate computed by one two-input [`Perceptron`]: inputs 0/1, output 1 when
/// w₁x₁ + w₂x₂ + b > 0.
#[derive(Debug, Clone, PartialEq)]
pub struct PerceptronGate<T: Float = f64> {
    name: String,
    perceptron: Perceptron<T>,
}

impl<T: Float> PerceptronGate<T> {
    /// Wraps a two-input perceptron (for instance a learned one) as a gate.
    ///
    /// # Errors
    /// [`Error::InputLength`] when the perceptron does not have two inputs.
    pub fn new(name: impl Into<String>, perceptron: Perceptron<T>) -> Result<Self> {
        if perceptron.inputs() != 2 {
            return Err(Error::InputLength {
                op: "PerceptronGate::new",
                input: nn_core::Shape::from([2]),
                weights: perceptron.inputs(),
            });
        }
        Ok(PerceptronGate {
            name: name.into(),
            perceptron,
        })
    }

    fn from_weights(name: &str, w1: f64, w2: f64, b: f64) -> Self {
        let perceptron = Perceptron::new(arr1(&[T::cast(w1), T::cast(w2)]), T::cast(b))
            .expect("two weights is a valid perceptron");
        PerceptronGate {
            name: name.to_string(),
            perceptron,
        }
    }

    /// AND with the notes' parameters: w = (0.5, 0.5), b = −0.7.
    pub fn and() -> Self {
        Self::from_weights("AND", 0.5, 0.5, -0.7)
    }

    /// NAND with the notes' parameters: w = (−0.5, −0.5), b = 0.7 (AND's, negated).
    pub fn nand() -> Self {
        Self::from_weights("NAND", -0.5, -0.5, 0.7)
    }

    /// OR with the notes' parameters: w = (0.5, 0.5), b = −0.2.
    pub fn or() -> Self {
        Self::from_weights("OR", 0.5, 0.5, -0.2)
    }

    /// NOR, "not OR": w = (−0.5, −0.5), b = 0.2, OR's parameters negated.
    ///
    /// **The notes have a heading bug here**: they write "Use AND, NAND, OR
    /// gate to build NOR gate" above code that builds XOR
    /// (`AND(NAND(x), OR(x))`). That code is [`xor`]. NOR needs no second
    /// layer: it is linearly separable, so one perceptron computes it.
    pub fn nor() -> Self {
        Self::from_weights("NOR", -0.5, -0.5, 0.2)
    }

    /// The underlying perceptron.
    pub fn perceptron(&self) -> &Perceptron<T> {
        &self.perceptron
    }
}

impl<T: Float> Gate for PerceptronGate<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn eval(&self, a: bool, b: bool) -> bool {
        let bit = |v: bool| if v { T::one() } else { T::zero() };
        let x = [bit(a), bit(b)];
        let y = self
            .perceptron
            .output(&aview1(&x))
            .expect("PerceptronGate::new checked for two weights");
        y > T::zero()
    }
}

/// Two gates side by side feeding a third: y = out(first(a, b), second(a, b)).
///
/// A two-layer network of perceptrons when its parts are perceptrons.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoLayer<A, B, C> {
    name: String,
    first: A,
    second: B,
    out: C,
}

impl<A: Gate, B: Gate, C: Gate> TwoLayer<A, B, C> {
    /// Composes `out(first(a, b), second(a, b))` under `name`.
    pub fn new(name: impl Into<String>, first: A, second: B, out: C) -> Self {
        TwoLayer {
            name: name.into(),
            first,
            second,
            out,
        }
    }
}

impl<A: Gate, B: Gate, C: Gate> Gate for TwoLayer<A, B, C> {
    fn name(&self) -> &str {
        &self.name
    }

    fn eval(&self, a: bool, b: bool) -> bool {
        self.out.eval(self.first.eval(a, b), self.second.eval(a, b))
    }
}

/// XOR as the notes build it: a two-layer perceptron network.
pub type Xor<T = f64> = TwoLayer<PerceptronGate<T>, PerceptronGate<T>, PerceptronGate<T>>;

/// XOR(a, b) = AND(NAND(a, b), OR(a, b)), the notes' two-layer network: no
/// single perceptron can compute XOR, two layers can.
///
/// ```
/// use nn_gates::{xor, Gate};
/// assert_eq!(xor::<f64>().truth_table(), [0, 1, 1, 0]);
/// ```
pub fn xor<T: Float>() -> Xor<T> {
    TwoLayer::new(
        "XOR",
        PerceptronGate::nand(),
        PerceptronGate::or(),
        PerceptronGate::and(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gates_full_truth_table_in_both_types() {
        fn check<T: Float>() {
            assert_eq!(PerceptronGate::<T>::and().truth_table(), [0, 0, 0, 1]);
            assert_eq!(PerceptronGate::<T>::nand().truth_table(), [1, 1, 1, 0]);
            assert_eq!(PerceptronGate::<T>::or().truth_table(), [0, 1, 1, 1]);
            assert_eq!(PerceptronGate::<T>::nor().truth_table(), [1, 0, 0, 0]);
            assert_eq!(xor::<T>().truth_table(), [0, 1, 1, 0]);
        }
        check::<f32>();
        check::<f64>();
    }

    #[test]
    fn the_notes_listings_print_0_0_0_1_for_and() {
        let and = PerceptronGate::<f64>::and();
        let printed: Vec<u8> = [(0, 0), (0, 1), (1, 0), (1, 1)]
            .iter()
            .map(|&(a, b)| u8::from(and.eval(a == 1, b == 1)))
            .collect();
        assert_eq!(printed, [0, 0, 0, 1]);
    }

    #[test]
    fn gates_compose_through_references_and_boxes() {
        let nand = PerceptronGate::<f64>::nand();
        // NOT x = NAND(x, x); OR(a, b) = NAND(NOT a, NOT b) — by composition.
        let not_a = TwoLayer::new("NOT a", &nand, &nand, &nand);
        assert_eq!(not_a.name(), "NOT a");
        let boxed: Box<dyn Gate> = Box::new(xor::<f32>());
        assert_eq!(boxed.truth_table(), [0, 1, 1, 0]);
        assert_eq!(boxed.name(), "XOR");
    }

    #[test]
    fn a_gate_needs_a_two_input_perceptron() {
        let p = Perceptron::new(ndarray::array![1.0, 1.0, 1.0], 0.0).unwrap();
        let err = PerceptronGate::new("3-input", p).unwrap_err();
        assert!(err.to_string().contains("perceptron with 3 weights"));
    }
}
