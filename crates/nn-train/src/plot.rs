//! Training curves and comparisons as SVG figures (plotters).

use std::path::Path;

use plotters::prelude::*;

use crate::{Error, History, Result};

fn plot_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The mean of the `width` values centred on each one (fewer at the ends),
/// for a readable loss curve that does not lag behind the raw one.
///
/// ```
/// use nn_train::plot::moving_average;
///
/// assert_eq!(moving_average(&[3.0, 0.0, 3.0, 0.0, 3.0], 3), [1.5, 2.0, 1.0, 2.0, 1.5]);
/// ```
pub fn moving_average(values: &[f64], width: usize) -> Vec<f64> {
    let half = width.max(1) / 2;
    let mut prefix = Vec::with_capacity(values.len() + 1);
    prefix.push(0.0);
    for &v in values {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + v);
    }
    (0..values.len())
        .map(|i| {
            let (lo, hi) = (i.saturating_sub(half), (i + half + 1).min(values.len()));
            (prefix[hi] - prefix[lo]) / (hi - lo) as f64
        })
        .collect()
}

/// Ten colours that stay apart from each other and from white (matplotlib's
/// "tab10"), for figures with several lines.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// A legend label padded so that plotters' box, which it sizes from an
/// estimate of the text's width, does not cut the label's end.
fn legend_label(label: &str) -> String {
    format!("{label}{}", " ".repeat(label.chars().count() / 3 + 2))
}

/// A range of accuracies that fits `values` with a little room: the lines
/// are never drawn on the frame.
fn accuracy_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((1.0_f64, 0.0_f64), |(l, h), v| (l.min(v), h.max(v)));
    if lo > hi {
        return 0.0..1.0;
    }
    let pad = ((hi - lo) * 0.15).max(0.004);
    (lo - pad).max(0.0)..(hi + pad).min(1.0 + pad / 2.0)
}

/// Writes a two-panel SVG: the training loss per mini-batch (with its moving
/// average) and the train and test accuracy per epoch.
///
/// # Errors
/// [`Error::Plot`] when the file cannot be drawn or written.
pub fn training_curves(path: &Path, history: &History, title: &str) -> Result<()> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1100, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(path, e))?;
        let root = root
            .titled(title, ("sans-serif", 20))
            .map_err(|e| plot_error(path, e))?;
        let (left, right) = root.split_horizontally(560);

        // Non-finite losses (a diverged run) are left out of the drawing.
        let losses: Vec<f64> = history
            .losses
            .iter()
            .map(|&l| if l.is_finite() { l } else { f64::NAN })
            .collect();
        let smooth = moving_average(&losses, 51);
        let top = losses
            .iter()
            .copied()
            .filter(|l| l.is_finite())
            .fold(0.0, f64::max)
            .max(1e-3);
        let mut chart = ChartBuilder::on(&left)
            .caption("training loss", ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(50)
            .build_cartesian_2d(0usize..losses.len().max(1), 0.0..top * 1.05)
            .map_err(|e| plot_error(path, e))?;
        chart
            .configure_mesh()
            .x_desc("iteration")
            .y_desc("loss")
            .draw()
            .map_err(|e| plot_error(path, e))?;
        let raw = PALETTE[0].mix(0.3);
        chart
            .draw_series(LineSeries::new(
                losses
                    .iter()
                    .copied()
                    .enumerate()
                    .filter(|(_, l)| l.is_finite()),
                raw,
            ))
            .map_err(|e| plot_error(path, e))?
            .label(legend_label("each mini-batch"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], raw.stroke_width(2)));
        let line = PALETTE[0].stroke_width(2);
        chart
            .draw_series(LineSeries::new(
                smooth
                    .iter()
                    .copied()
                    .enumerate()
                    .filter(|(_, l)| l.is_finite()),
                line,
            ))
            .map_err(|e| plot_error(path, e))?
            .label(legend_label("mean of 51 around it"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], line));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .draw()
            .map_err(|e| plot_error(path, e))?;

        let epochs = history.epochs.len();
        let range = accuracy_range(history.epochs.iter().flat_map(|e| {
            [
                Some(e.train_accuracy),
                e.validation_accuracy,
                e.test_accuracy,
            ]
            .into_iter()
            .flatten()
        }));
        let mut chart = ChartBuilder::on(&right)
            .caption("accuracy", ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(50)
            .build_cartesian_2d(0.5..epochs as f64 + 0.5, range)
            .map_err(|e| plot_error(path, e))?;
        chart
            .configure_mesh()
            .x_labels(epochs.clamp(1, 20) + 1)
            .x_label_formatter(&|x: &f64| {
                // Whole epochs only.
                if (x - x.round()).abs() < 1e-9 {
                    format!("{x:.0}")
                } else {
                    String::new()
                }
            })
            .x_desc("epoch")
            .y_desc("accuracy")
            .draw()
            .map_err(|e| plot_error(path, e))?;
        type Pick = fn(&crate::EpochRecord) -> Option<f64>;
        let curves: [(&str, RGBColor, Pick); 3] = [
            ("train", PALETTE[3], |e| Some(e.train_accuracy)),
            ("validation", PALETTE[4], |e| e.validation_accuracy),
            ("test", PALETTE[2], |e| e.test_accuracy),
        ];
        for (label, color, pick) in curves {
            if history.epochs.iter().all(|e| pick(e).is_none()) {
                continue;
            }
            let points: Vec<(f64, f64)> = history
                .epochs
                .iter()
                .filter_map(|e| Some((e.epoch as f64, pick(e)?)))
                .collect();
            // Points as well as lines: one epoch is a point, not nothing.
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(|e| plot_error(path, e))?;
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(|e| plot_error(path, e))?
                .label(legend_label(label))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .draw()
            .map_err(|e| plot_error(path, e))?;
        root.present().map_err(|e| plot_error(path, e))?;
    }
    // Drawn in memory, written whole: a full disk never leaves half a picture.
    nn_data::write_atomically(path, svg.as_bytes())?;
    Ok(())
}

/// Writes an SVG of several loss curves against the iteration (smoothed),
/// like the book's figure 6-9 comparing optimizers on MNIST.
///
/// # Errors
/// [`Error::Plot`] when the file cannot be drawn or written.
pub fn loss_comparison(path: &Path, series: &[(String, Vec<f64>)], title: &str) -> Result<()> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(path, e))?;
        let len = series.iter().map(|(_, v)| v.len()).max().unwrap_or(1);
        let smoothed: Vec<(String, Vec<f64>)> = series
            .iter()
            .map(|(n, v)| (n.clone(), moving_average(v, 51)))
            .collect();
        let top = smoothed
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .fold(0.0, f64::max)
            .max(1e-3);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(0usize..len, 0.0..top * 1.05)
            .map_err(|e| plot_error(path, e))?;
        chart
            .configure_mesh()
            .x_desc("iterations")
            .y_desc("loss")
            .draw()
            .map_err(|e| plot_error(path, e))?;
        for (i, (name, values)) in smoothed.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(
                    values.iter().copied().enumerate(),
                    color.stroke_width(2),
                ))
                .map_err(|e| plot_error(path, e))?
                .label(legend_label(name))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .draw()
            .map_err(|e| plot_error(path, e))?;
        root.present().map_err(|e| plot_error(path, e))?;
    }
    // Drawn in memory, written whole: a full disk never leaves half a picture.
    nn_data::write_atomically(path, svg.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accuracy_axis_fits_the_data_with_room() {
        let r = accuracy_range([0.964, 0.9667, 0.981].into_iter());
        assert!(r.start < 0.964 && r.start > 0.95, "{r:?}");
        assert!(r.end > 0.981 && r.end < 0.99, "{r:?}");
        // 100% is inside the frame, not on it.
        let r = accuracy_range([1.0, 1.0].into_iter());
        assert!(r.start < 1.0 && r.end > 1.0, "{r:?}");
        assert_eq!(accuracy_range(std::iter::empty()), 0.0..1.0);
    }

    #[test]
    fn the_curves_name_both_loss_lines_and_every_accuracy() {
        let record = |epoch, acc| crate::EpochRecord {
            epoch,
            learning_rate: 0.1,
            loss: 0.5,
            train_accuracy: acc,
            validation_loss: None,
            validation_accuracy: None,
            test_accuracy: Some(acc - 0.01),
            seconds: 1.0,
            samples_per_second: 1.0,
        };
        let history = History {
            losses: vec![2.3, 1.0, f64::NAN, 0.5],
            epochs: vec![record(1, 0.96)],
            ..History::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("curves.svg");
        training_curves(&path, &history, "t").unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        for label in ["each mini-batch", "mean of 51 around it", "train", "test"] {
            assert!(
                svg.contains(&format!(">\n{label} ")),
                "no legend entry {label}"
            );
        }
        // One epoch still shows its points.
        assert!(svg.matches("<circle").count() >= 2);
    }
}
