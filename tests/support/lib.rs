//! Helpers shared by the workspace's cross-crate tests (`tests/`) and
//! benchmarks (`benches/`). Not published.

use std::path::PathBuf;

/// The data directory from `NN_DATA_DIR`, or `None` after printing why a test
/// that needs real data is skipping.
///
/// `what` names the files the caller needs, for the message.
pub fn data_dir_or_skip(what: &str) -> Option<PathBuf> {
    match std::env::var_os("NN_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => {
            eprintln!("skipping: NN_DATA_DIR is not set, so {what} cannot be found");
            None
        }
    }
}

/// The thread counts benchmarks compare side by side: 1 and 2 (this
/// project's reference machine has two cores).
pub const BENCH_THREADS: [usize; 2] = [1, 2];

/// A rayon pool of `threads` threads. Benchmarks run their timing loops
/// inside `pool.install`, as the trainer does: a `rayon::join` issued from a
/// thread outside the pool must hand its work over and sleep, which costs far
/// more than the join itself.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool of 1 or 2 threads can always be built")
}

/// Runs `f` `iters` times inside `pool`, with its threads kept warm
/// ([`nn_core::with_warm_workers`], as the trainer does), and returns the time
/// taken: the body of a criterion `iter_custom`.
pub fn time_in_pool<F: FnMut() + Send>(
    pool: &rayon::ThreadPool,
    iters: u64,
    mut f: F,
) -> std::time::Duration {
    pool.install(|| {
        nn_core::with_warm_workers(|| {
            let start = std::time::Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed()
        })
    })
}

/// Like [`time_in_pool`], but each iteration first runs `setup` (untimed)
/// and passes its value to `routine` (timed); both get `ctx` (the layer under
/// test) in turn. For layers that consume tensors of several megabytes, whose
/// copy would otherwise be measured with them, or that need a forward pass
/// before each backward.
pub fn time_in_pool_with_setup<C, I, S, R>(
    pool: &rayon::ThreadPool,
    iters: u64,
    ctx: &mut C,
    mut setup: S,
    mut routine: R,
) -> std::time::Duration
where
    C: Send,
    S: FnMut(&mut C) -> I + Send,
    R: FnMut(&mut C, I) + Send,
{
    pool.install(|| {
        nn_core::with_warm_workers(|| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iters {
                let input = setup(ctx);
                let start = std::time::Instant::now();
                routine(ctx, input);
                total += start.elapsed();
            }
            total
        })
    })
}

/// What each fuzz target (`fuzz/fuzz_targets/`) does with its input, shared
/// with `tests/fuzz_corpus.rs`, which replays the committed corpus and every
/// input that once crashed on stable Rust. Each function must return, never
/// panic or abort, whatever the bytes; errors are the expected outcome.
pub mod fuzz {
    use std::path::Path;

    /// An IDX file, plain or gzipped, parsed from memory.
    pub fn idx(data: &[u8]) {
        let _ = nn_data::idx::parse_idx(Path::new("fuzz.idx"), data);
    }

    /// An MNIST folder: the input is split into the four files (each part
    /// prefixed by its length, u16 little-endian), written to a temporary
    /// folder (removed afterwards), and loaded with the book's options and
    /// as images.
    pub fn mnist_folder(data: &[u8]) {
        let Ok(scratch) = tempfile::Builder::new().prefix("nn-fuzz-mnist-").tempdir() else {
            return;
        };
        let dir = scratch.path();
        let folder = dir.join("mnist");
        if std::fs::create_dir_all(&folder).is_err() {
            return;
        }
        let mut rest = data;
        for name in nn_data::FILES {
            let len = match rest {
                [a, b, tail @ ..] => {
                    rest = tail;
                    usize::from(u16::from_le_bytes([*a, *b])).min(rest.len())
                }
                _ => 0,
            };
            let (file, tail) = rest.split_at(len);
            rest = tail;
            let _ = std::fs::write(folder.join(name), file);
        }
        let _ = nn_data::mnist::<f32>(dir, &nn_data::LoadOptions::default());
        let _ = nn_data::mnist::<f32>(dir, &nn_data::LoadOptions::images());
    }

    /// A pickle of NumPy arrays, read and put onto the notes' chapter-3
    /// network by name.
    pub fn pickle(data: &[u8]) {
        let Ok(arrays) = nn_interop::read_pickle(data, "fuzz.pkl") else {
            return;
        };
        if let Some(spec) = nn_model::builtin("three-layer").map(|b| b.spec()) {
            let _ = nn_interop::fit_weights::<f32>(&spec, &arrays, &[]);
        }
    }

    /// NumPy's files and other tools' safetensors: the bytes read as an
    /// `.npz` archive, as one `.npy` array, and as a foreign safetensors file.
    pub fn npz(data: &[u8]) {
        let _ = nn_interop::read_npz(data, "fuzz.npz");
        let _ = nn_interop::read_npy(data, "fuzz.npy");
        let _ = nn_interop::read_safetensors(data, "fuzz.safetensors");
    }

    /// A picture for `nn predict`: decoded as PNG or JPEG, then prepared
    /// as an MNIST digit.
    pub fn picture(data: &[u8]) {
        if let Ok((grey, w, h)) = nn_train::picture::decode_grey(data) {
            let _ = nn_data::prepare::mnist_style(&grey, w, h);
        }
    }

    /// A whole checkpoint: read, its network rebuilt and restored, its
    /// optimizer state loaded into every registered optimizer and one step
    /// taken.
    pub fn checkpoint(data: &[u8]) {
        let path = Path::new("fuzz.safetensors");
        let Ok(checkpoint) = nn_train::Checkpoint::from_bytes(path, data.to_vec()) else {
            return;
        };
        let _ = checkpoint.model_name();
        let Ok(mut net) = checkpoint.network::<f32>() else {
            return;
        };
        let _ = nn_train::first_non_finite(&mut net);
        let Ok(state) = checkpoint.optimizer_state::<f32>() else {
            return;
        };
        for kind in nn_optim::optimizers::<f32>() {
            let Ok(mut optimizer) = kind.build(None) else {
                continue;
            };
            if optimizer.load_state(state.clone()).is_ok() {
                let _ = optimizer.step(&mut net);
            }
        }
    }

    /// The most parameters a fuzzed description is built with (its plan is
    /// checked first, as `Checkpoint::network` checks it against tensors).
    const MAX_PARAMS: usize = 1 << 20;

    /// A network description, as a checkpoint's metadata (JSON) or a network
    /// file (TOML): parsed, planned, and built and run on one zero sample
    /// when its plan is small.
    pub fn network_description(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        for spec in [
            nn_model::NetworkSpec::from_json(text, "fuzz.json"),
            nn_model::NetworkSpec::from_toml(text, "fuzz.toml"),
        ]
        .into_iter()
        .flatten()
        {
            let Ok(plan) = spec.plan() else { continue };
            let small = plan.values().is_some_and(|p| p <= MAX_PARAMS)
                && plan.output_above(MAX_PARAMS).is_none()
                && plan.outputs.iter().all(Option::is_some);
            if small {
                if let (Ok(mut net), Some(input)) = (spec.build::<f32>(0), &spec.input) {
                    let mut shape = vec![1];
                    shape.extend(input);
                    let x = ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&shape));
                    let _ = net.predict(&x);
                }
            }
        }
    }
}

/// `../shared/book-weights` (the book's three trained-weight pickles, read
/// in place), or `None` after printing why a test that needs them is
/// skipping. `NN_BOOK_WEIGHTS` overrides the folder.
pub fn book_weights_or_skip() -> Option<PathBuf> {
    let dir = std::env::var_os("NN_BOOK_WEIGHTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/book-weights")
        });
    if dir.join("sample_weight.pkl").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: the book's weights are not at {} (set NN_BOOK_WEIGHTS)",
            dir.display()
        );
        None
    }
}

/// A Python virtual environment under the target folder with `packages`
/// from PyPI (created and installed on first use), for tests that check
/// nn's files with the Python tools people use. Returns its interpreter,
/// or `None` after printing why the test is skipping (no Python, or pip
/// could not install the packages).
pub fn python_venv_or_skip(name: &str, packages: &[&str], imports: &str) -> Option<PathBuf> {
    use std::process::Command;
    let ok = |c: &mut Command| c.output().is_ok_and(|o| o.status.success());
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("python")
        .join(name);
    let python = venv.join("bin").join("python");
    if ok(Command::new(&python).args(["-c", &format!("import {imports}")])) {
        return Some(python);
    }
    let Some(system) = ["python3", "python"]
        .into_iter()
        .find(|p| ok(Command::new(p).arg("--version")))
    else {
        eprintln!(
            "skipping: no Python interpreter found to create {}",
            venv.display()
        );
        return None;
    };
    if !ok(Command::new(system).args(["-m", "venv"]).arg(&venv)) {
        eprintln!(
            "skipping: could not create a virtual environment at {}",
            venv.display()
        );
        return None;
    }
    let installed = ok(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(packages));
    if !installed || !ok(Command::new(&python).args(["-c", &format!("import {imports}")])) {
        eprintln!(
            "skipping: pip could not install {} into {}",
            packages.join(" "),
            venv.display()
        );
        return None;
    }
    Some(python)
}

/// Writes `values` as raw little-endian float32 (what the Python side of a
/// test reads with `np.fromfile(path, '<f4')`).
pub fn write_f32(path: &std::path::Path, values: impl Iterator<Item = f32>) {
    let bytes: Vec<u8> = values.flat_map(f32::to_le_bytes).collect();
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Reads raw little-endian float32 written by the Python side of a test.
pub fn read_f32(path: &std::path::Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// The virtual environment of the interoperability tests (numpy, onnx,
/// onnxruntime), or `None` after printing why they skip.
pub fn interop_python_or_skip() -> Option<PathBuf> {
    python_venv_or_skip(
        "interop",
        &["numpy", "onnx", "onnxruntime"],
        "numpy, onnx, onnxruntime",
    )
}

/// Runs `tests/python/<script>` with `python` and `args`, panicking with
/// its stderr when it fails; returns its stdout.
pub fn run_python<P: AsRef<std::ffi::OsStr>>(
    python: impl AsRef<std::ffi::OsStr>,
    script: &str,
    args: &[P],
) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("python")
        .join(script);
    let out = std::process::Command::new(python)
        .arg(&path)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", path.display()));
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The largest |a − b| / max(|b|, 1) over two equally long outputs: a
/// relative difference that does not blow up where `b` is near zero.
pub fn worst_relative_difference(ours: &[f32], theirs: &[f32]) -> f32 {
    assert_eq!(ours.len(), theirs.len(), "outputs of different sizes");
    ours.iter()
        .zip(theirs)
        .map(|(&a, &b)| (a - b).abs() / b.abs().max(1.0))
        .fold(0.0, f32::max)
}
