//! nn and PyTorch take the same training steps: the book's SimpleConvNet,
//! from the same initial weights, on the same batches, with the same Adam,
//! gives the same loss at every step up to f32 rounding. This checks the
//! whole chain at once (convolution, max-pooling, ReLU, affine, softmax
//! cross-entropy, their gradients, and the optimizer) against an
//! independent implementation.
//!
//! Needs a Python with torch and numpy: `$NN_COMPARE_PYTHON` (as for
//! `cargo xtask compare`), else `python3`; skips with a message without them.

use std::path::PathBuf;
use std::process::Command;

use ndarray::{s, Array4};
use nn_conv::SimpleConvNet;
use nn_core::rng::{below, seeded, uniform01};
use nn_core::Parameters;
use nn_optim::{Adam, AdamConfig, Optimizer};

const STEPS: usize = 40;
const BATCH: usize = 32;

fn python_with_torch() -> Option<String> {
    let python = std::env::var("NN_COMPARE_PYTHON").unwrap_or_else(|_| "python3".into());
    Command::new(&python)
        .args(["-c", "import torch, numpy"])
        .output()
        .is_ok_and(|o| o.status.success())
        .then_some(python)
}

fn write_f32(path: PathBuf, values: impl Iterator<Item = f32>) {
    let bytes: Vec<u8> = values.flat_map(f32::to_le_bytes).collect();
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

#[test]
fn simple_conv_net_takes_the_same_adam_steps_as_pytorch() {
    let Some(python) = python_with_torch() else {
        eprintln!(
            "skipping: no Python with torch and numpy (set NN_COMPARE_PYTHON to one; \
             the README's Performance section says how to make it)"
        );
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pytorch-trajectory");
    std::fs::create_dir_all(&dir).unwrap();

    let mut net = SimpleConvNet::default().build::<f32>(0).unwrap();
    net.visit_params(&mut |p| {
        write_f32(dir.join(format!("{}.bin", p.name)), p.value.iter().copied());
    });
    // Images uniform in [0, 1), labels uniform in 0..10.
    let mut rng = seeded(11);
    let x = Array4::from_shape_simple_fn((STEPS * BATCH, 1, 28, 28), || uniform01(&mut rng) as f32);
    let t: Vec<usize> = (0..STEPS * BATCH).map(|_| below(&mut rng, 10)).collect();
    write_f32(dir.join("x.bin"), x.iter().copied());
    std::fs::write(
        dir.join("t.bin"),
        t.iter().map(|&c| c as u8).collect::<Vec<_>>(),
    )
    .unwrap();

    let mut adam = Adam::<f32>::new(AdamConfig::default()).unwrap();
    let mut ours = Vec::new();
    for step in 0..STEPS {
        let rows = step * BATCH..(step + 1) * BATCH;
        let loss = net
            .gradient(x.slice(s![rows.clone(), .., .., ..]), &t[rows])
            .unwrap();
        adam.step(&mut net).unwrap();
        ours.push(f64::from(loss));
    }

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/compare/trajectory.py");
    let out = Command::new(&python)
        .arg(script)
        .arg(&dir)
        .args([STEPS.to_string(), BATCH.to_string()])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<f64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(theirs.len(), STEPS);
    let worst = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| ((a - b) / b).abs())
        .fold(0.0, f64::max);
    eprintln!("largest relative difference in the loss over {STEPS} steps: {worst:.2e}");
    assert!(
        worst < 1e-5,
        "nn and PyTorch part ways: nn {ours:?}\nPyTorch {theirs:?}"
    );
}
