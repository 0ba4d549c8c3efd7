//! # nn-model
//!
//! Networks as data. A network is described by its input shape, its layers
//! (each a kind and settings, [`nn_layers::LayerSpec`]), its loss and its
//! weight decay: a [`NetworkSpec`], written by people as TOML, carried by
//! checkpoints as JSON, and built into an [`nn_layers::Network`] with fresh
//! weights by [`NetworkSpec::build`]. [`NetworkSpec::describe`] goes the
//! other way, for any network made of registered layers, including one
//! assembled in Rust.
//!
//! - [`layer_kinds`]: the registry, every kind of layer named once.
//! - [`BUILTINS`]: the book's networks (and the notes' chapter-3 network) as
//!   built-in descriptions; [`resolve`] takes a built-in name or a file.
//!
//! TOML is the file format because people write these files and comments
//! help them (the built-ins explain themselves); checkpoints use JSON, which
//! fits in a safetensors header's string metadata without escaping issues.
//!
//! ```
//! use nn_model::builtin;
//!
//! let spec = builtin("simple-conv").unwrap().spec();
//! let mut net = spec.build::<f32>(0)?;
//! let x = ndarray::Array4::<f32>::zeros((2, 1, 28, 28));
//! assert_eq!(net.predict(&x)?.shape(), &[2, 10]);
//! assert_eq!(spec.output_shape()?, Some(vec![10]));
//! # Ok::<(), nn_model::Error>(())
//! ```

mod builtin;
mod error;
mod registry;
mod spec;

pub use builtin::{builtin, resolve, Builtin, BUILTINS};
pub use error::{Error, Result};
pub use registry::{layer_kind, layer_kinds, LayerKind};
pub use spec::{Loss, NetworkPlan, NetworkSpec, MAX_FILE_BYTES};
