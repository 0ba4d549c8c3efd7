//! Classifies built-in test digits with a checkpoint `nn train` wrote (the first argument, else
//! `nn train --dataset digits`'s first run folder).
use nn::prelude::*;

fn main() -> nn::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or("runs/simple-conv-digits-1/model.safetensors".into());
    let checkpoint = Checkpoint::read(path.as_ref())?;
    let mut net = checkpoint.network::<f32>()?;
    let test = digits::<f32>(&DigitsConfig::default(), &checkpoint.load_options()?).test;
    for (top, label) in net.top_k(&test.images, 2)?.iter().zip(&test.labels).take(5) {
        println!("a {label}: {top:?}");
    }
    Ok(())
}
