//! Per-parameter state: created lazily by name, checked against shapes,
//! exported and restored.

use ndarray::{array, ArrayD, IxDyn};
use nn_core::{Param, ParamKind, Parameters};
use nn_optim::{by_name, Adam, AdamConfig, Error, Optimizer, Sgd, SgdConfig};

/// Two parameters with fixed gradients and a buffer that must not move.
struct Toy {
    w: ArrayD<f64>,
    b: ArrayD<f64>,
    running: ArrayD<f64>,
    gw: ArrayD<f64>,
    gb: ArrayD<f64>,
}

impl Parameters<f64> for Toy {
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, f64>)) {
        f(Param {
            name: "w",
            kind: ParamKind::Weight,
            value: self.w.view_mut(),
            grad: Some(self.gw.view_mut()),
        });
        f(Param {
            name: "b",
            kind: ParamKind::Trainable,
            value: self.b.view_mut(),
            grad: Some(self.gb.view_mut()),
        });
        f(Param {
            name: "running",
            kind: ParamKind::Buffer,
            value: self.running.view_mut(),
            grad: None,
        });
    }
}

fn toy() -> Toy {
    Toy {
        w: array![[1.0, 2.0], [3.0, 4.0]].into_dyn(),
        b: array![0.5].into_dyn(),
        running: array![7.0].into_dyn(),
        gw: array![[1.0, -1.0], [0.5, 0.0]].into_dyn(),
        gb: array![2.0].into_dyn(),
    }
}

#[test]
fn step_updates_trainable_parameters_and_leaves_buffers() {
    let mut model = toy();
    Sgd::new(SgdConfig { lr: 0.1 })
        .unwrap()
        .step(&mut model)
        .unwrap();
    assert_eq!(model.w, array![[0.9, 2.1], [2.95, 4.0]].into_dyn());
    assert_eq!(model.b, array![0.3].into_dyn());
    assert_eq!(model.running, array![7.0].into_dyn());
}

#[test]
fn state_is_keyed_by_name_and_survives_a_round_trip() {
    let mut a = Adam::<f64>::new(AdamConfig::default()).unwrap();
    let (mut m1, mut m2) = (toy(), toy());
    a.step(&mut m1).unwrap();
    a.step(&mut m1).unwrap();
    let state = a.state();
    let names: Vec<&str> = state.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["m.b", "m.w", "t.b", "t.w", "v.b", "v.w"]);
    assert_eq!(state[2].1, ndarray::arr0(2.0).into_dyn());

    // A fresh Adam given that state continues exactly where `a` is.
    let mut b = Adam::<f64>::new(AdamConfig::default()).unwrap();
    b.load_state(state).unwrap();
    m2.w.assign(&m1.w);
    m2.b.assign(&m1.b);
    a.step(&mut m1).unwrap();
    b.step(&mut m2).unwrap();
    assert_eq!(m1.w, m2.w);
    assert_eq!(m1.b, m2.b);
}

#[test]
fn shape_errors_name_the_parameter() {
    let mut adam = Adam::<f64>::new(AdamConfig::default()).unwrap();
    let mut w = ArrayD::zeros(IxDyn(&[2, 2]));
    let err = adam
        .update(
            "w",
            ParamKind::Weight,
            w.view_mut(),
            ArrayD::zeros(IxDyn(&[2])).view(),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Adam: gradient of `w` has shape (2,) but the parameter has shape (2, 2)"
    );
    adam.update(
        "w",
        ParamKind::Weight,
        w.view_mut(),
        ArrayD::zeros(IxDyn(&[2, 2])).view(),
    )
    .unwrap();
    let mut w3 = ArrayD::zeros(IxDyn(&[3]));
    let err = adam
        .update(
            "w",
            ParamKind::Weight,
            w3.view_mut(),
            ArrayD::zeros(IxDyn(&[3])).view(),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Adam: state `m` of `w` has shape (2, 2) but the parameter has shape (3,)"
    );
    let err = adam
        .load_state(vec![("q.w".into(), ArrayD::zeros(IxDyn(&[1])))])
        .unwrap_err();
    assert!(matches!(err, Error::UnknownState { .. }), "{err}");
}

#[test]
fn constructors_reject_bad_hyper_parameters() {
    assert!(Sgd::<f32>::new(SgdConfig { lr: 0.0 }).is_err());
    assert!(Adam::<f32>::new(AdamConfig {
        beta1: 1.0,
        ..AdamConfig::default()
    })
    .is_err());
    for kind in nn_optim::optimizers::<f32>() {
        let name = kind.name;
        assert!(by_name::<f32>(name, Some(0.1)).is_ok(), "{name}");
        assert!(by_name::<f32>(&name.to_uppercase(), None).is_ok(), "{name}");
        let err = by_name::<f32>(name, Some(-1.0)).unwrap_err().to_string();
        assert_eq!(err, format!("{name}: learning rate must be > 0, got -1"));
    }
    let err = by_name::<f32>("lion", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "by_name: unknown optimizer `lion`; expected one of SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, AdamW"
    );
}

/// Every registered optimizer: its saved state, loaded into a fresh one,
/// continues bit for bit; buffers never move; names are unique.
#[test]
fn every_optimizer_resumes_from_its_state() {
    let kinds = nn_optim::optimizers::<f64>();
    let mut names: Vec<String> = kinds.iter().map(|k| k.name.to_lowercase()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), kinds.len(), "names must differ ignoring case");
    for kind in kinds {
        let (mut m1, mut m2) = (toy(), toy());
        let mut a = kind.build(None).unwrap();
        a.step(&mut m1).unwrap();
        a.step(&mut m1).unwrap();
        let mut b = kind.build(None).unwrap();
        b.load_state(a.state()).unwrap();
        m2.w.assign(&m1.w);
        m2.b.assign(&m1.b);
        a.step(&mut m1).unwrap();
        b.step(&mut m2).unwrap();
        assert_eq!((&m1.w, &m1.b), (&m2.w, &m2.b), "{}", kind.name);
        assert_eq!(m1.running, array![7.0].into_dyn(), "{}", kind.name);
        assert_ne!(m1.w, toy().w, "{}", kind.name);
    }
}

/// State from a hostile checkpoint: step counts that overflowed or gave NaN
/// weights, and negative sums of squares, are refused with the entry named;
/// a large but possible step count still gives finite weights.
#[test]
fn saved_state_no_update_could_produce_is_refused() {
    let arr0 = |v: f64| ndarray::arr0(v).into_dyn();
    type State = Vec<(String, ArrayD<f64>)>;
    let cases: Vec<(&str, State, &str)> = vec![
        (
            "adam",
            vec![("t.w".into(), arr0(1.8e19))],
            "Adam: saved state `t.w` must be a whole number of steps below 2^53, got 18000000000000000000",
        ),
        (
            "momentum",
            vec![("t.w".into(), arr0(-1.0))],
            "Momentum: saved state `t.w` must be a whole number of steps below 2^53, got -1",
        ),
        (
            "adagrad",
            vec![("t.w".into(), array![1.0, 2.0].into_dyn())],
            "AdaGrad: saved state `t.w` must be one number, not (2,)",
        ),
        (
            "adam",
            vec![("v.w".into(), array![[0.0, -1.0], [0.0, 0.0]].into_dyn())],
            "Adam: saved state `v.w` holds -1, but `v` sums squares and cannot be negative",
        ),
        (
            "rmsprop",
            vec![("h.w".into(), array![f64::NAN].into_dyn())],
            "RMSprop: saved state `h.w` holds NaN",
        ),
    ];
    for (name, state, message) in cases {
        let mut opt = by_name::<f64>(name, None).unwrap();
        let err = opt.load_state(state).unwrap_err().to_string();
        assert_eq!(err, message);
    }
    // Momentum's velocity may be negative.
    let mut momentum = by_name::<f64>("momentum", None).unwrap();
    momentum
        .load_state(vec![(
            "v.w".into(),
            array![[-1.0, 0.0], [0.0, 0.0]].into_dyn(),
        )])
        .unwrap();

    let mut adam = by_name::<f64>("adam", None).unwrap();
    adam.load_state(vec![
        ("t.w".into(), arr0(4e15)),
        ("m.w".into(), array![[0.1, 0.1], [0.1, 0.1]].into_dyn()),
        ("v.w".into(), array![[0.01, 0.01], [0.01, 0.01]].into_dyn()),
    ])
    .unwrap();
    let mut model = toy();
    adam.step(&mut model).unwrap();
    assert!(model.w.iter().all(|w| w.is_finite()), "{}", model.w);
}

/// Every optimizer's decaying state goes to exactly zero, never through
/// a lasting subnormal, once the gradient is zero (a weight whose ReLU no
/// longer fires): started just above the smallest normal f32, each state
/// value is normal or zero after every one of 300 steps (Adam's v takes
/// about 240 steps of × 0.999 to get there, momentum 3 of × 0.9).
#[test]
fn decaying_state_is_flushed_to_zero_instead_of_going_subnormal() {
    let start = 1.5 * f32::MIN_POSITIVE;
    for kind in nn_optim::optimizers::<f32>() {
        let mut optimizer = kind.build(None).unwrap();
        let mut w = ArrayD::from_elem(IxDyn(&[4]), 0.5_f32);
        let ones = ArrayD::from_elem(IxDyn(&[4]), 1.0_f32);
        optimizer
            .update("w", ParamKind::Weight, w.view_mut(), ones.view())
            .unwrap();
        let state: Vec<_> = optimizer
            .state()
            .into_iter()
            .map(|(name, t)| {
                let keep = name.starts_with("t.");
                (name, if keep { t } else { t.mapv(|_| start) })
            })
            .collect();
        optimizer.load_state(state).unwrap();
        let zeros = ArrayD::zeros(IxDyn(&[4]));
        for step in 1..=300 {
            optimizer
                .update("w", ParamKind::Weight, w.view_mut(), zeros.view())
                .unwrap();
            for (name, t) in optimizer.state() {
                assert!(
                    !t.iter().any(|v| v.is_subnormal()),
                    "{}: {name} subnormal after step {step}: {t}",
                    kind.name
                );
            }
        }
        assert!(w.iter().all(|v| v.is_finite()), "{}: {w}", kind.name);
    }
}
