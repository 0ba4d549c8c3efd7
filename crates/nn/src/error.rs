//! The one error type of the facade.

/// Result alias of the facade: `nn::Result<T>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any error of any nn crate: each converts with `?`, and the message is
/// the crate's own (shapes, file, layer).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// nn-core: shapes, labels, hyper-parameters.
    #[error(transparent)]
    Core(#[from] nn_core::Error),
    /// nn-gates.
    #[error(transparent)]
    Gates(#[from] nn_gates::Error),
    /// nn-layers and nn-conv: layers and networks.
    #[error(transparent)]
    Layers(#[from] nn_layers::Error),
    /// nn-optim.
    #[error(transparent)]
    Optim(#[from] nn_optim::Error),
    /// nn-model: network descriptions.
    #[error(transparent)]
    Model(#[from] nn_model::Error),
    /// nn-data: datasets and downloads.
    #[error(transparent)]
    Data(#[from] nn_data::Error),
    /// nn-train: training and checkpoints.
    #[error(transparent)]
    Train(#[from] nn_train::Error),
    /// nn-interop: weights from other tools, ONNX.
    #[error(transparent)]
    Interop(#[from] nn_interop::Error),
    /// Reading or writing a file of your own.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
