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
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        decode_png(bytes)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        decode_jpeg(bytes)
    } else {
        Err("not a PNG or JPEG file".to_string())
    }
}

/// Refuses a picture of more than [`MAX_PIXELS`], before its pixels are
/// decoded.
fn check_size(width: usize, height: usize) -> std::result::Result<(), String> {
    match width.checked_mul(height) {
        Some(pixels) if pixels as u64 <= MAX_PIXELS => Ok(()),
        _ => Err(format!(
            "{width} × {height} pixels is more than nn reads ({MAX_PIXELS})"
        )),
    }
}

/// Grey in [0, 1] from 8-bit channels: luma by the ITU-R BT.601 weights,
/// and transparent parts showing the white they would be drawn on.
fn grey_of(channels: &[u8]) -> f32 {
    let v = |i: usize| f32::from(channels[i]) / 255.0;
    let (luma, alpha) = match channels.len() {
        1 => (v(0), 1.0),
        2 => (v(0), v(1)),
        3 => (0.299 * v(0) + 0.587 * v(1) + 0.114 * v(2), 1.0),
        _ => (0.299 * v(0) + 0.587 * v(1) + 0.114 * v(2), v(3)),
    };
    luma * alpha + (1.0 - alpha)
}

fn decode_png(bytes: &[u8]) -> std::result::Result<(Vec<f32>, usize, usize), String> {
    let limits = png::Limits {
        bytes: (MAX_PIXELS * 8) as usize,
    };
    let mut decoder = png::Decoder::new_with_limits(std::io::Cursor::new(bytes), limits);
    // Palettes and low bit depths to 8-bit channels, 16-bit to 8.
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let (w, h) = reader.info().size();
    let (w, h) = (w as usize, h as usize);
    check_size(w, h)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| format!("{w} × {h} pixels do not fit in memory"))?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let channels = frame.color_type.samples();
    let grey = buf[..frame.buffer_size()]
        .chunks_exact(channels)
        .map(grey_of)
        .collect();
    Ok((grey, w, h))
}

fn decode_jpeg(bytes: &[u8]) -> std::result::Result<(Vec<f32>, usize, usize), String> {
    use zune_jpeg::zune_core::{bytestream::ZCursor, colorspace::ColorSpace, options};
    let side = 1 << 16;
    let options = options::DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(side)
        .set_max_height(side);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(|e| e.to_string())?;
    let info = decoder.info().ok_or("a JPEG without a frame header")?;
    let (w, h) = (usize::from(info.width), usize::from(info.height));
    check_size(w, h)?;
    let pixels = decoder.decode().map_err(|e| e.to_string())?;
    if pixels.len() != w * h {
        return Err(format!(
            "the JPEG decoded to {} values for {w} × {h} pixels",
            pixels.len()
        ));
    }
    let grey = pixels.iter().map(|&v| f32::from(v) / 255.0).collect();
    Ok((grey, w, h))
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
