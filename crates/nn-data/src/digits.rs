//! `digits`: a built-in, synthetic, MNIST-shaped dataset that needs no download.

use std::f64::consts::PI;

use nn_core::{
    rng::{below, seeded, uniform01, ChaCha8Rng, Rng},
    Float,
};
use rayon::prelude::*;

use crate::{Dataset, LoadOptions, Split};

/// Image side, as MNIST's.
pub const SIDE: usize = 28;

/// Sizes and seed of the [`digits`] dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigitsConfig {
    /// Training images (default 60,000, as MNIST).
    pub train: usize,
    /// Test images (default 10,000).
    pub test: usize,
    /// The seed everything is drawn from.
    pub seed: u64,
}

impl Default for DigitsConfig {
    fn default() -> Self {
        DigitsConfig {
            train: 60_000,
            test: 10_000,
            seed: 0,
        }
    }
}

/// Synthetic handwritten-style digits, 28 × 28 grey, in MNIST's shapes and
/// format: the built-in default dataset, generated on the spot.
///
/// **What it is.** Each digit 0–9 has one stroke template (polylines and arcs
/// in a unit box, in the shapes people write). Each image draws a label
/// uniformly, then warps the template smoothly, rotates it (±14°), shears,
/// scales and shifts it, renders it anti-aliased with a random stroke width
/// (about 2–4 pixels) and ink intensity into a 20 × 20 box centred in the
/// 28 × 28 image (as MNIST's digits are), and adds light uniform noise. Images
/// are quantised to bytes like MNIST's, so every [`LoadOptions`] behaves the
/// same. Each image has its own random stream (seed, index), so generation is
/// parallel and the same seed gives the same dataset on any machine:
/// 70,000 images take a fraction of a second on 2 cores.
///
/// **What it is not.** It is not real handwriting: one template per digit
/// means far less variety than MNIST's (no open 4s against closed ones, no
/// European 1s and 7s unless drawn), so it is easier, and accuracy on it says
/// little about accuracy on MNIST. It exists so that the main job and the
/// examples run with no download; use [`crate::mnist`] for results to compare
/// with the book's.
///
/// ```
/// use nn_data::{digits, DigitsConfig, LoadOptions};
///
/// let config = DigitsConfig { train: 100, test: 20, seed: 1 };
/// let data = digits::<f32>(&config, &LoadOptions::images());
/// assert_eq!(data.train.images.shape(), &[100, 1, 28, 28]);
/// assert_eq!(data.test.labels.len(), 20);
/// assert_eq!(data, digits::<f32>(&config, &LoadOptions::images()));
/// ```
pub fn digits<T: Float>(config: &DigitsConfig, options: &LoadOptions) -> Dataset<T> {
    let templates = templates();
    let make = |n: usize, first_stream: u64| {
        let mut pixels = vec![0u8; n * SIDE * SIDE];
        let labels: Vec<usize> = pixels
            .par_chunks_mut(SIDE * SIDE)
            .enumerate()
            .map(|(i, image)| {
                let mut rng = seeded(config.seed);
                rng.set_stream(first_stream + i as u64);
                let label = below(&mut rng, 10);
                render(&templates[label], label, &mut rng, image);
                label
            })
            .collect();
        Split::from_bytes(&pixels, &[1, SIDE, SIDE], labels, 10, options)
            .expect("pixels and labels are generated together")
    };
    Dataset {
        name: "digits".into(),
        train: make(config.train, 0),
        test: make(config.test, 1 << 40),
        classes: 10,
    }
}

type Point = (f64, f64);
type Stroke = Vec<Point>;

/// Points along an ellipse arc, angles in degrees (y grows downwards, so
/// increasing angles turn clockwise on screen), about every 10°: chords of
/// at most 2 pixels at this size, which still look round.
fn arc(cx: f64, cy: f64, rx: f64, ry: f64, from: f64, to: f64) -> Stroke {
    let steps = ((to - from).abs() / 10.0).ceil().max(2.0) as usize;
    (0..=steps)
        .map(|s| {
            let a = (from + (to - from) * s as f64 / steps as f64) * PI / 180.0;
            (cx + rx * a.cos(), cy + ry * a.sin())
        })
        .collect()
}

fn then(mut stroke: Stroke, more: &[Point]) -> Stroke {
    stroke.extend_from_slice(more);
    stroke
}

/// One template per digit, in a unit box (x right, y down).
fn templates() -> Vec<Vec<Stroke>> {
    vec![
        vec![arc(0.5, 0.5, 0.30, 0.45, 0.0, 360.0)],
        vec![vec![(0.36, 0.2), (0.55, 0.04), (0.52, 0.96)]],
        vec![then(
            arc(0.5, 0.3, 0.3, 0.26, 200.0, 380.0),
            &[(0.14, 0.95), (0.9, 0.95)],
        )],
        vec![
            arc(0.48, 0.27, 0.28, 0.23, 200.0, 450.0),
            arc(0.5, 0.72, 0.32, 0.24, 270.0, 520.0),
        ],
        vec![
            vec![(0.68, 0.04), (0.12, 0.66), (0.92, 0.66)],
            vec![(0.66, 0.32), (0.66, 0.97)],
        ],
        vec![then(
            vec![(0.82, 0.05), (0.32, 0.05)],
            &arc(0.5, 0.68, 0.3, 0.26, 205.0, 500.0),
        )],
        vec![
            arc(0.62, 0.62, 0.42, 0.58, 255.0, 160.0),
            arc(0.5, 0.71, 0.27, 0.24, 180.0, 540.0),
        ],
        vec![vec![(0.12, 0.06), (0.88, 0.06), (0.42, 0.96)]],
        vec![
            arc(0.5, 0.27, 0.23, 0.22, 90.0, 450.0),
            arc(0.5, 0.71, 0.28, 0.25, 270.0, 630.0),
        ],
        vec![
            arc(0.5, 0.3, 0.27, 0.25, 0.0, 360.0),
            vec![(0.77, 0.3), (0.72, 0.65), (0.6, 0.96)],
        ],
    ]
}

fn range(rng: &mut ChaCha8Rng, low: f64, high: f64) -> f64 {
    low + (high - low) * uniform01(rng)
}

/// Draws one jittered instance of `template` into `image` (28 × 28 bytes).
fn render(template: &[Stroke], label: usize, rng: &mut ChaCha8Rng, image: &mut [u8]) {
    // A smooth warp: each coordinate displaced by a sine of the other.
    let warp: [f64; 6] = std::array::from_fn(|i| match i % 3 {
        0 => range(rng, -0.04, 0.04),
        1 => range(rng, 0.5, 1.5),
        _ => range(rng, 0.0, 1.0),
    });
    let angle = range(rng, -0.25, 0.25);
    let shear = range(rng, -0.3, 0.3);
    let (sx, sy) = (range(rng, 0.75, 1.05), range(rng, 0.85, 1.05));
    let (tx, ty) = (range(rng, -2.0, 2.0), range(rng, -2.0, 2.0));
    let radius = range(rng, 0.9, 1.9);
    let ink = range(rng, 0.75, 1.0);
    // A crossed 7 now and then.
    let extra: Option<Stroke> =
        (label == 7 && uniform01(rng) < 0.3).then(|| vec![(0.35, 0.52), (0.78, 0.5)]);
    let (cos, sin) = (angle.cos(), angle.sin());
    let place = |&(x, y): &Point| -> Point {
        let x = x + warp[0] * (2.0 * PI * (warp[1] * y + warp[2])).sin();
        let y = y + warp[3] * (2.0 * PI * (warp[4] * x + warp[5])).sin();
        let (x, y) = ((x - 0.5) * sx + shear * (y - 0.5), (y - 0.5) * sy);
        let (x, y) = (cos * x - sin * y, sin * x + cos * y);
        (14.0 + tx + 20.0 * x, 14.0 + ty + 20.0 * y)
    };
    let mut canvas = [0.0_f32; SIDE * SIDE];
    for stroke in template.iter().chain(extra.as_ref()) {
        let points: Vec<Point> = stroke.iter().map(place).collect();
        for pair in points.windows(2) {
            draw_segment(&mut canvas, pair[0], pair[1], radius, ink);
        }
    }
    // Light noise, uniform in ±0.04 (standard deviation 0.023): four pixels
    // per 64-bit draw, 16 bits each (Gaussian noise cost most of the time).
    for (pixels, values) in image.chunks_mut(4).zip(canvas.chunks(4)) {
        let mut bits = rng.next_u64();
        for (pixel, &v) in pixels.iter_mut().zip(values) {
            let u = (bits & 0xffff) as f64 / 65535.0;
            bits >>= 16;
            *pixel = ((f64::from(v) + 0.08 * (u - 0.5)).clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
        }
    }
}

/// Paints a segment of the given radius: each pixel near it takes the
/// larger of its value and `ink` × its coverage, coverage falling from 1 to 0
/// over the pixel at the stroke's edge. Single precision and branch-free, so
/// that each row of pixels is computed in vector registers.
fn draw_segment(canvas: &mut [f32], (x0, y0): Point, (x1, y1): Point, radius: f64, ink: f64) {
    let reach = radius + 1.0;
    let lo = |a: f64, b: f64| ((a.min(b) - reach).floor().max(0.0)) as usize;
    let hi = |a: f64, b: f64| ((a.max(b) + reach).ceil().min(SIDE as f64)) as usize;
    let (cols, rows) = (lo(x0, x1)..hi(x0, x1), lo(y0, y1)..hi(y0, y1));
    let (x0, y0, dx, dy) = (x0 as f32, y0 as f32, (x1 - x0) as f32, (y1 - y0) as f32);
    let inv_len2 = 1.0 / (dx * dx + dy * dy).max(1e-12);
    let (edge, ink) = ((radius + 0.5) as f32, ink as f32);
    for py in rows {
        let cy = py as f32 + 0.5 - y0;
        let row = &mut canvas[py * SIDE..][cols.clone()];
        for (k, v) in row.iter_mut().enumerate() {
            let cx = (cols.start + k) as f32 + 0.5 - x0;
            let t = ((cx * dx + cy * dy) * inv_len2).clamp(0.0, 1.0);
            let (ex, ey) = (cx - t * dx, cy - t * dy);
            let coverage = (edge - (ex * ex + ey * ey).sqrt()).clamp(0.0, 1.0);
            *v = v.max(coverage * ink);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_like_mnist_in_shape_range_and_ink() {
        let data = digits::<f32>(
            &DigitsConfig {
                train: 2000,
                test: 100,
                seed: 3,
            },
            &LoadOptions::default(),
        );
        assert_eq!(data.train.images.shape(), &[2000, 784]);
        assert!(data.train.images.iter().all(|&v| (0.0..=1.0).contains(&v)));
        // MNIST's mean pixel is 0.13; the strokes here cover a similar share.
        let mean = data.train.images.mean().unwrap();
        assert!((0.07..0.25).contains(&mean), "{mean}");
        // Every class appears, roughly uniformly (200 ± 45 of 2000).
        let mut counts = [0usize; 10];
        data.train.labels.iter().for_each(|&l| counts[l] += 1);
        assert!(
            counts.iter().all(|&c| (155..245).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn same_seed_same_images_and_streams_independent_of_size() {
        let a = digits::<f64>(
            &DigitsConfig {
                train: 50,
                test: 10,
                seed: 9,
            },
            &LoadOptions::default(),
        );
        let b = digits::<f64>(
            &DigitsConfig {
                train: 80,
                test: 10,
                seed: 9,
            },
            &LoadOptions::default(),
        );
        // Image i depends on the seed and i alone.
        assert_eq!(a.train.take(50), b.train.take(50));
        assert_eq!(a.test, b.test);
        let c = digits::<f64>(
            &DigitsConfig {
                train: 50,
                test: 10,
                seed: 10,
            },
            &LoadOptions::default(),
        );
        assert_ne!(a.train, c.train);
    }
}
