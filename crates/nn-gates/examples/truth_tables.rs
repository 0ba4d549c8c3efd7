//! Prints the truth table of every gate, the adders built from NAND, and what
//! the perceptron learning rule makes of each table (`nn_gates::report`).
//!
//! `cargo run -p nn-gates --example truth_tables`

fn main() {
    print!("{}", nn_gates::report());
}
