//! NumPy's own files: `.npy` (one array, `np.save`) and `.npz` (a zip of
//! `.npy` files, `np.savez` and `np.savez_compressed`).
//!
//! The header is parsed by `ndarray-npy` and the archive read by `zip`.
//! What they would allocate from a file's claims is bounded here first:
//! the header's length against the bytes that follow it, each array's
//! shape against its bytes, and what a compressed archive expands to
//! against [`MAX_VALUES`](crate::MAX_VALUES) (read as the bytes arrive, so
//! a zip bomb stops at the bound).

use std::io::Read;

use ndarray_npy::npy::header::{Header, Layout};

use crate::array::{Array, Element, MAX_VALUES};
use crate::{Error, Result};

const MAGIC: &[u8] = b"\x93NUMPY";
/// NumPy refuses headers over 10,000 bytes by default; nn allows 64 KiB.
const MAX_HEADER_BYTES: usize = 1 << 16;
/// The most entries an archive may list.
const MAX_ENTRIES: usize = 1 << 16;

/// How deep the header's brackets may nest (NumPy's own use three).
const MAX_HEADER_NESTING: usize = 6;

/// The deepest nesting of `(`, `[` and `{` in a Python literal, outside
/// quoted strings.
fn nesting(text: &[u8]) -> usize {
    let (mut depth, mut deepest, mut quote) = (0usize, 0usize, None);
    let mut escaped = false;
    for &c in text {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == b'\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                b'\'' | b'"' => quote = Some(c),
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    deepest
}

/// Whether `bytes` start like an `.npy` file.
pub(crate) fn is_npy(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Whether `bytes` start like a zip archive (an `.npz` file).
pub(crate) fn is_npz(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Reads one `.npy` array; `origin` names it in errors.
///
/// # Errors
/// [`Error::Format`] for a bad magic or version, a header that does not
/// parse or says more than the bytes hold, a dtype other than float32 or
/// float64, or a shape that does not match the data.
pub fn read_npy(bytes: &[u8], origin: &str) -> Result<Array> {
    let bad = |message: String| Error::format(origin, message);
    if !is_npy(bytes) {
        return Err(bad("not a .npy file (no \\x93NUMPY magic)".into()));
    }
    let (len_bytes, major) = match bytes.get(6..8) {
        Some([1, _]) => (2, 1),
        Some([major @ (2 | 3), _]) => (4, *major),
        Some([major, minor]) => {
            return Err(bad(format!(
                ".npy format version {major}.{minor}; nn reads 1.0 to 3.0"
            )))
        }
        _ => return Err(bad("ends inside its header".into())),
    };
    let start = 8 + len_bytes;
    let header_len = match bytes.get(8..start) {
        Some(&[a, b]) => usize::from(u16::from_le_bytes([a, b])),
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]) as usize,
        _ => return Err(bad("ends inside its header".into())),
    };
    let data_start = start
        .checked_add(header_len)
        .filter(|&end| end <= bytes.len() && header_len <= MAX_HEADER_BYTES)
        .ok_or_else(|| {
            bad(format!(
                "a header of {header_len} bytes (version {major}), but {} bytes follow and nn reads headers up to {MAX_HEADER_BYTES}",
                bytes.len() - start
            ))
        })?;
    // ndarray-npy parses the header with py_literal (a PEG grammar), which
    // backtracks exponentially in the depth of nested brackets: found by
    // fuzzing (a 2 KB header ran for minutes). NumPy's headers nest
    // three deep at most (dict, shape tuple, structured dtype's list).
    let depth = nesting(&bytes[start..data_start]);
    if depth > MAX_HEADER_NESTING {
        return Err(bad(format!(
            "a header nested {depth} brackets deep; NumPy writes at most {MAX_HEADER_NESTING}"
        )));
    }
    let header = Header::from_reader(&mut &bytes[..data_start])
        .map_err(|e| bad(format!("its header: {e}")))?;
    let descr = header.type_descriptor.as_string().ok_or_else(|| {
        bad(format!(
            "dtype {}: nn reads float32 and float64 arrays",
            header.type_descriptor
        ))
    })?;
    let element = Element::numpy(descr, None).map_err(bad)?;
    let fortran = matches!(header.layout, Layout::Fortran);
    Array::decode(&bytes[data_start..], element, header.shape, fortran).map_err(bad)
}

/// Reads every array of an `.npz` archive, in the archive's order, named
/// as `np.load` names them (the entry's name without `.npy`).
///
/// # Errors
/// [`Error::Format`] for a damaged archive, an entry that is not an array
/// of floats, or contents past [`MAX_VALUES`] values.
pub fn read_npz(bytes: &[u8], origin: &str) -> Result<Vec<(String, Array)>> {
    let bad = |message: String| Error::format(origin, message);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable .npz (zip) archive: {e}")))?;
    if zip.len() > MAX_ENTRIES {
        return Err(bad(format!(
            "lists {} entries; nn reads at most {MAX_ENTRIES}",
            zip.len()
        )));
    }
    // Bytes the entries may still expand to: every value as float64, plus
    // each header.
    let mut budget = (MAX_VALUES as u64) * 8;
    let mut out: Vec<(String, Array)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| bad(format!("entry {i}: {e}")))?;
        let name = entry
            .name()
            .map_err(|e| bad(format!("entry {i}: {e}")))?
            .to_string();
        let Some(stem) = name.strip_suffix(".npy") else {
            return Err(bad(format!(
                "entry `{name}` is not a .npy array (np.savez writes only .npy entries)"
            )));
        };
        let mut contents = Vec::new();
        (&mut entry)
            .take(budget + 1)
            .read_to_end(&mut contents)
            .map_err(|e| bad(format!("entry `{name}`: {e}")))?;
        budget = budget.checked_sub(contents.len() as u64).ok_or_else(|| {
            bad(format!(
                "expands past {MAX_VALUES} float64 values (a zip bomb?)"
            ))
        })?;
        let array = read_npy(&contents, &format!("{origin}: {name}"))?;
        if !seen.insert(stem.to_string()) {
            return Err(bad(format!("holds `{stem}` twice")));
        }
        out.push((stem.to_string(), array));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::Values;

    /// An .npy file as np.save writes it (version 1.0, header padded to 64).
    pub(crate) fn npy(descr: &str, shape: &str, fortran: bool, data: &[u8]) -> Vec<u8> {
        let order = if fortran { "True" } else { "False" };
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = MAGIC.to_vec();
        out.extend([1, 0]);
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.as_bytes());
        out.extend(data);
        out
    }

    #[test]
    fn reads_npy_in_either_order_and_byte_order() {
        let data: Vec<u8> = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let a = read_npy(&npy(">f8", "(2, 3)", true, &data), "a.npy").unwrap();
        assert_eq!(a.shape, vec![2, 3]);
        assert_eq!(a.values, Values::F64(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    }

    #[test]
    fn deeply_nested_headers_are_refused_before_parsing() {
        // Fuzzing found headers like this one, on which the parser ran for minutes.
        let shape = format!("{}1{}", "[(".repeat(12), ")]".repeat(12));
        let e = read_npy(&npy("<f4", &shape, false, &[]), "n.npy")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a header nested 25 brackets deep"), "{e}");
        assert_eq!(
            nesting(b"{'descr': '<f4', 'shape': (2, 3), 'x': '(((('}"),
            2
        );
    }

    #[test]
    fn hostile_headers_are_errors() {
        let mut big = MAGIC.to_vec();
        big.extend([2, 0]);
        big.extend(u32::MAX.to_le_bytes());
        let e = read_npy(&big, "big.npy").unwrap_err().to_string();
        assert!(e.contains("a header of 4294967295 bytes"), "{e}");
        let short = npy("<f4", "(1000000, 1000000)", false, &[0; 8]);
        let e = read_npy(&short, "s.npy").unwrap_err().to_string();
        assert!(e.contains("more than 268435456 values"), "{e}");
        let ints = npy("<i8", "(1,)", false, &[0; 8]);
        let e = read_npy(&ints, "i.npy").unwrap_err().to_string();
        assert!(e.contains("dtype `<i8`"), "{e}");
    }
}
