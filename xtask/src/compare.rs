//! `cargo xtask compare`: nn against PyTorch on the same three networks,
//! side by side, on this machine.
//!
//! Each measurement is one process: `nn bench` or
//! `benches/compare/pytorch_reference.py bench`, which both build the
//! network, run a few untimed steps, then time steps for a fixed wall time
//! on fixed random MNIST-shaped data and print "... RATE samples/s". The
//! two alternate (nn, PyTorch, nn, PyTorch, ...) after one warm-up run of
//! each, so that drifts of the machine hit both alike; the table reports
//! the median of each and the median (and range) of the per-round ratios.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::step::workspace_root;

pub const HELP: &str = "\
cargo xtask compare [--rounds N] [--seconds S] [--python PATH] [--no-memory]

Trains (forward + backward + update, batch 100) and runs inference (forward,
batch 1000) of TwoLayerNet (SGD 0.1), SimpleConvNet and DeepConvNet (Adam
0.001) on random MNIST-shaped data in nn and, when `PYTHON -c \"import torch\"`
works, in PyTorch (benches/compare/pytorch_reference.py), alternating the two,
on 1 and 2 threads, and prints one table. Then, when $NN_DATA_DIR has MNIST,
the peak memory of one epoch of SimpleConvNet training in each.

  --rounds N     measurements of each library per row (default 5)
  --seconds S    timed seconds per measurement (default 2)
  --python PATH  the Python with torch (default: $NN_COMPARE_PYTHON, else python3)
  --no-memory    skip the peak-memory comparison
";

const NETWORKS: [&str; 3] = ["two-layer", "simple-conv", "deep-conv"];
const MODES: [&str; 2] = ["train", "infer"];
const THREADS: [usize; 2] = [1, 2];

struct Options {
    rounds: usize,
    seconds: f64,
    python: String,
    memory: bool,
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut options = Options {
        rounds: 5,
        seconds: 2.0,
        python: std::env::var("NN_COMPARE_PYTHON").unwrap_or_else(|_| "python3".into()),
        memory: true,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value\n\n{HELP}"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--rounds" => {
                options.rounds = value("--rounds")?
                    .parse()
                    .ok()
                    .filter(|&r| r > 0)
                    .ok_or("--rounds takes a whole number ≥ 1")?;
            }
            "--seconds" => {
                options.seconds = value("--seconds")?
                    .parse()
                    .ok()
                    .filter(|&s: &f64| s > 0.0 && s.is_finite())
                    .ok_or("--seconds takes a number > 0")?;
            }
            "--python" => options.python = value("--python")?,
            "--no-memory" => options.memory = false,
            other => return Err(format!("unknown option `{other}`\n\n{HELP}")),
        }
    }
    Ok(Some(options))
}

pub fn run(args: &[String]) -> Result<(), String> {
    let Some(options) = parse(args)? else {
        print!("{HELP}");
        return Ok(());
    };
    let nn = crate::step::build_nn("compare")?;
    let script = workspace_root()
        .join("benches")
        .join("compare")
        .join("pytorch_reference.py");
    let torch = torch_version(&options.python);
    match &torch {
        Some(v) => eprintln!("comparing with PyTorch {v} ({})", options.python),
        None => eprintln!(
            "PyTorch is not importable by `{}`: measuring nn alone.\n\
             For the comparison: `pip install torch numpy` (or point --python / \
             NN_COMPARE_PYTHON at a Python that has them) and rerun.",
            options.python
        ),
    }
    eprintln!("machine: {}", machine());

    let mut rows = Vec::new();
    for network in NETWORKS {
        for mode in MODES {
            for threads in THREADS {
                let bench = |lib: Lib| -> Result<f64, String> {
                    let threads = threads.to_string();
                    let seconds = options.seconds.to_string();
                    let common = [
                        "--model",
                        network,
                        "--mode",
                        mode,
                        "--threads",
                        &threads,
                        "--seconds",
                        &seconds,
                    ];
                    let mut command = match lib {
                        Lib::Nn => {
                            let mut c = Command::new(&nn);
                            c.arg("bench");
                            c
                        }
                        Lib::Torch => {
                            let mut c = Command::new(&options.python);
                            c.arg(&script).arg("bench");
                            c
                        }
                    };
                    command.args(common);
                    rate_of(&mut command)
                };
                eprint!("{network} {mode}, {threads} thread(s): ");
                // Warm-up: one untimed run of each.
                bench(Lib::Nn)?;
                if torch.is_some() {
                    bench(Lib::Torch)?;
                }
                let (mut ours, mut theirs) = (Vec::new(), Vec::new());
                for _ in 0..options.rounds {
                    ours.push(bench(Lib::Nn)?);
                    if torch.is_some() {
                        theirs.push(bench(Lib::Torch)?);
                    }
                    eprint!(".");
                }
                eprintln!();
                rows.push(Row {
                    network,
                    mode,
                    threads,
                    ours,
                    theirs,
                });
            }
        }
    }

    println!();
    println!(
        "| network | step | threads | nn samples/s | PyTorch samples/s | nn / PyTorch (median, min–max) |"
    );
    println!("|---|---|---:|---:|---:|---|");
    for r in &rows {
        let step = if r.mode == "train" {
            "train, batch 100"
        } else {
            "inference, batch 1000"
        };
        let (theirs, ratio) = if r.theirs.is_empty() {
            ("–".to_string(), "–".to_string())
        } else {
            let ratios: Vec<f64> = r.ours.iter().zip(&r.theirs).map(|(a, b)| a / b).collect();
            (
                format!("{:.0}", median(&r.theirs)),
                format!(
                    "{:.2}× ({:.2}–{:.2})",
                    median(&ratios),
                    min(&ratios),
                    max(&ratios)
                ),
            )
        };
        println!(
            "| {} | {step} | {} | {:.0} | {theirs} | {ratio} |",
            r.network,
            r.threads,
            median(&r.ours)
        );
    }

    if options.memory {
        memory(&nn, &options.python, &script, torch.is_some())?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Lib {
    Nn,
    Torch,
}

struct Row {
    network: &'static str,
    mode: &'static str,
    threads: usize,
    ours: Vec<f64>,
    theirs: Vec<f64>,
}

/// The torch version `python` imports, if it does.
fn torch_version(python: &str) -> Option<String> {
    let out = Command::new(python)
        .args(["-c", "import torch, numpy; print(torch.__version__)"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Runs a bench process and reads the rate from its "RATE samples/s" line.
fn rate_of(command: &mut Command) -> Result<f64, String> {
    let out = command
        .output()
        .map_err(|e| format!("could not start {command:?}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{command:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    stdout
        .lines()
        .filter_map(|l| l.trim_end().strip_suffix(" samples/s"))
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .next_back()
        .ok_or_else(|| format!("{command:?} printed no rate: {stdout}"))
}

/// CPU model and count, from /proc/cpuinfo where there is one.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpus} CPUs, {model}")
}

/// Peak resident memory of one epoch of SimpleConvNet on MNIST in each.
fn memory(nn: &Path, python: &str, script: &Path, torch: bool) -> Result<(), String> {
    let Some(data) = std::env::var_os("NN_DATA_DIR").filter(|v| !v.is_empty()) else {
        eprintln!("\nskipping the memory comparison: NN_DATA_DIR is not set (it needs MNIST)");
        return Ok(());
    };
    let out = workspace_root().join("target").join("compare");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!("\npeak memory, one epoch of SimpleConvNet on MNIST, 2 threads:");
    let mut nn_cmd = Command::new(nn);
    nn_cmd
        .args(["train", "--model", "simple-conv", "--dataset", "mnist"])
        .args(["--epochs", "1", "--threads", "2", "--data-dir"])
        .arg(&data)
        .arg("--save")
        .arg(out.join("simple-conv.safetensors"))
        .arg("--plot")
        .arg(out.join("simple-conv.svg"))
        .arg("--runs")
        .arg(out.join("runs"));
    let ours = peak_rss(&mut nn_cmd)?;
    let theirs = if torch {
        let mut py = Command::new(python);
        py.arg(script)
            .args(["mnist-epoch", "--model", "simple-conv", "--threads", "2"])
            .arg("--data-dir")
            .arg(&data);
        Some(peak_rss(&mut py)?)
    } else {
        None
    };
    println!();
    println!("| job | nn peak RSS | PyTorch peak RSS |");
    println!("|---|---:|---:|");
    println!(
        "| SimpleConvNet, 1 epoch of MNIST, 2 threads | {} | {} |",
        mib(ours),
        theirs.map_or("–".into(), mib)
    );
    Ok(())
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

/// Runs `command` to the end, echoing its standard error, and returns its
/// peak resident set size in KiB (VmHWM, polled every 10 ms from /proc: it
/// only grows, so the last reading before the exit is the peak).
fn peak_rss(command: &mut Command) -> Result<u64, String> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {command:?}: {e}"))?;
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let echo = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            if let Some(pipe) = pipe {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    eprintln!("  {line}");
                }
            }
        })
    };
    let out_thread = echo(child.stdout.take().map(|p| Box::new(p) as _));
    let err_thread = echo(child.stderr.take().map(|p| Box::new(p) as _));
    let mut peak = 0;
    let status = loop {
        if let Some(hwm) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|s| vm_hwm(&s))
        {
            peak = peak.max(hwm);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for {command:?}: {e}")),
        }
    };
    let _ = (out_thread.join(), err_thread.join());
    if !status.success() {
        return Err(format!("{command:?} failed ({status})"));
    }
    if peak == 0 {
        return Err("could not read the peak memory (/proc/<pid>/status has no VmHWM here)".into());
    }
    Ok(peak)
}

/// The `VmHWM:  1234 kB` line of `/proc/PID/status`, in KiB.
fn vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}
