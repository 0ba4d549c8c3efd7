//! The book's `optimizer_compare_naive.py` (figure 6-8), as numbers: 30 steps of
//! SGD, Momentum, AdaGrad and Adam on f(x, y) = x²/20 + y² from (−7, 2).
//!
//! `cargo run -p nn-optim --example optimizer_compare_naive`

use ndarray::array;
use nn_optim::{
    AdaGrad, AdaGradConfig, Adam, AdamConfig, Momentum, MomentumConfig, Optimizer, Sgd, SgdConfig,
};

fn main() -> Result<(), nn_optim::Error> {
    let optimizers: Vec<Box<dyn Optimizer<f64>>> = vec![
        Box::new(Sgd::new(SgdConfig { lr: 0.95 })?),
        Box::new(Momentum::new(MomentumConfig {
            lr: 0.1,
            ..MomentumConfig::default()
        })?),
        Box::new(AdaGrad::new(AdaGradConfig { lr: 1.5 })?),
        Box::new(Adam::new(AdamConfig {
            lr: 0.3,
            ..AdamConfig::default()
        })?),
    ];
    for mut opt in optimizers {
        let mut p = array![-7.0, 2.0].into_dyn();
        println!("{} (η = {}):", opt.name(), opt.learning_rate());
        let mut line = format!("  ({:.3}, {:.3})", p[0], p[1]);
        for step in 1..=30 {
            let grad = array![p[0] / 10.0, 2.0 * p[1]].into_dyn();
            opt.update("xy", nn_core::ParamKind::Weight, p.view_mut(), grad.view())?;
            line += &format!(" ({:.3}, {:.3})", p[0], p[1]);
            if step % 6 == 0 {
                println!("{line}");
                line = String::from(" ");
            }
        }
        let f = p[0] * p[0] / 20.0 + p[1] * p[1];
        println!("  after 30 steps: f = {f:.5}\n");
    }
    Ok(())
}
