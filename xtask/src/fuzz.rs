//! `cargo xtask fuzz [--seconds N]`: every fuzz target in `fuzz/` for N
//! seconds with cargo-fuzz on the nightly toolchain, one per core at a time,
//! and a table of runs.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How the targets are built: optimised, without AddressSanitizer. The
/// readers are safe Rust, where ASan finds nothing the bounds checks do not
/// already turn into a panic (a crash to libFuzzer), and the unsafe kernels
/// that described networks run on assert their operands' bounds at entry
/// in every build. Without it the checkpoint target runs 14 times as many
/// inputs in its 15 s (1.7k/s -> 24k/s) and the build takes 96 s instead of
/// 117 s on a 2-vCPU AMD EPYC (Zen 4).
const FUZZ_BUILD: [&str; 3] = ["-O", "--sanitizer", "none"];

/// Runs every target; installs nightly and cargo-fuzz when missing, and
/// skips with a message when they cannot be had.
pub fn run(args: &[String]) -> Result<(), String> {
    let seconds = match args {
        [] => 60,
        [flag, n] if flag == "--seconds" => n
            .parse::<u64>()
            .map_err(|e| format!("--seconds {n}: {e}"))?,
        _ => return Err("usage: cargo xtask fuzz [--seconds N]".into()),
    };
    if let Err(why) = tools() {
        println!("xtask fuzz: skipped: {why}");
        return Ok(());
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let list = output(
        Command::new("cargo")
            .args(["+nightly", "fuzz", "list"])
            .current_dir(&dir),
    )?;
    let targets: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    // One build of every target (cargo builds them side by side), then the
    // runs, as many at once as there are cores: each libFuzzer run uses one.
    println!("xtask fuzz: building {} targets", targets.len());
    let built = Command::new("cargo")
        .args(["+nightly", "fuzz", "build"])
        .args(FUZZ_BUILD)
        .current_dir(&dir)
        .status()
        .map_err(|e| format!("cargo fuzz build: {e}"))?;
    if !built.success() {
        return Err(format!(
            "cargo +nightly fuzz build {}: {built}",
            FUZZ_BUILD.join(" ")
        ));
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(targets.len());
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![None; targets.len()]);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(target) = targets.get(i) else { break };
                let result = fuzz_one(&dir, target, seconds);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
            });
        }
    });
    let mut failed = Vec::new();
    let mut rows = Vec::new();
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    for (target, result) in targets.iter().zip(results) {
        let (runs, ok) = match result {
            Some(Ok((runs, true))) => (runs, true),
            Some(Ok((runs, false))) => (runs, false),
            Some(Err(why)) => {
                eprintln!("xtask fuzz: {target}: {why}");
                (None, false)
            }
            None => (None, false),
        };
        if !ok {
            failed.push(target.to_string());
        }
        rows.push((target.to_string(), runs, ok));
    }
    println!("\n{:<22} {:>12} {:>10}  result", "target", "runs", "runs/s");
    for (target, runs, ok) in &rows {
        let runs_s = runs.map_or("?".into(), |r| r.to_string());
        let rate = runs.map_or("?".into(), |r| {
            format!("{:.0}", r as f64 / seconds.max(1) as f64)
        });
        let result = if *ok {
            "no crash"
        } else {
            "FAILED (see fuzz/artifacts/)"
        };
        println!("{target:<22} {runs_s:>12} {rate:>10}  {result}");
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("fuzz targets failed: {}", failed.join(", ")))
    }
}

/// Fuzzes `target` for `seconds` from its corpus and regressions; returns
/// libFuzzer's run count and whether it ended without a crash (printing the
/// end of its log when not).
fn fuzz_one(dir: &Path, target: &str, seconds: u64) -> Result<(Option<u64>, bool), String> {
    let corpus = dir.join("corpus").join(target);
    let regressions = dir.join("regressions").join(target);
    std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    println!("xtask fuzz: {target} for {seconds} s");
    let out = Command::new("cargo")
        .args(["+nightly", "fuzz", "run"])
        .args(FUZZ_BUILD)
        .arg(target)
        .arg(&corpus)
        .args(regressions.is_dir().then_some(&regressions))
        .args([
            "--",
            &format!("-max_total_time={seconds}"),
            "-rss_limit_mb=1024",
            "-timeout=10",
        ])
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cargo fuzz run {target}: {e}"))?;
    let log = String::from_utf8_lossy(&out.stderr);
    // libFuzzer ends with "Done N runs in S second(s)".
    let runs = log.lines().rev().find_map(|l| {
        l.strip_prefix("Done ")?
            .split_whitespace()
            .next()?
            .parse::<u64>()
            .ok()
    });
    if !out.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        eprintln!("xtask fuzz: {target} failed:\n{}", tail.join("\n"));
    }
    Ok((runs, out.status.success()))
}

/// Nightly and cargo-fuzz, installed when missing.
fn tools() -> Result<(), String> {
    let has_nightly = || {
        Command::new("rustup")
            .args(["run", "nightly", "rustc", "--version"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has_nightly() {
        println!("xtask fuzz: installing the nightly toolchain");
        let _ = Command::new("rustup")
            .args(["toolchain", "install", "nightly", "--profile", "minimal"])
            .status();
        if !has_nightly() {
            return Err(
                "no nightly toolchain, and `rustup toolchain install nightly` failed".into(),
            );
        }
    }
    let has_fuzz = || {
        Command::new("cargo")
            .args(["+nightly", "fuzz", "--version"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has_fuzz() {
        println!("xtask fuzz: installing cargo-fuzz");
        let _ = Command::new("cargo")
            .args(["install", "cargo-fuzz"])
            .status();
        if !has_fuzz() {
            return Err("cargo-fuzz is missing and `cargo install cargo-fuzz` failed".into());
        }
    }
    Ok(())
}

fn output(command: &mut Command) -> Result<String, String> {
    let out = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{command:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
