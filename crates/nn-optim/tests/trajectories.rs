//! The book's optimizer comparison (figure 6-8) on f(x, y) = x²/20 + y²,
//! from (−7, 2), with the book's learning rates. ∇f = (x/10, 2y).
//!
//! The first two steps of each optimizer are worked out by hand below, from
//! the update formula, in plain arithmetic; 30 steps must end near (0, 0).

use ndarray::array;
use nn_core::ParamKind;
use nn_optim::{
    AdaGrad, AdaGradConfig, Adam, AdamConfig, Momentum, MomentumConfig, Nesterov, NesterovConfig,
    Optimizer, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};

/// Runs `steps` updates and returns every point, starting with (−7, 2).
fn trajectory(opt: &mut dyn Optimizer<f64>, steps: usize) -> Vec<(f64, f64)> {
    let mut p = array![-7.0, 2.0].into_dyn();
    let mut points = vec![(p[0], p[1])];
    for _ in 0..steps {
        let grad = array![p[0] / 10.0, 2.0 * p[1]].into_dyn();
        opt.update("xy", ParamKind::Weight, p.view_mut(), grad.view())
            .unwrap();
        points.push((p[0], p[1]));
    }
    points
}

fn assert_point(got: (f64, f64), want: (f64, f64)) {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
    assert!(
        close(got.0, want.0) && close(got.1, want.1),
        "{got:?} vs {want:?}"
    );
}

fn f(p: (f64, f64)) -> f64 {
    p.0 * p.0 / 20.0 + p.1 * p.1
}

fn assert_near_minimum(points: &[(f64, f64)]) {
    let end = *points.last().unwrap();
    assert!(end.0.hypot(end.1) < 1.0, "ended at {end:?}");
    assert!(f(end) < 0.02 * f(points[0]), "f = {} at {end:?}", f(end));
}

#[test]
fn sgd_lr_0_95() {
    let p = trajectory(&mut Sgd::new(SgdConfig { lr: 0.95 }).unwrap(), 30);
    // g₀ = (−0.7, 4): x₁ = −7 + 0.95·0.7 = −6.335, y₁ = 2 − 0.95·4 = −1.8.
    assert_point(p[1], (-6.335, -1.8));
    // g₁ = (−0.6335, −3.6): x₂ = −6.335 + 0.601825 = −5.733175, y₂ = −1.8 + 3.42 = 1.62.
    assert_point(p[2], (-5.733175, 1.62));
    // SGD is linear here: xₙ = −7·0.905ⁿ, yₙ = 2·(−0.9)ⁿ.
    assert_point(p[30], (-7.0 * 0.905_f64.powi(30), 2.0 * 0.9_f64.powi(30)));
    assert_near_minimum(&p);
}

#[test]
fn momentum_lr_0_1() {
    let p = trajectory(
        &mut Momentum::new(MomentumConfig {
            lr: 0.1,
            momentum: 0.9,
        })
        .unwrap(),
        30,
    );
    // v₁ = −0.1·(−0.7, 4) = (0.07, −0.4); p₁ = (−6.93, 1.6).
    assert_point(p[1], (-6.93, 1.6));
    // g₁ = (−0.693, 3.2); v₂ = 0.9·(0.07, −0.4) − 0.1·(−0.693, 3.2) = (0.1323, −0.68);
    // p₂ = (−6.93 + 0.1323, 1.6 − 0.68) = (−6.7977, 0.92).
    assert_point(p[2], (-6.7977, 0.92));
    assert_near_minimum(&p);
}

#[test]
fn adagrad_lr_1_5() {
    let p = trajectory(&mut AdaGrad::new(AdaGradConfig { lr: 1.5 }).unwrap(), 30);
    // h₁ = g₀² = (0.49, 16); p₁ = p₀ − 1.5·g₀/(√h₁ + 1e−7) ≈ (−5.5, 0.5).
    let x1 = -7.0 - 1.5 * -0.7 / (0.7 + 1e-7);
    let y1 = 2.0 - 1.5 * 4.0 / (4.0 + 1e-7);
    assert_point(p[1], (x1, y1));
    // g₁ = (x₁/10, 2y₁) ≈ (−0.55, 1.0); h₂ = h₁ + g₁² ≈ (0.7925, 17);
    // p₂ ≈ (−5.5 + 1.5·0.55/0.8902, 0.5 − 1.5·1.0/4.1231) ≈ (−4.5733, 0.1362).
    let (gx, gy) = (x1 / 10.0, 2.0 * y1);
    let (hx, hy) = (0.49 + gx * gx, 16.0 + gy * gy);
    let want = (
        x1 - 1.5 * gx / (hx.sqrt() + 1e-7),
        y1 - 1.5 * gy / (hy.sqrt() + 1e-7),
    );
    assert_point(p[2], want);
    assert!((want.0 + 4.5733).abs() < 1e-3 && (want.1 - 0.1362).abs() < 1e-3);
    assert_near_minimum(&p);
}

#[test]
fn adam_lr_0_3() {
    let p = trajectory(
        &mut Adam::new(AdamConfig {
            lr: 0.3,
            ..AdamConfig::default()
        })
        .unwrap(),
        30,
    );
    // t = 1: m = 0.1·g₀ = (−0.07, 0.4), v = 0.001·g₀² = (0.00049, 0.016),
    // α₁ = 0.3·√(1 − 0.999)/(1 − 0.9) ≈ 0.094868; each coordinate moves ≈ α = 0.3.
    let a1 = 0.3 * (1.0 - 0.999_f64).sqrt() / (1.0 - 0.9);
    let x1 = -7.0 - a1 * -0.07 / (0.00049_f64.sqrt() + 1e-7);
    let y1 = 2.0 - a1 * 0.4 / (0.016_f64.sqrt() + 1e-7);
    assert_point(p[1], (x1, y1));
    assert!((x1 + 6.7).abs() < 1e-5 && (y1 - 1.7).abs() < 1e-5);
    // t = 2: g₁ = (x₁/10, 2y₁) ≈ (−0.67, 3.4); m ← m + 0.1·(g₁ − m) ≈ (−0.13, 0.7);
    // v ← v + 0.001·(g₁² − v); α₂ = 0.3·√(1 − 0.999²)/(1 − 0.9²) ≈ 0.070595.
    let (gx, gy) = (x1 / 10.0, 2.0 * y1);
    let (mx, my) = (-0.07 + 0.1 * (gx + 0.07), 0.4 + 0.1 * (gy - 0.4));
    let (vx, vy) = (
        0.00049 + 0.001 * (gx * gx - 0.00049),
        0.016 + 0.001 * (gy * gy - 0.016),
    );
    let a2 = 0.3 * (1.0 - 0.999_f64 * 0.999).sqrt() / (1.0 - 0.9 * 0.9);
    assert_point(
        p[2],
        (
            x1 - a2 * mx / (vx.sqrt() + 1e-7),
            y1 - a2 * my / (vy.sqrt() + 1e-7),
        ),
    );
    assert_near_minimum(&p);
}

#[test]
fn nesterov_and_rmsprop_first_steps() {
    // Nesterov, η = 0.1, α = 0.9: v₁ = (0.07, −0.4); p₁ = p₀ + α·v₁ − η·g₀
    // = (−7 + 0.063 + 0.07, 2 − 0.36 − 0.4) = (−6.867, 1.24).
    let p = trajectory(
        &mut Nesterov::new(NesterovConfig(MomentumConfig {
            lr: 0.1,
            momentum: 0.9,
        }))
        .unwrap(),
        30,
    );
    assert_point(p[1], (-6.867, 1.24));
    // g₁ = (−0.6867, 2.48); v₂ = 0.9·(0.07, −0.4) − 0.1·g₁ = (0.13167, −0.608);
    // p₂ = p₁ + 0.9·v₂ − 0.1·g₁ = (−6.867 + 0.118503 + 0.06867, 1.24 − 0.5472 − 0.248).
    assert_point(p[2], (-6.679827, 0.4448));
    assert_near_minimum(&p);

    // RMSprop, η = 0.1, ρ = 0.99: h₁ = 0.01·g₀² = (0.0049, 0.16), √h₁ = (0.07, 0.4):
    // p₁ = (−7 + 0.1·0.7/(0.07 + 1e−7), 2 − 0.1·4/(0.4 + 1e−7)) ≈ (−6.0, 1.0).
    let p = trajectory(
        &mut RmsProp::new(RmsPropConfig {
            lr: 0.1,
            decay_rate: 0.99,
        })
        .unwrap(),
        1,
    );
    assert_point(
        p[1],
        (-7.0 + 0.07 / (0.07 + 1e-7), 2.0 - 0.4 / (0.4 + 1e-7)),
    );
}
