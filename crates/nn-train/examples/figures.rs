//! The notes' figures, drawn by nn: `cargo run --release -p nn-train
//! --features figures-png --example figures -- DIR [IMAGE]` writes each as
//! SVG (plotters) and PNG (the SVG rasterised with resvg) into DIR; without
//! the feature, as SVG only:
//!
//! | file | the notes' figure |
//! |---|---|
//! | `sin_cos` | sin and cos on [0, 6) with labels, legend and title (chapter 1) |
//! | `image` (PNG) | an image shown, as `imshow` does: IMAGE, else a digit, scaled up (chapter 1) |
//! | `digits` (PNG) | sixteen built-in digits of each class (not a figure of the notes: what `nn train` falls back to) |
//! | `step`, `sigmoid_step`, `relu` | the step function; sigmoid against it; ReLU (chapter 3) |
//! | `tangent` | f(x) = 0.01x² + 0.1x and its tangent at x = 5 from the numerical derivative (chapter 4) |
//! | `gradient_field` | −∇f of f(x0, x1) = x0² + x1², numerically (chapter 4) |
//! | `gradient_descent` | gradient descent on it from (−3, 4), η = 0.1, 20 steps (chapter 4) |
//! | `optimizer_paths` | SGD, Momentum, AdaGrad and Adam on f(x, y) = x²/20 + y² from (−7, 2), 30 steps (chapter 6) |
//!
//! Every number comes from nn: its activations, `numerical_diff`,
//! `numerical_gradient` and optimizers.

use std::path::{Path, PathBuf};

use ndarray::array;
use nn_core::activation::{relu, sigmoid, step as step_function};
use nn_core::{numerical_diff, numerical_gradient};
use nn_train::plot::PALETTE;
use plotters::prelude::*;

type Fallible<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Draws one figure into an SVG string.
type Draw = fn(&mut String) -> Fallible;

fn main() -> Fallible {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "figures".into()));
    let image = args.next().map(PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    let figures: [(&str, Draw); 8] = [
        ("sin_cos", sin_cos),
        ("step", step),
        ("sigmoid_step", sigmoid_step),
        ("relu", relu_figure),
        ("tangent", tangent),
        ("gradient_field", gradient_field),
        ("gradient_descent", gradient_descent),
        ("optimizer_paths", optimizer_paths),
    ];
    let png = rasteriser();
    if png.is_none() {
        println!("SVG only: PNG copies need --features figures-png");
    }
    for (name, draw) in figures {
        let mut svg = String::new();
        draw(&mut svg)?;
        let svg_path = dir.join(format!("{name}.svg"));
        nn_data::write_atomically(&svg_path, svg.as_bytes())?;
        match &png {
            Some(rasterise) => {
                let png_path = dir.join(format!("{name}.png"));
                nn_data::write_atomically(&png_path, &rasterise(&svg)?)?;
                println!("{} and .png", svg_path.display());
            }
            None => println!("{}", svg_path.display()),
        }
    }
    let path = dir.join("image.png");
    show_image(image.as_deref(), &path)?;
    println!("{}", path.display());
    let path = dir.join("digits.png");
    built_in_digits(&path)?;
    println!("{}", path.display());
    Ok(())
}

/// Sixteen built-in digits of each class, a class a row, scaled twice.
fn built_in_digits(out: &Path) -> Fallible {
    let data = nn_data::digits::<f32>(
        &nn_data::DigitsConfig {
            train: 400,
            test: 0,
            seed: 5,
        },
        &nn_data::LoadOptions::default(),
    );
    let mut tiles = Vec::new();
    for class in 0..10 {
        let of_class = data
            .train
            .labels
            .iter()
            .enumerate()
            .filter(|&(_, &l)| l == class);
        for (i, _) in of_class.take(16) {
            let image = data.train.images.index_axis(ndarray::Axis(0), i);
            tiles.push(image.iter().copied().collect());
        }
    }
    let png = nn_train::report::grid_png(&tiles, 28, 28, 16, 2)?;
    nn_data::write_atomically(out, &png)?;
    Ok(())
}

/// A line chart's frame: title, axis labels and ranges, as matplotlib's
/// defaults draw them.
/// A figure's chart: two f64 axes on an SVG.
type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn frame<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    (x, y): (std::ops::Range<f64>, std::ops::Range<f64>),
) -> Fallible<Chart<'a, 'b>> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()?;
    Ok(chart)
}

/// The chart's legend, boxed, at `position`.
fn legend<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>, position: SeriesLabelPosition) -> Fallible {
    chart
        .configure_series_labels()
        .position(position)
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()?;
    Ok(())
}

/// x from `start` to `end` (excluded) by `step`, as `np.arange`.
fn arange(start: f64, end: f64, step: f64) -> Vec<f64> {
    let n = ((end - start) / step).ceil() as usize;
    (0..n).map(|i| start + i as f64 * step).collect()
}

fn dashed(
    points: Vec<(f64, f64)>,
    color: RGBColor,
) -> DashedLineSeries<std::vec::IntoIter<(f64, f64)>, i32> {
    DashedLineSeries::new(points, 6, 4, color.stroke_width(2))
}

fn legend_entry(color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
}

fn sin_cos(svg: &mut String) -> Fallible {
    let area = SVGBackend::with_string(svg, (640, 480)).into_drawing_area();
    area.fill(&WHITE)?;
    let mut chart = frame(&area, "sin & cos", ("x", "y"), (0.0..6.0, -1.1..1.1))?;
    let x = arange(0.0, 6.0, 0.1);
    let (blue, orange) = (PALETTE[0], PALETTE[1]);
    chart
        .draw_series(LineSeries::new(
            x.iter().map(|&x| (x, x.sin())),
            blue.stroke_width(2),
        ))?
        .label("sin   ")
        .legend(legend_entry(blue));
    chart
        .draw_series(dashed(x.iter().map(|&x| (x, x.cos())).collect(), orange))?
        .label("cos   ")
        .legend(legend_entry(orange));
    legend(&mut chart, SeriesLabelPosition::LowerLeft)?;
    area.present()?;
    Ok(())
}

/// An activation of nn-core on the notes' x = np.arange(-5.0, 5.0, 0.1).
type Activation = fn(&ndarray::Array1<f64>) -> ndarray::Array1<f64>;

fn activation(
    svg: &mut String,
    title: &str,
    y: std::ops::Range<f64>,
    curves: &[(&str, Activation, bool)],
) -> Fallible {
    let area = SVGBackend::with_string(svg, (640, 480)).into_drawing_area();
    area.fill(&WHITE)?;
    let mut chart = frame(&area, title, ("x", "h(x)"), (-5.0..5.0, y))?;
    let x = ndarray::Array1::from(arange(-5.0, 5.0, 0.1));
    for (i, &(label, h, is_dashed)) in curves.iter().enumerate() {
        let color = PALETTE[i];
        let points: Vec<(f64, f64)> = x.iter().copied().zip(h(&x)).collect();
        let series = if is_dashed {
            chart.draw_series(dashed(points, color))?
        } else {
            chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?
        };
        series
            .label(format!("{label}   "))
            .legend(legend_entry(color));
    }
    if curves.len() > 1 {
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    }
    area.present()?;
    Ok(())
}

fn step(svg: &mut String) -> Fallible {
    activation(
        svg,
        "step function",
        -0.1..1.1,
        &[("step", |x| step_function(x), false)],
    )
}

fn sigmoid_step(svg: &mut String) -> Fallible {
    activation(
        svg,
        "sigmoid and step",
        -0.1..1.1,
        &[
            ("step", |x| step_function(x), true),
            ("sigmoid", |x| sigmoid(x), false),
        ],
    )
}

fn relu_figure(svg: &mut String) -> Fallible {
    activation(svg, "ReLU", -1.0..5.5, &[("ReLU", |x| relu(x), false)])
}

fn tangent(svg: &mut String) -> Fallible {
    let f = |x: f64| 0.01 * x * x + 0.1 * x;
    let at = 5.0;
    let slope = numerical_diff(f, at);
    let line = |x: f64| slope * (x - at) + f(at);
    let area = SVGBackend::with_string(svg, (640, 480)).into_drawing_area();
    area.fill(&WHITE)?;
    let title = format!("f(x) = 0.01x² + 0.1x and its tangent at x = 5 (slope {slope:.4})");
    let mut chart = frame(&area, &title, ("x", "f(x)"), (0.0..20.0, -1.0..6.5))?;
    let x = arange(0.0, 20.0, 0.1);
    chart
        .draw_series(LineSeries::new(
            x.iter().map(|&x| (x, f(x))),
            PALETTE[0].stroke_width(2),
        ))?
        .label("f(x)   ")
        .legend(legend_entry(PALETTE[0]));
    chart
        .draw_series(LineSeries::new(
            x.iter().map(|&x| (x, line(x))),
            PALETTE[1].stroke_width(2),
        ))?
        .label("tangent   ")
        .legend(legend_entry(PALETTE[1]));
    chart.draw_series(std::iter::once(Circle::new((at, f(at)), 4, BLACK.filled())))?;
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    area.present()?;
    Ok(())
}

/// f(x0, x1) = x0² + x1², as the notes' `function_2`.
fn function_2(x: &ndarray::Array1<f64>) -> f64 {
    x.iter().map(|v| v * v).sum()
}

fn gradient_field(svg: &mut String) -> Fallible {
    let area = SVGBackend::with_string(svg, (600, 600)).into_drawing_area();
    area.fill(&WHITE)?;
    let title = "−∇f of f(x0, x1) = x0² + x1²";
    let mut chart = frame(&area, title, ("x0", "x1"), (-2.0..2.0, -2.0..2.0))?;
    let grey = RGBColor(102, 102, 102);
    let grid = arange(-2.0, 2.5, 0.25);
    for &x0 in &grid {
        for &x1 in &grid {
            let mut p = array![x0, x1];
            let g = numerical_gradient(function_2, &mut p);
            // Arrows at a tenth of the gradient's length, as quiver scales them.
            let (dx, dy) = (-g[0] * 0.1, -g[1] * 0.1);
            chart.draw_series(arrow((x0, x1), (x0 + dx, x1 + dy), grey))?;
        }
    }
    area.present()?;
    Ok(())
}

/// A line from `from` to `to` with a head at `to`, in data coordinates.
fn arrow(from: (f64, f64), to: (f64, f64), color: RGBColor) -> Vec<PathElement<(f64, f64)>> {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 1e-9 {
        return Vec::new();
    }
    let (ux, uy) = (dx / len, dy / len);
    let head = (len * 0.35).min(0.08);
    let side = |s: f64| {
        (
            to.0 - head * ux + s * head * 0.5 * -uy,
            to.1 - head * uy + s * head * 0.5 * ux,
        )
    };
    vec![
        PathElement::new(vec![from, to], color.stroke_width(1)),
        PathElement::new(vec![side(1.0), to, side(-1.0)], color.stroke_width(1)),
    ]
}

fn gradient_descent(svg: &mut String) -> Fallible {
    let (lr, steps) = (0.1, 20);
    let mut x = array![-3.0, 4.0];
    let mut path = vec![(x[0], x[1])];
    for _ in 0..steps {
        let g = numerical_gradient(function_2, &mut x);
        x = &x - &(lr * &g);
        path.push((x[0], x[1]));
    }
    let area = SVGBackend::with_string(svg, (600, 640)).into_drawing_area();
    area.fill(&WHITE)?;
    let title = "gradient descent on x0² + x1² from (−3, 4), η = 0.1, 20 steps";
    let mut chart = frame(&area, title, ("X0", "X1"), (-3.5..3.5, -4.5..4.5))?;
    let axis = RGBColor(0, 0, 255);
    chart.draw_series(dashed(vec![(-5.0, 0.0), (5.0, 0.0)], axis))?;
    chart.draw_series(dashed(vec![(0.0, -5.0), (0.0, 5.0)], axis))?;
    chart.draw_series(path.iter().map(|&p| Circle::new(p, 4, PALETTE[0].filled())))?;
    area.present()?;
    Ok(())
}

fn optimizer_paths(svg: &mut String) -> Fallible {
    // The book's optimizer_compare_naive.py: each optimizer at its η.
    let optimizers = [
        ("SGD", 0.95),
        ("Momentum", 0.1),
        ("AdaGrad", 1.5),
        ("Adam", 0.3),
    ]
    .into_iter()
    .map(|(name, lr)| nn_optim::by_name::<f64>(name, Some(lr)))
    .collect::<Result<Vec<_>, _>>()?;
    let area = SVGBackend::with_string(svg, (900, 820)).into_drawing_area();
    area.fill(&WHITE)?;
    let area = area.titled(
        "optimizers on f(x, y) = x²/20 + y² from (−7, 2), 30 steps",
        ("sans-serif", 18),
    )?;
    let panels = area.split_evenly((2, 2));
    for (mut opt, panel) in optimizers.into_iter().zip(&panels) {
        let mut p = array![-7.0, 2.0].into_dyn();
        let mut path = vec![(p[0], p[1])];
        for _ in 0..30 {
            let grad = array![p[0] / 10.0, 2.0 * p[1]].into_dyn();
            opt.update("xy", nn_core::ParamKind::Weight, p.view_mut(), grad.view())?;
            path.push((p[0], p[1]));
        }
        let title = format!("{} (η = {})", opt.name(), opt.learning_rate());
        let mut chart = frame(panel, &title, ("x", "y"), (-10.0..10.0, -10.0..10.0))?;
        // Contours: the ellipses x²/20 + y² = c, cut at the frame (each
        // run of points inside it drawn as its own line).
        for c in [0.5_f64, 2.0, 5.0, 10.0, 20.0, 40.0, 70.0] {
            let (a, b) = ((20.0 * c).sqrt(), c.sqrt());
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for i in 0..=240 {
                let t = f64::from(i) / 240.0 * std::f64::consts::TAU;
                let (x, y) = (a * t.cos(), b * t.sin());
                if x.abs() <= 10.0 && y.abs() <= 10.0 {
                    runs.last_mut().expect("one run at least").push((x, y));
                } else if !runs.last().is_some_and(Vec::is_empty) {
                    runs.push(Vec::new());
                }
            }
            chart.draw_series(
                runs.into_iter()
                    .filter(|r| r.len() > 1)
                    .map(|r| PathElement::new(r, RGBColor(190, 190, 190).stroke_width(1))),
            )?;
        }
        let red = PALETTE[3];
        chart.draw_series(LineSeries::new(path.clone(), red.stroke_width(2)))?;
        chart.draw_series(path.iter().map(|&q| Circle::new(q, 3, red.filled())))?;
        chart.draw_series(std::iter::once(Cross::new(
            (0.0, 0.0),
            6,
            BLACK.stroke_width(2),
        )))?;
    }
    area.present()?;
    Ok(())
}

/// The image shown as `imshow` shows it, as a PNG scaled 10 times: the
/// file given, else the first MNIST training digit (from NN_DATA_DIR),
/// else the first built-in digit.
fn show_image(image: Option<&Path>, out: &Path) -> Fallible {
    let (grey, w, h) = match image {
        Some(path) => nn_train::picture::read_grey(path)?,
        None => {
            let options = nn_data::LoadOptions::default();
            let dir = nn_data::data_dir(None);
            let data = nn_data::mnist::<f32>(&dir, &options).unwrap_or_else(|_| {
                nn_data::digits(
                    &nn_data::DigitsConfig {
                        train: 1,
                        test: 0,
                        seed: 0,
                    },
                    &options,
                )
            });
            let first: Vec<f32> = data
                .train
                .images
                .index_axis(ndarray::Axis(0), 0)
                .iter()
                .copied()
                .collect();
            (first, 28, 28)
        }
    };
    let scale = (280 / w.max(h)).max(1);
    let png = nn_train::report::grid_png(&[grey], h, w, 1, scale)?;
    nn_data::write_atomically(out, &png)?;
    Ok(())
}

/// Draws an SVG as a PNG of the same size, when built with `--features
/// figures-png` (resvg, with text): left out of the tests' build, where
/// resvg and its font stack took 87 of 781 CPU-seconds.
type Rasterise = Box<dyn Fn(&str) -> Fallible<Vec<u8>>>;

#[cfg(not(feature = "figures-png"))]
fn rasteriser() -> Option<Rasterise> {
    None
}

#[cfg(feature = "figures-png")]
fn rasteriser() -> Option<Rasterise> {
    let fonts = fonts();
    Some(Box::new(move |svg| rasterise(svg, &fonts)))
}

/// The machine's fonts, with a sans-serif family that exists here.
#[cfg(feature = "figures-png")]
fn fonts() -> std::sync::Arc<resvg::usvg::fontdb::Database> {
    let mut db = resvg::usvg::fontdb::Database::new();
    db.load_system_fonts();
    let sans = db
        .faces()
        .flat_map(|f| f.families.iter().map(|(name, _)| name.clone()))
        .find(|name| {
            [
                "DejaVu Sans",
                "Liberation Sans",
                "Arial",
                "Helvetica",
                "Noto Sans",
            ]
            .contains(&name.as_str())
        });
    if let Some(family) = sans {
        db.set_sans_serif_family(family);
    }
    std::sync::Arc::new(db)
}

/// The SVG drawn as a PNG of the same size.
#[cfg(feature = "figures-png")]
fn rasterise(
    svg: &str,
    fonts: &std::sync::Arc<resvg::usvg::fontdb::Database>,
) -> Fallible<Vec<u8>> {
    let options = resvg::usvg::Options {
        fontdb: std::sync::Arc::clone(fonts),
        ..resvg::usvg::Options::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &options)?;
    let size = tree.size().to_int_size();
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("an empty figure")?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap.encode_png()?)
}
