//! Every registered layer kind and every built-in network, as data and back.

use std::collections::BTreeMap;

use ndarray::{Array2, Array4, IxDyn};
use nn_conv::{Convolution, DeepConvNet, Pooling, SimpleConvNet};
use nn_core::{init::gaussian, init::Init, rng::seeded, Parameters, Tensor};
use nn_layers::{
    check_layer, Affine, BatchNorm, Dropout, LayerSpec, Mode, MultiLayerNet, Network, Sequential,
    Tanh, TwoLayerNet,
};
use nn_model::{builtin, layer_kinds, Error, NetworkSpec, BUILTINS};

fn random(shape: &[usize], seed: u64) -> Tensor<f64> {
    gaussian(IxDyn(shape), 1.0, &mut seeded(seed)).unwrap()
}

/// Every layer kind: its example builds into a layer of that kind, whose
/// description builds it again with the same parameter names and shapes; the
/// two compute the same outputs bit for bit once they hold the same values;
/// and back-propagation matches numerical gradients (f64, ≤ 1e-7).
#[test]
fn every_layer_kind_round_trips_and_passes_its_gradient_check() {
    let kinds = layer_kinds::<f64>();
    assert!(kinds.len() >= 11);
    for (i, kind) in kinds.iter().enumerate() {
        let (spec, sample) = kind.example();
        assert_eq!(spec.kind, kind.kind);
        let mut rng = seeded(i as u64);
        let built = kind.build(&spec, Some(&sample), &mut rng).unwrap();
        let mut layer = built.layer;
        assert_eq!(layer.kind(), kind.kind, "{}: Layer::kind", kind.kind);

        // Through JSON and back.
        let json = serde_json::to_string(&layer.spec()).unwrap();
        let again: LayerSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(again, layer.spec(), "{}: spec through JSON", kind.kind);
        let mut twin = kind
            .build(&again, Some(&sample), &mut seeded(99))
            .unwrap()
            .layer;
        assert_eq!(twin.param_shapes(), layer.param_shapes(), "{}", kind.kind);
        let mut values = Vec::new();
        layer.visit_params(&mut |p| values.push(p.value.to_owned()));
        let mut it = values.into_iter();
        twin.visit_params(&mut |mut p| p.value.assign(&it.next().unwrap()));
        let mut batch = vec![3];
        batch.extend(&sample);
        let x = random(&batch, 7);
        let a = layer.forward(x.clone(), Mode::Inference).unwrap();
        let b = twin.forward(x.clone(), Mode::Inference).unwrap();
        assert_eq!(a, b, "{}: same weights, same outputs", kind.kind);
        let mut out_shape = vec![3];
        out_shape.extend(built.output.unwrap());
        assert_eq!(
            a.shape(),
            &out_shape[..],
            "{}: the output shape it announced",
            kind.kind
        );

        // The plan (no allocation) announces what the layer holds and gives.
        let plan = kind.plan(&spec, Some(&sample)).unwrap();
        let mut lent = Vec::new();
        layer.visit_params(&mut |p| lent.push((p.name.to_string(), p.value.shape().to_vec())));
        let planned: Vec<(String, Vec<usize>)> = plan
            .params
            .iter()
            .map(|(n, s)| (n.to_string(), s.clone()))
            .collect();
        assert_eq!(planned, lent, "{}: plan", kind.kind);
        assert_eq!(plan.output.unwrap(), &out_shape[1..], "{}: plan", kind.kind);

        let report = check_layer(&mut *layer, &x, 11).unwrap();
        assert!(!report.is_empty());
        for diff in report {
            assert!(diff.max_abs_diff <= 1e-7, "{}: {diff}", kind.kind);
        }
    }
}

/// A layer that holds parameters lends them: for every kind, the number of
/// scalars lent equals what its description implies is trainable (affine:
/// (in + 1)·out; conv: (C·FH·FW + 1)·FN; batch norm: 4·features with the
/// running statistics), and parameter-free kinds lend nothing.
#[test]
fn every_layer_kind_lends_the_parameters_its_description_implies() {
    for kind in layer_kinds::<f64>() {
        let (spec, sample) = kind.example();
        let mut layer = kind
            .build(&spec, Some(&sample), &mut seeded(0))
            .unwrap()
            .layer;
        let described = layer.spec();
        let get = |k: &str| {
            described
                .settings
                .get(k)
                .and_then(|v| v.as_u64())
                .map(|v| v as usize)
        };
        let mut lent = 0;
        layer.visit_params(&mut |p| lent += p.value.len());
        let expected = match kind.kind {
            "affine" => (get("inputs").unwrap() + 1) * get("outputs").unwrap(),
            "conv" => {
                let k = described.settings["kernel"].as_array().unwrap();
                let (fh, fw) = (
                    k[0].as_u64().unwrap() as usize,
                    k[1].as_u64().unwrap() as usize,
                );
                (get("channels").unwrap() * fh * fw + 1) * get("filters").unwrap()
            }
            "bn" => 4 * get("features").unwrap(),
            _ => 0,
        };
        assert_eq!(lent, expected, "{}", kind.kind);
    }
}

fn values(net: &mut Network<f32>) -> Vec<(String, Vec<usize>, Vec<u32>)> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| {
        out.push((
            p.name.to_string(),
            p.value.shape().to_vec(),
            p.value.iter().map(|v| v.to_bits()).collect(),
        ))
    });
    out
}

/// The built-in descriptions are the book's networks: same layer names, and
/// the same weights bit for bit from the same seed as the Rust builders (so
/// the README's seeds keep their results).
#[test]
fn built_in_descriptions_build_the_book_networks_exactly() {
    for seed in [0, 7] {
        let pairs: Vec<(&str, Network<f32>)> = vec![
            ("two-layer", TwoLayerNet::default().build(seed).unwrap()),
            ("multi-layer", MultiLayerNet::default().build(seed).unwrap()),
            ("simple-conv", SimpleConvNet::default().build(seed).unwrap()),
            ("deep-conv", DeepConvNet::default().build(seed).unwrap()),
        ];
        for (name, mut reference) in pairs {
            let spec = builtin(name).unwrap().spec();
            let mut net = spec.build::<f32>(seed).unwrap();
            let names: Vec<&str> = net.layers().names().collect();
            let want: Vec<&str> = reference.layers().names().collect();
            assert_eq!(names, want, "{name}");
            assert_eq!(
                values(&mut net),
                values(&mut reference),
                "{name}, seed {seed}"
            );
            assert_eq!(
                NetworkSpec::describe(&net),
                NetworkSpec::describe(&reference),
                "{name}: describe"
            );
            assert_eq!(spec.output_shape().unwrap(), Some(vec![10]));
        }
    }
    let three = builtin("three-layer")
        .unwrap()
        .spec()
        .build::<f32>(0)
        .unwrap();
    let shapes: Vec<Vec<usize>> = three
        .layers()
        .specs()
        .iter()
        .filter(|s| s.kind == "affine")
        .map(|s| {
            vec![
                s.settings["inputs"].as_u64().unwrap() as usize,
                s.settings["outputs"].as_u64().unwrap() as usize,
            ]
        })
        .collect();
    assert_eq!(shapes, [vec![784, 50], vec![50, 100], vec![100, 10]]);
    for b in BUILTINS {
        let spec = b.spec();
        assert_eq!(
            NetworkSpec::from_json(&spec.to_json(), b.name).unwrap(),
            spec
        );
        assert_eq!(
            NetworkSpec::from_toml(&spec.to_toml(), b.name).unwrap(),
            spec
        );
    }
}

/// The network, assembled in Rust: conv → batch norm → ReLU →
/// average pool → affine → tanh → dropout → affine. Its description builds
/// a network with the same names and shapes, and with its weights, the same
/// scores bit for bit.
#[test]
fn a_network_assembled_in_rust_is_described_and_rebuilt() {
    let mut rng = seeded(3);
    let layers = Sequential::new()
        .with(Convolution::<f64>::init(1, 4, [3, 3], 1, 1, Init::He, &mut rng).unwrap())
        .with(BatchNorm::new(4).with_momentum(0.8).unwrap())
        .with(nn_layers::Relu::new())
        .with(Pooling::average(2, 2, 2, 0).unwrap())
        .with(Affine::init(4 * 4 * 4, 6, Init::Xavier, &mut rng).unwrap())
        .with(Tanh::new())
        .with(Dropout::new(0.3, 5).unwrap())
        .with(Affine::init(6, 3, Init::Xavier, &mut rng).unwrap());
    let mut net = Network::new(layers).with_weight_decay(0.01).unwrap();
    let spec = NetworkSpec::describe(&net);
    assert_eq!(spec.input, None);
    let json = spec.to_json();
    let mut rebuilt = NetworkSpec::from_json(&json, "test")
        .unwrap()
        .build::<f64>(1)
        .unwrap();
    assert_eq!(rebuilt.param_shapes(), net.param_shapes());
    assert_eq!(rebuilt.weight_decay(), 0.01);
    rebuilt.load_state(&net.state()).unwrap();
    let x = Array4::from_shape_fn((5, 1, 8, 8), |(n, _, h, w)| {
        ((n * 64 + h * 8 + w) as f64).sin()
    });
    assert_eq!(rebuilt.predict(&x).unwrap(), net.predict(&x).unwrap());
}

#[test]
fn load_state_lists_every_missing_extra_and_misshaped_name() {
    let mut net = TwoLayerNet {
        input_size: 4,
        hidden_size: 3,
        output_size: 2,
        weight_init_std: 0.1,
    }
    .build::<f64>(0)
    .unwrap();
    let mut state = net.state();
    state.remove("affine1.bias");
    state.insert("affine2.weight".into(), Array2::zeros((2, 2)).into_dyn());
    state.insert("bn1.gamma".into(), ndarray::Array1::ones(3).into_dyn());
    let before = net.state();
    let err = net.load_state(&state).unwrap_err().to_string();
    assert_eq!(
        err,
        "the parameters do not fit the network: affine1.bias (3,) is missing; \
         affine2.weight is (2, 2) in the state but (3, 2) in the network; \
         bn1.gamma (3,) is not in the network"
    );
    assert_eq!(net.state(), before, "nothing changed");
    let mut set: BTreeMap<String, Tensor<f64>> = before.clone();
    set.get_mut("affine1.bias").unwrap().fill(0.5);
    net.load_state(&set).unwrap();
    assert_eq!(
        net.state()["affine1.bias"],
        ndarray::arr1(&[0.5, 0.5, 0.5]).into_dyn()
    );
}

fn build_error(toml: &str) -> String {
    match NetworkSpec::from_toml(toml, "my.toml") {
        Err(e) => e.to_string(),
        Ok(spec) => spec.build::<f32>(0).map(drop).unwrap_err().to_string(),
    }
}

#[test]
fn errors_name_the_layer_the_field_and_both_shapes() {
    let head = "input = [1, 28, 28]\n[[layers]]\nkind = \"conv\"\nfilters = 30\nkernel = [5, 5]\n\
                [[layers]]\nkind = \"pool\"\nop = \"max\"\nsize = [2, 2]\n[[layers]]\nkind = \"relu\"\n";
    assert_eq!(
        build_error(&format!("{head}[[layers]]\nkind = \"affine\"\ninputs = 4000\noutputs = 10\n")),
        "layer 4 (affine1): expects 4000 inputs, but its input is (30, 12, 12) = 4320, the output of layer 3 (relu1)"
    );
    assert_eq!(
        build_error(&format!(
            "{head}[[layers]]\nkind = \"affine\"\noutputs = \"ten\"\n"
        )),
        "layer 4 (affine1): outputs: invalid type: string \"ten\", expected usize"
    );
    let e = build_error(&format!(
        "{head}[[layers]]\nkind = \"affine\"\noutput = 10\n"
    ));
    assert!(
        e.starts_with("layer 4 (affine1): output: unknown field `output`, expected one of `inputs`, `outputs`, `init`"),
        "{e}"
    );
    assert!(
        build_error(&format!("{head}[[layers]]\nkind = \"dense\"\n")).starts_with(
            "layer 4 (dense1): unknown layer kind `dense`; expected one of affine, conv, pool,"
        )
    );
    assert_eq!(
        build_error("input = [784]\n[[layers]]\nkind = \"conv\"\nfilters = 3\nkernel = [3, 3]\n"),
        "layer 1 (conv1): takes (C, H, W) images per sample, but its input is (784,), the network's input"
    );
    let e = build_error("input = [784]\nlayer = []\n");
    assert!(
        e.starts_with("my.toml: ") && e.contains("unknown field `layer`"),
        "{e}"
    );
    let e = build_error("[[layers]]\nkind = \"affine\"\noutputs = 3\n");
    assert_eq!(
        e,
        "layer 1 (affine1): `inputs` is not given and cannot be inferred without the network's input shape"
    );
    assert!(matches!(
        nn_model::resolve("no-such-net"),
        Err(Error::UnknownNetwork { .. })
    ));
}

/// Every built-in network's plan names every parameter and buffer the built
/// network holds, with its shape, in order, and the last output is 10 scores.
#[test]
fn every_builtin_plan_matches_the_built_network() {
    for b in BUILTINS {
        let spec = b.spec();
        let plan = spec.plan().unwrap();
        let mut net = spec.build::<f32>(0).unwrap();
        let state: Vec<(String, Vec<usize>)> = net
            .state()
            .into_iter()
            .map(|(n, t)| (n, t.shape().to_vec()))
            .collect();
        let mut planned = plan.params.clone();
        planned.sort();
        assert_eq!(planned, state, "{}", b.name);
        assert_eq!(
            plan.outputs.last().unwrap().as_deref(),
            Some(&[10][..]),
            "{}",
            b.name
        );
        assert_eq!(plan.outputs.len(), spec.layers.len());
    }
}

/// Network files are bounded: not a device, not more than 1 MiB.
#[test]
fn network_files_are_read_within_bounds() {
    let e = NetworkSpec::read(std::path::Path::new("/dev/zero"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "/dev/zero: not a regular file (a device or a pipe), so it is not read"
    );
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    std::fs::write(&big, vec![b'#'; (1 << 20) + 1]).unwrap();
    let e = NetworkSpec::read(&big).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: larger than 1048576 bytes, the most a network file may be",
            big.display()
        )
    );
}
