//! # nn-data
//!
//! Datasets for nn, in the shapes of the book's `load_mnist`:
//!
//! - [`mnist`] and [`fashion_mnist`] from their IDX files (gzipped or not),
//!   validated on reading: a truncated, corrupt or mismatched file is an
//!   error naming the file and the problem, never a short dataset;
//! - [`download`] fetches them from a list of mirrors, verified by SHA-256;
//! - [`digits`]: a built-in synthetic digit set that needs no download, and
//!   [`spiral`], a 2-D toy set;
//! - [`MiniBatches`]: seeded mini-batches, shuffled or drawn with
//!   replacement ([`Sampling`]).
//!
//! ```
//! use nn_data::{digits, DigitsConfig, LoadOptions, MiniBatches};
//!
//! let data = digits::<f32>(&DigitsConfig { train: 300, test: 50, seed: 0 }, &LoadOptions::default());
//! for batch in MiniBatches::new(data.train.len(), 100, 42, 0) {
//!     let b = data.train.gather(&batch)?;
//!     assert_eq!(b.images.shape(), &[100, 784]);
//! }
//! # Ok::<(), nn_data::Error>(())
//! ```

pub mod idx;

mod batches;
mod data_dir;
mod dataset;
mod digits;
mod download;
mod error;
mod mnist;
pub mod prepare;
mod spiral;

pub use batches::{MiniBatches, Sampling};
pub use data_dir::{data_dir, DATA_DIR_VAR};
pub use dataset::{one_hot, Dataset, LoadOptions, Split};
pub use digits::{digits, DigitsConfig};
pub use download::{
    download, download_files, sha256_hex, write_atomically, Mirror, Remote, RemoteFile, Report,
    Timeouts, HTTPS,
};
pub use error::{Error, Result};
pub use mnist::{fashion_mnist, locate, mnist, FASHION_MNIST_CLASSES, FILES};
pub use spiral::spiral;
