//! Loading MNIST and Fashion-MNIST, and refusing broken files.

mod support;

use std::path::Path;

use nn_data::{fashion_mnist, mnist, Error, LoadOptions};
use support::{gzip, idx};

fn data_dir() -> Option<std::path::PathBuf> {
    match std::env::var_os("NN_DATA_DIR").filter(|v| !v.is_empty()) {
        Some(d) => Some(d.into()),
        None => {
            eprintln!(
                "skipping: NN_DATA_DIR is not set, so mnist/ and fashion-mnist/ cannot be found"
            );
            None
        }
    }
}

#[test]
fn mnist_has_the_books_shapes_and_first_labels() {
    let Some(dir) = data_dir() else { return };
    let data = mnist::<f32>(&dir, &LoadOptions::default()).unwrap();
    // The book: x_train (60000, 784), t_train (60000,), x_test (10000, 784).
    assert_eq!(data.train.images.shape(), &[60_000, 784]);
    assert_eq!(data.test.images.shape(), &[10_000, 784]);
    // The book prints t_train[0] = 5; the first test digit is a 7.
    assert_eq!((data.train.labels[0], data.test.labels[0]), (5, 7));
    assert!(data.train.images.iter().all(|&v| (0.0..=1.0).contains(&v)));
    // MNIST's mean pixel is 0.1307 (the normalisation constant everyone uses).
    let mean = data.train.images.mean().unwrap();
    assert!((mean - 0.1307).abs() < 1e-3, "{mean}");
    // Options: raw bytes, images kept 2-D, one-hot labels.
    let raw = mnist::<f64>(
        &dir,
        &LoadOptions {
            normalize: false,
            flatten: false,
            one_hot: true,
        },
    )
    .unwrap();
    assert_eq!(raw.train.images.shape(), &[60_000, 1, 28, 28]);
    assert_eq!(raw.train.images.fold(0.0_f64, |m, &v| m.max(v)), 255.0);
    let t = raw.train.one_hot.as_ref().unwrap();
    assert_eq!(
        t.row(0).to_vec(),
        [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    );
}

#[test]
fn fashion_mnist_loads() {
    let Some(dir) = data_dir() else { return };
    let data = fashion_mnist::<f32>(&dir, &LoadOptions::images()).unwrap();
    assert_eq!(data.train.images.shape(), &[60_000, 1, 28, 28]);
    // Its first training image is an ankle boot, class 9.
    assert_eq!(data.train.labels[0], 9);
}

/// Writes a small MNIST-format dataset (n images, m labels) into dir/mnist.
fn write_set(dir: &Path, n: u32, m: u32) {
    let folder = dir.join("mnist");
    std::fs::create_dir_all(&folder).unwrap();
    let images = idx(&[n, 2, 2], &vec![128; (n * 4) as usize]);
    let labels = idx(&[m], &vec![3; m as usize]);
    for prefix in ["train", "t10k"] {
        std::fs::write(
            folder.join(format!("{prefix}-images-idx3-ubyte.gz")),
            gzip(&images),
        )
        .unwrap();
        std::fs::write(folder.join(format!("{prefix}-labels-idx1-ubyte")), &labels).unwrap();
    }
}

#[test]
fn broken_datasets_are_errors_that_name_the_file() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let folder = dir.join("mnist");

    // A well-formed tiny set loads (gzipped images, plain labels).
    write_set(dir, 5, 5);
    let ok = mnist::<f32>(dir, &LoadOptions::default()).unwrap();
    assert_eq!(ok.train.images.shape(), &[5, 4]);
    assert!((ok.train.images[[0, 0]] - 128.0 / 255.0).abs() < 1e-7);

    // 5 images but 4 labels (the 60,000 against 59,999 case).
    write_set(dir, 5, 4);
    let err = mnist::<f32>(dir, &LoadOptions::default()).unwrap_err();
    assert!(matches!(
        err,
        Error::Mismatch {
            images: 5,
            labels: 4,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        format!(
            "{} has 5 images but {} has 4 labels",
            folder.join("train-images-idx3-ubyte.gz").display(),
            folder.join("train-labels-idx1-ubyte").display()
        )
    );

    // A truncated image file (the gzip stream cut short).
    write_set(dir, 5, 5);
    let path = folder.join("train-images-idx3-ubyte.gz");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = mnist::<f32>(dir, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("{}: not a valid gzip file", path.display())),
        "{err}"
    );

    // Data shorter than the header announces.
    std::fs::write(&path, gzip(&idx(&[5, 2, 2], &[1; 19]))).unwrap();
    let err = mnist::<f32>(dir, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{}: truncated: the header announces (5, 2, 2) = 20 bytes of data, but 19 follow",
            path.display()
        )
    );

    // A label that is not a digit.
    write_set(dir, 5, 5);
    std::fs::write(
        folder.join("t10k-labels-idx1-ubyte"),
        idx(&[5], &[1, 2, 3, 10, 4]),
    )
    .unwrap();
    let err = mnist::<f32>(dir, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("t10k-labels-idx1-ubyte: label 10 at index 3 is not a class 0–9"),
        "{err}"
    );

    // A missing file says what to do.
    std::fs::remove_file(folder.join("t10k-labels-idx1-ubyte")).unwrap();
    let err = mnist::<f32>(dir, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("t10k-labels-idx1-ubyte not found (nor its .gz)"),
        "{err}"
    );
    assert!(err.contains("nn data download mnist"), "{err}");
}

/// Headers that describe no data: 0 images of 2³²−1 × 2³²−1 pixels (which
/// panicked computing the sample size) and images of 0×0 pixels (which a
/// network "trained" on) are refused, naming the file.
#[test]
fn empty_and_sizeless_image_sets_are_refused() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let path = dir.join("mnist").join("train-images-idx3-ubyte.gz");
    for (dims, what) in [
        (
            [0, u32::MAX, u32::MAX],
            "0 images of 4294967295×4294967295 pixels",
        ),
        ([5, 0, 0], "5 images of 0×0 pixels"),
    ] {
        write_set(dir, 5, 5);
        std::fs::write(&path, gzip(&idx(&dims, &[]))).unwrap();
        let err = mnist::<f32>(dir, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!(
                "{}: holds {what}: a data set needs at least one image of at least one pixel",
                path.display()
            )
        );
    }
}
