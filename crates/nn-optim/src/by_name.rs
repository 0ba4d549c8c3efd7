//! Choosing an optimizer by name (for command lines and configuration files).

use nn_core::Float;

use crate::{
    AdaGrad, AdaGradConfig, Adam, AdamConfig, Error, Momentum, MomentumConfig, Nesterov, Optimizer,
    Result, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};

/// The names [`by_name`] knows, lowercase.
pub const OPTIMIZER_NAMES: [&str; 6] =
    ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"];

/// The optimizer called `name` (case-insensitive, one of [`OPTIMIZER_NAMES`])
/// with the book's defaults, and learning rate `lr` when given.
///
/// ```
/// let adam = nn_optim::by_name::<f32>("Adam", None)?;
/// assert_eq!((adam.name(), adam.learning_rate()), ("Adam", 0.001));
/// assert!(nn_optim::by_name::<f32>("lion", None).is_err());
/// # Ok::<(), nn_optim::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] for an unknown name or an invalid rate.
pub fn by_name<T: Float>(name: &str, lr: Option<f64>) -> Result<Box<dyn Optimizer<T>>> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "sgd" => Box::new(Sgd::new(SgdConfig {
            lr: lr.unwrap_or(SgdConfig::default().lr),
        })?),
        "momentum" => Box::new(Momentum::new(MomentumConfig {
            lr: lr.unwrap_or(MomentumConfig::default().lr),
            ..MomentumConfig::default()
        })?),
        "nesterov" => Box::new(Nesterov::new(MomentumConfig {
            lr: lr.unwrap_or(MomentumConfig::default().lr),
            ..MomentumConfig::default()
        })?),
        "adagrad" => Box::new(AdaGrad::new(AdaGradConfig {
            lr: lr.unwrap_or(AdaGradConfig::default().lr),
        })?),
        "rmsprop" => Box::new(RmsProp::new(RmsPropConfig {
            lr: lr.unwrap_or(RmsPropConfig::default().lr),
            ..RmsPropConfig::default()
        })?),
        "adam" => Box::new(Adam::new(AdamConfig {
            lr: lr.unwrap_or(AdamConfig::default().lr),
            ..AdamConfig::default()
        })?),
        other => {
            return Err(Error::InvalidArgument {
                op: "by_name",
                message: format!(
                    "unknown optimizer `{other}`; expected one of {}",
                    OPTIMIZER_NAMES.join(", ")
                ),
            })
        }
    })
}
