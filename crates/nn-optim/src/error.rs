//! The error type of nn-optim.

use nn_core::Shape;

/// Result alias of nn-optim.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in nn-optim.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A gradient whose shape is not its parameter's.
    #[error(
        "{optimizer}: gradient of `{name}` has shape {grad} but the parameter has shape {param}"
    )]
    GradShape {
        /// The optimizer.
        optimizer: &'static str,
        /// The parameter.
        name: String,
        /// The parameter's shape.
        param: Shape,
        /// The gradient's shape.
        grad: Shape,
    },

    /// Saved or accumulated state whose shape is not the parameter's (the
    /// parameter changed shape, or state from another model was loaded).
    #[error("{optimizer}: state `{slot}` of `{name}` has shape {state} but the parameter has shape {param}")]
    StateShape {
        /// The optimizer.
        optimizer: &'static str,
        /// The state slot, e.g. `"m"`.
        slot: &'static str,
        /// The parameter.
        name: String,
        /// The state's shape.
        state: Shape,
        /// The parameter's shape.
        param: Shape,
    },

    /// A state entry this optimizer does not have.
    #[error("{optimizer}: unknown state entry `{entry}` (expected `slot.parameter` with slot one of {slots:?})")]
    UnknownState {
        /// The optimizer.
        optimizer: &'static str,
        /// The entry's name.
        entry: String,
        /// The slots this optimizer keeps.
        slots: &'static [&'static str],
    },

    /// A hyper-parameter out of its domain, or an unknown optimizer name.
    #[error("{op}: {message}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong, with the value.
        message: String,
    },
}

/// `value` must be finite and > 0.
pub(crate) fn positive(op: &'static str, what: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidArgument {
            op,
            message: format!("{what} must be > 0, got {value}"),
        })
    }
}

/// `value` must lie in [0, 1).
pub(crate) fn unit(op: &'static str, what: &str, value: f64) -> Result<()> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(Error::InvalidArgument {
            op,
            message: format!("{what} must be in [0, 1), got {value}"),
        })
    }
}
