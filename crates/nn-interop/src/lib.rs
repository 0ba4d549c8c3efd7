//! # nn-interop
//!
//! Weights in and out of nn.
//!
//! **In**: [`read_weights`] reads named arrays from the files other tools
//! write: Python pickles of NumPy arrays (the book's `sample_weight.pkl`,
//! `params.pkl`, `deep_convnet_params.pkl`), read without executing
//! anything ([`read_pickle`]); `.npy` and `.npz` ([`read_npy`],
//! [`read_npz`]); safetensors, such as a PyTorch `state_dict` saved with
//! `safetensors.torch.save_file` ([`read_safetensors`]). [`fit_network`]
//! puts them onto a network described by a [`nn_model::NetworkSpec`],
//! matching the book's names (`W1`, `b1`), PyTorch's (`0.weight`) or
//! explicit [`Rename`]s, and lists every name and shape that does not fit.
//!
//! **Out**: [`onnx::export`] writes any network of registered layers as an
//! ONNX model that onnxruntime and other tools run.
//!
//! ```
//! use nn_interop::{fit_network, weights_from_bytes};
//!
//! // `np.save("W1.npy", np.array([[2.0]], dtype=np.float32))`, and its bias.
//! let mut npy = b"\x93NUMPY\x01\x00\x76\x00".to_vec();
//! let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }";
//! npy.extend(format!("{header:<117}\n").as_bytes());
//! npy.extend(2.0f32.to_le_bytes());
//! let mut weights = weights_from_bytes(&npy, "W1.npy", "W1")?;
//! weights.push(("b1".into(), nn_interop::Array { shape: vec![1], values: nn_interop::Values::F32(vec![1.0]) }));
//!
//! let spec = nn_model::NetworkSpec::from_toml("input = [1]\n[[layers]]\nkind = \"affine\"\noutputs = 1\n", "doc")?;
//! let mut net = fit_network::<f32>(&spec, &weights, &[])?;
//! assert_eq!(net.predict(&ndarray::array![[3.0f32]])?[[0, 0]], 7.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod array;
mod error;
mod mapping;
mod npy;
pub mod onnx;
mod onnx_proto;
mod pickle;
mod weights;

pub use array::{Array, Values, MAX_VALUES};
pub use error::{Error, Result};
pub use mapping::{fit_network, fit_weights, Rename};
pub use npy::{read_npy, read_npz};
pub use pickle::read_pickle;
pub use weights::{
    read_safetensors, read_weights, weights_from_bytes, WeightsFormat, MAX_FILE_BYTES,
};
