//! Checkpoints: round trips, architecture mismatches, optimizer state, and
//! Python's safetensors reading a file written here.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use nn_core::{init::uniform, rng::seeded, Parameters, Tensor};
use nn_layers::{MultiLayerNet, TwoLayerNet};
use nn_optim::{Adam, AdamConfig, Optimizer};
use nn_train::{checkpoint, Checkpoint, Error};

fn batch() -> (Tensor<f32>, Vec<usize>) {
    (
        uniform(ndarray::IxDyn(&[8, 12]), 0.0, 1.0, &mut seeded(3)).unwrap(),
        vec![0, 1, 2, 3, 0, 1, 2, 3],
    )
}

#[test]
fn a_saved_network_comes_back_identical() {
    let scratch = tempfile::tempdir().unwrap();
    let spec = MultiLayerNet {
        input_size: 12,
        hidden_sizes: vec![10, 6],
        output_size: 4,
        batch_norm: true,
        dropout: Some(0.1),
        ..MultiLayerNet::default()
    };
    let mut net = spec.build::<f32>(1).unwrap();
    let (x, t) = batch();
    // Train a little so that weights and batch-norm statistics move.
    let mut adam = Adam::<f32>::new(AdamConfig::default()).unwrap();
    for _ in 0..5 {
        net.gradient(&x, &t).unwrap();
        adam.step(&mut net).unwrap();
    }
    let path = scratch.path().join("mln.safetensors");
    checkpoint::save(
        &path,
        &mut net,
        None,
        &BTreeMap::from([("note".to_string(), "hi".to_string())]),
    )
    .unwrap();
    let ckpt = Checkpoint::read(&path).unwrap();
    assert_eq!(ckpt.model_name(), "custom");
    assert_eq!(ckpt.metadata()["format"], "nn-checkpoint-2");
    assert_eq!(ckpt.spec().unwrap(), nn_model::NetworkSpec::describe(&net));
    assert_eq!(ckpt.metadata()["note"], "hi");
    assert_eq!(ckpt.metadata()["dtype"], "f32");
    let mut back = ckpt.network::<f32>().unwrap();
    assert_eq!(back.predict(&x).unwrap(), net.predict(&x).unwrap());
    let names = |n: &mut nn_layers::Network<f32>| {
        n.param_shapes()
            .into_iter()
            .map(|p| p.0)
            .collect::<Vec<_>>()
    };
    assert!(names(&mut back).contains(&"bn1.running_var".to_string()));
    // Loaded into f64, the values are the same numbers.
    let mut wide = ckpt.network::<f64>().unwrap();
    let a = wide.predict(&x.mapv(f64::from)).unwrap();
    let b = net.predict(&x).unwrap().mapv(f64::from);
    assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() < 1e-5));
}

#[test]
fn a_different_architecture_is_refused_with_every_difference() {
    let scratch = tempfile::tempdir().unwrap();
    let mut small = TwoLayerNet {
        input_size: 12,
        hidden_size: 5,
        output_size: 4,
        weight_init_std: 0.1,
    }
    .build::<f32>(0)
    .unwrap();
    let path = scratch.path().join("small.safetensors");
    checkpoint::save(&path, &mut small, None, &BTreeMap::new()).unwrap();
    let mut other = TwoLayerNet {
        input_size: 12,
        hidden_size: 7,
        output_size: 4,
        weight_init_std: 0.1,
    }
    .build::<f32>(0)
    .unwrap();
    let err = Checkpoint::read(&path)
        .unwrap()
        .restore(&mut other)
        .unwrap_err();
    assert!(matches!(err, Error::Checkpoint { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: does not fit the network: affine1.weight is (12, 5) in the checkpoint but (12, 7) in the network; \
             affine1.bias is (5,) in the checkpoint but (7,) in the network; \
             affine2.weight is (5, 4) in the checkpoint but (7, 4) in the network",
            path.display()
        )
    );
    let mut deeper = MultiLayerNet {
        input_size: 12,
        hidden_sizes: vec![5],
        output_size: 4,
        batch_norm: true,
        ..MultiLayerNet::default()
    }
    .build::<f32>(0)
    .unwrap();
    let err = Checkpoint::read(&path)
        .unwrap()
        .restore(&mut deeper)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bn1.gamma (5,) is missing from the checkpoint"),
        "{err}"
    );
    assert!(
        err.contains("bn1.running_mean (5,) is missing from the checkpoint"),
        "{err}"
    );
    std::fs::write(scratch.path().join("junk.safetensors"), b"not a checkpoint").unwrap();
    let err = Checkpoint::read(&scratch.path().join("junk.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a safetensors file"), "{err}");
    // A safetensors file without nn's description (another tool's, or nn's
    // format 1) is refused with a reason.
    let foreign = scratch.path().join("foreign.safetensors");
    let data = [0u8; 8];
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![2], &data).unwrap();
    std::fs::write(
        &foreign,
        safetensors::serialize([("w", view)], None).unwrap(),
    )
    .unwrap();
    let err = Checkpoint::read(&foreign).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "has no `network` description in its metadata, so the network it holds is unknown \
                       (it was written by another tool, or by nn before checkpoint format 2)"
        ),
        "{err}"
    );
}

#[test]
fn optimizer_state_is_saved_and_resumes_exactly() {
    let scratch = tempfile::tempdir().unwrap();
    let spec = TwoLayerNet {
        input_size: 12,
        hidden_size: 6,
        output_size: 4,
        weight_init_std: 0.1,
    };
    let mut net = spec.build::<f32>(2).unwrap();
    let (x, t) = batch();
    let mut adam = Adam::<f32>::new(AdamConfig::default()).unwrap();
    for _ in 0..3 {
        net.gradient(&x, &t).unwrap();
        adam.step(&mut net).unwrap();
    }
    let path = scratch.path().join("resume.safetensors");
    checkpoint::save(&path, &mut net, Some(&adam), &BTreeMap::new()).unwrap();
    let ckpt = Checkpoint::read(&path).unwrap();
    assert_eq!(ckpt.metadata()["optimizer"], "Adam");
    let mut resumed = ckpt.network::<f32>().unwrap();
    let mut adam2 = Adam::<f32>::new(AdamConfig::default()).unwrap();
    adam2.load_state(ckpt.optimizer_state().unwrap()).unwrap();
    for (n, o) in [(&mut net, &mut adam), (&mut resumed, &mut adam2)] {
        n.gradient(&x, &t).unwrap();
        o.step(n).unwrap();
    }
    assert_eq!(resumed.predict(&x).unwrap(), net.predict(&x).unwrap());
    // The write went through a temporary file that is gone now. (Only this
    // file's: the other tests of this binary write beside it at the same time.)
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".resume.safetensors.part-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The checkpoint is ordinary safetensors: Python's `safetensors.numpy`
/// reads every tensor with the right shape and values. Sets up a virtual
/// environment under target/ with safetensors and numpy from PyPI; skips when
/// Python is absent.
#[test]
fn python_safetensors_reads_a_checkpoint() {
    let scratch = tempfile::tempdir().unwrap();
    let python = ["python3", "python"].into_iter().find(|p| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(python) = python else {
        eprintln!("skipping: no Python interpreter found to read the checkpoint with");
        return;
    };
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("py-safetensors");
    let venv_python = venv.join("bin").join("python");
    let ready = Command::new(&venv_python)
        .args(["-c", "import safetensors.numpy, numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        let made = Command::new(python)
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("run python -m venv");
        assert!(
            made.success(),
            "could not create a virtual environment at {}",
            venv.display()
        );
        let installed = Command::new(&venv_python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "safetensors",
                "numpy",
            ])
            .status()
            .expect("run pip");
        assert!(
            installed.success(),
            "pip could not install safetensors and numpy from PyPI"
        );
    }

    let mut net = MultiLayerNet {
        input_size: 12,
        hidden_sizes: vec![6],
        output_size: 4,
        batch_norm: true,
        ..MultiLayerNet::default()
    }
    .build::<f32>(5)
    .unwrap();
    let path = scratch.path().join("for-python.safetensors");
    checkpoint::save(&path, &mut net, None, &BTreeMap::new()).unwrap();
    let script = "import sys\nfrom safetensors.numpy import load_file\nfrom safetensors import safe_open\n\
                  d = load_file(sys.argv[1])\n\
                  for k in sorted(d): print(k, d[k].dtype, list(d[k].shape), float(d[k].astype('float64').sum()))\n\
                  import json\n\
                  net = json.loads(safe_open(sys.argv[1], 'np').metadata()['network'])\n\
                  print('layers', ' '.join(l['kind'] for l in net['layers']))\n";
    let out = Command::new(&venv_python)
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut expected = Vec::new();
    net.visit_params(&mut |p| {
        let sum: f64 = p.value.iter().map(|&v| f64::from(v)).sum();
        expected.push((p.name.to_string(), p.value.shape().to_vec(), sum));
    });
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), expected.len() + 1, "{stdout}");
    for (line, (name, shape, sum)) in lines.iter().zip(&expected) {
        let fields: Vec<&str> = line.splitn(3, ' ').collect();
        assert_eq!((fields[0], fields[1]), (name.as_str(), "float32"), "{line}");
        let (shape_text, sum_text) = fields[2].rsplit_once(' ').unwrap();
        assert_eq!(shape_text, format!("{shape:?}"), "{line}");
        assert!(
            (sum_text.parse::<f64>().unwrap() - sum).abs() < 1e-4,
            "{line} vs {sum}"
        );
    }
    assert_eq!(lines.last(), Some(&"layers affine bn relu affine"));
}

/// A safetensors file holding `tensors` (f32, all zeros) whose metadata
/// carries the network description `network` (TOML, converted to JSON).
fn crafted(
    scratch: &tempfile::TempDir,
    name: &str,
    network: &str,
    tensors: &[(&str, &[usize])],
) -> PathBuf {
    let spec = nn_model::NetworkSpec::from_toml(network, "test").unwrap();
    let data: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, s)| {
            (
                n.to_string(),
                s.to_vec(),
                vec![0u8; 4 * s.iter().product::<usize>()],
            )
        })
        .collect();
    let views: Vec<(&str, safetensors::tensor::TensorView<'_>)> = data
        .iter()
        .map(|(n, s, b)| {
            let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b)
                .unwrap();
            (n.as_str(), view)
        })
        .collect();
    let metadata = std::collections::HashMap::from([
        ("network".to_string(), spec.to_json()),
        ("format".to_string(), "nn-checkpoint-2".to_string()),
    ]);
    let bytes = safetensors::serialize(views, Some(metadata)).unwrap();
    let path = scratch.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn network_error(path: &std::path::Path) -> String {
    Checkpoint::read(path)
        .unwrap()
        .network::<f32>()
        .unwrap_err()
        .to_string()
}

/// A few hundred bytes that claim a 40 GB layer, a pad of 2⁶³, or a layer
/// output of 400 million values per sample: each is refused, naming the
/// problem, before anything is allocated (these used to abort the process or
/// panic).
#[test]
fn a_checkpoints_claims_are_checked_against_its_tensors_first() {
    let scratch = tempfile::tempdir().unwrap();
    let huge = crafted(
        &scratch,
        "huge.safetensors",
        "input = [100000]\n[[layers]]\nkind = \"affine\"\noutputs = 100000\n",
        &[("affine1.weight", &[2, 2]), ("affine1.bias", &[2])],
    );
    assert!(std::fs::metadata(&huge).unwrap().len() < 1000);
    let e = network_error(&huge);
    assert!(
        e.contains("does not fit the network: affine1.weight is (2, 2) in the checkpoint but (100000, 100000) in the network; affine1.bias is (2,) in the checkpoint but (100000,) in the network"),
        "{e}"
    );

    let pad = crafted(
        &scratch,
        "pad.safetensors",
        "input = [1, 28, 28]\n[[layers]]\nkind = \"conv\"\nfilters = 1\nkernel = [1, 1]\npad = 9223372036854775808\n",
        &[("conv1.weight", &[1, 1, 1, 1]), ("conv1.bias", &[1])],
    );
    let e = network_error(&pad);
    assert!(
        e.contains("its network description: layer 1 (conv1): conv: input (1, 28, 28) padded by 9223372036854775808 with a 1x1 window is too large to index"),
        "{e}"
    );

    let wide = crafted(
        &scratch,
        "wide.safetensors",
        "input = [1, 28, 28]\n[[layers]]\nkind = \"conv\"\nfilters = 1\nkernel = [1, 1]\npad = 10000\n",
        &[("conv1.weight", &[1, 1, 1, 1]), ("conv1.bias", &[1])],
    );
    let e = network_error(&wide);
    assert!(
        e.contains("layer 1 (conv) gives (1, 20028, 20028) values per sample; nn evaluates at most 268435456"),
        "{e}"
    );
}

/// Not a regular file: refused before reading (`nn eval --weights
/// /dev/zero` read until memory ran out).
#[test]
fn a_device_is_not_read_as_a_checkpoint() {
    let e = Checkpoint::read(std::path::Path::new("/dev/zero"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "/dev/zero: is not a regular file (a device or a pipe), so it is not read"
    );
}

/// Same seed, same training: the same checkpoint bytes, with 1 thread or 2
/// (the metadata used to be written in hash-map order).
#[test]
fn the_same_training_gives_the_same_bytes_on_any_thread_count() {
    let scratch = tempfile::tempdir().unwrap();
    let files: Vec<Vec<u8>> = [1, 2, 2, 1]
        .into_iter()
        .enumerate()
        .map(|(i, threads)| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut net = MultiLayerNet {
                    input_size: 12,
                    hidden_sizes: vec![5, 4],
                    output_size: 4,
                    batch_norm: true,
                    ..MultiLayerNet::default()
                }
                .build::<f32>(4)
                .unwrap();
                let (x, t) = batch();
                let mut adam = Adam::new(AdamConfig::default()).unwrap();
                for _ in 0..3 {
                    net.gradient(&x, &t).unwrap();
                    adam.step(&mut net).unwrap();
                }
                let path = scratch.path().join(format!("same-{i}.safetensors"));
                let extra = BTreeMap::from([
                    ("model".to_string(), "test".to_string()),
                    ("seed".to_string(), "4".to_string()),
                    ("dataset".to_string(), "none".to_string()),
                ]);
                checkpoint::save(&path, &mut net, Some(&adam), &extra).unwrap();
                std::fs::read(&path).unwrap()
            })
        })
        .collect();
    for f in &files[1..] {
        assert!(f == &files[0], "checkpoint bytes differ");
    }
}
