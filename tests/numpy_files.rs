//! nn reads the files NumPy writes: pickles of protocols 2 to 5 (NumPy 2's
//! `numpy._core` names, protocol 5's `_frombuffer`), `np.save`, `np.savez`
//! and `np.savez_compressed`, float32 and float64, either byte order,
//! C or Fortran order. The files are made by NumPy in the test (Python and
//! numpy in a virtual environment under target/, skipped without them).

use std::path::PathBuf;

use nn_interop::{read_weights, Array, Values};
use nn_workspace::{interop_python_or_skip, run_python};

/// v[i] = i/4 − 1, as the script writes them.
fn expected(shape: &[usize]) -> Vec<f64> {
    let n: usize = shape.iter().product();
    (0..n).map(|i| i as f64 / 4.0 - 1.0).collect()
}

fn check(file: &str, name: &str, array: &Array) {
    let (shape, float64): (&[usize], bool) = match name {
        "W1" => (&[3, 4], false),
        "b1" => (&[4], true),
        "F" => (&[2, 3], true),
        "B" => (&[5], false),
        other => panic!("{file}: unexpected array {other}"),
    };
    assert_eq!(array.shape, shape, "{file}: {name}");
    let values: Vec<f64> = match (&array.values, float64) {
        (Values::F32(v), false) => v.iter().map(|&x| f64::from(x)).collect(),
        (Values::F64(v), true) => v.clone(),
        _ => panic!("{file}: {name} is {}", array.dtype()),
    };
    assert_eq!(values, expected(shape), "{file}: {name}");
}

#[test]
fn numpy_pickles_npy_and_npz_files_read_back_exactly() {
    let Some(python) = interop_python_or_skip() else {
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("numpy-files");
    std::fs::create_dir_all(&dir).unwrap();
    run_python(&python, "numpy_files.py", &[&dir]);
    for file in [
        "p2.pkl",
        "p3.pkl",
        "p4.pkl",
        "p5.pkl",
        "savez.npz",
        "compressed.npz",
    ] {
        let arrays = read_weights(&dir.join(file)).unwrap();
        let names: Vec<&str> = arrays.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["W1", "b1", "F", "B"], "{file}");
        for (name, array) in &arrays {
            check(file, name, array);
        }
    }
    for name in ["B", "F"] {
        let arrays = read_weights(&dir.join(format!("{name}.npy"))).unwrap();
        assert_eq!(arrays.len(), 1);
        assert_eq!(arrays[0].0, name);
        check("npy", name, &arrays[0].1);
    }
}
