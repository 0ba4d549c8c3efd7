//! The perceptron learning rule (Rosenblatt): learn a gate from its truth table.

use ndarray::{aview1, Array1};
use nn_core::{
    rng::{seeded, shuffle, uniform01},
    Float,
};

use crate::{Error, Perceptron, Result};

/// Settings of [`learn`].
#[derive(Debug, Clone, PartialEq)]
pub struct LearnConfig {
    /// η in w ← w + η(t − y)x. Default 0.1.
    pub learning_rate: f64,
    /// Epochs (passes over the table) before giving up. Default 100.
    pub max_epochs: usize,
    /// Seeds the initial weights and the order of rows in each epoch. Default 0.
    pub seed: u64,
}

impl Default for LearnConfig {
    fn default() -> Self {
        LearnConfig {
            learning_rate: 0.1,
            max_epochs: 100,
            seed: 0,
        }
    }
}

/// A perceptron that reproduces its truth table, and how long it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Learned<T: Float> {
    /// The learned perceptron.
    pub perceptron: Perceptron<T>,
    /// Epochs run, the last of which made no mistake.
    pub epochs: usize,
    /// Weight updates made (one per mistake).
    pub updates: usize,
}

/// Learns a perceptron from a truth table with the perceptron rule.
///
/// Weights and bias start uniform in [−0.5, 0.5) (seeded). Each epoch visits
/// the rows in a seeded random order; for each row with output y and target t:
///
/// w ← w + η(t − y)·x,  b ← b + η(t − y)
///
/// (nothing changes when y = t). Learning stops after the first epoch without a
/// mistake, when the perceptron reproduces the whole table.
///
/// By the perceptron convergence theorem, if some line (hyperplane) separates
/// the 1-rows from the 0-rows the rule makes at most (R/γ)² mistakes (R the
/// largest input norm, γ the separation margin), so it converges in a few
/// epochs on truth tables; if none does, it never converges. Not converging
/// within `max_epochs` is therefore reported as "not linearly separable".
///
/// # Errors
/// [`Error::EmptyTable`], [`Error::RaggedTable`] (rows of different lengths),
/// [`Error::TargetCount`], [`Error::BadTarget`] (targets other than 0/1),
/// [`Error::NonFiniteInput`], [`Error::InvalidArgument`] (η ≤ 0 or no epochs),
/// and [`Error::NotLinearlySeparable`] when `max_epochs` pass with mistakes.
///
/// # Example
/// ```
/// use nn_gates::{learn, LearnConfig};
///
/// let table = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
/// let or = learn(&table, &[0.0, 1.0, 1.0, 1.0], &LearnConfig::default())?;
/// assert_eq!(or.perceptron.output(&ndarray::array![0.0, 1.0])?, 1.0);
///
/// let xor = learn(&table, &[0.0, 1.0, 1.0, 0.0], &LearnConfig::default());
/// assert!(xor.unwrap_err().to_string().contains("not linearly separable"));
/// # Ok::<(), nn_gates::Error>(())
/// ```
pub fn learn<T, R>(inputs: &[R], targets: &[T], config: &LearnConfig) -> Result<Learned<T>>
where
    T: Float,
    R: AsRef<[T]>,
{
    let rows = validate(inputs, targets, config)?;
    let n = rows[0].len();
    let mut rng = seeded(config.seed);
    let mut init = || T::cast(uniform01(&mut rng) - 0.5);
    let weights = Array1::from_shape_fn(n, |_| init());
    let bias = init();
    let mut perceptron = Perceptron::new(weights, bias)?;
    let eta = T::cast(config.learning_rate);

    let mut order: Vec<usize> = (0..rows.len()).collect();
    let mut updates = 0;
    for epoch in 1..=config.max_epochs {
        shuffle(&mut rng, &mut order);
        let mut mistakes = 0;
        for &i in &order {
            let x = aview1(rows[i]);
            let error = targets[i] - perceptron.output(&x)?;
            if error != T::zero() {
                mistakes += 1;
                let (w, b) = perceptron.parts_mut();
                w.scaled_add(eta * error, &x);
                *b += eta * error;
            }
        }
        updates += mistakes;
        if mistakes == 0 {
            return Ok(Learned {
                perceptron,
                epochs: epoch,
                updates,
            });
        }
    }
    let mut misclassified = 0;
    for (x, &t) in rows.iter().zip(targets) {
        if perceptron.output(&aview1(x))? != t {
            misclassified += 1;
        }
    }
    Err(Error::NotLinearlySeparable {
        epochs: config.max_epochs,
        misclassified,
        rows: rows.len(),
    })
}

/// Checks the table and the config; returns the rows as slices.
fn validate<'a, T: Float, R: AsRef<[T]>>(
    inputs: &'a [R],
    targets: &[T],
    config: &LearnConfig,
) -> Result<Vec<&'a [T]>> {
    if !(config.learning_rate.is_finite() && config.learning_rate > 0.0) {
        return Err(Error::InvalidArgument {
            op: "learn",
            message: format!("learning rate must be > 0, got {}", config.learning_rate),
        });
    }
    if config.max_epochs == 0 {
        return Err(Error::InvalidArgument {
            op: "learn",
            message: "max_epochs must be at least 1".into(),
        });
    }
    let rows: Vec<&[T]> = inputs.iter().map(AsRef::as_ref).collect();
    let expected = rows.first().ok_or(Error::EmptyTable)?.len();
    if expected == 0 {
        return Err(Error::NoWeights);
    }
    if let Some((row, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != expected) {
        return Err(Error::RaggedTable {
            row,
            len: r.len(),
            expected,
        });
    }
    if let Some(row) = rows.iter().position(|r| r.iter().any(|v| !v.is_finite())) {
        return Err(Error::NonFiniteInput { row });
    }
    if targets.len() != rows.len() {
        return Err(Error::TargetCount {
            targets: targets.len(),
            rows: rows.len(),
        });
    }
    if let Some(row) = targets
        .iter()
        .position(|&t| t != T::zero() && t != T::one())
    {
        return Err(Error::BadTarget {
            row,
            value: targets[row].as_f64(),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: [[f64; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];

    #[test]
    fn learns_the_linearly_separable_gates_exactly() {
        for (name, targets) in [
            ("AND", [0.0, 0.0, 0.0, 1.0]),
            ("OR", [0.0, 1.0, 1.0, 1.0]),
            ("NAND", [1.0, 1.0, 1.0, 0.0]),
            ("NOR", [1.0, 0.0, 0.0, 0.0]),
        ] {
            for seed in 0..20 {
                let config = LearnConfig {
                    seed,
                    ..LearnConfig::default()
                };
                let learned = learn(&TABLE, &targets, &config)
                    .unwrap_or_else(|e| panic!("{name}, seed {seed}: {e}"));
                for (x, t) in TABLE.iter().zip(targets) {
                    assert_eq!(learned.perceptron.output(&aview1(x)).unwrap(), t, "{name}");
                }
                assert!(
                    learned.epochs < config.max_epochs,
                    "{name}: {}",
                    learned.epochs
                );
            }
        }
    }

    #[test]
    fn three_input_majority_is_learned_in_f32() {
        let rows: Vec<[f32; 3]> = (0..8u8)
            .map(|b| [f32::from(b >> 2), f32::from((b >> 1) & 1), f32::from(b & 1)])
            .collect();
        let targets: Vec<f32> = rows
            .iter()
            .map(|r| {
                if r.iter().sum::<f32>() >= 2.0 {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let learned = learn(&rows, &targets, &LearnConfig::default()).unwrap();
        for (x, &t) in rows.iter().zip(&targets) {
            assert_eq!(learned.perceptron.output(&aview1(x)).unwrap(), t);
        }
    }

    #[test]
    fn xor_and_xnor_stop_with_not_separable() {
        for targets in [[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]] {
            let config = LearnConfig {
                max_epochs: 50,
                ..LearnConfig::default()
            };
            let err = learn(&TABLE, &targets, &config).unwrap_err();
            let Error::NotLinearlySeparable {
                epochs,
                misclassified,
                rows,
            } = err
            else {
                panic!("unexpected {err}")
            };
            // A line can get at most 3 of XOR's 4 rows right.
            assert_eq!((epochs, rows), (50, 4));
            assert!(misclassified >= 1);
        }
    }

    #[test]
    fn same_seed_same_perceptron() {
        let targets = [0.0, 0.0, 0.0, 1.0];
        let a = learn(&TABLE, &targets, &LearnConfig::default()).unwrap();
        let b = learn(&TABLE, &targets, &LearnConfig::default()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_tables_are_errors() {
        let c = LearnConfig::default();
        let ragged: Vec<Vec<f64>> = vec![vec![0.0, 0.0], vec![0.0, 1.0, 1.0]];
        assert_eq!(
            learn(&ragged, &[0.0, 1.0], &c).unwrap_err().to_string(),
            "learn: truth table row 1 has 3 inputs but row 0 has 2"
        );
        assert_eq!(
            learn(&TABLE, &[0.0, 0.5, 0.0, 1.0], &c)
                .unwrap_err()
                .to_string(),
            "learn: target of row 1 is 0.5; a perceptron's targets must be 0 or 1"
        );
        assert_eq!(
            learn(&TABLE, &[0.0, 1.0], &c).unwrap_err().to_string(),
            "learn: 2 targets for a truth table of 4 rows"
        );
        let empty: [[f64; 2]; 0] = [];
        assert_eq!(learn(&empty, &[], &c).unwrap_err(), Error::EmptyTable);
        assert_eq!(
            learn(&[[f64::NAN, 0.0]], &[1.0], &c).unwrap_err(),
            Error::NonFiniteInput { row: 0 }
        );
        let bad = LearnConfig {
            learning_rate: 0.0,
            ..c.clone()
        };
        assert!(learn(&TABLE, &[0.0, 0.0, 0.0, 1.0], &bad).is_err());
        let bad = LearnConfig { max_epochs: 0, ..c };
        assert!(learn(&TABLE, &[0.0, 0.0, 0.0, 1.0], &bad).is_err());
    }
}
