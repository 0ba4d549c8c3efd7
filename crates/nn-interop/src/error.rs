//! The error type of nn-interop.

use std::path::PathBuf;

/// Result alias of nn-interop.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong bringing weights in or sending a network out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file that cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },

    /// Bytes that are not what they claim to be: a pickle with a forbidden
    /// global, an array whose shape does not match its bytes, a truncated
    /// file. `origin` names the file (and the entry of an archive).
    #[error("{origin}: {message}")]
    Format {
        /// The file, or what the bytes came from.
        origin: String,
        /// What is wrong, with the offset, name or shape.
        message: String,
    },

    /// Weights that do not fit the network: every unmatched name and every
    /// shape that differs, listed together.
    #[error("the weights do not fit the network:\n  {}", problems.join("\n  "))]
    Mismatch {
        /// One line per problem.
        problems: Vec<String>,
    },

    /// A network that cannot be exported, with the layer and the reason.
    #[error("cannot export: {0}")]
    Export(String),

    /// An error of the network's description.
    #[error(transparent)]
    Model(#[from] nn_model::Error),

    /// An error of the network itself.
    #[error(transparent)]
    Layers(#[from] nn_layers::Error),
}

impl Error {
    /// An [`Error::Format`] for `origin`.
    pub(crate) fn format(origin: &str, message: impl Into<String>) -> Error {
        Error::Format {
            origin: origin.to_string(),
            message: message.into(),
        }
    }
}
