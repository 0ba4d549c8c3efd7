//! Named arrays from a file of any supported kind, recognised by its first
//! bytes: a pickle, `.npy`, `.npz`, or safetensors.

use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use crate::array::{Array, Element};
use crate::{npy, pickle, Error, Result};

/// The largest weights file nn reads: 4 GiB (as for checkpoints).
pub const MAX_FILE_BYTES: u64 = 4 << 30;

/// The kinds of file [`read_weights`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightsFormat {
    /// A Python pickle of a dict of NumPy arrays (the book's `.pkl` files).
    Pickle,
    /// One NumPy array (`np.save`), named after the file.
    Npy,
    /// NumPy arrays in a zip (`np.savez`, `np.savez_compressed`).
    Npz,
    /// safetensors (PyTorch's `safetensors.torch.save_file`, nn's checkpoints).
    Safetensors,
}

impl WeightsFormat {
    /// Recognises a format by the first bytes: `\x80` (a pickle of protocol
    /// 2 or later; `(` or `}` for protocols 0 and 1), `\x93NUMPY`, `PK`, or an
    /// 8-byte length followed by `{` (safetensors).
    pub fn sniff(bytes: &[u8]) -> Option<WeightsFormat> {
        if npy::is_npy(bytes) {
            Some(WeightsFormat::Npy)
        } else if npy::is_npz(bytes) {
            Some(WeightsFormat::Npz)
        } else if bytes.get(8) == Some(&b'{') {
            Some(WeightsFormat::Safetensors)
        } else if matches!(bytes.first(), Some(0x80 | b'(' | b'}')) {
            Some(WeightsFormat::Pickle)
        } else {
            None
        }
    }
}

/// Reads the named arrays of a weights file (see [`WeightsFormat`]), in
/// the file's order (safetensors: by name). A `.npy` file's one array is
/// named after the file (`W1.npy` → `W1`).
///
/// # Errors
/// [`Error::Io`] when unreadable or not a regular file, [`Error::Format`]
/// for a file of no supported kind, over [`MAX_FILE_BYTES`], or damaged.
pub fn read_weights(path: &Path) -> Result<Vec<(String, Array)>> {
    use nn_core::ReadRefused;
    let origin = path.display().to_string();
    let bytes = nn_core::read_bounded(path, MAX_FILE_BYTES).map_err(|e| match e {
        ReadRefused::Io(source) => Error::Io {
            path: path.to_path_buf(),
            source,
        },
        ReadRefused::NotRegular => Error::format(
            &origin,
            "is not a regular file (a device or a pipe), so it is not read",
        ),
        ReadRefused::TooLarge(_) => Error::format(
            &origin,
            format!("is over {MAX_FILE_BYTES} bytes, the most nn reads"),
        ),
    })?;
    let stem = path
        .file_stem()
        .map_or_else(|| "array".to_string(), |s| s.to_string_lossy().into_owned());
    weights_from_bytes(&bytes, &origin, &stem)
}

/// [`read_weights`] on bytes in memory; `origin` names them in errors and
/// `npy_name` names the array of a `.npy` file.
///
/// # Errors
/// As [`read_weights`].
pub fn weights_from_bytes(
    bytes: &[u8],
    origin: &str,
    npy_name: &str,
) -> Result<Vec<(String, Array)>> {
    match WeightsFormat::sniff(bytes) {
        Some(WeightsFormat::Pickle) => pickle::read_pickle(bytes, origin),
        Some(WeightsFormat::Npy) => Ok(vec![(npy_name.to_string(), npy::read_npy(bytes, origin)?)]),
        Some(WeightsFormat::Npz) => npy::read_npz(bytes, origin),
        Some(WeightsFormat::Safetensors) => read_safetensors(bytes, origin),
        None => Err(Error::format(
            origin,
            "is not a weights file nn knows: a NumPy pickle (.pkl), .npy, .npz or safetensors",
        )),
    }
}

/// The float tensors of a safetensors file, by name. PyTorch's batch-norm
/// step counters (`*.num_batches_tracked`, int64) are skipped: nn keeps no
/// such counter.
///
/// # Errors
/// [`Error::Format`] for a damaged file or a tensor of another dtype.
pub fn read_safetensors(bytes: &[u8], origin: &str) -> Result<Vec<(String, Array)>> {
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| Error::format(origin, format!("not a safetensors file: {e}")))?;
    let mut names = st.names();
    names.sort();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let view = st
            .tensor(name)
            .map_err(|e| Error::format(origin, e.to_string()))?;
        let element = match view.dtype() {
            Dtype::F32 => Element {
                bytes: 4,
                big_endian: false,
            },
            Dtype::F64 => Element {
                bytes: 8,
                big_endian: false,
            },
            _ if name.ends_with("num_batches_tracked") => continue,
            other => {
                return Err(Error::format(
                    origin,
                    format!("tensor `{name}` has dtype {other:?}; nn reads F32 and F64"),
                ))
            }
        };
        let array = Array::decode(view.data(), element, view.shape().to_vec(), false)
            .map_err(|e| Error::format(origin, format!("tensor `{name}`: {e}")))?;
        out.push((name.to_string(), array));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Values;
    use safetensors::tensor::TensorView;

    fn file(tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
        let views: Vec<(&str, TensorView<'_>)> = tensors
            .iter()
            .map(|(n, d, s, b)| (*n, TensorView::new(*d, s.clone(), b).unwrap()))
            .collect();
        safetensors::serialize(views, None).unwrap()
    }

    #[test]
    fn foreign_safetensors_keep_floats_skip_batch_counters_and_name_other_dtypes() {
        let w: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let bytes = file(&[
            ("0.weight", Dtype::F32, vec![2], w),
            (
                "1.num_batches_tracked",
                Dtype::I64,
                vec![],
                7i64.to_le_bytes().to_vec(),
            ),
        ]);
        let arrays = weights_from_bytes(&bytes, "sd.safetensors", "x").unwrap();
        assert_eq!(arrays.len(), 1);
        assert_eq!(arrays[0].0, "0.weight");
        assert_eq!(arrays[0].1.values, Values::F32(vec![1.5, -2.0]));

        let bytes = file(&[("steps", Dtype::I32, vec![1], vec![0; 4])]);
        let e = weights_from_bytes(&bytes, "sd.safetensors", "x")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "sd.safetensors: tensor `steps` has dtype I32; nn reads F32 and F64"
        );
        let e = weights_from_bytes(b"neither", "w.bin", "x")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("w.bin: is not a weights file nn knows"),
            "{e}"
        );
    }
}
