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

/// The most data bytes an IDX file may announce: 256 MiB, five times the
/// largest MNIST file (47 MB). Readers allocate at most this much, whatever
/// a header or a gzip stream claims.
pub const MAX_IDX_BYTES: usize = 256 << 20;

/// Reads an IDX file, gzipped (detected by its magic bytes) or plain.
///
/// The header is read first, and no more data than it announces (plus one
/// byte, to detect extra data) is ever read or decompressed, so a gzip bomb
/// costs nothing beyond the announced size, itself at most [`MAX_IDX_BYTES`].
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Format`] naming the
/// file for a bad gzip stream, header, element type, size or length.
pub fn read_idx(path: &Path) -> Result<Idx> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = std::io::BufReader::new(file);
    let gzipped = std::io::BufRead::fill_buf(&mut reader)
        .map_err(|e| Error::io(path, e))?
        .starts_with(&GZIP_MAGIC);
    if gzipped {
        read_idx_from(path, flate2::read::MultiGzDecoder::new(reader), true)
    } else {
        read_idx_from(path, reader, false)
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// `bytes`, decompressed when they are gzipped, up to [`MAX_IDX_BYTES`].
///
/// # Errors
/// [`Error::Format`] for a bad gzip stream or content beyond the limit.
pub fn gunzip_if_needed(path: &Path, bytes: Vec<u8>) -> Result<Vec<u8>> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .take(MAX_IDX_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::format(path, format!("not a valid gzip file: {e}")))?;
    if out.len() > MAX_IDX_BYTES {
        return Err(Error::format(
            path,
            format!("decompresses to more than {MAX_IDX_BYTES} bytes, the most nn reads"),
        ));
    }
    Ok(out)
}

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

/// Parses IDX bytes already in memory, gzipped or plain, with the bounds of
/// [`read_idx`]; `path` names them in errors.
///
/// # Errors
/// As [`read_idx`].
pub fn parse_idx(path: &Path, bytes: &[u8]) -> Result<Idx> {
    if bytes.starts_with(&GZIP_MAGIC) {
        read_idx_from(path, flate2::read::MultiGzDecoder::new(bytes), true)
    } else {
        read_idx_from(path, bytes, false)
    }
}

/// Reads up to `buf.len()` bytes; how many there were.
fn read_up_to(path: &Path, r: &mut impl Read, buf: &mut [u8], gzipped: bool) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(path, e, gzipped)),
        }
    }
    Ok(got)
}

fn read_error(path: &Path, e: std::io::Error, gzipped: bool) -> Error {
    if gzipped {
        Error::format(path, format!("not a valid gzip file: {e}"))
    } else {
        Error::io(path, e)
    }
}

/// The header, then exactly the data it announces.
fn read_idx_from(path: &Path, mut r: impl Read, gzipped: bool) -> Result<Idx> {
    let mut magic = [0u8; 4];
    let got = read_up_to(path, &mut r, &mut magic, gzipped)?;
    if got < 4 {
        return Err(Error::format(
            path,
            format!("{got} bytes is too short for an IDX header"),
        ));
    }
    let [z0, z1, kind, ndims] = magic;
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
    let mut dim_bytes = vec![0u8; 4 * ndims];
    let got = read_up_to(path, &mut r, &mut dim_bytes, gzipped)?;
    if got < dim_bytes.len() {
        return Err(Error::format(
            path,
            format!(
                "truncated header: {ndims} dimensions need {header} bytes, the file has {}",
                4 + got
            ),
        ));
    }
    let dims: Vec<usize> = dim_bytes
        .chunks_exact(4)
        .map(|d| u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as usize)
        .collect();
    let shape = nn_core::Shape::from(dims.clone());
    let expected = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= MAX_IDX_BYTES)
        .ok_or_else(|| {
            Error::format(
                path,
                format!(
                    "dimensions {shape} announce more than {MAX_IDX_BYTES} bytes of data, the most nn reads"
                ),
            )
        })?;
    // Reserved once at the announced size, already bounded by
    // MAX_IDX_BYTES, instead of grown by doubling: MNIST's 47 MB of pixels
    // otherwise pass through 32 and 64 MB buffers, and the copies' freed
    // memory was still resident when the dataset's f32 array was filled
    // (a SimpleConvNet epoch peaked at 339 MB instead of 281 MB). The
    // reservation is address space: a short file still makes resident
    // only the bytes it holds. If even that is refused, the buffer grows.
    let mut data = Vec::new();
    let _ = data.try_reserve_exact(expected);
    r.by_ref()
        .take(expected as u64)
        .read_to_end(&mut data)
        .map_err(|e| read_error(path, e, gzipped))?;
    let got = data.len();
    if got < expected {
        return Err(Error::format(
            path,
            format!(
                "truncated: the header announces {shape} = {expected} bytes of data, but {got} follow"
            ),
        ));
    }
    if read_up_to(path, &mut r, &mut [0u8; 1], gzipped)? > 0 {
        return Err(Error::format(
            path,
            format!(
                "more data follows the {expected} bytes the header's dimensions {shape} announce"
            ),
        ));
    }
    Ok(Idx { dims, data })
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
            "more data follows the 3 bytes the header's dimensions (3,) announce",
        );
        check(
            &idx(&[2, 2], &[1, 2, 3]),
            "truncated: the header announces (2, 2) = 4 bytes of data, but 3 follow",
        );
    }

    /// A gzip bomb: a header announcing 4 bytes, then 64 MiB of zeros that
    /// compress to 64 KiB. Only the header, the 4 bytes and one more are
    /// inflated; the same with a header announcing 4 GiB is refused before
    /// any data is read.
    #[test]
    fn a_gzip_bomb_is_not_inflated_past_its_header() {
        let dir = tempfile::tempdir().unwrap();
        for (dims, want) in [
            (&[2u32, 2][..], "more data follows the 4 bytes the header's dimensions (2, 2) announce"),
            (
                &[65536, 65536][..],
                "dimensions (65536, 65536) announce more than 268435456 bytes of data, the most nn reads",
            ),
        ] {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&idx(dims, &[])).unwrap();
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..64 {
                gz.write_all(&zeros).unwrap();
            }
            let gz = gz.finish().unwrap();
            assert!(gz.len() < 200_000, "{}", gz.len());
            let bomb = dir.path().join("bomb.gz");
            std::fs::write(&bomb, &gz).unwrap();
            let err = read_idx(&bomb).unwrap_err().to_string();
            assert_eq!(err, format!("{}: {want}", bomb.display()));
            let whole = gunzip_if_needed(&bomb, gz).unwrap();
            assert_eq!(whole.len(), (64 << 20) + 4 + 4 * dims.len());
        }
        // Whole-file decompression (the download's digest) stops at the limit.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..257 {
            gz.write_all(&zeros).unwrap();
        }
        let err = gunzip_if_needed(Path::new("big.gz"), gz.finish().unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "big.gz: decompresses to more than 268435456 bytes, the most nn reads"
        );
    }

    #[test]
    fn gzip_files_are_read_and_corrupt_ones_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let raw = idx(&[2, 3], &[9, 8, 7, 6, 5, 4]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        let gz = gz.finish().unwrap();
        let good = dir.path().join("good.gz");
        std::fs::write(&good, &gz).unwrap();
        assert_eq!(read_idx(&good).unwrap().data, [9, 8, 7, 6, 5, 4]);
        let bad = dir.path().join("bad.gz");
        std::fs::write(&bad, &gz[..gz.len() - 10]).unwrap();
        let err = read_idx(&bad).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}: not a valid gzip file", bad.display())),
            "{err}"
        );
    }
}
