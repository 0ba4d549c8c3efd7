//! Prints the truth table of every gate, the adders built from NAND, and what
//! the perceptron learning rule makes of each table.
//!
//! `cargo run -p nn-gates --example truth_tables`

use nn_gates::{
    adder::{FullAdder, HalfAdder, RippleCarryAdder},
    learn, xor, Gate, LearnConfig, PerceptronGate,
};

const INPUTS: [(u8, u8); 4] = [(0, 0), (0, 1), (1, 0), (1, 1)];

fn main() -> Result<(), nn_gates::Error> {
    let gates: Vec<Box<dyn Gate>> = vec![
        Box::new(PerceptronGate::<f64>::and()),
        Box::new(PerceptronGate::<f64>::nand()),
        Box::new(PerceptronGate::<f64>::or()),
        Box::new(PerceptronGate::<f64>::nor()),
        Box::new(xor::<f64>()),
    ];
    print!("x1 x2 |");
    for g in &gates {
        print!(" {:>4}", g.name());
    }
    println!();
    for (row, (a, b)) in INPUTS.iter().enumerate() {
        print!(" {a}  {b} |");
        for g in &gates {
            print!(" {:>4}", g.truth_table()[row]);
        }
        println!();
    }

    println!("\nHalf adder (5 NANDs)      Full adder (9 NANDs)");
    println!(" a b | sum carry          a b c | sum carry");
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
        println!(
            "{left}        {} {} {} |  {}    {}",
            u8::from(a),
            u8::from(b),
            u8::from(c),
            u8::from(fs),
            u8::from(fc)
        );
    }
    let adder = RippleCarryAdder::new(8)?;
    let (sum, carry) = adder.add(173, 94)?;
    println!(
        "\n8-bit ripple-carry adder (72 NANDs): 173 + 94 = {sum} carry {}",
        u8::from(carry)
    );

    println!("\nPerceptron learning rule (η = 0.1, seed 0):");
    let table = INPUTS.map(|(a, b)| [f64::from(a), f64::from(b)]);
    for g in &gates {
        let targets = g.truth_table().map(f64::from);
        match learn(&table, &targets, &LearnConfig::default()) {
            Ok(l) => println!(
                "  {:>4}: learned w = {:.2}, b = {:.2} in {} epochs",
                g.name(),
                l.perceptron.weights(),
                l.perceptron.bias(),
                l.epochs
            ),
            Err(e) => println!("  {:>4}: {e}", g.name()),
        }
    }
    Ok(())
}
