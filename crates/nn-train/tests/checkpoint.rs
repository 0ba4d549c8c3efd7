//! Checkpoints: round trips, architecture mismatches, optimizer state, and
//! Python's safetensors reading a file written here.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use nn_core::{init::uniform, rng::seeded, Parameters, Tensor};
use nn_layers::{MultiLayerNet, TwoLayerNet};
use nn_optim::{Adam, AdamConfig, Optimizer};
use nn_train::{checkpoint, Checkpoint, Error};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nn-train-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn batch() -> (Tensor<f32>, Vec<usize>) {
    (
        uniform(ndarray::IxDyn(&[8, 12]), 0.0, 1.0, &mut seeded(3)).unwrap(),
        vec![0, 1, 2, 3, 0, 1, 2, 3],
    )
}

#[test]
fn a_saved_network_comes_back_identical() {
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
    let path = temp("mln.safetensors");
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
    let mut small = TwoLayerNet {
        input_size: 12,
        hidden_size: 5,
        output_size: 4,
        weight_init_std: 0.1,
    }
    .build::<f32>(0)
    .unwrap();
    let path = temp("small.safetensors");
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
    std::fs::write(temp("junk.safetensors"), b"not a checkpoint").unwrap();
    let err = Checkpoint::read(&temp("junk.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a safetensors file"), "{err}");
    // A safetensors file without nn's description (another tool's, or nn's
    // format 1) is refused with a reason.
    let foreign = temp("foreign.safetensors");
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
    let path = temp("resume.safetensors");
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
    // The write went through a temporary file that is gone now.
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".part-"))
        .collect();
    assert!(leftovers.is_empty());
}

/// The checkpoint is ordinary safetensors: Python's `safetensors.numpy`
/// reads every tensor with the right shape and values. Sets up a virtual
/// environment under target/ with safetensors and numpy from PyPI; skips when
/// Python is absent.
#[test]
fn python_safetensors_reads_a_checkpoint() {
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
    let path = temp("for-python.safetensors");
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
