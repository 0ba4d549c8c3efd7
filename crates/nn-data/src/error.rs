//! The error type of nn-data.

use std::path::PathBuf;

/// Result alias of nn-data.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in nn-data. Messages name the file and say
/// what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// A file is not a valid IDX file, or not the one expected.
    #[error("{}: {problem}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the numbers.
        problem: String,
    },

    /// The images and labels of a split do not go together.
    #[error("{} has {images} images but {} has {labels} labels", images_path.display(), labels_path.display())]
    Mismatch {
        /// The images file.
        images_path: PathBuf,
        /// Images it holds.
        images: usize,
        /// The labels file.
        labels_path: PathBuf,
        /// Labels it holds.
        labels: usize,
    },

    /// A dataset file is missing.
    #[error(
        "{} not found (nor its .gz); set NN_DATA_DIR to the folder holding `{dataset}/`, or run `nn data download {dataset}`",
        path.display()
    )]
    Missing {
        /// The file expected, without `.gz`.
        path: PathBuf,
        /// The dataset's folder name.
        dataset: String,
    },

    /// Every mirror failed for a file.
    #[error(
        "could not download {file} from any mirror:\n{}\nDownload the files by hand into {} (each decompressed file's SHA-256 must be the one shown):\n{}",
        attempts.iter().map(|(m, why)| format!("  {m}: {why}")).collect::<Vec<_>>().join("\n"),
        folder.display(),
        files.iter().map(|(name, sha)| format!("  {name}  {sha}")).collect::<Vec<_>>().join("\n")
    )]
    Download {
        /// The file that failed.
        file: String,
        /// Each mirror tried and why it failed.
        attempts: Vec<(String, String)>,
        /// Where the files belong.
        folder: PathBuf,
        /// Every file of the dataset (`name.gz`) and the SHA-256 of its decompressed content.
        files: Vec<(String, String)>,
    },

    /// A class label that is not below the number of classes.
    #[error("one_hot: label {label} at index {index} is not below the {classes} classes")]
    Label {
        /// Its position.
        index: usize,
        /// The label.
        label: usize,
        /// The number of classes.
        classes: usize,
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
    /// Shorthand for [`Error::Format`].
    pub fn format(path: impl Into<PathBuf>, problem: impl Into<String>) -> Error {
        Error::Format {
            path: path.into(),
            problem: problem.into(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
