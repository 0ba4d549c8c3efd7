//! `cargo xtask reproduce [ROW...]`: reruns the book's MNIST results with the
//! `nn` command and prints accuracy and wall time per row next to the book's
//! figure and nn's target.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::step::workspace_root;

/// One result of the book.
struct Row {
    model: &'static str,
    setup: &'static str,
    args: &'static [&'static str],
    book: &'static str,
    target: f64,
}

const ROWS: [Row; 3] = [
    Row {
        model: "two-layer",
        setup: "784-50-10, SGD 0.1, batch 100, 10,000 iterations",
        args: &["--optimizer", "sgd", "--lr", "0.1", "--iterations", "10000"],
        book: "≈ 97%",
        target: 0.970,
    },
    Row {
        model: "simple-conv",
        setup: "conv 30×5×5, Adam 0.001, batch 100, 20 epochs",
        args: &["--optimizer", "adam", "--lr", "0.001", "--epochs", "20"],
        book: "≈ 98.9%",
        target: 0.988,
    },
    Row {
        model: "deep-conv",
        setup: "6 convs 3×3, Adam 0.001, batch 100, 20 epochs",
        args: &["--optimizer", "adam", "--lr", "0.001", "--epochs", "20"],
        book: "99.38%",
        target: 0.993,
    },
];

pub const HELP: &str = "\
cargo xtask reproduce [--seeds N] [ROW...]

Trains the book's networks on real MNIST (from $NN_DATA_DIR) with `nn train`
and prints test accuracy and wall time per row. ROW: two-layer, simple-conv,
deep-conv (default: all). Checkpoints and curves go to target/reproduce/.
With --seeds N each row is trained N times (seeds 0..N, which change the
initial weights and the batch order) and the table shows the mean test
accuracy and its range: one run's accuracy varies by a few tenths of a point
with the seed. Fails when a row's (mean) accuracy is below its target.
";

/// What a finished row measured.
struct Outcome {
    accuracy: f64,
    seconds: f64,
}

pub fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|r| r == "-h" || r == "--help") {
        print!("{HELP}");
        return Ok(());
    }
    let mut seeds = 1;
    let mut rows = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--seeds" {
            seeds = it
                .next()
                .and_then(|v| v.parse().ok())
                .filter(|&n: &u64| n > 0)
                .ok_or("--seeds takes a whole number ≥ 1")?;
        } else {
            rows.push(arg);
        }
    }
    let selected: Vec<&Row> = if rows.is_empty() {
        ROWS.iter().collect()
    } else {
        rows.iter()
            .map(|name| {
                ROWS.iter()
                    .find(|r| r.model == name.as_str())
                    .ok_or_else(|| {
                        let known: Vec<&str> = ROWS.iter().map(|r| r.model).collect();
                        format!("unknown row `{name}`; expected {}", known.join(", "))
                    })
            })
            .collect::<Result<_, _>>()?
    };
    let data_dir = std::env::var_os("NN_DATA_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .ok_or(
            "reproduce needs real MNIST: set NN_DATA_DIR to the folder holding mnist/ \
                (for example NN_DATA_DIR=../shared/data), or fetch it with \
                `cargo run --release -p nn-train -- data download mnist`",
        )?;
    let mnist = data_dir.join("mnist");
    if !mnist.is_dir() {
        return Err(format!(
            "{} does not exist; fetch MNIST with `cargo run --release -p nn-train -- data download mnist --data-dir {}`",
            mnist.display(),
            data_dir.display()
        ));
    }
    let nn = crate::step::build_nn("reproduce")?;
    let out_dir = workspace_root().join("target").join("reproduce");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;

    let mut results = Vec::new();
    for row in &selected {
        let mut outcomes = Vec::new();
        for seed in 0..seeds {
            eprintln!("\n==> reproduce {} (seed {seed}): {}", row.model, row.setup);
            outcomes.push(train(&nn, row, seed, &data_dir, &out_dir)?);
        }
        results.push((*row, outcomes));
    }

    let runs = if seeds == 1 {
        String::from("seed 0")
    } else {
        format!("mean of seeds 0–{} (range)", seeds - 1)
    };
    println!("\n| network | setup | test accuracy, {runs} | target | book | wall time per run |");
    println!("|---|---|---|---|---|---|");
    let mut short = Vec::new();
    for (row, outcomes) in &results {
        let n = outcomes.len() as f64;
        let mean = outcomes.iter().map(|o| o.accuracy).sum::<f64>() / n;
        let low = outcomes
            .iter()
            .map(|o| o.accuracy)
            .fold(f64::INFINITY, f64::min);
        let high = outcomes.iter().map(|o| o.accuracy).fold(0.0, f64::max);
        let seconds = outcomes.iter().map(|o| o.seconds).sum::<f64>() / n;
        let accuracy = if outcomes.len() == 1 {
            format!("{:.2}%", mean * 100.0)
        } else {
            format!(
                "{:.2}% ({:.2}–{:.2})",
                mean * 100.0,
                low * 100.0,
                high * 100.0
            )
        };
        println!(
            "| {} | {} | {accuracy} | ≥ {:.1}% | {} | {} |",
            row.model,
            row.setup,
            row.target * 100.0,
            row.book,
            minutes(seconds)
        );
        if mean < row.target {
            short.push(row.model);
        }
    }
    if short.is_empty() {
        Ok(())
    } else {
        Err(format!("below target: {}", short.join(", ")))
    }
}

/// Runs `nn train` (the binary at `nn`) for `row`, streaming its output, and reads the final test
/// accuracy from its last report line.
fn train(
    nn: &std::path::Path,
    row: &Row,
    seed: u64,
    data_dir: &std::path::Path,
    out_dir: &std::path::Path,
) -> Result<Outcome, String> {
    let save = out_dir.join(format!("{}-seed{seed}.safetensors", row.model));
    let plot = out_dir.join(format!("{}-seed{seed}.svg", row.model));
    let mut command = Command::new(nn);
    command
        .arg("train")
        .args([
            "--model",
            row.model,
            "--dataset",
            "mnist",
            "--batch-size",
            "100",
        ])
        .args(row.args)
        .args(["--seed", &seed.to_string()])
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--save")
        .arg(&save)
        .arg("--plot")
        .arg(&plot)
        .arg("--runs")
        .arg(out_dir.join("runs"))
        .current_dir(workspace_root())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", nn.display()))?;
    let mut accuracy = None;
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let line = line.map_err(|e| format!("reading nn's output: {e}"))?;
            eprintln!("{line}");
            // "test accuracy 0.9712 on all 10000 test samples; ..."
            if let Some(rest) = line.strip_prefix("test accuracy ") {
                accuracy = rest.split_whitespace().next().and_then(|v| v.parse().ok());
            }
        }
    }
    let status = child.wait().map_err(|e| format!("waiting for nn: {e}"))?;
    let seconds = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!(
            "`nn train --model {}` failed ({status})",
            row.model
        ));
    }
    let accuracy = accuracy.ok_or_else(|| {
        format!(
            "`nn train --model {}` did not report a test accuracy",
            row.model
        )
    })?;
    Ok(Outcome { accuracy, seconds })
}

fn minutes(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {:02} s", s / 60, s % 60)
    }
}
