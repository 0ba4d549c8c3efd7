//! The IDX file format of MNIST: a header of dimensions, then the data.

use std::io::Read;
use std::path::Path;

use crate::{Error, Result};

/// An IDX array of unsigned bytes: its dimensions and its data, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idx {
    /// The dimensions, outermost first: `[60000, 28, 28]` for MNIST's
    /// training images, `[60000]` for its labels.
    pub dims: Vec<usize>,
    /// The bytes, `dims.iter().product()` of them.
    pub data: Vec<u8>,
}

/// Reads an IDX file, gzip-compressed (`.gz`, recognised by its magic
/// bytes) or not.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Format`] naming the
/// file when the gzip stream is corrupt or truncated, or the IDX content is
/// invalid (see [`parse_idx`]).
pub fn read_idx(path: &Path) -> Result<Idx> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bytes = gunzip_if_needed(path, bytes)?;
    parse_idx(path, &bytes)
}

/// `bytes` decompressed when they start with the gzip magic number (1f 8b),
/// unchanged otherwise.
///
/// # Errors
/// [`Error::Format`] when the gzip stream is corrupt or truncated.
pub fn gunzip_if_needed(path: &Path, bytes: Vec<u8>) -> Result<Vec<u8>> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() * 4);
    flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| Error::format(path, format!("not a valid gzip file: {e}")))?;
    Ok(out)
}

/// The name of an IDX element type, for messages.
fn type_name(code: u8) -> &'static str {
    match code {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "unknown",
    }
}

/// Parses the (decompressed) content of an IDX file: magic number
/// `00 00 08 d` (unsigned bytes, d dimensions), d big-endian `u32`
/// dimensions, then exactly their product in bytes.
///
/// # Errors
/// [`Error::Format`] naming `path`, for a short or wrong magic number, an
/// element type other than unsigned byte, zero dimensions, or a payload
/// longer or shorter than the dimensions announce.
///
/// ```
/// use std::path::Path;
///
/// let bytes = [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6];
/// let idx = nn_data::idx::parse_idx(Path::new("example"), &bytes)?;
/// assert_eq!((idx.dims, idx.data), (vec![2, 3], vec![1, 2, 3, 4, 5, 6]));
///
/// let err = nn_data::idx::parse_idx(Path::new("short.idx"), &bytes[..17]).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "short.idx: truncated: the header announces (2, 3) = 6 bytes of data, but 5 follow"
/// );
/// # Ok::<(), nn_data::Error>(())
/// ```
pub fn parse_idx(path: &Path, bytes: &[u8]) -> Result<Idx> {
    let [z0, z1, kind, ndims] = match bytes.get(..4) {
        Some(&[a, b, c, d]) => [a, b, c, d],
        _ => {
            return Err(Error::format(
                path,
                format!("{} bytes is too short for an IDX header", bytes.len()),
            ))
        }
    };
    if (z0, z1) != (0, 0) {
        return Err(Error::format(
            path,
            format!(
                "not an IDX file: magic number {:02x} {:02x} {:02x} {:02x} does not start with two zero bytes",
                z0, z1, kind, ndims
            ),
        ));
    }
    if kind != 0x08 {
        return Err(Error::format(
            path,
            format!(
                "IDX element type 0x{kind:02X} ({}) is not supported; MNIST files hold unsigned bytes (0x08)",
                type_name(kind)
            ),
        ));
    }
    let ndims = usize::from(ndims);
    if ndims == 0 {
        return Err(Error::format(path, "IDX header declares zero dimensions"));
    }
    let header = 4 + 4 * ndims;
    let Some(dim_bytes) = bytes.get(4..header) else {
        return Err(Error::format(
            path,
            format!(
                "truncated header: {ndims} dimensions need {header} bytes, the file has {}",
                bytes.len()
            ),
        ));
    };
    let dims: Vec<usize> = dim_bytes
        .chunks_exact(4)
        .map(|d| u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as usize)
        .collect();
    let shape = nn_core::Shape::from(dims.clone());
    let expected = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::format(path, format!("dimensions {shape} overflow")))?;
    let payload = &bytes[header..];
    if payload.len() != expected {
        let problem = if payload.len() < expected {
            format!(
                "truncated: the header announces {shape} = {expected} bytes of data, but {} follow",
                payload.len()
            )
        } else {
            format!(
                "{} bytes more than the {expected} the header's dimensions {shape} announce",
                payload.len() - expected
            )
        };
        return Err(Error::format(path, problem));
    }
    Ok(Idx {
        dims,
        data: payload.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut b = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            b.extend_from_slice(&d.to_be_bytes());
        }
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn every_broken_header_is_named() {
        let p = Path::new("f");
        let check = |bytes: &[u8], want: &str| {
            let err = parse_idx(p, bytes).unwrap_err().to_string();
            assert_eq!(err, format!("f: {want}"));
        };
        check(&[0, 0], "2 bytes is too short for an IDX header");
        check(
            &[1, 0, 8, 1, 0, 0, 0, 1, 7],
            "not an IDX file: magic number 01 00 08 01 does not start with two zero bytes",
        );
        check(&[0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], "IDX element type 0x0D (32-bit float) is not supported; MNIST files hold unsigned bytes (0x08)");
        check(&[0, 0, 8, 0], "IDX header declares zero dimensions");
        check(
            &[0, 0, 8, 3, 0, 0, 0, 1],
            "truncated header: 3 dimensions need 16 bytes, the file has 8",
        );
        check(
            &idx(&[3], &[1, 2, 3, 4]),
            "1 bytes more than the 3 the header's dimensions (3,) announce",
        );
        check(
            &idx(&[2, 2], &[1, 2, 3]),
            "truncated: the header announces (2, 2) = 4 bytes of data, but 3 follow",
        );
    }

    #[test]
    fn gzip_files_are_read_and_corrupt_ones_rejected() {
        let dir = std::env::temp_dir().join(format!("nn-idx-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let raw = idx(&[2, 3], &[9, 8, 7, 6, 5, 4]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        let gz = gz.finish().unwrap();
        let good = dir.join("good.gz");
        std::fs::write(&good, &gz).unwrap();
        assert_eq!(read_idx(&good).unwrap().data, [9, 8, 7, 6, 5, 4]);
        let bad = dir.join("bad.gz");
        std::fs::write(&bad, &gz[..gz.len() - 10]).unwrap();
        let err = read_idx(&bad).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}: not a valid gzip file", bad.display())),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
