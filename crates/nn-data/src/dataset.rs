//! Datasets: images and labels, split into training and test sets.

use ndarray::{Array2, IxDyn};
use nn_core::{Float, Tensor};

use crate::{Error, Result};

/// How to present images and labels, the options of the book's
/// `load_mnist(normalize, flatten, one_hot_label)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Pixels divided by 255, in [0, 1] (default); otherwise the byte values
    /// 0–255 in the element type (the raw bytes themselves come from
    /// [`crate::idx::read_idx`]).
    pub normalize: bool,
    /// Images as rows of H·W values, (N, 784) (default); otherwise
    /// (N, 1, H, W) for convolutional networks.
    pub flatten: bool,
    /// Also provide the labels as one-hot rows (default: class indices only).
    pub one_hot: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            normalize: true,
            flatten: true,
            one_hot: false,
        }
    }
}

impl LoadOptions {
    /// The options for convolutional networks: normalised, (N, 1, H, W).
    pub fn images() -> Self {
        LoadOptions {
            flatten: false,
            ..LoadOptions::default()
        }
    }
}

/// Images with their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Split<T> {
    /// (N, H·W) or (N, 1, H, W) (or (N, features) for non-image data).
    pub images: Tensor<T>,
    /// The class of each image.
    pub labels: Vec<usize>,
    /// The labels as one-hot rows (N, classes), when asked for.
    pub one_hot: Option<Array2<T>>,
}

impl<T: Float> Split<T> {
    /// Builds a split from byte images (`per_image` bytes each), converting
    /// each byte as `options` say, and checks the labels.
    pub(crate) fn from_bytes(
        pixels: &[u8],
        image_shape: &[usize],
        labels: Vec<usize>,
        classes: usize,
        options: &LoadOptions,
    ) -> Result<Self> {
        let per_image: usize = image_shape.iter().product();
        let n = labels.len();
        if pixels.len() != n * per_image {
            return Err(Error::InvalidArgument {
                op: "Split::from_bytes",
                message: format!("{} bytes for {n} images of {per_image}", pixels.len()),
            });
        }
        let scale = if options.normalize { 1.0 / 255.0 } else { 1.0 };
        let table: Vec<T> = (0..=255u8).map(|b| T::cast(f64::from(b) * scale)).collect();
        let mut values = vec![T::zero(); pixels.len()];
        nn_core::map_chunks(&mut values, pixels, |out, bytes| {
            out.iter_mut()
                .zip(bytes.iter())
                .for_each(|(o, &b)| *o = table[usize::from(b)]);
        });
        let shape: Vec<usize> = if options.flatten {
            vec![n, per_image]
        } else {
            std::iter::once(n)
                .chain(image_shape.iter().copied())
                .collect()
        };
        let images = Tensor::from_shape_vec(IxDyn(&shape), values).expect("n · per_image values");
        let one_hot = options
            .one_hot
            .then(|| one_hot(&labels, classes))
            .transpose()?;
        Ok(Split {
            images,
            labels,
            one_hot,
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The samples at `indices`, copied, in that order: a mini-batch.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an index past the end.
    pub fn gather(&self, indices: &[usize]) -> Result<Split<T>> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(Error::InvalidArgument {
                op: "Split::gather",
                message: format!("index {bad} is out of range for {} samples", self.len()),
            });
        }
        // Borrowed when already row-major (always, for datasets built here).
        let images = self.images.as_standard_layout();
        let per: usize = images.shape()[1..].iter().product();
        let src = images.as_slice().expect("standard layout");
        let mut data = Vec::with_capacity(indices.len() * per);
        for &i in indices {
            data.extend_from_slice(&src[i * per..(i + 1) * per]);
        }
        let mut shape = images.shape().to_vec();
        shape[0] = indices.len();
        Ok(Split {
            images: Tensor::from_shape_vec(IxDyn(&shape), data).expect("rows × per values"),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            one_hot: self
                .one_hot
                .as_ref()
                .map(|t| t.select(ndarray::Axis(0), indices)),
        })
    }

    /// The first `n` samples (all of them if there are fewer).
    pub fn take(&self, n: usize) -> Split<T> {
        let n = n.min(self.len());
        let indices: Vec<usize> = (0..n).collect();
        self.gather(&indices).expect("indices below len")
    }

    /// The sample indices in a random order fixed by `seed`.
    fn permutation(&self, seed: u64) -> Vec<usize> {
        let mut indices: Vec<usize> = (0..self.len()).collect();
        nn_core::rng::shuffle(&mut nn_core::rng::seeded(seed), &mut indices);
        indices
    }

    /// `n` samples drawn without replacement, in a random order fixed by
    /// `seed` (all of them, shuffled, if there are fewer): a subset to
    /// train on quickly.
    ///
    /// ```
    /// let data = nn_data::digits::<f32>(&nn_data::DigitsConfig { train: 100, test: 10, seed: 0 },
    ///                                   &nn_data::LoadOptions::default());
    /// let subset = data.train.sample(30, 7);
    /// assert_eq!(subset.len(), 30);
    /// assert_eq!(subset, data.train.sample(30, 7)); // the same seed, the same samples
    /// ```
    pub fn sample(&self, n: usize, seed: u64) -> Split<T> {
        let mut indices = self.permutation(seed);
        indices.truncate(n);
        self.gather(&indices).expect("a permutation of the indices")
    }

    /// Holds `n` samples out (drawn as [`sample`](Split::sample) draws them
    /// with `seed`) and returns (the rest in their original order, the
    /// held-out samples): a validation set taken from the training set.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless 0 < `n` < the number of samples.
    pub fn hold_out(&self, n: usize, seed: u64) -> Result<(Split<T>, Split<T>)> {
        if n == 0 || n >= self.len() {
            return Err(Error::InvalidArgument {
                op: "Split::hold_out",
                message: format!(
                    "cannot hold out {n} of {} samples: need at least 1 and leave at least 1",
                    self.len()
                ),
            });
        }
        let indices = self.permutation(seed);
        let mut rest = indices[n..].to_vec();
        rest.sort_unstable();
        Ok((self.gather(&rest)?, self.gather(&indices[..n])?))
    }

    /// Splits at `fraction` (in (0, 1)): (the rest, a `fraction` of the
    /// samples, rounded, at least one), as [`hold_out`](Split::hold_out).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a fraction outside (0, 1) or a split
    /// that would leave either part empty.
    pub fn split(&self, fraction: f64, seed: u64) -> Result<(Split<T>, Split<T>)> {
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(Error::InvalidArgument {
                op: "Split::split",
                message: format!("fraction must be in (0, 1), got {fraction}"),
            });
        }
        let n = ((self.len() as f64 * fraction).round() as usize).max(1);
        self.hold_out(n, seed)
    }
}

/// One-hot rows (N, classes) for class indices.
///
/// # Errors
/// [`Error::Label`] for a label that is not below `classes` (it used to
/// give a row of zeros without a word).
pub fn one_hot<T: Float>(labels: &[usize], classes: usize) -> Result<Array2<T>> {
    let mut t = Array2::zeros((labels.len(), classes));
    for (row, &l) in labels.iter().enumerate() {
        if l >= classes {
            return Err(Error::Label {
                index: row,
                label: l,
                classes,
            });
        }
        t[[row, l]] = T::one();
    }
    Ok(t)
}

/// A dataset: a training split, a test split, and how many classes.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset<T> {
    /// The dataset's name (`"mnist"`, `"digits"`...).
    pub name: String,
    /// Training samples.
    pub train: Split<T>,
    /// Test samples.
    pub test: Split<T>,
    /// Number of classes.
    pub classes: usize,
}
