//! The error type of nn-train.

use std::path::PathBuf;

/// Result alias of nn-train.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in nn-train.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// From nn-core: shapes, labels, hyper-parameters.
    #[error(transparent)]
    Core(#[from] nn_core::Error),

    /// An error of a layer or network.
    #[error(transparent)]
    Layers(#[from] nn_layers::Error),

    /// From an optimizer.
    #[error(transparent)]
    Optim(#[from] nn_optim::Error),

    /// From a dataset.
    #[error(transparent)]
    Data(#[from] nn_data::Error),

    /// A network description's error (a network file, a checkpoint's).
    #[error(transparent)]
    Model(#[from] nn_model::Error),

    /// Weights from another tool, or an export.
    #[error(transparent)]
    Interop(#[from] nn_interop::Error),

    /// An error in a network file, naming it.
    #[error("{origin}: {source}")]
    InFile {
        /// The network file.
        origin: String,
        /// What is wrong in it.
        source: Box<Error>,
    },

    /// A picture that cannot be read or written.
    #[error("{}: {message}", path.display())]
    Picture {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// A run folder that cannot be created or written.
    #[error("run folder {}: {message}", path.display())]
    Run {
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },

    /// The loss stopped being a finite number.
    #[error(
        "training diverged: the loss is {loss} at iteration {iteration} (epoch {epoch}); try a smaller learning rate"
    )]
    Diverged {
        /// Iteration (mini-batch) count from 1.
        iteration: usize,
        /// Epoch from 1.
        epoch: usize,
        /// The loss (NaN or infinite).
        loss: f64,
    },

    /// Parameters that are NaN or infinite after training, though every
    /// loss was finite (the last step can overflow them).
    #[error(
        "training diverged: `{name}` holds NaN or infinite values after iteration {iteration}; try a smaller learning rate"
    )]
    NonFinite {
        /// The first parameter with a non-finite value.
        name: String,
        /// Iterations run.
        iteration: usize,
    },

    /// A checkpoint that cannot be read, or that does not fit the network.
    #[error("{}: {problem}", path.display())]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },

    /// A file that cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// A plot that could not be drawn.
    #[error("{}: could not draw the plot: {message}", path.display())]
    Plot {
        /// The output file.
        path: PathBuf,
        /// The drawing library's message.
        message: String,
    },

    /// An argument out of its domain.
    #[error("{op}: {message}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong, with the value.
        message: String,
    },
}

impl Error {
    /// Shorthand for [`Error::Checkpoint`].
    pub fn checkpoint(path: impl Into<PathBuf>, problem: impl Into<String>) -> Error {
        Error::Checkpoint {
            path: path.into(),
            problem: problem.into(),
        }
    }
}
