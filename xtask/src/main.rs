//! `cargo xtask`: the project's automation, in Rust (the rust-analyzer pattern).
//!
//! Run `cargo xtask help` for the commands. xtask has no dependencies: each
//! task is a sequence of cargo invocations through `std::process`.

mod bench;
mod compare;
mod fuzz;
mod reproduce;
mod step;

use std::path::Path;
use std::process::ExitCode;

use step::Step;

const HELP: &str = "\
cargo xtask <command>

Commands:
  ci             everything CI checks, cheapest first: fmt, clippy, doc, test (less
                 the examples' builds), the examples it runs
  lint           cargo fmt --check and cargo clippy -D warnings
  test [ARGS]    cargo test --workspace [ARGS]
  examples       build the examples as the tests are built and run them (custom_cnn,
                 fashion_schedule, nn train + inference, figures)
  bench [FILTER] run the criterion benches in benches/ (FILTER: a regex over bench
                 ids such as `two_layer_net`) and print one line per bench
  compare [--rounds N] [--seconds S] [--python PATH] [--no-memory]
                 nn against PyTorch (when importable): training and inference speed of
                 the three networks on 1 and 2 threads, alternating, and peak memory
  reproduce [--seeds N] [ROW...]
                 train the book's networks on real MNIST ($NN_DATA_DIR) and print
                 test accuracy and wall time per row (two-layer, simple-conv, deep-conv)
  fuzz [--seconds N]
                 every fuzz target in fuzz/ for N seconds (default 60) on nightly
                 (cargo-fuzz and nightly are installed when missing) and its runs
  help           this text
";

fn main() -> ExitCode {
    absolute_data_dir();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match command {
        "ci" => step::run_all("ci", &ci_steps()),
        "lint" => step::run_all("lint", &lint_steps()),
        "test" => step::run_all("test", &[test_step(rest)]),
        "examples" => step::run_all("examples", &example_steps()),
        "bench" => bench::run(rest.first().map(String::as_str)),
        "reproduce" => reproduce::run(rest),
        "compare" => compare::run(rest),
        "fuzz" => fuzz::run(rest),
        "help" | "-h" | "--help" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Makes a relative `NN_DATA_DIR` (such as `../shared/data`) absolute against
/// the folder xtask was started from, before any child process reads it:
/// `cargo test` runs each test in its own crate's folder, where the relative
/// path would point somewhere else.
fn absolute_data_dir() {
    let Some(dir) = std::env::var_os("NN_DATA_DIR").filter(|v| !v.is_empty()) else {
        return;
    };
    if Path::new(&dir).is_absolute() {
        return;
    }
    if let Ok(cwd) = std::env::current_dir() {
        // xtask is single-threaded here, before any work starts.
        std::env::set_var("NN_DATA_DIR", cwd.join(dir));
    }
}

fn lint_steps() -> Vec<Step> {
    vec![
        Step::cargo("fmt", &["fmt", "--all", "--", "--check"]),
        Step::cargo(
            "clippy",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
    ]
}

fn test_step(extra: &[String]) -> Step {
    let mut args = vec!["test", "--workspace"];
    args.extend(extra.iter().map(String::as_str));
    Step::cargo_test("test", &args)
}

fn ci_steps() -> Vec<Step> {
    // Cheapest first: the docs build in seconds once clippy has checked the
    // crates, the tests take minutes.
    let mut steps = lint_steps();
    steps.push(
        Step::cargo("doc", &["doc", "--workspace", "--no-deps"]).env(
            "RUSTDOCFLAGS",
            "-D warnings -D rustdoc::broken_intra_doc_links -D rustdoc::private_intra_doc_links",
        ),
    );
    // Every target but the examples, then the doc tests (what a bare
    // `cargo test` runs, less the examples' builds). The examples it does
    // not run (optimizer_compare_mnist alone was 45 CPU-seconds of 2 cores'
    // test build) are type-checked and linted by clippy above; the four it
    // runs are built next.
    let all_but_examples = ["--lib", "--bins", "--tests"].map(String::from);
    steps.push(test_step(&all_but_examples));
    let mut doc_tests = test_step(&["--doc".to_string()]);
    doc_tests.name = "doc tests";
    steps.push(doc_tests);
    steps.extend(example_steps());
    steps
}

/// The examples, built in the test profile beside the tests (these only; the
/// others are checked by clippy) and run as a user would: a custom CNN,
/// Fashion-MNIST with a schedule and early stopping (when NN_DATA_DIR has it), inference from a checkpoint `nn train` writes,
/// and the notes' figures. They are built for the whole workspace, as the
/// tests were, and run from `target/debug/`: `cargo run -p nn` would resolve
/// the dependencies' features for one package and rebuild them (2 minutes on
/// 2 cores).
fn example_steps() -> Vec<Step> {
    let model = "target/example-model.safetensors";
    // The examples this runs, so that the build below builds exactly those.
    let mut built = Vec::new();
    let mut example = |name: &'static str, args: &[&str]| {
        built.push(name);
        Step::built(name, &format!("examples/{name}"), args)
    };
    let mut runs = vec![example("custom_cnn", &[])];
    if std::env::var_os("NN_DATA_DIR").is_some() {
        runs.push(example("fashion_schedule", &[]));
    } else {
        println!("xtask: the fashion_schedule example is skipped: NN_DATA_DIR is not set");
    }
    runs.push(Step::built(
        "nn train (for the inference example)",
        "nn",
        &[
            "train",
            "--model",
            "two-layer",
            "--dataset",
            "digits",
            "--iterations",
            "200",
            "--eval-samples",
            "100",
            "--no-plot",
            "--runs",
            "target/runs",
            "--save",
            model,
        ],
    ));
    runs.push(example("inference", &[model]));
    runs.push(example("figures", &["target/figures"]));
    let mut build = vec![
        "build",
        "--quiet",
        "--profile",
        "test",
        "--workspace",
        "--bins",
    ];
    for name in built {
        build.extend(["--example", name]);
    }
    let mut steps = vec![Step::cargo("build the examples", &build)];
    steps.extend(runs);
    steps
}
