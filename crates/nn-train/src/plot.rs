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

/// The mean of each window of `width` values, for a readable loss curve.
pub fn moving_average(values: &[f64], width: usize) -> Vec<f64> {
    let width = width.max(1);
    let mut out = Vec::with_capacity(values.len());
    let mut sum = 0.0;
    for (i, &v) in values.iter().enumerate() {
        sum += v;
        if i >= width {
            sum -= values[i - width];
        }
        out.push(sum / (i + 1).min(width) as f64);
    }
    out
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

        let losses = &history.losses;
        let smooth = moving_average(losses, 50);
        let top = losses.iter().copied().fold(0.0, f64::max).max(1e-3);
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
        chart
            .draw_series(LineSeries::new(
                losses.iter().copied().enumerate(),
                BLUE.mix(0.25),
            ))
            .map_err(|e| plot_error(path, e))?;
        chart
            .draw_series(LineSeries::new(
                smooth.iter().copied().enumerate(),
                BLUE.stroke_width(2),
            ))
            .map_err(|e| plot_error(path, e))?;

        let epochs = history.epochs.len();
        let low = history
            .epochs
            .iter()
            .flat_map(|e| {
                [
                    Some(e.train_accuracy),
                    e.validation_accuracy,
                    e.test_accuracy,
                ]
            })
            .flatten()
            .fold(1.0, f64::min)
            .min(0.9);
        let mut chart = ChartBuilder::on(&right)
            .caption("accuracy", ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(50)
            .build_cartesian_2d(0.5..epochs as f64 + 0.5, (low - 0.01).max(0.0)..1.0)
            .map_err(|e| plot_error(path, e))?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("accuracy")
            .draw()
            .map_err(|e| plot_error(path, e))?;
        type Pick = fn(&crate::EpochRecord) -> Option<f64>;
        let curves: [(&str, RGBColor, Pick); 3] = [
            ("train", RED, |e| Some(e.train_accuracy)),
            ("validation", MAGENTA, |e| e.validation_accuracy),
            ("test", GREEN, |e| e.test_accuracy),
        ];
        for (label, color, pick) in curves {
            if history.epochs.iter().all(|e| pick(e).is_none()) {
                continue;
            }
            chart
                .draw_series(LineSeries::new(
                    history
                        .epochs
                        .iter()
                        .filter_map(|e| Some((e.epoch as f64, pick(e)?))),
                    color.stroke_width(2),
                ))
                .map_err(|e| plot_error(path, e))?
                .label(label)
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
            .map(|(n, v)| (n.clone(), moving_average(v, 50)))
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
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    values.iter().copied().enumerate(),
                    color.stroke_width(2),
                ))
                .map_err(|e| plot_error(path, e))?
                .label(name.clone())
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
