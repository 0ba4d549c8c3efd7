//! The book's networks as built-in descriptions.

use std::path::Path;

use crate::{Error, NetworkSpec, Result};

/// A network nn knows by name; its description is a TOML file compiled into
/// nn, which `nn model show NAME` prints for copying and editing.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// The name (`"simple-conv"`).
    pub name: &'static str,
    /// One line on what it is.
    pub about: &'static str,
    /// The description, as a commented TOML file.
    pub toml: &'static str,
}

impl Builtin {
    /// The parsed description.
    pub fn spec(&self) -> NetworkSpec {
        NetworkSpec::from_toml(self.toml, self.name)
            .expect("built-in descriptions parse (tested for every one)")
    }
}

/// Every built-in network, in the order of the book.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "three-layer",
        about: "the notes' chapter-3 network: 784-50-100-10, sigmoid (sample_weight.pkl)",
        toml: include_str!("networks/three-layer.toml"),
    },
    Builtin {
        name: "two-layer",
        about: "TwoLayerNet: 784-50-10, ReLU (chapter 5)",
        toml: include_str!("networks/two-layer.toml"),
    },
    Builtin {
        name: "multi-layer",
        about: "MultiLayerNet: five hidden layers of 100, ReLU, He init (chapter 6)",
        toml: include_str!("networks/multi-layer.toml"),
    },
    Builtin {
        name: "simple-conv",
        about: "SimpleConvNet: conv 30×5×5, pool, affine 100, affine 10 (chapter 7)",
        toml: include_str!("networks/simple-conv.toml"),
    },
    Builtin {
        name: "deep-conv",
        about: "DeepConvNet: six 3×3 convs, three pools, dropout (chapter 8)",
        toml: include_str!("networks/deep-conv.toml"),
    },
];

/// The built-in network called `name`.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// A built-in network's description by name, else the network file at that
/// path (`.toml` or `.json`).
///
/// # Errors
/// [`Error::UnknownNetwork`] when it is neither; the file's own errors.
pub fn resolve(name_or_path: &str) -> Result<NetworkSpec> {
    if let Some(b) = builtin(name_or_path) {
        return Ok(b.spec());
    }
    let path = Path::new(name_or_path);
    if path.is_file() {
        return NetworkSpec::read(path);
    }
    Err(Error::UnknownNetwork {
        name: name_or_path.to_string(),
        known: BUILTINS
            .iter()
            .map(|b| b.name)
            .collect::<Vec<_>>()
            .join(", "),
    })
}
