//! A PyTorch `state_dict` saved with `safetensors.torch.save_file` imports
//! into nn by PyTorch's own names (`1.weight`, `4.bias`: the layers in
//! order, Linear's (out, in) weights transposed) and gives PyTorch's
//! outputs to 1e-5 relative, for each reference network of
//! `benches/compare/pytorch_reference.py`.
//!
//! Needs a Python with torch, numpy and safetensors: `$NN_COMPARE_PYTHON`
//! (as for `cargo xtask compare`), else `python3`; skips with a message
//! without them.

use std::path::PathBuf;
use std::process::Command;

use ndarray::{ArrayD, IxDyn};
use nn_workspace::{read_f32, run_python, worst_relative_difference};

fn python_with_torch() -> Option<String> {
    let python = std::env::var("NN_COMPARE_PYTHON").unwrap_or_else(|_| "python3".into());
    Command::new(&python)
        .args(["-c", "import torch, numpy, safetensors"])
        .output()
        .is_ok_and(|o| o.status.success())
        .then_some(python)
}

#[test]
fn a_pytorch_state_dict_imports_and_gives_pytorchs_outputs() {
    let Some(python) = python_with_torch() else {
        eprintln!(
            "skipping: no Python with torch, numpy and safetensors (set NN_COMPARE_PYTHON to one)"
        );
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pytorch-state-dict");
    std::fs::create_dir_all(&dir).unwrap();
    run_python(&python, "torch_state_dict.py", &[&dir]);
    for model in ["two-layer", "simple-conv", "deep-conv"] {
        let mut spec = nn_model::resolve(model).unwrap();
        // PyTorch's Dropout is inverted (the identity at inference); the
        // book's, nn's default, scales by 1 - ratio.
        for layer in spec.layers.iter_mut().filter(|l| l.kind == "dropout") {
            layer.settings.insert("style".into(), "inverted".into());
        }
        let weights = nn_interop::read_weights(&dir.join(format!("{model}.safetensors"))).unwrap();
        let mut net = nn_interop::fit_network::<f32>(&spec, &weights, &[]).unwrap();
        let mut shape = vec![100];
        shape.extend(spec.input.clone().unwrap());
        let x =
            ArrayD::from_shape_vec(IxDyn(&shape), read_f32(&dir.join(format!("{model}-x.bin"))))
                .unwrap();
        let theirs = read_f32(&dir.join(format!("{model}-y.bin")));
        let ours = net.predict(&x).unwrap();
        let scale = theirs.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(scale > 0.5, "{model}: outputs of order one, got {scale}");
        let ours: Vec<f32> = ours.iter().copied().collect();
        let worst = worst_relative_difference(&ours, &theirs);
        assert!(
            worst <= 1e-5,
            "{model}: nn differs from PyTorch by {worst:e} (relative)"
        );
    }
}
