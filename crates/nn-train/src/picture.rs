//! Pictures in: PNG and JPEG files read as grey pixels for `nn predict`,
//! and the prepared digits written back out (`--show`).

use std::path::Path;

use crate::{Error, Result};

/// The largest picture read, in pixels (a 64-megapixel photo): the size
/// in a file's header is checked against it before anything is decoded.
pub const MAX_PIXELS: u64 = 64 << 20;

fn picture_error(path: &Path, message: impl std::fmt::Display) -> Error {
    Error::Picture {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// A PNG or JPEG file as grey values in [0, 1] (alpha composited on
/// white), with its width and height.
///
/// # Errors
/// [`Error::Picture`] naming the file: unreadable, not a PNG or JPEG,
/// larger than [`MAX_PIXELS`], or corrupt.
pub fn read_grey(path: &Path) -> Result<(Vec<f32>, usize, usize)> {
    let bytes = nn_core::read_bounded(path, 256 << 20).map_err(|e| picture_error(path, e))?;
    decode_grey(&bytes).map_err(|e| picture_error(path, e))
}

/// [`read_grey`] on bytes in memory.
///
/// # Errors
/// Why the bytes are not a picture nn reads.
pub fn decode_grey(bytes: &[u8]) -> std::result::Result<(Vec<f32>, usize, usize), String> {
    let format = image::guess_format(bytes).map_err(|_| "not a PNG or JPEG file".to_string())?;
    if !matches!(format, image::ImageFormat::Png | image::ImageFormat::Jpeg) {
        return Err(format!("a {format:?} picture; nn reads PNG and JPEG"));
    }
    let reader = || {
        let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(MAX_PIXELS * 8);
        reader.limits(limits);
        reader
    };
    let (w, h) = reader().into_dimensions().map_err(|e| e.to_string())?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(format!(
            "{w} × {h} pixels is more than nn reads ({MAX_PIXELS})"
        ));
    }
    let picture = reader().decode().map_err(|e| e.to_string())?;
    let rgba = picture.to_rgba32f();
    let grey = rgba
        .pixels()
        .map(|p| {
            let [r, g, b, a] = p.0;
            let luma = 0.299 * r + 0.587 * g + 0.114 * b;
            // Transparent parts show the white they would be drawn on.
            luma * a + (1.0 - a)
        })
        .collect();
    Ok((grey, w as usize, h as usize))
}

/// The digits as a network sees them (28 × 28, white on black), side by
/// side and scaled 4 times, as a PNG.
///
/// # Errors
/// [`Error::Picture`] when `path` cannot be written.
pub fn write_seen(path: &Path, digits: &[Vec<f32>]) -> Result<()> {
    let png = crate::report::grid_png(digits, 28, 28, digits.len().min(10), 4)
        .map_err(|e| picture_error(path, e))?;
    nn_data::write_atomically(path, &png)?;
    Ok(())
}
