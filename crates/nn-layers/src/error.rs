//! The error type of nn-layers.

use nn_core::Shape;

/// Result alias of nn-layers.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in nn-layers. Messages name the layer, the
/// pass and the shapes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from nn-core (losses, softmax, initialisers).
    #[error(transparent)]
    Core(#[from] nn_core::Error),

    /// A layer was given an input it cannot take.
    #[error("{layer}.forward: input of shape {got} does not fit: {expected}")]
    BadInput {
        /// The layer type, e.g. `"Affine"`.
        layer: &'static str,
        /// The shape given.
        got: Shape,
        /// What the layer expects, in words, with its own shapes.
        expected: String,
    },

    /// `backward` was given a gradient whose shape is not the forward output's.
    #[error("{layer}.backward: gradient of shape {got} does not match the forward output of shape {expected}")]
    BadGradient {
        /// The layer type.
        layer: &'static str,
        /// The gradient's shape.
        got: Shape,
        /// The forward output's shape.
        expected: Shape,
    },

    /// `backward` was called with no training-mode forward pass to go back through.
    #[error("{layer}.backward: called before forward(.., Mode::Train); there is nothing to differentiate")]
    NoForward {
        /// The layer type.
        layer: &'static str,
    },

    /// An error inside a named layer of a [`crate::Sequential`].
    #[error("layer `{name}`: {source}")]
    InLayer {
        /// The layer's name, e.g. `affine2`.
        name: String,
        /// What went wrong there.
        source: Box<Error>,
    },

    /// A layer or network description that does not hold together: a size
    /// that does not fit the layer before, an input of the wrong rank.
    #[error("{0}")]
    Description(String),

    /// A layer's setting that is missing, unknown, of the wrong type or out
    /// of its domain, named: `outputs: invalid type: string "ten", expected usize`.
    #[error("{0}")]
    Setting(String),

    /// Parameters set by name that do not fit the network: every missing,
    /// extra and mis-shaped name.
    #[error("the parameters do not fit the network: {}", .0.join("; "))]
    State(Vec<String>),

    /// An argument out of its domain (a dropout ratio of 1, a duplicate layer name...).
    #[error("{op}: {message}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong, with the value.
        message: String,
    },
}

impl Error {
    /// Wraps the error with the name of the layer it happened in.
    pub fn in_layer(self, name: &str) -> Error {
        Error::InLayer {
            name: name.to_string(),
            source: Box::new(self),
        }
    }

    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(op: &'static str, message: impl Into<String>) -> Error {
        Error::InvalidArgument {
            op,
            message: message.into(),
        }
    }
}

/// `dout` must have the shape of the forward output `out`.
pub(crate) fn check_shape(layer: &'static str, out: &[usize], dout: &[usize]) -> Result<()> {
    if out == dout {
        Ok(())
    } else {
        Err(Error::BadGradient {
            layer,
            got: Shape::from(dout),
            expected: Shape::from(out),
        })
    }
}
