//! A CNN of your own, trained on 10,000 images of MNIST (the built-in
//! digits without NN_DATA_DIR), saved, and loaded back.
use nn::prelude::*;

const NETWORK: &str = r#"
input = [1, 28, 28]
layers = [
    { kind = "conv", filters = 8, kernel = [3, 3] },
    { kind = "pool", op = "max", size = [2, 2] },
    { kind = "relu" },
    { kind = "affine", outputs = 10 },
]"#;

fn main() -> nn::Result<()> {
    let images = LoadOptions::images();
    let data = match std::env::var_os("NN_DATA_DIR") {
        Some(dir) => mnist::<f32>(dir.as_ref(), &images)?,
        None => digits(&DigitsConfig::default(), &images),
    };
    let mut net = NetworkSpec::from_toml(NETWORK, "custom_cnn")?.build::<f32>(0)?;
    let mut adam = by_name::<f32>("adam", Some(0.01))?;
    let subset = data.train.sample(10_000, 0);
    let config = TrainConfig::with_epochs(2);
    train(&mut net, adam.as_mut(), &subset, &config, &mut Quiet)?;
    let accuracy = evaluate(&mut net, &data.test, None)?;
    // A folder of its own, removed (with the file) when `dir` is dropped.
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("custom_cnn.safetensors");
    checkpoint::save(&path, &mut net, None, &Default::default())?;
    let mut loaded = Checkpoint::read(&path)?.network::<f32>()?;
    assert_eq!(evaluate(&mut loaded, &data.test, None)?, accuracy);
    println!("test accuracy {accuracy:.4}, the same after loading it back");
    Ok(())
}
