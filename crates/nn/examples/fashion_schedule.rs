//! The book's SimpleConvNet on 6,000 Fashion-MNIST images with a step learning-rate schedule,
//! a validation hold-out and early stopping (`nn data download fashion-mnist` first).
use nn::prelude::*;

fn main() -> nn::Result<()> {
    let data = fashion_mnist::<f32>(&data_dir(None), &LoadOptions::images())?;
    let mut net = builtin("simple-conv").unwrap().spec().build::<f32>(0)?;
    let mut adam = by_name::<f32>("adam", Some(0.001))?;
    let config = TrainConfig {
        epochs: 8,
        schedule: "step:3:0.5".parse()?,
        validation: Some(1_000),
        early_stopping: Some(EarlyStopping::on_loss(2)),
        ..TrainConfig::default()
    };
    let subset = data.train.sample(6_000, 0);
    let history = train(&mut net, adam.as_mut(), &subset, &config, &mut Quiet)?;
    let (best, epochs) = (history.best_epoch.unwrap_or(0), history.epochs.len());
    let accuracy = evaluate(&mut net, &data.test, None)?;
    println!("kept epoch {best} of {epochs}: test accuracy {accuracy:.4}");
    Ok(())
}
