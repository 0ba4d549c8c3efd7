//! Pictures of what a network learned: the confusion matrix of its test
//! set, the test images it gets most confidently wrong, and a conv net's
//! first-layer filters before and after training (the book's Fig. 7-24).
//!
//! Each picture is an SVG (with its labels); the image grids are also PNGs.
//! Everything is written atomically, into a folder the caller chose.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use ndarray::Axis;
use nn_core::Tensor;
use nn_data::Split;
use nn_layers::{Network, EVAL_BATCH};

use crate::{Error, Result};

/// A test image the network got wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Mistake {
    /// Its index in the test set.
    pub index: usize,
    /// Its label.
    pub label: usize,
    /// The class the network chose.
    pub predicted: usize,
    /// The probability the network gave that class.
    pub confidence: f64,
}

/// How a network does on a test set, class by class.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// `confusion[true][predicted]`: how many test images of each class
    /// went to each class.
    pub confusion: Vec<Vec<usize>>,
    /// Every mistake, most confident first.
    pub mistakes: Vec<Mistake>,
}

impl Evaluation {
    /// The share of the test set on the diagonal.
    pub fn accuracy(&self) -> f64 {
        let total: usize = self.confusion.iter().flatten().sum();
        let right: usize = (0..self.confusion.len())
            .map(|i| self.confusion[i][i])
            .sum();
        right as f64 / total.max(1) as f64
    }
}

/// Scores every test image (in chunks) and tallies the confusion matrix
/// and the mistakes.
///
/// # Errors
/// The network's errors (a test set of the wrong shape).
pub fn evaluate_classes(
    net: &mut Network<f32>,
    test: &Split<f32>,
    classes: usize,
) -> Result<Evaluation> {
    let mut confusion = vec![vec![0; classes]; classes];
    let mut mistakes = Vec::new();
    for (c, images) in test
        .images
        .axis_chunks_iter(Axis(0), EVAL_BATCH)
        .enumerate()
    {
        let probs = net.predict_proba(images)?;
        for (i, row) in probs.outer_iter().enumerate() {
            let index = c * EVAL_BATCH + i;
            let label = test.labels[index];
            let predicted = nn_layers::argmax(row);
            if label >= classes || predicted >= classes {
                return Err(Error::InvalidArgument {
                    op: "report",
                    message: format!(
                        "label {label} or class {predicted} is not below the {classes} classes"
                    ),
                });
            }
            confusion[label][predicted] += 1;
            if label != predicted {
                mistakes.push(Mistake {
                    index,
                    label,
                    predicted,
                    confidence: f64::from(row[predicted]),
                });
            }
        }
    }
    mistakes.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    Ok(Evaluation {
        confusion,
        mistakes,
    })
}

/// What [`write()`] draws.
pub struct ReportInput<'a> {
    /// The trained network.
    pub net: &'a mut Network<f32>,
    /// The test set it is measured on.
    pub test: &'a Split<f32>,
    /// The number of classes.
    pub classes: usize,
    /// The classes' names, when they are not their numbers.
    pub class_names: Option<&'a [&'a str]>,
    /// The first conv layer's filters before training, when known.
    pub filters_before: Option<Tensor<f32>>,
    /// A title for the pictures (network and dataset).
    pub title: String,
}

/// Writes `confusion.svg`, `mistakes.svg`/`.png` (when the test images are
/// 28 × 28 or another square) and, for a network whose first parameter is
/// a convolution's filters, `filters.svg`/`.png` (before and after training
/// when `filters_before` is given). Returns the files written.
///
/// # Errors
/// The network's errors, or [`Error::Plot`] when a file cannot be written.
pub fn write(dir: &Path, input: ReportInput<'_>) -> Result<Vec<PathBuf>> {
    let ReportInput {
        net,
        test,
        classes,
        class_names,
        filters_before,
        title,
    } = input;
    let eval = evaluate_classes(net, test, classes)?;
    let names: Vec<String> = (0..classes)
        .map(|c| {
            class_names
                .and_then(|n| n.get(c))
                .map_or_else(|| c.to_string(), |s| s.to_string())
        })
        .collect();
    let mut written = Vec::new();

    let path = dir.join("confusion.svg");
    save(&path, confusion_svg(&eval, &names, &title).as_bytes())?;
    written.push(path);

    if let Some(side) = square_side(test) {
        let shown: Vec<&Mistake> = eval.mistakes.iter().take(36).collect();
        if !shown.is_empty() {
            let tiles: Vec<Vec<f32>> = shown.iter().map(|m| image_of(test, m.index)).collect();
            let captions: Vec<String> = shown
                .iter()
                .map(|m| {
                    format!(
                        "{} → {} {:.0}%",
                        names[m.label],
                        names[m.predicted],
                        100.0 * m.confidence
                    )
                })
                .collect();
            let grid = Grid::new(&tiles, side, side, 6, 3, false);
            let png = grid.png(&dir.join("mistakes.png"))?;
            let path = dir.join("mistakes.png");
            save(&path, &png)?;
            written.push(path);
            let heading = format!(
                "{title}: {} of {} mistakes, most confident first",
                shown.len(),
                eval.mistakes.len()
            );
            let path = dir.join("mistakes.svg");
            save(&path, grid.svg(&png, &heading, &captions).as_bytes())?;
            written.push(path);
        }
    }

    if let Some(after) = first_filters(net) {
        let mut sets = Vec::new();
        if let Some(before) = filters_before.filter(|b| b.shape() == after.shape()) {
            sets.push(("before training", before));
        }
        sets.push(("after training", after));
        let (fh, fw) = (sets[0].1.shape()[2], sets[0].1.shape()[3]);
        let count = sets[0].1.shape()[0];
        let cols = count.clamp(1, 15);
        let scale = (48 / fh.max(fw)).max(2);
        let mut svg_parts = Vec::new();
        for (label, filters) in &sets {
            let tiles = filter_tiles(filters);
            let grid = Grid::new(&tiles, fh, fw, cols, scale, true);
            let png = grid.png(&dir.join("filters.png"))?;
            svg_parts.push((label.to_string(), grid, png));
        }
        let path = dir.join("filters.png");
        let grids: Vec<&Grid> = svg_parts.iter().map(|(_, grid, _)| grid).collect();
        save(&path, &stack_grids(&grids, &path)?)?;
        written.push(path);
        let path = dir.join("filters.svg");
        save(&path, filters_svg(&title, &svg_parts).as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

fn save(path: &Path, bytes: &[u8]) -> Result<()> {
    nn_data::write_atomically(path, bytes)?;
    Ok(())
}

fn plot_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The side of the test set's square grey images, if they are.
fn square_side(test: &Split<f32>) -> Option<usize> {
    match test.images.shape() {
        [_, 1, h, w] if h == w => Some(*h),
        [_, d] => {
            let side = (*d as f64).sqrt().round() as usize;
            (side * side == *d && side > 1).then_some(side)
        }
        _ => None,
    }
}

/// Test image `index` as a row of pixels in [0, 1] (min–max scaled when
/// the data was normalised otherwise).
fn image_of(test: &Split<f32>, index: usize) -> Vec<f32> {
    let pixels: Vec<f32> = test
        .images
        .index_axis(Axis(0), index)
        .iter()
        .copied()
        .collect();
    if pixels.iter().all(|v| (0.0..=1.0).contains(v)) {
        pixels
    } else {
        stretch(&pixels)
    }
}

/// Values scaled to [0, 1] by their own minimum and maximum.
fn stretch(values: &[f32]) -> Vec<f32> {
    let (lo, hi) = values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let span = hi - lo;
    values
        .iter()
        .map(|v| if span > 0.0 { (v - lo) / span } else { 0.0 })
        .collect()
}

/// The first parameter of the network shaped (FN, C, FH, FW): the first
/// convolution's filters.
pub fn first_filters(net: &mut Network<f32>) -> Option<Tensor<f32>> {
    let mut found = None;
    nn_core::Parameters::visit_params(net, &mut |p| {
        if found.is_none() && p.value.ndim() == 4 {
            found = Some(p.value.to_owned());
        }
    });
    found
}

/// One tile per filter: its first channel (the mean over channels for
/// colour input), each scaled by its own range as the book's `filter_show`.
fn filter_tiles(filters: &Tensor<f32>) -> Vec<Vec<f32>> {
    filters
        .outer_iter()
        .map(|f| {
            let channels = f.shape()[0].max(1) as f32;
            let mean = f.sum_axis(Axis(0)).mapv(|v| v / channels);
            stretch(&mean.iter().copied().collect::<Vec<_>>())
        })
        .collect()
}

/// Tiles laid out in rows, scaled up, as one grey image.
struct Grid {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
    cols: usize,
    tile_w: usize,
    tile_h: usize,
    gap: usize,
    count: usize,
}

impl Grid {
    /// `tiles` of `h × w` values in [0, 1], `cols` per row, each pixel a
    /// `scale × scale` square; `inverted` draws 1 as black (the book's
    /// `gray_r`), else as white ink on black as MNIST looks.
    fn new(
        tiles: &[Vec<f32>],
        h: usize,
        w: usize,
        cols: usize,
        scale: usize,
        inverted: bool,
    ) -> Grid {
        let gap = 2 * scale.max(1);
        let cols = cols.max(1).min(tiles.len().max(1));
        let rows = tiles.len().div_ceil(cols);
        let (tile_w, tile_h) = (w * scale, h * scale);
        let width = cols * tile_w + (cols + 1) * gap;
        let height = rows * tile_h + (rows + 1) * gap;
        let mut pixels = vec![255u8; width * height];
        for (t, tile) in tiles.iter().enumerate() {
            let (r, c) = (t / cols, t % cols);
            let (x0, y0) = (gap + c * (tile_w + gap), gap + r * (tile_h + gap));
            for y in 0..tile_h {
                for x in 0..tile_w {
                    let v = tile
                        .get((y / scale) * w + x / scale)
                        .copied()
                        .unwrap_or(0.0);
                    let v = v.clamp(0.0, 1.0);
                    let v = if inverted { 1.0 - v } else { v };
                    pixels[(y0 + y) * width + x0 + x] = (v * 255.0).round() as u8;
                }
            }
        }
        Grid {
            width,
            height,
            pixels,
            cols,
            tile_w,
            tile_h,
            gap,
            count: tiles.len(),
        }
    }

    fn png(&self, path: &Path) -> Result<Vec<u8>> {
        encode_grey(&self.pixels, self.width, self.height).map_err(|e| plot_error(path, e))
    }

    /// The grid as an SVG: the PNG embedded, a heading, and a caption under
    /// each tile.
    fn svg(&self, png: &[u8], heading: &str, captions: &[String]) -> String {
        let caption_h = if captions.is_empty() { 0 } else { 16 };
        let rows = self.count.div_ceil(self.cols);
        let row_h = self.tile_h + self.gap + caption_h;
        let top = 50;
        let height = top + rows * row_h + self.gap;
        let width = self.width.max(200);
        let mut svg = svg_open(width, height);
        text(&mut svg, 8, 20, 14, "start", heading);
        text(
            &mut svg,
            8,
            40,
            12,
            "start",
            "under each: true class → predicted class, its probability",
        );
        // The grid is embedded once and each tile shown from it through a
        // viewBox, leaving room for its caption under it.
        let data = base64::engine::general_purpose::STANDARD.encode(png);
        let _ = write!(
            svg,
            r#"<defs><image id="grid" width="{}" height="{}" style="image-rendering:pixelated" href="data:image/png;base64,{data}"/></defs>"#,
            self.width, self.height
        );
        for t in 0..self.count {
            let (r, c) = (t / self.cols, t % self.cols);
            let (sx, sy) = (
                self.gap + c * (self.tile_w + self.gap),
                self.gap + r * (self.tile_h + self.gap),
            );
            let (x, y) = (sx, top + r * row_h);
            let _ = write!(
                svg,
                r##"<svg x="{x}" y="{y}" width="{w}" height="{h}" viewBox="{sx} {sy} {w} {h}"><use href="#grid"/></svg>"##,
                w = self.tile_w,
                h = self.tile_h,
            );
            if let Some(caption) = captions.get(t) {
                text(
                    &mut svg,
                    x + self.tile_w / 2,
                    y + self.tile_h + 13,
                    11,
                    "middle",
                    caption,
                );
            }
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// Tiles of `h × w` values in [0, 1] (white ink on black), `cols` a row,
/// scaled `scale` times, as a PNG.
///
/// # Errors
/// Why the PNG could not be encoded.
pub fn grid_png(
    tiles: &[Vec<f32>],
    h: usize,
    w: usize,
    cols: usize,
    scale: usize,
) -> std::result::Result<Vec<u8>, String> {
    let grid = Grid::new(tiles, h, w, cols, scale, false);
    encode_grey(&grid.pixels, grid.width, grid.height)
}

fn encode_grey(pixels: &[u8], width: usize, height: usize) -> std::result::Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let (w, h) = (
        u32::try_from(width).map_err(|e| e.to_string())?,
        u32::try_from(height).map_err(|e| e.to_string())?,
    );
    let mut encoder = png::Encoder::new(&mut bytes, w, h);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(pixels).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// Grids one under the other, left-aligned on white, as one grey PNG.
fn stack_grids(grids: &[&Grid], path: &Path) -> Result<Vec<u8>> {
    let width = grids.iter().map(|g| g.width).max().unwrap_or(1).max(1);
    let height = grids.iter().map(|g| g.height).sum::<usize>().max(1);
    let mut all = vec![255u8; width * height];
    let mut top = 0;
    for grid in grids {
        for (y, row) in grid.pixels.chunks_exact(grid.width.max(1)).enumerate() {
            let start = (top + y) * width;
            all[start..start + row.len()].copy_from_slice(row);
        }
        top += grid.height;
    }
    encode_grey(&all, width, height).map_err(|e| plot_error(path, e))
}

fn filters_svg(title: &str, parts: &[(String, Grid, Vec<u8>)]) -> String {
    let width = parts
        .iter()
        .map(|(_, g, _)| g.width)
        .max()
        .unwrap_or(200)
        .max(360);
    let height = 34 + parts.iter().map(|(_, g, _)| g.height + 22).sum::<usize>();
    let mut svg = svg_open(width, height);
    text(
        &mut svg,
        8,
        20,
        14,
        "start",
        &format!("{title}: first-layer filters"),
    );
    let mut y = 34;
    for (label, grid, png) in parts {
        text(&mut svg, 8, y + 14, 12, "start", label);
        let data = base64::engine::general_purpose::STANDARD.encode(png);
        let _ = write!(
            svg,
            r#"<image x="0" y="{}" width="{}" height="{}" style="image-rendering:pixelated" href="data:image/png;base64,{data}"/>"#,
            y + 20,
            grid.width,
            grid.height
        );
        y += grid.height + 22;
    }
    svg.push_str("</svg>\n");
    svg
}

fn svg_open(width: usize, height: usize) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>"#
    )
}

fn text(svg: &mut String, x: usize, y: usize, size: usize, anchor: &str, content: &str) {
    let escaped = content
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let _ = write!(
        svg,
        r#"<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}">{escaped}</text>"#
    );
}

/// The confusion matrix as an SVG: a cell per (true, predicted) pair
/// shaded by its share of the true class, with its count.
fn confusion_svg(eval: &Evaluation, names: &[String], title: &str) -> String {
    let n = names.len();
    let label_w = names.iter().map(|s| s.chars().count()).max().unwrap_or(1) * 7 + 16;
    let cell = 44;
    let (left, top) = (label_w + 24, 64);
    let width = left + n * cell + 16;
    let height = top + n * cell + label_w + 24;
    let mut svg = svg_open(width.max(420), height);
    text(
        &mut svg,
        8,
        20,
        14,
        "start",
        &format!(
            "{title}: confusion matrix, test accuracy {:.2}%",
            100.0 * eval.accuracy()
        ),
    );
    text(&mut svg, left + n * cell / 2, 46, 12, "middle", "predicted");
    let _ = write!(
        svg,
        r#"<text x="14" y="{y}" font-size="12" text-anchor="middle" transform="rotate(-90 14 {y})">true</text>"#,
        y = top + n * cell / 2
    );
    for (t, row) in eval.confusion.iter().enumerate() {
        let total: usize = row.iter().sum::<usize>().max(1);
        text(
            &mut svg,
            left - 6,
            top + t * cell + cell / 2 + 4,
            11,
            "end",
            &names[t],
        );
        for (p, &count) in row.iter().enumerate() {
            let share = count as f64 / total as f64;
            // White to a deep blue by share; the diagonal green-blue.
            let shade = |full: f64| (255.0 - share.sqrt() * (255.0 - full)).round() as u8;
            let (r, g, b) = if t == p {
                (shade(20.0), shade(110.0), shade(90.0))
            } else {
                (shade(200.0), shade(40.0), shade(40.0))
            };
            let (x, y) = (left + p * cell, top + t * cell);
            let _ = write!(
                svg,
                r##"<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="#{r:02x}{g:02x}{b:02x}" stroke="#ddd"/>"##
            );
            if count > 0 {
                let ink = if share > 0.45 { "white" } else { "black" };
                let _ = write!(
                    svg,
                    r#"<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="{ink}">{count}</text>"#,
                    x + cell / 2,
                    y + cell / 2 + 4
                );
            }
        }
    }
    for (p, name) in names.iter().enumerate() {
        let x = left + p * cell + cell / 2;
        let y = top + n * cell + 8;
        let _ = write!(
            svg,
            r#"<text x="{x}" y="{y}" font-size="11" text-anchor="end" transform="rotate(-60 {x} {y})">{name}</text>"#
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretch_maps_the_range_onto_0_1() {
        assert_eq!(stretch(&[0.0, 0.5, 1.0]), [0.0, 0.5, 1.0]);
        assert_eq!(stretch(&[-1.0, 0.0, 3.0]), [0.0, 0.25, 1.0]);
        assert_eq!(stretch(&[2.0, 2.0]), [0.0, 0.0]);
    }

    #[test]
    fn a_grid_places_each_tile_scaled() {
        // Two 1×2 tiles, scale 2, gap 4: white frame, tiles' pixels as given.
        let g = Grid::new(&[vec![0.0, 1.0], vec![1.0, 0.0]], 1, 2, 2, 2, false);
        assert_eq!((g.width, g.height), (2 * 4 + 3 * 4, 2 + 2 * 4));
        let at = |x: usize, y: usize| g.pixels[y * g.width + x];
        assert_eq!((at(4, 4), at(5, 5), at(6, 4), at(7, 5)), (0, 0, 255, 255));
        assert_eq!((at(12, 4), at(14, 4)), (255, 0));
        assert_eq!(at(0, 0), 255);
    }
}
