//! The error type of nn-gates.

use nn_core::Shape;

/// Result alias of nn-gates.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in nn-gates.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from nn-core.
    #[error(transparent)]
    Core(#[from] nn_core::Error),

    /// A perceptron was given an input whose length is not its number of weights.
    #[error("{op}: input of shape {input} does not fit a perceptron with {weights} weights")]
    InputLength {
        /// The operation.
        op: &'static str,
        /// Shape of the input.
        input: Shape,
        /// Number of weights.
        weights: usize,
    },

    /// A perceptron needs at least one weight.
    #[error("Perceptron::new: a perceptron needs at least one weight, got none")]
    NoWeights,

    /// A truth table with no rows.
    #[error("learn: the truth table has no rows")]
    EmptyTable,

    /// Truth-table rows have different numbers of inputs.
    #[error("learn: truth table row {row} has {len} inputs but row 0 has {expected}")]
    RaggedTable {
        /// The first row whose length differs.
        row: usize,
        /// Its length.
        len: usize,
        /// The length of row 0.
        expected: usize,
    },

    /// Not one target per row.
    #[error("learn: {targets} targets for a truth table of {rows} rows")]
    TargetCount {
        /// Number of targets.
        targets: usize,
        /// Number of rows.
        rows: usize,
    },

    /// A target that is not 0 or 1.
    #[error("learn: target of row {row} is {value}; a perceptron's targets must be 0 or 1")]
    BadTarget {
        /// The row.
        row: usize,
        /// The target given.
        value: f64,
    },

    /// An argument out of its domain (a learning rate of 0, an adder of 65 bits...).
    #[error("{op}: {message}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong, with the value.
        message: String,
    },

    /// A truth-table input that is NaN or infinite.
    #[error("learn: truth table row {row} has a non-finite input")]
    NonFiniteInput {
        /// The row.
        row: usize,
    },

    /// The perceptron rule did not converge: no single line (hyperplane)
    /// separates the 1s from the 0s.
    #[error(
        "learn: the truth table is not linearly separable: after {epochs} epochs the perceptron \
         still misclassifies {misclassified} of {rows} rows (a single perceptron draws one straight \
         line; a function like XOR needs two layers)"
    )]
    NotLinearlySeparable {
        /// Epochs run.
        epochs: usize,
        /// Rows still wrong after the last epoch.
        misclassified: usize,
        /// Rows in the table.
        rows: usize,
    },

    /// A circuit that must be built from NAND gates was given another gate.
    #[error("{circuit}: expected a NAND gate, but `{gate}` gives {got:?} on inputs 00, 01, 10, 11 (NAND gives [1, 1, 1, 0])")]
    NotNand {
        /// The circuit being built.
        circuit: &'static str,
        /// The gate's name.
        gate: String,
        /// The gate's outputs on 00, 01, 10, 11.
        got: [u8; 4],
    },
}
