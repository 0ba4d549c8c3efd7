//! The report's figures: the confusion matrix counts what `evaluate`
//! measures, the mistakes are the most confident wrong answers, and the
//! pictures are written with the sizes their layout gives.

use nn_data::{digits, DigitsConfig, LoadOptions};
use nn_layers::TwoLayerNet;
use nn_optim::{Adam, AdamConfig};
use nn_train::report::{evaluate_classes, write, ReportInput};
use nn_train::{evaluate, train, Quiet, TrainConfig};

#[test]
fn the_confusion_matrix_counts_what_evaluate_measures() {
    let data = digits::<f32>(
        &DigitsConfig {
            train: 1000,
            test: 1200,
            seed: 3,
        },
        &LoadOptions::default(),
    );
    let mut net = TwoLayerNet::default().build::<f32>(0).unwrap();
    let mut adam = Adam::new(AdamConfig::default()).unwrap();
    let config = TrainConfig {
        epochs: 1,
        ..TrainConfig::default()
    };
    train(&mut net, &mut adam, &data, &config, &mut Quiet).unwrap();
    let eval = evaluate_classes(&mut net, &data.test, 10).unwrap();
    // Each row holds every test image of its class.
    for class in 0..10 {
        let n = data.test.labels.iter().filter(|&&l| l == class).count();
        assert_eq!(
            eval.confusion[class].iter().sum::<usize>(),
            n,
            "class {class}"
        );
    }
    let accuracy = evaluate(&mut net, &data.test, None).unwrap();
    assert!((eval.accuracy() - accuracy).abs() < 1e-12);
    let wrong = data.test.len() - (accuracy * data.test.len() as f64).round() as usize;
    assert_eq!(eval.mistakes.len(), wrong);
    assert!(
        wrong > 0,
        "a one-epoch network on 1,000 images makes mistakes"
    );
    // Most confident first, each one the network's top class, not the label.
    assert!(eval
        .mistakes
        .windows(2)
        .all(|w| w[0].confidence >= w[1].confidence));
    let first = &eval.mistakes[0];
    let probs = net
        .predict_proba(
            data.test
                .images
                .slice(ndarray::s![first.index..first.index + 1, ..]),
        )
        .unwrap();
    let row: Vec<f32> = probs.row(0).to_vec();
    let top = row.iter().copied().fold(f32::MIN, f32::max);
    assert_eq!(f64::from(top), first.confidence);
    assert_eq!(row[first.predicted], top);
    assert_ne!(first.label, first.predicted);
    assert_eq!(first.label, data.test.labels[first.index]);

    // The pictures: a two-layer network has no filters.
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let written = write(
        dir,
        ReportInput {
            net: &mut net,
            test: &data.test,
            classes: 10,
            class_names: None,
            filters_before: None,
            title: "two-layer on digits".into(),
        },
    )
    .unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["confusion.svg", "mistakes.png", "mistakes.svg"]);
    let confusion = std::fs::read_to_string(dir.join("confusion.svg")).unwrap();
    assert!(confusion.contains(&format!(
        "confusion matrix, test accuracy {:.2}%",
        100.0 * accuracy
    )));
    // 36 tiles of 28 × 3 pixels, 6 a row, with gaps of 6 around them.
    let size = png_size(&dir.join("mistakes.png"));
    assert_eq!(size, (6 * 84 + 7 * 6, 6 * 84 + 7 * 6));
    let svg = std::fs::read_to_string(dir.join("mistakes.svg")).unwrap();
    assert_eq!(svg.matches("<use href=\"#grid\"/>").count(), 36);
    assert!(svg.contains(&format!(
        "{} → {} {:.0}%",
        first.label,
        first.predicted,
        100.0 * first.confidence
    )));
}

#[test]
fn a_conv_net_shows_its_filters_before_and_after() {
    let data = digits::<f32>(
        &DigitsConfig {
            train: 300,
            test: 100,
            seed: 1,
        },
        &LoadOptions::images(),
    );
    let mut net = nn_conv::SimpleConvNet {
        filter_num: 4,
        hidden_size: 10,
        ..Default::default()
    }
    .build::<f32>(0)
    .unwrap();
    let before = nn_train::report::first_filters(&mut net).unwrap();
    assert_eq!(before.shape(), &[4, 1, 5, 5]);
    let mut adam = Adam::new(AdamConfig::default()).unwrap();
    let config = TrainConfig {
        epochs: 1,
        ..TrainConfig::default()
    };
    train(&mut net, &mut adam, &data, &config, &mut Quiet).unwrap();
    assert_ne!(nn_train::report::first_filters(&mut net).unwrap(), before);
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    write(
        dir,
        ReportInput {
            net: &mut net,
            test: &data.test,
            classes: 10,
            class_names: None,
            filters_before: Some(before),
            title: "simple-conv".into(),
        },
    )
    .unwrap();
    // Two rows of 4 filters 5 × 5 at scale 9 (48 / 5), gaps of 18.
    let one = (4 * 45 + 5 * 18, 45 + 2 * 18);
    assert_eq!(png_size(&dir.join("filters.png")), (one.0, 2 * one.1));
    let svg = std::fs::read_to_string(dir.join("filters.svg")).unwrap();
    assert!(svg.contains(">before training<") && svg.contains(">after training<"));
}

/// (width, height) of a PNG file, from its header.
fn png_size(path: &std::path::Path) -> (u32, u32) {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    png::Decoder::new(file).read_info().unwrap().info().size()
}
