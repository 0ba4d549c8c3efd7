//! Turning a picture of a digit into an MNIST sample.
//!
//! MNIST's digits were prepared this way (LeCun et al.): white ink on black,
//! the digit cut out, scaled to fit a 20 × 20 box keeping its proportions,
//! anti-aliased, then placed in a 28 × 28 image with its centre of mass at
//! the centre. A photo or drawing of a digit has to go through the same
//! steps before a network trained on MNIST can read it.

use crate::{Error, Result};

/// MNIST's image side.
pub const SIDE: usize = 28;
/// The box MNIST's digits are scaled to fit.
pub const BOX: usize = 20;

/// Prepares a grey picture (`width × height` values in [0, 1], row by row)
/// as MNIST's digits were: inverted when its background is light, cropped
/// to the ink, scaled to fit 20 × 20 keeping the aspect ratio (averaging
/// over each new pixel's area when shrinking, bilinear when enlarging),
/// and centred by mass in 28 × 28. Returns 784 values in [0, 1].
///
/// The background is the median of the border pixels; ink is what differs
/// from it by more than a quarter of the picture's contrast; the contrast
/// is stretched so that the background is 0 and the strongest ink 1.
///
/// # Errors
/// [`Error::InvalidArgument`] when the sizes do not match the pixels, or
/// when the picture is blank (no ink).
///
/// ```
/// use nn_data::prepare::mnist_style;
///
/// // A black bar on white, 10 × 40, anywhere: white on black, 20 high.
/// let (w, h) = (30, 60);
/// let mut picture = vec![1.0; w * h];
/// for y in 5..45 {
///     for x in 3..13 {
///         picture[y * w + x] = 0.0;
///     }
/// }
/// let digit = mnist_style(&picture, w, h)?;
/// let rows: Vec<usize> = (0..28).filter(|&y| digit[y * 28 + 14] > 0.5).collect();
/// assert_eq!((rows[0], rows.len()), (4, 20));
/// assert_eq!(digit[0], 0.0);
/// # Ok::<(), nn_data::Error>(())
/// ```
pub fn mnist_style(grey: &[f32], width: usize, height: usize) -> Result<Vec<f32>> {
    let bad = |message: String| Error::InvalidArgument {
        op: "mnist_style",
        message,
    };
    if width == 0 || height == 0 || width.checked_mul(height) != Some(grey.len()) {
        return Err(bad(format!(
            "{} pixels for a {width} × {height} picture",
            grey.len()
        )));
    }
    // White ink on black, 0 for the background, 1 for the strongest ink.
    let background = median(border(grey, width, height));
    let ink: Vec<f32> = if background > 0.5 {
        grey.iter().map(|v| background - v).collect()
    } else {
        grey.iter().map(|v| v - background).collect()
    };
    let strongest = ink.iter().copied().fold(0.0_f32, f32::max);
    if strongest < 0.05 {
        return Err(bad(format!(
            "the {width} × {height} picture is blank: no ink differs from the background"
        )));
    }
    let ink: Vec<f32> = ink
        .iter()
        .map(|v| (v / strongest).clamp(0.0, 1.0))
        .collect();
    Ok(fit_and_centre(&ink, width, height, 0.25))
}

/// MNIST's normalisation of white-on-black ink (`width × height` values
/// in [0, 1]): cropped to the pixels above `threshold`, scaled to fit
/// 20 × 20 keeping the aspect ratio, centred by mass in 28 × 28. A picture
/// with no pixel above `threshold` gives a blank 28 × 28.
pub fn fit_and_centre(ink: &[f32], width: usize, height: usize, threshold: f32) -> Vec<f32> {
    let (mut x0, mut y0, mut x1, mut y1) = (width, height, 0, 0);
    for y in 0..height {
        for x in 0..width {
            if ink[y * width + x] > threshold {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x + 1);
                y1 = y1.max(y + 1);
            }
        }
    }
    if x1 <= x0 || y1 <= y0 {
        return vec![0.0; SIDE * SIDE];
    }
    let (cw, ch) = (x1 - x0, y1 - y0);
    let crop: Vec<f32> = (y0..y1)
        .flat_map(|y| ink[y * width + x0..y * width + x1].iter().copied())
        .collect();

    // Fit in 20 × 20, keeping the aspect ratio.
    let scale = BOX as f64 / cw.max(ch) as f64;
    let nw = ((cw as f64 * scale).round() as usize).clamp(1, BOX);
    let nh = ((ch as f64 * scale).round() as usize).clamp(1, BOX);
    let small = resize(&crop, cw, ch, nw, nh);

    // Centre by mass in 28 × 28.
    let mass: f64 = small.iter().map(|&v| f64::from(v)).sum();
    let (mut mx, mut my) = (0.0, 0.0);
    for y in 0..nh {
        for x in 0..nw {
            let v = f64::from(small[y * nw + x]);
            mx += v * (x as f64 + 0.5);
            my += v * (y as f64 + 0.5);
        }
    }
    let (mx, my) = if mass > 0.0 {
        (mx / mass, my / mass)
    } else {
        (nw as f64 / 2.0, nh as f64 / 2.0)
    };
    let half = SIDE as f64 / 2.0;
    let max_x = (SIDE - nw) as f64;
    let max_y = (SIDE - nh) as f64;
    let left = (half - mx).round().clamp(0.0, max_x) as usize;
    let top = (half - my).round().clamp(0.0, max_y) as usize;
    let mut out = vec![0.0; SIDE * SIDE];
    for y in 0..nh {
        let row = (top + y) * SIDE + left;
        out[row..row + nw].copy_from_slice(&small[y * nw..(y + 1) * nw]);
    }
    out
}

/// The pixels on the picture's edge.
fn border(grey: &[f32], width: usize, height: usize) -> Vec<f32> {
    let mut edge = Vec::with_capacity(2 * (width + height));
    for x in 0..width {
        edge.push(grey[x]);
        edge.push(grey[(height - 1) * width + x]);
    }
    for y in 0..height {
        edge.push(grey[y * width]);
        edge.push(grey[y * width + width - 1]);
    }
    edge
}

fn median(mut values: Vec<f32>) -> f32 {
    values.sort_by(f32::total_cmp);
    values[values.len() / 2]
}

/// Resamples `w × h` to `nw × nh`: each new pixel the mean of the old
/// pixels it covers (weighted by the share covered) when shrinking, a
/// bilinear interpolation when enlarging.
pub fn resize(src: &[f32], w: usize, h: usize, nw: usize, nh: usize) -> Vec<f32> {
    if nw >= w && nh >= h {
        return bilinear(src, w, h, nw, nh);
    }
    let (sx, sy) = (w as f64 / nw as f64, h as f64 / nh as f64);
    let mut out = vec![0.0; nw * nh];
    for ny in 0..nh {
        let (fy0, fy1) = (ny as f64 * sy, (ny + 1) as f64 * sy);
        for nx in 0..nw {
            let (fx0, fx1) = (nx as f64 * sx, (nx + 1) as f64 * sx);
            let (mut sum, mut area) = (0.0, 0.0);
            for y in fy0.floor() as usize..(fy1.ceil() as usize).min(h) {
                let wy = (fy1.min(y as f64 + 1.0) - fy0.max(y as f64)).max(0.0);
                for x in fx0.floor() as usize..(fx1.ceil() as usize).min(w) {
                    let wx = (fx1.min(x as f64 + 1.0) - fx0.max(x as f64)).max(0.0);
                    sum += f64::from(src[y * w + x]) * wx * wy;
                    area += wx * wy;
                }
            }
            out[ny * nw + nx] = if area > 0.0 { (sum / area) as f32 } else { 0.0 };
        }
    }
    out
}

fn bilinear(src: &[f32], w: usize, h: usize, nw: usize, nh: usize) -> Vec<f32> {
    let at = |x: usize, y: usize| f64::from(src[y.min(h - 1) * w + x.min(w - 1)]);
    let mut out = vec![0.0; nw * nh];
    for ny in 0..nh {
        // Pixel centres map to pixel centres.
        let fy = ((ny as f64 + 0.5) * h as f64 / nh as f64 - 0.5).max(0.0);
        let (y, ty) = (fy.floor() as usize, fy.fract());
        for nx in 0..nw {
            let fx = ((nx as f64 + 0.5) * w as f64 / nw as f64 - 0.5).max(0.0);
            let (x, tx) = (fx.floor() as usize, fx.fract());
            let top = at(x, y) * (1.0 - tx) + at(x + 1, y) * tx;
            let bottom = at(x, y + 1) * (1.0 - tx) + at(x + 1, y + 1) * tx;
            out[ny * nw + nx] = (top * (1.0 - ty) + bottom * ty) as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_averages_and_enlarging_interpolates() {
        // 4 × 2 → 2 × 1: the mean of each 2 × 2 block.
        let src = [0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0];
        assert_eq!(resize(&src, 4, 2, 2, 1), [0.5, 0.5]);
        // 2 × 1 → 4 × 1: the ends kept, the middle interpolated.
        assert_eq!(resize(&[0.0, 1.0], 2, 1, 4, 1), [0.0, 0.25, 0.75, 1.0]);
    }

    #[test]
    fn a_dot_lands_at_the_centre_whatever_its_place_and_background() {
        for (x, y, light) in [(2, 3, false), (40, 30, true), (10, 25, true)] {
            let (w, h) = (50, 35);
            let (bg, ink) = if light { (0.9, 0.1) } else { (0.0, 1.0) };
            let mut p = vec![bg; w * h];
            for dy in 0..4 {
                for dx in 0..4 {
                    p[(y + dy).min(h - 1) * w + (x + dx).min(w - 1)] = ink;
                }
            }
            let d = mnist_style(&p, w, h).unwrap();
            // A square scaled to 20 × 20, centred: rows and columns 4..24.
            assert_eq!(d[4 * 28 + 4], 1.0, "{x},{y}");
            assert_eq!(d[23 * 28 + 23], 1.0);
            assert_eq!(d[3 * 28 + 14], 0.0);
            assert_eq!(d[14 * 28 + 24], 0.0);
        }
    }

    #[test]
    fn blank_and_mismatched_pictures_are_errors() {
        let e = mnist_style(&[0.5; 12], 4, 3).unwrap_err().to_string();
        assert!(e.contains("4 × 3 picture is blank"), "{e}");
        let e = mnist_style(&[0.5; 12], 5, 3).unwrap_err().to_string();
        assert!(e.contains("12 pixels for a 5 × 3 picture"), "{e}");
    }
}
