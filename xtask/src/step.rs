//! A named command, run with its output streamed, timed, and on failure
//! reported with the exact command line to rerun it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

/// One step of a task: a program, its arguments and extra environment.
pub struct Step {
    pub name: &'static str,
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(&'static str, String)>,
    /// Whether the step is a test run whose skipped tests are counted.
    pub counts_skips: bool,
}

/// A test that skipped, by the reason it printed.
pub struct Skip {
    pub reason: String,
}

impl Step {
    /// A `cargo` invocation.
    pub fn cargo(name: &'static str, args: &[&str]) -> Step {
        Step {
            name,
            program: "cargo".into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
            counts_skips: false,
        }
    }

    /// A program cargo built in the test profile (`target/debug/` +
    /// `artifact`, e.g. `examples/custom_cnn`), run with `args`.
    pub fn built(name: &'static str, artifact: &str, args: &[&str]) -> Step {
        let program = target_dir()
            .join("debug")
            .join(format!("{artifact}{}", std::env::consts::EXE_SUFFIX));
        Step {
            name,
            program: program.display().to_string(),
            args: args.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
            counts_skips: false,
        }
    }

    /// A `cargo test` whose skipped tests are counted: the tests' output is
    /// asked for (`--show-output`), the lines starting with `skipping` are
    /// kept, and the rest of the passing tests' output is not shown, as
    /// without the flag.
    pub fn cargo_test(name: &'static str, args: &[&str]) -> Step {
        let mut step = Step::cargo(name, args);
        if !step.args.iter().any(|a| a == "--") {
            step.args.push("--".into());
        }
        step.args.push("--show-output".into());
        step.counts_skips = true;
        step
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: &'static str, value: &str) -> Step {
        self.env.push((key, value.to_string()));
        self
    }

    /// The command line as a user would type it.
    pub fn command_line(&self) -> String {
        let env = self.env.iter().map(|(k, v)| format!("{k}=\"{v}\" "));
        let env: String = env.collect();
        format!("{env}{} {}", self.program, self.args.join(" "))
    }

    /// Runs the step in the workspace root; returns the tests that skipped.
    pub fn run(&self) -> Result<Vec<Skip>, String> {
        let mut command = Command::new(&self.program);
        for (key, _) in std::env::vars_os() {
            if set_by_cargo_run(&key.to_string_lossy()) {
                command.env_remove(key);
            }
        }
        command
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .current_dir(workspace_root());
        if !self.counts_skips {
            let status = command
                .status()
                .map_err(|e| format!("could not start `{}`: {e}", self.program))?;
            return if status.success() {
                Ok(Vec::new())
            } else {
                Err(format!("{status}"))
            };
        }
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not start `{}`: {e}", self.program))?;
        let mut skips = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            skips = filter_test_output(BufReader::new(stdout));
        }
        let status = child
            .wait()
            .map_err(|e| format!("`{}` did not finish: {e}", self.program))?;
        if status.success() {
            Ok(skips)
        } else {
            Err(format!("{status}"))
        }
    }
}

/// Whether `key` is one of the variables `cargo run` sets for xtask itself
/// (its package's manifest, name and version). They are not passed on: a
/// build script that watches one (ring's watches `CARGO_MANIFEST_DIR`) would
/// otherwise see it change between `cargo xtask test` and a plain `cargo
/// test`, and rebuild everything above it.
fn set_by_cargo_run(key: &str) -> bool {
    key.starts_with("CARGO_PKG_")
        || matches!(
            key,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
        )
}

/// Passes libtest's output through, except the output of passing tests that
/// `--show-output` adds (from `successes:` to `failures:` or `test
/// result:`), from which the `skipping…` lines are collected.
fn filter_test_output(reader: impl BufRead) -> Vec<Skip> {
    let mut skips = Vec::new();
    let mut in_successes = false;
    let mut out = std::io::stdout().lock();
    for line in reader.lines().map_while(Result::ok) {
        if line == "successes:" {
            in_successes = true;
            continue;
        }
        if in_successes && (line == "failures:" || line.starts_with("test result:")) {
            in_successes = false;
        }
        if in_successes {
            if line.starts_with("skipping") {
                skips.push(Skip { reason: line });
            }
            continue;
        }
        let _ = writeln!(out, "{line}");
    }
    skips
}

/// One line: how many tests skipped, grouped by reason.
pub fn skip_summary(skips: &[Skip]) -> String {
    if skips.is_empty() {
        return "no test skipped".to_string();
    }
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for s in skips {
        let reason = s
            .reason
            .trim_start_matches("skipping")
            .trim_start_matches([':', ' ']);
        *by_reason.entry(reason).or_default() += 1;
    }
    let reasons: Vec<String> = by_reason
        .iter()
        .map(|(reason, n)| format!("{n} × {reason}"))
        .collect();
    format!(
        "{} test{} skipped: {}",
        skips.len(),
        if skips.len() == 1 { "" } else { "s" },
        reasons.join("; ")
    )
}

/// Runs `steps` in order and stops at the first failure, naming the step and
/// the command that reruns it.
pub fn run_all(task: &str, steps: &[Step]) -> Result<(), String> {
    let start = Instant::now();
    let mut skips = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        eprintln!(
            "\n==> xtask {task} [{}/{}] {}: {}",
            i + 1,
            steps.len(),
            step.name,
            step.command_line()
        );
        let t = Instant::now();
        skips.extend(step.run().map_err(|why| {
            format!(
                "{task} failed at step `{}` ({why}).\nRerun it with:\n    {}",
                step.name,
                step.command_line()
            )
        })?);
        eprintln!(
            "==> {} passed in {:.1}s",
            step.name,
            t.elapsed().as_secs_f64()
        );
    }
    eprintln!(
        "\n==> xtask {task}: all {} steps passed in {:.1}s",
        steps.len(),
        start.elapsed().as_secs_f64()
    );
    if steps.iter().any(|s| s.counts_skips) {
        eprintln!("==> {}", skip_summary(&skips));
    }
    Ok(())
}

/// The workspace root: xtask's manifest directory's parent.
pub fn workspace_root() -> std::path::PathBuf {
    let xtask_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_dir
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| xtask_dir.to_path_buf())
}

/// Cargo's target directory: `CARGO_TARGET_DIR`, or `target` in the
/// workspace root.
pub fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Builds the `nn` binary (release) as a step of `task` and returns its path.
pub fn build_nn(task: &str) -> Result<std::path::PathBuf, String> {
    run_all(
        task,
        &[Step::cargo(
            "build",
            &["build", "--release", "--package", "nn-train"],
        )],
    )?;
    Ok(target_dir()
        .join("release")
        .join(format!("nn{}", std::env::consts::EXE_SUFFIX)))
}
