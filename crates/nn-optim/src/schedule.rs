//! Learning-rate schedules: the rate for each epoch, from the base rate.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// How the learning rate changes from epoch to epoch. `rate(base, epoch)`
/// gives the rate of epoch `epoch` (counted from 1) for a base rate
/// `base`; a trainer sets it on the optimizer
/// ([`Optimizer::set_learning_rate`](crate::Optimizer::set_learning_rate))
/// before each epoch.
///
/// On the command line (`nn train --lr-schedule`), each is written as its
/// name and settings separated by colons: `constant`, `step:10:0.5`,
/// `exponential:0.9`, `cosine:20:0.0`, `warmup:2:cosine:20:0.0`.
///
/// ```
/// use nn_optim::Schedule;
///
/// let step: Schedule = "step:2:0.5".parse()?;
/// let rates: Vec<f64> = (1..=5).map(|e| step.rate(0.1, e)).collect();
/// assert_eq!(rates, [0.1, 0.1, 0.05, 0.05, 0.025]);
/// # Ok::<(), nn_optim::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Schedule {
    /// The base rate throughout.
    #[default]
    Constant,
    /// The base rate times `factor` after every `every` epochs:
    /// base · factor^⌊(epoch − 1)/every⌋.
    Step {
        /// Epochs between two reductions (≥ 1).
        every: usize,
        /// What the rate is multiplied by (> 0).
        factor: f64,
    },
    /// base · γ^(epoch − 1).
    Exponential {
        /// The factor per epoch (> 0).
        gamma: f64,
    },
    /// Cosine annealing from the base rate down to `min` over `epochs`
    /// epochs, then `min`: min + (base − min)·(1 + cos(π·(epoch − 1)/epochs))/2.
    Cosine {
        /// Epochs of the descent (≥ 1).
        epochs: usize,
        /// The final rate (≥ 0).
        min: f64,
    },
    /// A linear warm-up: base · epoch/(epochs + 1) for the first `epochs`
    /// epochs, then `then`, counted from the end of the warm-up (epoch
    /// `epochs` + 1 is `then`'s first).
    Warmup {
        /// Epochs of warm-up (≥ 1).
        epochs: usize,
        /// The schedule after the warm-up.
        then: Box<Schedule>,
    },
}

impl Schedule {
    /// The learning rate of epoch `epoch` (from 1) for the base rate `base`.
    pub fn rate(&self, base: f64, epoch: usize) -> f64 {
        let e = epoch.max(1);
        match self {
            Schedule::Constant => base,
            Schedule::Step { every, factor } => {
                base * factor.powi(i32::try_from((e - 1) / (*every).max(1)).unwrap_or(i32::MAX))
            }
            Schedule::Exponential { gamma } => {
                base * gamma.powi(i32::try_from(e - 1).unwrap_or(i32::MAX))
            }
            Schedule::Cosine { epochs, min } => {
                let t = ((e - 1) as f64 / (*epochs).max(1) as f64).min(1.0);
                min + (base - min) * (1.0 + (std::f64::consts::PI * t).cos()) / 2.0
            }
            Schedule::Warmup { epochs, then } => {
                if e <= *epochs {
                    base * e as f64 / (*epochs + 1) as f64
                } else {
                    then.rate(base, e - epochs)
                }
            }
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the setting and the rule.
    pub fn validate(&self) -> Result<()> {
        let bad = |message: String| {
            Err(Error::InvalidArgument {
                op: "Schedule",
                message,
            })
        };
        match self {
            Schedule::Constant => Ok(()),
            Schedule::Step { every, factor } => {
                if *every == 0 || !(factor.is_finite() && *factor > 0.0) {
                    bad(format!(
                        "step needs every ≥ 1 and factor > 0, got {every} and {factor}"
                    ))
                } else {
                    Ok(())
                }
            }
            Schedule::Exponential { gamma } => {
                if gamma.is_finite() && *gamma > 0.0 {
                    Ok(())
                } else {
                    bad(format!("exponential needs gamma > 0, got {gamma}"))
                }
            }
            Schedule::Cosine { epochs, min } => {
                if *epochs == 0 || !(min.is_finite() && *min >= 0.0) {
                    bad(format!(
                        "cosine needs epochs ≥ 1 and min ≥ 0, got {epochs} and {min}"
                    ))
                } else {
                    Ok(())
                }
            }
            Schedule::Warmup { epochs, then } => {
                if *epochs == 0 {
                    bad("warmup needs epochs ≥ 1, got 0".into())
                } else {
                    then.validate()
                }
            }
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Constant => write!(f, "constant"),
            Schedule::Step { every, factor } => write!(f, "step:{every}:{factor}"),
            Schedule::Exponential { gamma } => write!(f, "exponential:{gamma}"),
            Schedule::Cosine { epochs, min } => write!(f, "cosine:{epochs}:{min}"),
            Schedule::Warmup { epochs, then } => write!(f, "warmup:{epochs}:{then}"),
        }
    }
}

impl FromStr for Schedule {
    type Err = Error;

    /// Reads what [`Display`](fmt::Display) writes.
    fn from_str(s: &str) -> Result<Schedule> {
        let usage = "constant, step:EVERY:FACTOR, exponential:GAMMA, cosine:EPOCHS:MIN \
                     or warmup:EPOCHS:<schedule>";
        let bad = || Error::InvalidArgument {
            op: "--lr-schedule",
            message: format!("`{s}`: expected {usage}"),
        };
        let mut parts = s.splitn(2, ':');
        let name = parts.next().unwrap_or_default();
        let rest = parts.next().unwrap_or_default();
        let fields: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split(':').collect()
        };
        let number = |i: usize| -> Result<f64> {
            fields.get(i).and_then(|f| f.parse().ok()).ok_or_else(bad)
        };
        let count = |i: usize| -> Result<usize> {
            fields.get(i).and_then(|f| f.parse().ok()).ok_or_else(bad)
        };
        let schedule = match (name, fields.len()) {
            ("constant", 0) => Schedule::Constant,
            ("step", 2) => Schedule::Step {
                every: count(0)?,
                factor: number(1)?,
            },
            ("exponential", 1) => Schedule::Exponential { gamma: number(0)? },
            ("cosine", 2) => Schedule::Cosine {
                epochs: count(0)?,
                min: number(1)?,
            },
            ("warmup", n) if n >= 2 => {
                let (epochs, then) = rest.split_once(':').ok_or_else(bad)?;
                Schedule::Warmup {
                    epochs: epochs.parse().map_err(|_| bad())?,
                    then: Box::new(then.parse()?),
                }
            }
            _ => return Err(bad()),
        };
        schedule.validate()?;
        Ok(schedule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_schedule_gives_its_formula() {
        let base = 0.1;
        let exp = Schedule::Exponential { gamma: 0.5 };
        assert_eq!(exp.rate(base, 1), 0.1);
        assert_eq!(exp.rate(base, 3), 0.025);
        let cos = Schedule::Cosine {
            epochs: 4,
            min: 0.0,
        };
        // (1 + cos(π·t))/2 at t = 0, 1/4, 1/2, 3/4, 1 (and after): 1, 0.8536, 0.5, 0.1464, 0.
        let rates: Vec<f64> = (1..=6).map(|e| cos.rate(base, e)).collect();
        let root = std::f64::consts::FRAC_1_SQRT_2;
        let expected = [
            0.1,
            0.05 * (1.0 + root),
            0.05,
            0.05 * (1.0 - root),
            0.0,
            0.0,
        ];
        for (got, want) in rates.iter().zip(expected) {
            assert!((got - want).abs() < 1e-15, "{rates:?}");
        }
        // Warm-up over 3 epochs: 0.4·1/4, 0.4·2/4, 0.4·3/4, then step:1:0.5 from 0.4.
        let warm: Schedule = "warmup:3:step:1:0.5".parse().unwrap();
        let rates: Vec<f64> = (1..=6).map(|e| warm.rate(0.4, e)).collect();
        for (got, want) in rates.iter().zip([0.1, 0.2, 0.3, 0.4, 0.2, 0.1]) {
            assert!((got - want).abs() < 1e-15, "{rates:?}");
        }
    }

    #[test]
    fn text_round_trips_and_bad_settings_are_named() {
        for text in [
            "constant",
            "step:10:0.5",
            "exponential:0.9",
            "cosine:20:0.001",
            "warmup:2:cosine:20:0",
        ] {
            let s: Schedule = text.parse().unwrap();
            assert_eq!(s.to_string().parse::<Schedule>().unwrap(), s, "{text}");
        }
        let e = "step:0:0.5".parse::<Schedule>().unwrap_err().to_string();
        assert!(
            e.contains("step needs every ≥ 1 and factor > 0, got 0 and 0.5"),
            "{e}"
        );
        let e = "linear".parse::<Schedule>().unwrap_err().to_string();
        assert!(
            e.contains("`linear`: expected constant, step:EVERY:FACTOR"),
            "{e}"
        );
    }
}
