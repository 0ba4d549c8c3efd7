//! The error type of nn-model.

use std::path::PathBuf;

/// Result alias of nn-model.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong reading, checking and building a network description.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A layer that cannot be built: unknown kind, bad settings, or a shape
    /// that does not fit the layer before it.
    #[error("layer {index} ({name}): {message}")]
    Layer {
        /// 1-based position in the network's `layers`.
        index: usize,
        /// The layer's name (`affine2`) or, before it has one, its kind.
        name: String,
        /// What is wrong, with the shapes.
        message: String,
    },

    /// A network description that is not valid TOML or JSON, or whose
    /// top-level fields are wrong.
    #[error("{origin}: {message}")]
    Parse {
        /// The file, or what the text came from.
        origin: String,
        /// The parser's message, with the line and field.
        message: String,
    },

    /// A file that cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },

    /// A name that is neither a built-in network nor a file.
    #[error("unknown network `{name}`: not a built-in ({known}) and no file of that name")]
    UnknownNetwork {
        /// The name given.
        name: String,
        /// The built-in names.
        known: String,
    },

    /// An error of the network as a whole (weight decay out of range).
    #[error(transparent)]
    Layers(#[from] nn_layers::Error),
}
