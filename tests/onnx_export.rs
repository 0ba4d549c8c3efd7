//! Networks exported to ONNX compute what nn computes: onnxruntime (Python,
//! installed into a virtual environment under target/ on first use) runs
//! the export of each of the book's networks and of a network file that
//! uses every other layer kind, after `onnx.checker.check_model` accepts
//! it, and its outputs on 100 test images equal nn's to 1e-5 relative.
//! Skips with a message when Python or the packages cannot be had.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::{ArrayD, Axis};
use nn_core::rng::{seeded, uniform01};
use nn_data::{digits, mnist, DigitsConfig, LoadOptions};
use nn_interop::onnx::{export, ExportOptions};
use nn_model::NetworkSpec;
use nn_workspace::{
    book_weights_or_skip, interop_python_or_skip, read_f32, run_python, worst_relative_difference,
    write_f32,
};

const SAMPLES: usize = 100;

/// Every layer kind the book's networks do not use, and the settings they
/// leave at defaults: average pooling with padding, max pooling with
/// padding and stride 1, batch norm on images and on rows, the book's
/// scaled dropout, inverted dropout, flatten, LeakyReLU, GELU, tanh.
const EVERY_KIND: &str = r#"
input = [1, 28, 28]
[[layers]]
kind = "conv"
filters = 4
kernel = [3, 3]
stride = 2
pad = 1
[[layers]]
kind = "bn"
[[layers]]
kind = "leaky_relu"
slope = 0.1
[[layers]]
kind = "pool"
op = "average"
size = [3, 3]
stride = 2
pad = 1
[[layers]]
kind = "pool"
op = "max"
size = [2, 2]
stride = 1
pad = 1
[[layers]]
kind = "gelu"
[[layers]]
kind = "flatten"
[[layers]]
kind = "affine"
outputs = 20
[[layers]]
kind = "bn"
[[layers]]
kind = "tanh"
[[layers]]
kind = "dropout"
ratio = 0.3
[[layers]]
kind = "affine"
outputs = 16
[[layers]]
kind = "sigmoid"
[[layers]]
kind = "dropout"
ratio = 0.5
style = "inverted"
[[layers]]
kind = "affine"
outputs = 10
"#;

/// 100 test images: MNIST's first when NN_DATA_DIR has it, else the
/// built-in digits'.
fn test_images(images: bool) -> ArrayD<f32> {
    let options = if images {
        LoadOptions::images()
    } else {
        LoadOptions::default()
    };
    let data = match std::env::var_os("NN_DATA_DIR") {
        Some(dir) => mnist::<f32>(Path::new(&dir), &options).unwrap(),
        None => digits::<f32>(
            &DigitsConfig {
                train: 10,
                test: SAMPLES,
                seed: 1,
            },
            &options,
        ),
    };
    data.test
        .images
        .slice_axis(Axis(0), (0..SAMPLES).into())
        .to_owned()
}

/// The network's parameters: the book's trained weights for the book's
/// networks when they are there, else its seeded initial weights with
/// every batch norm's statistics and γ, β drawn away from 0 and 1 (so the
/// export's use of them is tested).
fn parameters(model: &str, spec: &NetworkSpec) -> BTreeMap<String, ArrayD<f32>> {
    let book = [
        ("three-layer", "sample_weight.pkl"),
        ("simple-conv", "params.pkl"),
        ("deep-conv", "deep_convnet_params.pkl"),
    ];
    if let (Some((_, file)), Some(dir)) = (
        book.iter().find(|(m, _)| *m == model),
        book_weights_or_skip(),
    ) {
        let arrays = nn_interop::read_weights(&dir.join(file)).unwrap();
        return nn_interop::fit_weights(spec, &arrays, &[]).unwrap();
    }
    let mut state = spec.build::<f32>(7).unwrap().state();
    let mut rng = seeded(3);
    for (name, value) in state.iter_mut() {
        if name.starts_with("bn") {
            let positive = name.ends_with("running_var") || name.ends_with("gamma");
            value.mapv_inplace(|_| {
                let u = uniform01(&mut rng) as f32;
                if positive {
                    0.5 + u
                } else {
                    u - 0.5
                }
            });
        }
    }
    state
}

fn run_onnxruntime(python: &Path, model: &Path, x: &ArrayD<f32>, dir: &Path) -> Vec<f32> {
    let input = dir.join("x.bin");
    let output = dir.join("y.bin");
    write_f32(&input, x.iter().copied());
    run_python(
        python,
        "onnx_run.py",
        &[
            model.as_os_str(),
            input.as_os_str(),
            SAMPLES.to_string().as_ref(),
            output.as_os_str(),
        ],
    );
    read_f32(&output)
}

#[test]
fn onnxruntime_computes_what_nn_computes() {
    let Some(python) = interop_python_or_skip() else {
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("onnx-export");
    std::fs::create_dir_all(&dir).unwrap();
    let mut networks: Vec<(String, NetworkSpec)> = nn_model::BUILTINS
        .iter()
        .map(|b| (b.name.to_string(), b.spec()))
        .collect();
    networks.push((
        "every-kind".into(),
        NetworkSpec::from_toml(EVERY_KIND, "every-kind").unwrap(),
    ));
    for (model, spec) in networks {
        let state = parameters(&model, &spec);
        let mut net = spec.build::<f32>(0).unwrap();
        net.load_state(&state).unwrap();
        let x = test_images(spec.takes_images());
        let ours = net.predict(&x).unwrap();
        for softmax in [false, true] {
            let options = ExportOptions {
                softmax,
                doc: model.clone(),
            };
            let path = dir.join(format!("{model}-{softmax}.onnx"));
            std::fs::write(&path, export(&spec, &state, &options).unwrap()).unwrap();
            let expected = if softmax {
                nn_core::softmax(&ours).unwrap()
            } else {
                ours.clone()
            };
            let theirs = run_onnxruntime(&python, &path, &x, &dir);
            let expected: Vec<f32> = expected.iter().copied().collect();
            let worst = worst_relative_difference(&theirs, &expected);
            assert!(
                worst <= 1e-5,
                "{model} (softmax {softmax}): onnxruntime differs from nn by {worst:e} (relative)"
            );
        }
    }
}

#[test]
fn the_exported_networks_use_every_registered_layer_kind() {
    let mut used: Vec<String> = nn_model::BUILTINS
        .iter()
        .flat_map(|b| b.spec().layers)
        .chain(
            NetworkSpec::from_toml(EVERY_KIND, "every-kind")
                .unwrap()
                .layers,
        )
        .map(|l| l.kind)
        .collect();
    used.sort();
    used.dedup();
    let mut registered: Vec<String> = nn_model::layer_kinds::<f32>()
        .iter()
        .map(|k| k.kind.to_string())
        .collect();
    registered.sort();
    assert_eq!(used, registered, "add the new kind to EVERY_KIND");
}
