//! Truth tables of every gate, the NAND adders, and the learning rule at work.

use std::fmt::Write;

use crate::{
    adder::{FullAdder, HalfAdder, RippleCarryAdder},
    learn, xor, Gate, LearnConfig, PerceptronGate,
};

const INPUTS: [(u8, u8); 4] = [(0, 0), (0, 1), (1, 0), (1, 1)];

/// A printable report: the truth table of AND, NAND, OR, NOR and XOR; the
/// half and full adders built from NAND; an 8-bit addition; and what the
/// perceptron learning rule makes of each table (XOR: not separable).
/// `cargo run -p nn-gates --example truth_tables` and `nn gates` print it.
///
/// ```
/// let text = nn_gates::report();
/// assert!(text.contains(" 1  1 |    1    0    1    0    0"));
/// assert!(text.contains("not linearly separable"));
/// ```
pub fn report() -> String {
    let mut out = String::new();
    let gates: Vec<Box<dyn Gate>> = vec![
        Box::new(PerceptronGate::<f64>::and()),
        Box::new(PerceptronGate::<f64>::nand()),
        Box::new(PerceptronGate::<f64>::or()),
        Box::new(PerceptronGate::<f64>::nor()),
        Box::new(xor::<f64>()),
    ];
    write!(out, "x1 x2 |").expect("writing to a String cannot fail");
    for g in &gates {
        write!(out, " {:>4}", g.name()).expect("writing to a String cannot fail");
    }
    writeln!(out).expect("writing to a String cannot fail");
    for (row, (a, b)) in INPUTS.iter().enumerate() {
        write!(out, " {a}  {b} |").expect("writing to a String cannot fail");
        for g in &gates {
            write!(out, " {:>4}", g.truth_table()[row]).expect("writing to a String cannot fail");
        }
        writeln!(out).expect("writing to a String cannot fail");
    }

    writeln!(out, "\nHalf adder (5 NANDs)      Full adder (9 NANDs)")
        .expect("writing to a String cannot fail");
    writeln!(out, " a b | sum carry          a b c | sum carry")
        .expect("writing to a String cannot fail");
    let (half, full) = (HalfAdder::default(), FullAdder::default());
    for bits in 0..8u8 {
        let (a, b, c) = (bits & 4 != 0, bits & 2 != 0, bits & 1 != 0);
        let (fs, fc) = full.add(a, b, c);
        let left = if bits < 4 {
            let (x, y) = (bits & 2 != 0, bits & 1 != 0);
            let (s, k) = half.add(x, y);
            format!(
                " {} {} |  {}    {}  ",
                u8::from(x),
                u8::from(y),
                u8::from(s),
                u8::from(k)
            )
        } else {
            " ".repeat(16)
        };
        writeln!(
            out,
            "{left}        {} {} {} |  {}    {}",
            u8::from(a),
            u8::from(b),
            u8::from(c),
            u8::from(fs),
            u8::from(fc)
        )
        .expect("writing to a String cannot fail");
    }
    let adder = RippleCarryAdder::new(8).expect("8 bits is a valid width");
    let (sum, carry) = adder.add(173, 94).expect("both fit in 8 bits");
    writeln!(
        out,
        "\n8-bit ripple-carry adder (72 NANDs): 173 + 94 = {sum} carry {}",
        u8::from(carry)
    )
    .expect("writing to a String cannot fail");

    writeln!(out, "\nPerceptron learning rule (η = 0.1, seed 0):")
        .expect("writing to a String cannot fail");
    let table = INPUTS.map(|(a, b)| [f64::from(a), f64::from(b)]);
    for g in &gates {
        let targets = g.truth_table().map(f64::from);
        let line = match learn(&table, &targets, &LearnConfig::default()) {
            Ok(l) => format!(
                "  {:>4}: learned w = {:.2}, b = {:.2} in {} epochs",
                g.name(),
                l.perceptron.weights(),
                l.perceptron.bias(),
                l.epochs
            ),
            Err(e) => format!("  {:>4}: {e}", g.name()),
        };
        writeln!(out, "{line}").expect("writing to a String cannot fail");
    }
    out
}
