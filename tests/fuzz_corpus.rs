//! Replays the fuzz targets' committed seeds and every input that once
//! crashed (`fuzz/corpus/*/seed-*`, `fuzz/regressions/*/*`) on stable Rust:
//! each must return, not panic or abort.

use std::path::{Path, PathBuf};

use nn_workspace::fuzz;

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for dir in [
        root.join("corpus").join(target),
        root.join("regressions").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let committed = dir.ends_with(target)
                && dir.parent().is_some_and(|p| p.ends_with("regressions"))
                || name.starts_with("seed-");
            if path.is_file() && committed {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn replay(target: &str, run: fn(&[u8]), at_least: usize) {
    let files = inputs(target);
    assert!(files.len() >= at_least, "{target}: only {files:?}");
    for file in files {
        let data = std::fs::read(&file).unwrap();
        eprintln!("{target}: {}", file.display());
        run(&data);
    }
}

#[test]
fn idx() {
    replay("idx", fuzz::idx, 4);
}

#[test]
fn mnist_folder() {
    replay("mnist_folder", fuzz::mnist_folder, 2);
}

#[test]
fn checkpoint() {
    replay("checkpoint", fuzz::checkpoint, 3);
}

#[test]
fn network_description() {
    replay("network_description", fuzz::network_description, 5);
}

#[test]
fn pickle() {
    replay("pickle", fuzz::pickle, 5);
}

#[test]
fn npz() {
    replay("npz", fuzz::npz, 4);
}

#[test]
fn picture() {
    replay("picture", fuzz::picture, 2);
}
