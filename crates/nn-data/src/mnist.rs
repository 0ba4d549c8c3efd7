//! MNIST and Fashion-MNIST from their IDX files.

use std::path::{Path, PathBuf};

use nn_core::Float;

use crate::idx::{read_idx, Idx};
use crate::{Dataset, Error, LoadOptions, Result, Split};

/// The four files of an MNIST-format dataset, without `.gz`.
pub const FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// MNIST's 60,000 training and 10,000 test handwritten digits, from
/// `data_dir/mnist/` (the folder `NN_DATA_DIR` points at holds `mnist/`).
/// Each file may be gzipped (`.gz`, preferred) or not.
///
/// # Errors
/// [`Error::Missing`] with what to do when a file is absent; every error of
/// [`read_idx`]; [`Error::Mismatch`] when a split's images and labels differ
/// in number; [`Error::Format`] for images that are not N × rows × cols or a
/// label that is not a class 0–9.
pub fn mnist<T: Float>(data_dir: &Path, options: &LoadOptions) -> Result<Dataset<T>> {
    load_idx_dataset(data_dir, "mnist", options)
}

/// Fashion-MNIST's ten classes, by label.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// Fashion-MNIST (Zalando): the same format and sizes as MNIST, ten classes
/// of clothing ([`FASHION_MNIST_CLASSES`]), from `data_dir/fashion-mnist/`.
///
/// # Errors
/// As [`mnist`].
pub fn fashion_mnist<T: Float>(data_dir: &Path, options: &LoadOptions) -> Result<Dataset<T>> {
    load_idx_dataset(data_dir, "fashion-mnist", options)
}

/// The path of `name` in `folder`: `name.gz` if present, else `name`.
///
/// # Errors
/// [`Error::Missing`] when neither exists.
pub fn locate(folder: &Path, name: &str, dataset: &str) -> Result<PathBuf> {
    let gz = folder.join(format!("{name}.gz"));
    let raw = folder.join(name);
    if gz.is_file() {
        Ok(gz)
    } else if raw.is_file() {
        Ok(raw)
    } else {
        Err(Error::Missing {
            path: raw,
            dataset: dataset.to_string(),
        })
    }
}

fn load_idx_dataset<T: Float>(
    data_dir: &Path,
    dataset: &str,
    options: &LoadOptions,
) -> Result<Dataset<T>> {
    let folder = data_dir.join(dataset);
    let paths: Vec<PathBuf> = FILES
        .iter()
        .map(|name| locate(&folder, name, dataset))
        .collect::<Result<_>>()?;
    let train = load_split(&paths[0], &paths[1], options)?;
    let test = load_split(&paths[2], &paths[3], options)?;
    Ok(Dataset {
        name: dataset.to_string(),
        train,
        test,
        classes: 10,
    })
}

fn load_split<T: Float>(
    images_path: &Path,
    labels_path: &Path,
    options: &LoadOptions,
) -> Result<Split<T>> {
    let images: Idx = read_idx(images_path)?;
    let labels: Idx = read_idx(labels_path)?;
    let (n, rows, cols) = match images.dims.as_slice() {
        [n, r, c] => (*n, *r, *c),
        _ => {
            return Err(Error::format(
                images_path,
                format!(
                    "expected images of 3 dimensions (N, rows, cols), found {}",
                    nn_core::Shape::from(images.dims.clone())
                ),
            ))
        }
    };
    if n == 0 || rows == 0 || cols == 0 {
        return Err(Error::format(
            images_path,
            format!(
                "holds {n} images of {rows}×{cols} pixels: a data set needs at least one image of at least one pixel"
            ),
        ));
    }
    if labels.dims.len() != 1 {
        return Err(Error::format(
            labels_path,
            format!(
                "expected labels of 1 dimension (N,), found {}",
                nn_core::Shape::from(labels.dims.clone())
            ),
        ));
    }
    if labels.dims[0] != n {
        return Err(Error::Mismatch {
            images_path: images_path.to_path_buf(),
            images: n,
            labels_path: labels_path.to_path_buf(),
            labels: labels.dims[0],
        });
    }
    if let Some((i, &l)) = labels.data.iter().enumerate().find(|(_, &l)| l > 9) {
        return Err(Error::format(
            labels_path,
            format!("label {l} at index {i} is not a class 0–9"),
        ));
    }
    let labels = labels.data.iter().map(|&l| usize::from(l)).collect();
    Split::from_bytes(&images.data, &[1, rows, cols], labels, 10, options)
}
