//! Reading a file from outside with a bound on its size.

use std::io::Read;
use std::path::Path;

/// Why [`read_bounded`] returned no bytes.
#[derive(Debug)]
pub enum ReadRefused {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// Not a regular file (a device or a pipe, which could be endless).
    NotRegular,
    /// Larger than the bound: `Some(size)` as the file system gave it
    /// before reading, `None` when it grew past the bound while read.
    TooLarge(Option<u64>),
}

impl std::fmt::Display for ReadRefused {
    /// A plain reason, for callers with no message of their own.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadRefused::Io(e) => write!(f, "{e}"),
            ReadRefused::NotRegular => write!(f, "not a regular file"),
            ReadRefused::TooLarge(Some(n)) => write!(f, "{n} bytes, more than this reader takes"),
            ReadRefused::TooLarge(None) => {
                write!(f, "grew past the size this reader takes while read")
            }
        }
    }
}

/// The bytes of the regular file `path`, at most `max` of them: the size
/// is checked before reading, and the read stops one byte past `max`, so
/// a file that grows meanwhile costs no more than the bound.
///
/// # Errors
/// [`ReadRefused`] saying which.
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, ReadRefused> {
    let file = std::fs::File::open(path).map_err(ReadRefused::Io)?;
    let info = file.metadata().map_err(ReadRefused::Io)?;
    if !info.is_file() {
        return Err(ReadRefused::NotRegular);
    }
    if info.len() > max {
        return Err(ReadRefused::TooLarge(Some(info.len())));
    }
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadRefused::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadRefused::TooLarge(None));
    }
    Ok(bytes)
}
