//! The `nn` command, run as a user would.

use std::path::PathBuf;
use std::process::{Command, Output};

fn nn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nn"))
        .args(args)
        .output()
        .expect("run nn")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nn-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn every_command_has_complete_help() {
    for args in [
        &["--help"][..],
        &["train", "--help"],
        &["eval", "--help"],
        &["gates", "--help"],
        &["gradcheck", "--help"],
        &["bench", "--help"],
        &["data", "download", "--help"],
    ] {
        let out = nn(args);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Usage: nn"), "{args:?}: {text}");
    }
    let help = String::from_utf8(nn(&["train", "--help"]).stdout).unwrap();
    for option in [
        "--model",
        "--dataset",
        "--epochs",
        "--batch-size",
        "--optimizer",
        "--lr",
        "--seed",
        "--threads",
        "--save",
        "--plot",
    ] {
        assert!(help.contains(option), "train --help lacks {option}");
    }
}

#[test]
fn train_save_and_eval_a_small_network() {
    let save = temp("two-layer.safetensors");
    let plot = temp("two-layer.svg");
    let out = nn(&[
        "train",
        "--model",
        "two-layer",
        "--epochs",
        "1",
        "--eval-samples",
        "1000",
        "--threads",
        "1",
        "--save",
        save.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The header says what runs, in words ("1 epoch", not "1 epochs").
    assert!(
        stderr.starts_with(
            "training two-layer on digits (60000 train, 10000 test samples): \
             SGD lr 0.1, batch 100, 1 epoch, 1 thread\n"
        ),
        "{stderr}"
    );
    // Not a terminal: one plain line per epoch.
    assert!(stderr.contains("epoch 1/1: loss "), "{stderr}");
    assert!(std::fs::read_to_string(&plot).unwrap().starts_with("<svg"));
    let out = nn(&["eval", "--weights", save.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("two-layer network, test accuracy on digits 0."),
        "{stdout}"
    );
}

#[test]
fn errors_are_one_clear_line_and_a_failure_status() {
    let out = nn(&["eval", "--weights", "/no/such/model.safetensors"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: /no/such/model.safetensors: "),
        "{stderr}"
    );
    assert!(!stderr.contains("backtrace"));

    let out = nn(&[
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        "/no/such/dir",
        "--epochs",
        "1",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with("error: /no/such/dir/mnist/train-images-idx3-ubyte not found"),
        "{stderr}"
    );
    assert!(last.contains("nn data download mnist"), "{stderr}");
}

#[test]
fn gates_and_gradcheck_print_their_tables() {
    let out = nn(&["gates"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("x1 x2 |  AND NAND   OR  NOR  XOR"), "{text}");
    let out = nn(&["gradcheck", "--threads", "1"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(
        text.contains("affine1.weight:") && text.contains("(within 1e-7)"),
        "{text}"
    );
}

#[test]
fn bench_reports_samples_per_second() {
    for mode in ["train", "infer"] {
        let out = nn(&[
            "bench",
            "--model",
            "two-layer",
            "--mode",
            mode,
            "--batch-size",
            "10",
            "--warmup",
            "1",
            "--seconds",
            "0",
            "--threads",
            "1",
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // One timed step of 10 samples.
        let line = stdout.trim_end();
        assert!(
            line.contains(&format!(
                "two-layer {mode}, batch 10, 1 threads: 1 steps in "
            )),
            "{line}"
        );
        let rate: f64 = line
            .strip_suffix(" samples/s")
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no rate in {line}"));
        assert!(rate > 0.0, "{line}");
    }
    let out = nn(&["bench", "--batch-size", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("need --batch-size ≥ 1"));
}
