//! A named command, run with its output streamed, timed, and on failure
//! reported with the exact command line to rerun it.

use std::process::Command;
use std::time::Instant;

/// One step of a task: a program, its arguments and extra environment.
pub struct Step {
    pub name: &'static str,
    pub program: &'static str,
    pub args: Vec<String>,
    pub env: Vec<(&'static str, String)>,
}

impl Step {
    /// A `cargo` invocation.
    pub fn cargo(name: &'static str, args: &[&str]) -> Step {
        Step {
            name,
            program: "cargo",
            args: args.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
        }
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

    /// Runs the step in the workspace root.
    pub fn run(&self) -> Result<(), String> {
        let status = Command::new(self.program)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .current_dir(workspace_root())
            .status()
            .map_err(|e| format!("could not start `{}`: {e}", self.program))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{status}"))
        }
    }
}

/// Runs `steps` in order and stops at the first failure, naming the step and
/// the command that reruns it.
pub fn run_all(task: &str, steps: &[Step]) -> Result<(), String> {
    let start = Instant::now();
    for (i, step) in steps.iter().enumerate() {
        eprintln!(
            "\n==> xtask {task} [{}/{}] {}: {}",
            i + 1,
            steps.len(),
            step.name,
            step.command_line()
        );
        let t = Instant::now();
        step.run().map_err(|why| {
            format!(
                "{task} failed at step `{}` ({why}).\nRerun it with:\n    {}",
                step.name,
                step.command_line()
            )
        })?;
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

/// Builds the `nn` binary (release) as a step of `task` and returns its path.
pub fn build_nn(task: &str) -> Result<std::path::PathBuf, String> {
    run_all(
        task,
        &[Step::cargo(
            "build",
            &["build", "--release", "--package", "nn-train"],
        )],
    )?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    Ok(target
        .join("release")
        .join(format!("nn{}", std::env::consts::EXE_SUFFIX)))
}
