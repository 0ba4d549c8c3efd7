//! Adders built only from NAND gates, to show that NAND is universal: with
//! enough NANDs (and a perceptron is enough to make one) any Boolean
//! function, here binary addition, can be computed.

use crate::{Error, Gate, PerceptronGate, Result};

/// Checks that `gate` computes NAND before a circuit relies on it.
fn require_nand<G: Gate>(circuit: &'static str, gate: G) -> Result<G> {
    let got = gate.truth_table();
    if got == [1, 1, 1, 0] {
        Ok(gate)
    } else {
        Err(Error::NotNand {
            circuit,
            gate: gate.name().to_string(),
            got,
        })
    }
}

/// A half adder from five NANDs: sum = a ⊕ b, carry = a ∧ b.
///
/// With n = NAND(a, b): sum = NAND(NAND(a, n), NAND(b, n)), carry = NAND(n, n).
///
/// ```
/// use nn_gates::adder::HalfAdder;
///
/// let half = HalfAdder::default();
/// assert_eq!(half.add(true, true), (false, true)); // 1 + 1 = 10₂
/// ```
#[derive(Debug, Clone)]
pub struct HalfAdder<G: Gate = PerceptronGate> {
    nand: G,
}

impl<G: Gate> HalfAdder<G> {
    /// A half adder whose every gate is `nand`.
    ///
    /// # Errors
    /// [`Error::NotNand`] when `nand` does not compute NAND.
    pub fn new(nand: G) -> Result<Self> {
        Ok(HalfAdder {
            nand: require_nand("HalfAdder", nand)?,
        })
    }

    /// (sum, carry) of a + b.
    pub fn add(&self, a: bool, b: bool) -> (bool, bool) {
        let nand = |x, y| self.nand.eval(x, y);
        let n = nand(a, b);
        (nand(nand(a, n), nand(b, n)), nand(n, n))
    }
}

impl Default for HalfAdder {
    /// Built from the notes' perceptron NAND.
    fn default() -> Self {
        HalfAdder {
            nand: PerceptronGate::nand(),
        }
    }
}

/// A full adder from nine NANDs: sum = a ⊕ b ⊕ c, carry = ab ∨ c(a ⊕ b).
///
/// ```
/// use nn_gates::adder::FullAdder;
///
/// let full = FullAdder::default();
/// assert_eq!(full.add(true, true, true), (true, true)); // 1 + 1 + 1 = 11₂
/// ```
#[derive(Debug, Clone)]
pub struct FullAdder<G: Gate = PerceptronGate> {
    nand: G,
}

impl<G: Gate> FullAdder<G> {
    /// A full adder whose every gate is `nand`.
    ///
    /// # Errors
    /// [`Error::NotNand`] when `nand` does not compute NAND.
    pub fn new(nand: G) -> Result<Self> {
        Ok(FullAdder {
            nand: require_nand("FullAdder", nand)?,
        })
    }

    /// (sum, carry out) of a + b + carry in.
    pub fn add(&self, a: bool, b: bool, carry_in: bool) -> (bool, bool) {
        let nand = |x, y| self.nand.eval(x, y);
        let n1 = nand(a, b);
        let a_xor_b = nand(nand(a, n1), nand(b, n1));
        let n4 = nand(a_xor_b, carry_in);
        let sum = nand(nand(a_xor_b, n4), nand(carry_in, n4));
        // NAND(n4, n1) = ¬n4 ∨ ¬n1 = (a ⊕ b)·c ∨ a·b.
        (sum, nand(n4, n1))
    }
}

impl Default for FullAdder {
    /// Built from the notes' perceptron NAND.
    fn default() -> Self {
        FullAdder {
            nand: PerceptronGate::nand(),
        }
    }
}

/// An n-bit ripple-carry adder: n full adders, each one's carry out feeding the
/// next one's carry in, least significant bit first.
///
/// ```
/// use nn_gates::adder::RippleCarryAdder;
///
/// let adder = RippleCarryAdder::new(8)?;
/// assert_eq!(adder.add(200, 100)?, (44, true)); // 300 = 256 + 44
/// # Ok::<(), nn_gates::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RippleCarryAdder<G: Gate = PerceptronGate> {
    full: FullAdder<G>,
    bits: u32,
}

impl RippleCarryAdder {
    /// An adder of `bits`-bit numbers (1 to 64) from the notes' perceptron NAND.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `bits` is 0 or more than 64.
    pub fn new(bits: u32) -> Result<Self> {
        Self::with_nand(bits, PerceptronGate::nand())
    }
}

impl<G: Gate> RippleCarryAdder<G> {
    /// An adder of `bits`-bit numbers whose every gate is `nand`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `bits` is 0 or more than 64;
    /// [`Error::NotNand`] when `nand` does not compute NAND.
    pub fn with_nand(bits: u32, nand: G) -> Result<Self> {
        if !(1..=64).contains(&bits) {
            return Err(Error::InvalidArgument {
                op: "RippleCarryAdder::new",
                message: format!("width must be 1 to 64 bits, got {bits}"),
            });
        }
        Ok(RippleCarryAdder {
            full: FullAdder::new(nand)?,
            bits,
        })
    }

    /// The width in bits.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// (a + b mod 2ⁿ, carry out): the n-bit sum and whether it overflowed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `a` or `b` does not fit in n bits.
    pub fn add(&self, a: u64, b: u64) -> Result<(u64, bool)> {
        let limit = if self.bits == 64 {
            u64::MAX
        } else {
            (1 << self.bits) - 1
        };
        if let Some(v) = [a, b].into_iter().find(|&v| v > limit) {
            return Err(Error::InvalidArgument {
                op: "RippleCarryAdder::add",
                message: format!("{v} does not fit in {} bits", self.bits),
            });
        }
        let mut sum = 0;
        let mut carry = false;
        for i in 0..self.bits {
            let (s, c) = self.full.add((a >> i) & 1 == 1, (b >> i) & 1 == 1, carry);
            sum |= u64::from(s) << i;
            carry = c;
        }
        Ok((sum, carry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_adder_truth_table() {
        let h = HalfAdder::default();
        assert_eq!(h.add(false, false), (false, false));
        assert_eq!(h.add(false, true), (true, false));
        assert_eq!(h.add(true, false), (true, false));
        assert_eq!(h.add(true, true), (false, true));
    }

    #[test]
    fn full_adder_truth_table() {
        let f = FullAdder::default();
        for bits in 0..8u8 {
            let (a, b, c) = (bits & 4 != 0, bits & 2 != 0, bits & 1 != 0);
            let total = u8::from(a) + u8::from(b) + u8::from(c);
            assert_eq!(f.add(a, b, c), (total & 1 == 1, total >= 2), "{a} {b} {c}");
        }
    }

    #[test]
    fn every_pair_of_u8_adds_correctly() {
        let adder = RippleCarryAdder::new(8).unwrap();
        for a in 0..=255u64 {
            for b in 0..=255u64 {
                let (sum, carry) = adder.add(a, b).unwrap();
                assert_eq!(sum + (u64::from(carry) << 8), a + b, "{a} + {b}");
            }
        }
    }

    #[test]
    fn wide_adders_and_bad_widths() {
        let adder = RippleCarryAdder::new(64).unwrap();
        assert_eq!(adder.add(u64::MAX, 1).unwrap(), (0, true));
        assert_eq!(
            adder.add(1 << 40, 12345).unwrap(),
            ((1 << 40) + 12345, false)
        );
        assert!(RippleCarryAdder::new(0).is_err());
        assert!(RippleCarryAdder::new(65).is_err());
        let err = RippleCarryAdder::new(4).unwrap().add(16, 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "RippleCarryAdder::add: 16 does not fit in 4 bits"
        );
    }

    #[test]
    fn only_nand_will_do() {
        let err = HalfAdder::new(PerceptronGate::<f64>::and()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "HalfAdder: expected a NAND gate, but `AND` gives [0, 0, 0, 1] on inputs 00, 01, 10, 11 (NAND gives [1, 1, 1, 0])"
        );
        assert!(FullAdder::new(crate::xor::<f32>()).is_err());
        // A NAND made of other gates is still a NAND: NOT(AND) via composition.
        let nand = crate::TwoLayer::new(
            "NAND of AND",
            PerceptronGate::<f32>::and(),
            PerceptronGate::<f32>::and(),
            PerceptronGate::<f32>::nand(),
        );
        let adder = RippleCarryAdder::with_nand(4, nand).unwrap();
        assert_eq!(adder.add(9, 9).unwrap(), (2, true));
    }
}
