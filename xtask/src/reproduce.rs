//! `cargo xtask reproduce [ROW...]`: reruns the book's MNIST results with the
//! `nn` command and prints accuracy and wall time per row next to the book's
//! figure and nn's target.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::step::{workspace_root, Step};

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
cargo xtask reproduce [ROW...]

Trains the book's networks on real MNIST (from $NN_DATA_DIR) with `nn train`
and prints test accuracy and wall time per row. ROW: two-layer, simple-conv,
deep-conv (default: all). Checkpoints and curves go to target/reproduce/.
Fails when a row ends below its target accuracy.
";

/// What a finished row measured.
struct Outcome {
    accuracy: f64,
    seconds: f64,
}

pub fn run(rows: &[String]) -> Result<(), String> {
    if rows.iter().any(|r| r == "-h" || r == "--help") {
        print!("{HELP}");
        return Ok(());
    }
    let selected: Vec<&Row> = if rows.is_empty() {
        ROWS.iter().collect()
    } else {
        rows.iter()
            .map(|name| {
                ROWS.iter().find(|r| r.model == name).ok_or_else(|| {
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
    crate::step::run_all(
        "reproduce",
        &[Step::cargo(
            "build",
            &["build", "--release", "--package", "nn-train"],
        )],
    )?;
    let out_dir = workspace_root().join("target").join("reproduce");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;

    let mut results = Vec::new();
    for row in &selected {
        eprintln!("\n==> reproduce {}: {}", row.model, row.setup);
        let outcome = train(row, &data_dir, &out_dir)?;
        results.push((*row, outcome));
    }

    println!("\n| network | setup | test accuracy | target | book | wall time |");
    println!("|---|---|---|---|---|---|");
    let mut short = Vec::new();
    for (row, outcome) in &results {
        println!(
            "| {} | {} | {:.2}% | ≥ {:.1}% | {} | {} |",
            row.model,
            row.setup,
            outcome.accuracy * 100.0,
            row.target * 100.0,
            row.book,
            minutes(outcome.seconds)
        );
        if outcome.accuracy < row.target {
            short.push(row.model);
        }
    }
    if short.is_empty() {
        Ok(())
    } else {
        Err(format!("below target: {}", short.join(", ")))
    }
}

/// Runs `nn train` for `row`, streaming its output, and reads the final test
/// accuracy from its last report line.
fn train(
    row: &Row,
    data_dir: &std::path::Path,
    out_dir: &std::path::Path,
) -> Result<Outcome, String> {
    let save = out_dir.join(format!("{}.safetensors", row.model));
    let plot = out_dir.join(format!("{}.svg", row.model));
    let mut command = Command::new("cargo");
    command
        .args([
            "run",
            "--quiet",
            "--release",
            "--package",
            "nn-train",
            "--",
            "train",
        ])
        .args([
            "--model",
            row.model,
            "--dataset",
            "mnist",
            "--batch-size",
            "100",
        ])
        .args(row.args)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--save")
        .arg(&save)
        .arg("--plot")
        .arg(&plot)
        .current_dir(workspace_root())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("could not start cargo: {e}"))?;
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
