//! NumPy's own files: `.npy` (one array, `np.save`) and `.npz` (a zip of
//! `.npy` files, `np.savez` and `np.savez_compressed`).
//!
//! The header, a Python dict literal such as `{'descr': '<f4',
//! 'fortran_order': False, 'shape': (2, 3), }`, is read by [`Header::parse`]
//! below, which takes exactly the three keys NumPy writes (as NumPy's own
//! reader does) and nothing that would need a Python parser; the archive is
//! read by `zip`. What would be allocated from a file's claims is bounded
//! first: the header's length against the bytes that follow it, each
//! array's shape against its bytes, and what a compressed archive expands
//! to against [`MAX_VALUES`](crate::MAX_VALUES) (read as the bytes arrive,
//! so a zip bomb stops at the bound).

use std::io::Read;

use crate::array::{Array, Element, MAX_VALUES};
use crate::{Error, Result};

const MAGIC: &[u8] = b"\x93NUMPY";
/// NumPy refuses headers over 10,000 bytes by default; nn allows 64 KiB.
const MAX_HEADER_BYTES: usize = 1 << 16;
/// The most entries an archive may list.
const MAX_ENTRIES: usize = 1 << 16;

/// What an `.npy` header says.
#[derive(Debug, PartialEq)]
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

impl Header {
    /// Reads the header's dict: `'descr'` a string (a list, NumPy's
    /// structured dtypes, is refused by name), `'fortran_order'` `True` or
    /// `False`, `'shape'` a tuple of integers (Python 2's `3L` too), in any
    /// order, each once, with or without a trailing comma.
    fn parse(text: &str) -> std::result::Result<Header, String> {
        let mut p = Cursor { text, at: 0 };
        let (mut descr, mut fortran_order, mut shape) = (None, None, None);
        p.expect('{')?;
        while !p.eat('}') {
            let key = p.string()?;
            p.expect(':')?;
            let fresh = match key.as_str() {
                "descr" => {
                    if p.peek() == Some('[') {
                        return Err(
                            "a structured dtype (a list of fields); nn reads float32 and float64 arrays"
                                .into(),
                        );
                    }
                    descr.replace(p.string()?).is_none()
                }
                "fortran_order" => fortran_order.replace(p.boolean()?).is_none(),
                "shape" => shape.replace(p.shape()?).is_none(),
                other => {
                    return Err(format!(
                        "key `{other}`; NumPy writes only 'descr', 'fortran_order' and 'shape'"
                    ))
                }
            };
            if !fresh {
                return Err(format!("key `{key}` twice"));
            }
            if !p.eat(',') {
                p.expect('}')?;
                break;
            }
        }
        if !p.text[p.at..].trim().is_empty() {
            return Err(format!("`{}` after the dict", p.text[p.at..].trim()));
        }
        let missing = |key: &str| format!("no '{key}'");
        Ok(Header {
            descr: descr.ok_or_else(|| missing("descr"))?,
            fortran_order: fortran_order.ok_or_else(|| missing("fortran_order"))?,
            shape: shape.ok_or_else(|| missing("shape"))?,
        })
    }
}

/// A position in a header's text; every step skips the spaces before it.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl Cursor<'_> {
    fn peek(&mut self) -> Option<char> {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start().len();
        self.text[self.at..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.at += c.len_utf8();
        }
        found
    }

    fn expect(&mut self, c: char) -> std::result::Result<(), String> {
        if self.eat(c) {
            return Ok(());
        }
        Err(match self.peek() {
            Some(other) => format!("`{other}` at byte {} where `{c}` belongs", self.at),
            None => format!("the header ends where `{c}` belongs"),
        })
    }

    /// A quoted string without escapes (NumPy's keys and dtypes have none).
    fn string(&mut self) -> std::result::Result<String, String> {
        let quote = match self.peek() {
            Some(q @ ('\'' | '"')) => q,
            _ => return Err(format!("no quoted string at byte {}", self.at)),
        };
        let rest = &self.text[self.at + 1..];
        let end = rest
            .find(quote)
            .ok_or_else(|| format!("a string at byte {} that does not end", self.at))?;
        let value = &rest[..end];
        if value.contains('\\') {
            return Err(format!("an escape in the string `{value}`"));
        }
        self.at += end + 2;
        Ok(value.to_string())
    }

    fn boolean(&mut self) -> std::result::Result<bool, String> {
        self.peek();
        for (word, value) in [("True", true), ("False", false)] {
            if self.text[self.at..].starts_with(word) {
                self.at += word.len();
                return Ok(value);
            }
        }
        Err(format!("no True or False at byte {}", self.at))
    }

    /// `()`, `(3,)`, `(2, 3)`: sizes as decimal integers.
    fn shape(&mut self) -> std::result::Result<Vec<usize>, String> {
        self.expect('(')?;
        let mut shape = Vec::new();
        while !self.eat(')') {
            self.peek();
            let digits = self.text[self.at..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(self.text.len() - self.at);
            let number = &self.text[self.at..self.at + digits];
            let size = match number.parse::<usize>() {
                Ok(size) => size,
                Err(_) if number.is_empty() => {
                    let what = self.text[self.at..].chars().next().unwrap_or(')');
                    return Err(format!("`{what}` in the shape at byte {}", self.at));
                }
                Err(_) => return Err(format!("a size of {number} in the shape")),
            };
            self.at += digits;
            // Python 2's long integers: `(3L, 4L)`.
            self.eat('L');
            shape.push(size);
            if !self.eat(',') {
                self.expect(')')?;
                break;
            }
        }
        Ok(shape)
    }
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
    let text = std::str::from_utf8(&bytes[start..data_start])
        .map_err(|_| bad("a header that is not text".into()))?;
    let header = Header::parse(text).map_err(|e| bad(format!("its header: {e}")))?;
    let element = Element::numpy(&header.descr, None).map_err(bad)?;
    Array::decode(
        &bytes[data_start..],
        element,
        header.shape,
        header.fortran_order,
    )
    .map_err(bad)
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
    fn headers_as_numpy_writes_them_in_any_order() {
        let parse = |text: &str| Header::parse(text);
        let header = |descr: &str, fortran_order, shape: &[usize]| Header {
            descr: descr.into(),
            fortran_order,
            shape: shape.to_vec(),
        };
        assert_eq!(
            parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }        \n"),
            Ok(header("<f4", false, &[2, 3]))
        );
        // Python 2's long integers, double quotes, no trailing comma.
        assert_eq!(
            parse(r#"{"shape": (3L,), "fortran_order": True, "descr": ">f8"}"#),
            Ok(header(">f8", true, &[3]))
        );
        assert_eq!(
            parse("{'descr':'<f8','fortran_order':False,'shape':()}"),
            Ok(header("<f8", false, &[]))
        );
    }

    #[test]
    fn headers_numpy_would_not_write_are_errors() {
        let error = |text: &str| Header::parse(text).unwrap_err();
        let nested = format!(
            "{{'descr': '<f4', 'fortran_order': False, 'shape': {}1{}}}",
            "[(".repeat(12),
            ")]".repeat(12)
        );
        assert_eq!(
            error(&nested),
            format!(
                "`[` at byte {} where `(` belongs",
                nested.find('[').unwrap()
            )
        );
        assert_eq!(
            error("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}"),
            "a structured dtype (a list of fields); nn reads float32 and float64 arrays"
        );
        assert_eq!(
            error("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}"),
            "key `descr` twice"
        );
        assert_eq!(
            error("{'descr': '<f4', 'shape': (1,)}"),
            "no 'fortran_order'"
        );
        assert_eq!(
            error("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}"),
            "no True or False at byte 34"
        );
        assert_eq!(
            error("{'descr': '<f4', 'x': 1}"),
            "key `x`; NumPy writes only 'descr', 'fortran_order' and 'shape'"
        );
        assert_eq!(
            error("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"),
            "`-` in the shape at byte 51"
        );
        assert_eq!(
            error("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}"),
            "a size of 99999999999999999999999 in the shape"
        );
        assert_eq!(
            error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x"),
            "`x` after the dict"
        );
        assert_eq!(
            error("{'descr': '<f4"),
            "a string at byte 10 that does not end"
        );
        assert_eq!(error("{'descr'"), "the header ends where `:` belongs");
        assert_eq!(error(""), "the header ends where `{` belongs");
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
