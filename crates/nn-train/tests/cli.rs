//! The `nn` command, run as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `nn` offline, in a scratch folder of its own (run folders land
/// there, and go with it).
fn nn(args: &[&str]) -> Output {
    nn_with(args, &[])
}

/// [`nn`] with more environment variables.
fn nn_with(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let cwd = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_nn"))
        .args(args)
        .env("NN_OFFLINE", "1")
        // No MNIST unless a test names a --data-dir.
        .env("NN_DATA_DIR", cwd.path().join("no-data"))
        .env_remove("NN_KERNEL")
        .envs(vars.iter().copied())
        .current_dir(cwd.path())
        .output()
        .expect("run nn")
}

/// Trains TwoLayerNet on the built-in digits for `iterations` steps into
/// the checkpoint `save`, and checks that it worked.
fn train_two_layer(save: &std::path::Path, iterations: &str) {
    let out = nn(&[
        "train",
        "--model",
        "two-layer",
        "--dataset",
        "digits",
        "--iterations",
        iterations,
        "--eval-samples",
        "100",
        "--no-plot",
        "--save",
        save.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
        &["import", "--help"],
        &["export", "--help"],
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
    let scratch = tempfile::tempdir().unwrap();
    let save = scratch.path().join("two-layer.safetensors");
    let plot = scratch.path().join("two-layer.svg");
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
    // Offline without MNIST: one line says why the built-in digits are
    // used and how to get the real set; then the header says what runs, in
    // words ("1 epoch", not "1 epochs").
    let mut lines = stderr.lines();
    let notice = lines.next().unwrap();
    assert!(
        notice.starts_with("MNIST is not in ")
            && notice
                .contains("downloads are off: training on the built-in synthetic digits instead")
            && notice.contains("`nn data download mnist`"),
        "{stderr}"
    );
    assert_eq!(
        lines.next(),
        Some(
            "training two-layer on digits (60000 train, 10000 test samples): \
             SGD lr 0.1, batch 100, 1 epoch, 1 thread"
        ),
        "{stderr}"
    );
    // Not a terminal: one plain line per epoch.
    assert!(stderr.contains("epoch 1/1: loss "), "{stderr}");
    assert!(std::fs::read_to_string(&plot).unwrap().starts_with("<svg"));
    let report = scratch.path().join("eval-report");
    let out = nn(&[
        "eval",
        "--weights",
        save.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
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
    for f in ["confusion.svg", "mistakes.png", "mistakes.svg"] {
        assert!(report.join(f).is_file(), "nn eval --report wrote no {f}");
    }
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
    // Each network it offers passes at its default point, with status 0…
    for model in ["two-layer", "multi-layer", "simple-conv"] {
        let out = nn(&["gradcheck", "--model", model]);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(out.status.success(), "{model}: {text}");
        assert!(
            text.contains(".weight:") && text.contains("every parameter within 1e-7"),
            "{text}"
        );
        assert!(!text.contains("no draw put every kink"), "{text}");
    }
    // …and a difference above the tolerance is a failure, not a line.
    let out = nn(&["gradcheck", "--tolerance", "1e-15"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("ABOVE the tolerance 1e-15 for affine1.bias"),
        "{text}"
    );
    // Only the networks it checks are offered, each described once.
    let help = String::from_utf8(nn(&["gradcheck", "--help"]).stdout).unwrap();
    assert!(!help.contains("deep-conv"), "{help}");
    assert_eq!(help.matches("TwoLayerNet 784-50-10").count(), 1, "{help}");
    assert!(help.contains("kinks"), "{help}");
}

/// `nn bench` times steps on every kernel this CPU runs (`NN_KERNEL`) and
/// says which; a kernel name it cannot use is reported and the widest used.
#[test]
fn bench_reports_samples_per_second() {
    use nn_core::kernels::Kernel;
    let best = Kernel::supported_all()[0];
    let mut runs: Vec<(&str, String, Kernel)> = Kernel::supported_all()
        .into_iter()
        .flat_map(|k| {
            [
                ("train", k.name().to_string(), k),
                ("infer", k.name().to_string(), k),
            ]
        })
        .collect();
    runs.push(("infer", "sse9".to_string(), best));
    for (mode, asked, kernel) in runs {
        let out = nn_with(
            &[
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
            ],
            &[("NN_KERNEL", &asked)],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        if asked == "sse9" {
            let known = Kernel::ALL.map(Kernel::name).join(", ");
            assert!(
                stderr.contains(&format!(
                    "NN_KERNEL=sse9: not a kernel (expected one of {known}); using {best}"
                )),
                "{stderr}"
            );
        }
        // One timed step of 10 samples.
        let line = stdout.trim_end();
        assert!(
            line.contains(&format!(
                "two-layer {mode}, batch 10, 1 threads, {kernel} kernel: 1 steps in "
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

/// The first number after `label` in `text`, as printed.
fn number_after<'a>(text: &'a str, label: &str) -> &'a str {
    let start = text
        .find(label)
        .unwrap_or_else(|| panic!("no `{label}` in {text}"))
        + label.len();
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// A user's own network: `nn model show simple-conv`, edited to 16 filters
/// with a batch norm after the convolution, trained from the file, saved, and
/// evaluated from the checkpoint alone with the accuracy training printed.
#[test]
fn a_network_file_is_trained_saved_and_evaluated() {
    let scratch = tempfile::tempdir().unwrap();
    let out = nn(&["model", "show", "simple-conv"]);
    assert!(out.status.success());
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(shown.contains("filters = 30"), "{shown}");
    let edited = shown.replacen("filters = 30", "filters = 16", 1).replacen(
        "[[layers]]\nkind = \"pool\"",
        "[[layers]]\nkind = \"bn\"\n\n[[layers]]\nkind = \"pool\"",
        1,
    );
    assert_ne!(edited, shown.replacen("filters = 30", "filters = 16", 1));
    let file = scratch.path().join("my.toml");
    std::fs::write(&file, edited).unwrap();
    let save = scratch.path().join("my.safetensors");
    let out = nn(&[
        "train",
        "--model",
        file.to_str().unwrap(),
        "--iterations",
        "30",
        "--eval-samples",
        "0",
        "--save",
        save.to_str().unwrap(),
        "--no-plot",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let trained = number_after(&stderr, "test accuracy ");
    let out = nn(&["eval", "--weights", save.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        number_after(&stdout, "test accuracy on digits "),
        trained,
        "{stdout}"
    );
    // The checkpoint holds the edited network: 16 filters and a batch norm.
    let checkpoint = nn_train::Checkpoint::read(&save).unwrap();
    let kinds: Vec<String> = checkpoint
        .spec()
        .unwrap()
        .layers
        .iter()
        .map(|l| l.kind.clone())
        .collect();
    assert_eq!(
        kinds,
        ["conv", "bn", "pool", "relu", "affine", "relu", "affine"]
    );
    let state = checkpoint.network::<f32>().unwrap().state();
    assert_eq!(state["conv1.weight"].shape(), [16, 1, 5, 5]);
}

/// A network assembled in Rust (conv → batch norm → ReLU → average pool →
/// affine → tanh → dropout → affine), trained a little and saved through the
/// checkpoint API: `nn eval` rebuilds it and measures the accuracy the library
/// measured.
#[test]
fn nn_eval_reads_a_network_assembled_in_rust() {
    let scratch = tempfile::tempdir().unwrap();
    use nn_conv::{Convolution, Pooling};
    use nn_core::{init::Init, rng::seeded};
    use nn_data::{digits, DigitsConfig, LoadOptions, Sampling};
    use nn_layers::{Affine, BatchNorm, Dropout, Network, Relu, Sequential, Tanh};

    let mut rng = seeded(11);
    let layers = Sequential::new()
        .with(Convolution::<f32>::init(1, 4, [5, 5], 1, 0, Init::He, &mut rng).unwrap())
        .with(BatchNorm::new(4))
        .with(Relu::new())
        .with(Pooling::average(4, 4, 4, 0).unwrap())
        .with(Affine::init(4 * 6 * 6, 32, Init::Xavier, &mut rng).unwrap())
        .with(Tanh::new())
        .with(Dropout::new(0.2, 5).unwrap())
        .with(Affine::init(32, 10, Init::Xavier, &mut rng).unwrap());
    let mut net = Network::new(layers);
    let data = digits(&DigitsConfig::default(), &LoadOptions::images());
    let mut adam = nn_optim::by_name::<f32>("adam", Some(0.01)).unwrap();
    let config = nn_train::TrainConfig {
        epochs: 1,
        batch_size: 100,
        seed: 0,
        sampling: Sampling::Shuffle,
        max_iterations: Some(40),
        eval_samples: Some(100),
        ..nn_train::TrainConfig::default()
    };
    nn_train::train(
        &mut net,
        adam.as_mut(),
        &data,
        &config,
        &mut nn_train::Quiet,
    )
    .unwrap();
    let accuracy = nn_train::evaluate(&mut net, &data.test, None).unwrap();
    assert!(accuracy > 0.5, "it learned something: {accuracy}");
    let save = scratch.path().join("assembled.safetensors");
    nn_train::checkpoint::save(&save, &mut net, None, &Default::default()).unwrap();
    let out = nn(&["eval", "--weights", save.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("custom network"), "{stdout}");
    assert_eq!(
        number_after(&stdout, "test accuracy on digits "),
        format!("{accuracy:.4}"),
        "{stdout}"
    );
}

/// Mistakes in a network file are found before training, and the message
/// names the file, the layer (position and name), and the field or shapes.
#[test]
fn errors_in_a_network_file_name_the_file_layer_and_field() {
    let scratch = tempfile::tempdir().unwrap();
    let cases = [
        (
            "input = [1, 28, 28]\n[[layers]]\nkind = \"conv\"\nfilters = 30\nkernel = [5, 5]\n\
             [[layers]]\nkind = \"affine\"\noutputs = \"ten\"\n",
            "layer 2 (affine1): outputs: invalid type: string \"ten\", expected usize",
        ),
        (
            "input = [1, 28, 28]\n[[layers]]\nkind = \"conv\"\nfilters = 30\nkernel = [5, 5]\n\
             [[layers]]\nkind = \"pool\"\nop = \"max\"\nsize = [2, 2]\n\
             [[layers]]\nkind = \"affine\"\ninputs = 4000\noutputs = 10\n",
            "layer 3 (affine1): expects 4000 inputs, but its input is (30, 12, 12) = 4320, \
             the output of layer 2 (pool1)",
        ),
        (
            "input = [784]\n[[layers]]\nkind = \"affine\"\noutputs = 10\n\
             [[layers]]\nkind = \"dropuot\"\n",
            "layer 2 (dropuot1): unknown layer kind `dropuot`; expected one of affine, conv,",
        ),
    ];
    for (i, (text, expected)) in cases.into_iter().enumerate() {
        let file = scratch.path().join(format!("bad{i}.toml"));
        std::fs::write(&file, text).unwrap();
        let out = nn(&[
            "train",
            "--model",
            file.to_str().unwrap(),
            "--dataset",
            "digits",
            "--no-save",
            "--no-plot",
        ]);
        assert!(!out.status.success());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        let want = format!("error: {}: {expected}", file.display());
        assert!(stderr.starts_with(&want), "{stderr}\nwanted: {want}");
    }
}

/// Outputs are checked before any training: the same file for the network
/// and the curves, or a folder that does not exist, is an error up front and
/// nothing on disk changes.
#[test]
fn outputs_are_checked_before_training() {
    let scratch = tempfile::tempdir().unwrap();
    let same = scratch.path().join("same.out");
    std::fs::write(&same, b"the user's file").unwrap();
    let s = same.to_str().unwrap();
    let out = nn(&["train", "--model", "two-layer", "--save", s, "--plot", s]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        format!("error: nn train: --save and --plot both name {s}; the curves would replace the network\n")
    );
    assert_eq!(std::fs::read(&same).unwrap(), b"the user's file");

    let out = nn(&[
        "train",
        "--model",
        "two-layer",
        "--plot",
        "/no/such/dir/curves.svg",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "error: nn train: --plot /no/such/dir/curves.svg: the folder does not exist\n"
    );
    // The folder of run folders is checked as early: a file is not one.
    let file = scratch.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let runs = file.join("runs");
    let out = nn(&["train", "--runs", runs.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "error: nn train: --runs {}: {} is not a folder\n",
            runs.display(),
            file.display()
        )
    );
}

/// Hostile files under a 1 GiB address-space limit (`ulimit -v`): a
/// checkpoint that claims a 40 GB layer and an MNIST folder whose images are
/// a gzip bomb are one-line errors with exit code 1, not an abort.
#[test]
fn hostile_files_fail_cleanly_under_a_memory_limit() {
    let scratch = tempfile::tempdir().unwrap();
    if !std::path::Path::new("/bin/sh").exists() {
        eprintln!("skipping: no /bin/sh for ulimit");
        return;
    }
    let dir = scratch.path().join("hostile");
    std::fs::create_dir_all(dir.join("mnist")).unwrap();
    let regressions =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let claims = regressions.join("checkpoint/claims-a-40gb-affine");
    let bomb = std::fs::read(regressions.join("idx/gzip-bomb")).unwrap();
    for name in [
        "train-images-idx3-ubyte",
        "t10k-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-labels-idx1-ubyte",
    ] {
        std::fs::write(dir.join("mnist").join(format!("{name}.gz")), &bomb).unwrap();
    }
    let nn = env!("CARGO_BIN_EXE_nn");
    let limited = |args: String| {
        Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("ulimit -v 1048576 && exec {nn} {args}"))
            .output()
            .unwrap()
    };
    let out = limited(format!("eval --weights {}", claims.display()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("does not fit the network: affine1.weight is (2, 2) in the checkpoint but (100000, 100000) in the network"),
        "{stderr}"
    );
    let out = limited(format!(
        "train --dataset mnist --data-dir {} --no-save --no-plot",
        dir.display()
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("more data follows the 4 bytes the header's dimensions (2, 2) announce"),
        "{stderr}"
    );
}

/// Same seed and command, 1 thread or 2: the same checkpoint, byte for byte.
#[test]
fn the_same_command_writes_the_same_bytes_on_1_and_2_threads() {
    let scratch = tempfile::tempdir().unwrap();
    let files: Vec<Vec<u8>> = ["1", "2"]
        .into_iter()
        .map(|threads| {
            let save = scratch
                .path()
                .join(format!("threads-{threads}.safetensors"));
            let out = nn(&[
                "train",
                "--model",
                "multi-layer",
                "--iterations",
                "20",
                "--eval-samples",
                "100",
                "--optimizer",
                "adam",
                "--threads",
                threads,
                "--save",
                save.to_str().unwrap(),
                "--no-plot",
            ]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::fs::read(&save).unwrap()
        })
        .collect();
    assert!(
        files[0] == files[1],
        "checkpoint bytes differ between 1 and 2 threads"
    );
}

/// The book's weights folder (`../shared/book-weights`, or
/// `$NN_BOOK_WEIGHTS`), when it is there.
fn book_weights() -> Option<PathBuf> {
    let dir = std::env::var_os("NN_BOOK_WEIGHTS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/book-weights"),
        PathBuf::from,
    );
    dir.join("params.pkl").is_file().then_some(dir)
}

#[test]
fn the_books_weights_import_evaluate_and_export() {
    let scratch = tempfile::tempdir().unwrap();
    let (Some(weights), Some(data)) = (book_weights(), std::env::var_os("NN_DATA_DIR")) else {
        eprintln!("skipping: needs the book's weights (../shared/book-weights) and NN_DATA_DIR");
        return;
    };
    let data = data.to_str().unwrap().to_string();
    let pkl = weights.join("params.pkl");
    let save = scratch.path().join("book-simple-conv.safetensors");
    let out = nn(&[
        "import",
        pkl.to_str().unwrap(),
        "--model",
        "simple-conv",
        "--save",
        save.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = nn(&[
        "eval",
        "--weights",
        save.to_str().unwrap(),
        "--dataset",
        "mnist",
        "--data-dir",
        &data,
    ]);
    // Imported without --dataset: nothing to compare with, no warning.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    // The book's figure for these weights (ch07 SimpleConvNet).
    assert!(
        stdout.contains("simple-conv network, test accuracy on mnist 0.9890 (10000 samples)"),
        "{stdout}"
    );
    let onnx = scratch.path().join("book-simple-conv.onnx");
    let out = nn(&[
        "export",
        "--weights",
        save.to_str().unwrap(),
        "--onnx",
        onnx.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&onnx).unwrap();
    // 433,890 float32 parameters, plus the graph.
    assert!(bytes.len() > 433_890 * 4, "{}", bytes.len());

    // The same file into the wrong network: every problem, in one error.
    let out = nn(&[
        "import",
        pkl.to_str().unwrap(),
        "--model",
        "two-layer",
        "--save",
        scratch.path().join("wrong.safetensors").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: the weights do not fit the network:\n"),
        "{stderr}"
    );
    for line in [
        "`W1` is (30, 1, 5, 5), but `affine1.weight` is (784, 50)",
        "`W3` (100, 10): the network has 2 layers with weights",
    ] {
        assert!(stderr.contains(line), "{line} not in {stderr}");
    }
    assert!(!scratch.path().join("wrong.safetensors").exists());
}

#[test]
fn a_pickle_that_would_run_code_is_refused() {
    let scratch = tempfile::tempdir().unwrap();
    // pickle.dumps(os.system("ls")) as protocol 2 would write it.
    let evil = scratch.path().join("evil.pkl");
    std::fs::write(
        &evil,
        b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00lsq\x00\x85R.",
    )
    .unwrap();
    let out = nn(&[
        "import",
        evil.to_str().unwrap(),
        "--model",
        "two-layer",
        "--save",
        scratch.path().join("evil.safetensors").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("at byte 2: refers to the Python global `posix.system`"),
        "{stderr}"
    );
    assert!(!scratch.path().join("evil.safetensors").exists());
}

/// `nn train --epochs 2`, then `--resume` to 3, writes the same checkpoint,
/// byte for byte, as `--epochs 3` at once; the schedule and the validation
/// hold-out carry over, and each epoch's line shows its rate.
#[test]
fn a_resumed_run_ends_with_the_bytes_of_an_uninterrupted_one() {
    let scratch = tempfile::tempdir().unwrap();
    let common = [
        "--model",
        "multi-layer",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--lr-schedule",
        "step:1:0.5",
        "--validation",
        "1000",
        "--eval-samples",
        "500",
        "--no-plot",
    ];
    let run = |epochs: &str, save: &PathBuf, resume: Option<&PathBuf>| {
        let mut args = vec![
            "train",
            "--epochs",
            epochs,
            "--save",
            save.to_str().unwrap(),
        ];
        args.extend(common);
        if let Some(r) = resume {
            args.extend(["--resume", r.to_str().unwrap()]);
        }
        let out = nn(&args);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(out.status.success(), "{stderr}");
        stderr
    };
    let whole = scratch.path().join("resume-whole.safetensors");
    let stderr = run("3", &whole, None);
    for line in [
        "epoch 1/3",
        "lr 0.01,",
        "epoch 2/3",
        "lr 0.005,",
        "epoch 3/3",
        "lr 0.0025,",
    ] {
        assert!(stderr.contains(line), "{line} not in {stderr}");
    }
    assert!(stderr.contains("59000 train, 1000 validation"), "{stderr}");
    let part = scratch.path().join("resume-part.safetensors");
    run("2", &part, None);
    let resumed = scratch.path().join("resume-rest.safetensors");
    let stderr = run("3", &resumed, Some(&part));
    assert!(stderr.contains("resuming multi-layer"), "{stderr}");
    assert!(stderr.contains("epochs 3 to 3"), "{stderr}");
    assert!(!stderr.contains("epoch 2/3"), "{stderr}");
    assert!(
        std::fs::read(&whole).unwrap() == std::fs::read(&resumed).unwrap(),
        "the resumed run's checkpoint differs from the uninterrupted run's"
    );
    // Asking for no more epochs than are done is an error.
    let out = nn(&[
        "train",
        "--epochs",
        "2",
        "--resume",
        part.to_str().unwrap(),
        "--no-save",
        "--no-plot",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("has 2 epochs done; ask for more with --epochs (got 2)"),
        "{stderr}"
    );
}

#[test]
fn evaluating_on_another_dataset_than_the_one_trained_on_warns_in_one_line() {
    let scratch = tempfile::tempdir().unwrap();
    let save = scratch.path().join("digits-two-layer.safetensors");
    train_two_layer(&save, "20");
    let Some(data) = std::env::var_os("NN_DATA_DIR") else {
        eprintln!("skipping the MNIST half: NN_DATA_DIR is not set");
        return;
    };
    let out = nn(&[
        "eval",
        "--weights",
        save.to_str().unwrap(),
        "--dataset",
        "mnist",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("was trained on digits, not mnist: expect a lower accuracy than on digits"),
        "{stderr}"
    );
    let out = nn(&["eval", "--weights", save.to_str().unwrap()]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Bad numbers are refused before any work, by the option's own rule,
/// negative ones included (clap used to read `-1` as an unknown option).
#[test]
fn options_name_their_rule_for_zero_and_negative_numbers() {
    for (args, expected) in [
        (
            &["--epochs", "0"][..],
            "invalid value '0' for '--epochs <EPOCHS>': must be ≥ 1, got 0",
        ),
        (
            &["--epochs", "-1"],
            "invalid value '-1' for '--epochs <EPOCHS>': must be ≥ 1, got -1",
        ),
        (
            &["--iterations", "0"],
            "'--iterations <ITERATIONS>': must be ≥ 1, got 0",
        ),
        (
            &["--lr", "-0.1"],
            "invalid value '-0.1' for '--lr <LR>': must be > 0, got -0.1",
        ),
        (&["--lr", "inf"], "'--lr <LR>': must be > 0, got inf"),
        (
            &["--batch-size", "0"],
            "'--batch-size <BATCH_SIZE>': must be ≥ 1, got 0",
        ),
    ] {
        let mut all = vec!["train", "--no-save", "--no-plot"];
        all.extend(args);
        let out = nn(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("training"), "{args:?}: {stderr}");
    }
}

/// Without --save and --plot every run writes into a new run folder and
/// prints it; a second run leaves the first's files as they were.
#[test]
fn runs_never_overwrite_each_other() {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().join("runs-twice");
    let run = || {
        let out = nn(&[
            "train",
            "--model",
            "two-layer",
            "--iterations",
            "30",
            "--eval-samples",
            "200",
            "--runs",
            root.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(out.status.success(), "{stderr}");
        let line = stderr
            .lines()
            .find_map(|l| l.strip_prefix("run folder "))
            .unwrap_or_else(|| panic!("no run folder line in {stderr}"));
        PathBuf::from(line)
    };
    let first = run();
    assert_eq!(first, root.join("two-layer-digits-1"));
    let files = [
        "confusion.svg",
        "curves.svg",
        "metrics.csv",
        "mistakes.png",
        "mistakes.svg",
        "model.safetensors",
        "network.toml",
    ];
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(first.join(f)).unwrap())
        .collect();
    let metrics = String::from_utf8(before[2].clone()).unwrap();
    let mut rows = metrics.lines();
    assert_eq!(rows.next(), Some(nn_train::run::METRICS_HEADER));
    assert!(rows.next().unwrap().starts_with("1,0.1,"), "{metrics}");
    let description = String::from_utf8(before[6].clone()).unwrap();
    assert!(description.contains("kind = \"affine\""), "{description}");
    let second = run();
    assert_eq!(second, root.join("two-layer-digits-2"));
    for (f, bytes) in files.iter().zip(&before) {
        assert_eq!(&std::fs::read(first.join(f)).unwrap(), bytes, "{f} changed");
        assert!(second.join(f).is_file(), "{f} missing in the second run");
    }
}

/// A learning rate that blows the loss up 1000-fold leaves the previous
/// checkpoint alone unless asked; the curves are still drawn.
#[test]
fn a_diverged_network_is_not_saved_without_save_anyway() {
    let scratch = tempfile::tempdir().unwrap();
    let save = scratch.path().join("diverged.safetensors");
    std::fs::write(&save, b"the user's earlier model").unwrap();
    let args = |extra: &'static str| {
        let mut a = vec![
            "train",
            "--model",
            "two-layer",
            "--lr",
            "1e6",
            "--iterations",
            "20",
            "--eval-samples",
            "100",
            "--save",
            save.to_str().unwrap(),
        ];
        if !extra.is_empty() {
            a.push(extra);
        }
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| nn(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let out = run(args(""));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with(&format!(
            "error: nn train: not saving {}: the training loss reached ",
            save.display()
        )) && last.contains("more than 1000 times its first value")
            && last.contains("--save-anyway"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&save).unwrap(), b"the user's earlier model");
    let out = run(args("--save-anyway"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(std::fs::read(&save).unwrap(), b"the user's earlier model");
}

/// `nn train` with no --dataset trains on MNIST when it is there.
#[test]
fn mnist_is_the_default_when_it_is_there() {
    let Some(data) = std::env::var_os("NN_DATA_DIR") else {
        eprintln!("skipping: NN_DATA_DIR is not set");
        return;
    };
    let out = nn(&[
        "train",
        "--model",
        "two-layer",
        "--iterations",
        "5",
        "--eval-samples",
        "100",
        "--no-save",
        "--no-plot",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.starts_with("training two-layer on mnist (60000 train, 10000 test samples)"),
        "{stderr}"
    );
}

/// `nn data download --help` offers only what it can download.
#[test]
fn download_offers_only_real_choices() {
    let help = String::from_utf8(nn(&["data", "download", "--help"]).stdout).unwrap();
    assert!(
        help.contains("mnist") && help.contains("fashion-mnist"),
        "{help}"
    );
    assert!(!help.contains("- digits"), "{help}");
}

/// `nn predict` reads PNG and JPEG pictures of test digits (as they are,
/// inverted, enlarged and off-centre) and gives each the class the tensor
/// path gives the digit itself.
#[test]
fn predict_reads_pictures_as_the_tensor_path_does() {
    let scratch = tempfile::tempdir().unwrap();
    let save = scratch.path().join("predict.safetensors");
    train_two_layer(&save, "1200");
    // The tensor path: the same test digits as `nn train` tested on.
    let data = nn_data::digits::<f32>(
        &nn_data::DigitsConfig {
            train: 0,
            test: 40,
            seed: 0,
        },
        &nn_data::LoadOptions::default(),
    );
    let mut net = nn_train::Checkpoint::read(&save)
        .unwrap()
        .network::<f32>()
        .unwrap();
    let probs = net.predict_proba(&data.test.images).unwrap();
    let dir = scratch.path().join("predict-pictures");
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    let mut expected = Vec::new();
    for (i, row) in probs.outer_iter().enumerate() {
        let class = nn_layers::argmax(row);
        // Digits the network is sure of: a picture path that works must
        // not change their class.
        if row[class] < 0.9 {
            continue;
        }
        let pixels: Vec<u8> = data
            .test
            .images
            .index_axis(ndarray::Axis(0), i)
            .iter()
            .map(|v| (v * 255.0).round() as u8)
            .collect();
        let inverted: Vec<u8> = pixels.iter().map(|&v| 255 - v).collect();
        // 4 × 4 pixels for each.
        let enlarged: Vec<u8> = (0..112 * 112)
            .map(|i| pixels[(i / 112 / 4) * 28 + (i % 112) / 4])
            .collect();
        let mut off_centre = vec![0u8; 90 * 60];
        for (y, row) in pixels.chunks_exact(28).enumerate() {
            off_centre[(2 + y) * 90 + 55..][..28].copy_from_slice(row);
        }
        for (name, picture, (w, h)) in [
            ("plain.png", &pixels, (28, 28)),
            ("inverted.jpg", &inverted, (28, 28)),
            ("enlarged.png", &enlarged, (112, 112)),
            ("off-centre.png", &off_centre, (90, 60)),
        ] {
            let path = dir.join(format!("{i}-{name}"));
            if name.ends_with(".png") {
                write_grey_png(&path, picture, w, h);
            } else {
                jpeg_encoder::Encoder::new_file(&path, 90)
                    .unwrap()
                    .encode(picture, w as u16, h as u16, jpeg_encoder::ColorType::Luma)
                    .unwrap();
            }
            files.push(path.to_str().unwrap().to_string());
            expected.push(class);
        }
    }
    assert!(
        files.len() >= 4 * 20,
        "only {} sure digits",
        files.len() / 4
    );
    let show = dir.join("seen.png");
    let mut args = vec![
        "predict",
        "--weights",
        save.to_str().unwrap(),
        "--show",
        show.to_str().unwrap(),
    ];
    args.extend(files.iter().map(String::as_str));
    let out = nn(&args);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), files.len(), "{stdout}");
    for ((line, file), class) in lines.iter().zip(&files).zip(&expected) {
        let answer = line
            .strip_prefix(&format!("{file}: "))
            .unwrap_or_else(|| panic!("{line}"));
        // Three classes with their probabilities, the tensor path's first.
        assert_eq!(answer.split(", ").count(), 3, "{line}");
        assert!(
            answer.starts_with(&format!("{class} (")),
            "{line}: expected {class}"
        );
    }
    let (_, width, _) = nn_train::picture::decode_grey(&std::fs::read(&show).unwrap()).unwrap();
    assert_eq!(width, 10 * 28 * 4 + 11 * 8);
    // A picture that is not one is refused by name.
    let text = dir.join("not-a-picture.png");
    std::fs::write(&text, "hello").unwrap();
    let out = nn(&[
        "predict",
        "--weights",
        save.to_str().unwrap(),
        text.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr,
        format!("error: {}: not a PNG or JPEG file\n", text.display())
    );
}

/// An 8-bit grey PNG of `w × h` pixels.
fn write_grey_png(path: &Path, pixels: &[u8], w: u32, h: u32) {
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut encoder = png::Encoder::new(file, w, h);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(pixels).unwrap();
    writer.finish().unwrap();
}
