//! Downloads against an HTTP server on 127.0.0.1: a corrupt mirror is
//! rejected by checksum and the next one used; files are written atomically;
//! when every mirror fails the error says where to put the file by hand.

mod support;

use std::collections::HashMap;

use nn_data::{
    download, download_files, sha256_hex, Error, Mirror, Remote, RemoteFile, Timeouts, HTTPS,
};
use support::{gzip, idx, serve};

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[test]
fn a_corrupt_mirror_is_skipped_and_the_next_one_used() {
    let labels = idx(&[4], &[1, 2, 3, 4]);
    let images = idx(&[2, 2, 2], &[0, 10, 20, 30, 40, 50, 60, 70]);
    let files = [
        RemoteFile {
            name: "labels-idx1-ubyte",
            sha256: leak(sha256_hex(&labels)),
        },
        RemoteFile {
            name: "images-idx3-ubyte",
            sha256: leak(sha256_hex(&images)),
        },
    ];
    // Mirror A: a corrupted copy of the labels (one byte changed), no images.
    let mut corrupt = labels.clone();
    corrupt[9] ^= 0xff;
    let (a, log_a) = serve(HashMap::from([(
        "/labels-idx1-ubyte.gz".to_string(),
        gzip(&corrupt),
    )]));
    // Mirror B: both, the images recompressed (different .gz bytes, same content).
    let (b, _) = serve(HashMap::from([
        ("/data/labels-idx1-ubyte.gz".to_string(), gzip(&labels)),
        ("/data/images-idx3-ubyte.gz".to_string(), gzip(&images)),
    ]));
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let mut lines = Vec::new();
    let paths = download_files(
        dir,
        &files,
        &[a.clone(), format!("{b}/data/")],
        Timeouts::QUICK,
        &mut |l: &str| lines.push(l.to_string()),
    )
    .unwrap();
    assert_eq!(
        paths,
        [
            dir.join("labels-idx1-ubyte.gz"),
            dir.join("images-idx3-ubyte.gz")
        ]
    );
    assert_eq!(
        nn_data::idx::read_idx(&paths[0]).unwrap().data,
        [1, 2, 3, 4]
    );
    assert_eq!(nn_data::idx::read_idx(&paths[1]).unwrap().dims, [2, 2, 2]);
    assert!(
        lines.iter().any(|l| l.contains("checksum mismatch")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("404")), "{lines:?}");
    assert_eq!(
        log_a.lock().unwrap().as_slice(),
        ["/labels-idx1-ubyte.gz", "/images-idx3-ubyte.gz"]
    );
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".part-")), "{names:?}");

    // A second run finds both files intact and asks no mirror.
    let (c, log_c) = serve(HashMap::new());
    download_files(dir, &files, &[c], Timeouts::QUICK, &mut |_: &str| {}).unwrap();
    assert!(log_c.lock().unwrap().is_empty());
}

#[test]
fn when_every_mirror_fails_the_error_says_what_to_do() {
    let content = idx(&[1], &[7]);
    let file = RemoteFile {
        name: "only-idx1-ubyte",
        sha256: leak(sha256_hex(&content)),
    };
    let (a, _) = serve(HashMap::from([(
        "/only-idx1-ubyte.gz".to_string(),
        gzip(&idx(&[1], &[8])),
    )]));
    let other = RemoteFile {
        name: "other-idx1-ubyte",
        sha256: "00ff",
    };
    // Two levels that do not exist yet: neither is left behind empty.
    let scratch = tempfile::tempdir().unwrap();
    let parent = scratch.path();
    std::fs::remove_dir_all(parent).unwrap();
    let dir = parent.join("mnist");
    let err = download_files(
        &dir,
        &[file, other],
        &[a.clone(), "http://127.0.0.1:9/".into()],
        Timeouts::QUICK,
        &mut |_: &str| {},
    )
    .unwrap_err();
    assert!(
        !parent.exists(),
        "an empty folder was left at {}",
        parent.display()
    );
    assert!(matches!(err, Error::Download { .. }));
    let message = err.to_string();
    assert!(
        message.starts_with("could not download only-idx1-ubyte.gz from any mirror:"),
        "{message}"
    );
    assert!(
        message.contains(&format!("{a}: checksum mismatch")),
        "{message}"
    );
    assert!(message.contains("http://127.0.0.1:9/: "), "{message}");
    // Every file of the set is listed with its digest, not only the one that failed.
    assert!(
        message.contains(&format!("by hand into {}", dir.display())),
        "{message}"
    );
    assert!(
        message.contains(&format!("  only-idx1-ubyte.gz  {}", sha256_hex(&content))),
        "{message}"
    );
    assert!(
        message.ends_with("\n  other-idx1-ubyte.gz  00ff"),
        "{message}"
    );
}

/// The real MNIST files, served from NN_DATA_DIR by a local mirror, pass the
/// published digests (of the decompressed files, which the shared copies'
/// recompressed .gz wrappers do not change).
#[test]
fn the_real_mnist_files_pass_their_digests() {
    let Some(data) = std::env::var_os("NN_DATA_DIR").filter(|v| !v.is_empty()) else {
        eprintln!("skipping: NN_DATA_DIR is not set, so the MNIST files cannot be served");
        return;
    };
    let source = std::path::Path::new(&data).join("mnist");
    let files: HashMap<String, Vec<u8>> = nn_data::FILES
        .iter()
        .map(|n| {
            (
                format!("/{n}.gz"),
                std::fs::read(source.join(format!("{n}.gz"))).unwrap(),
            )
        })
        .collect();
    let (mirror, _) = serve(files);
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let mut report = Bytes::default();
    let paths = download(Remote::Mnist, dir, &[mirror], Timeouts::QUICK, &mut report).unwrap();
    // A progress bar per file: each transfer announced with its length and finished.
    assert_eq!(report.started.len(), 4);
    assert!(report.started.iter().all(|(_, total)| total.is_some()));
    assert_eq!(report.finished, 4);
    assert_eq!(Some(report.last), report.started[3].1);
    assert_eq!(paths.len(), 4);
    let mnist = nn_data::mnist::<f32>(dir, &nn_data::LoadOptions::default()).unwrap();
    assert_eq!((mnist.train.len(), mnist.test.len()), (60_000, 10_000));
}

/// Records what a download reports.
#[derive(Default)]
struct Bytes {
    started: Vec<(String, Option<u64>)>,
    last: u64,
    finished: usize,
}

impl nn_data::Report for Bytes {
    fn line(&mut self, _: &str) {}
    fn started(&mut self, file: &str, total: Option<u64>) {
        self.started.push((file.to_string(), total));
    }
    fn received(&mut self, bytes: u64) {
        self.last = bytes;
    }
    fn finished(&mut self) {
        self.finished += 1;
    }
}

/// A save killed half-way leaves `.NAME.part-PID`; the next save of that
/// file removes it when that process is gone, and keeps other files.
#[test]
fn the_next_write_removes_temporaries_of_dead_processes() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let target = dir.join("model.safetensors");
    let dead = dir.join(".model.safetensors.part-4000000000");
    let other = dir.join(".other.part-4000000000");
    std::fs::write(&dead, b"half").unwrap();
    std::fs::write(&other, b"not ours").unwrap();
    nn_data::write_atomically(&target, b"whole").unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"whole");
    assert_eq!(dead.exists(), !cfg!(target_os = "linux"));
    assert!(other.exists());
}

/// Each dataset has a mirror this build can reach, over https where both
/// are served and the build has it (the `https` feature), else over http;
/// an https-only mirror is left out of a build without https.
#[test]
fn mirrors_are_listed_in_the_protocol_this_build_speaks() {
    let both = Mirror {
        address: "example.org/mnist/",
        http: true,
        https: true,
    };
    let https_only = Mirror {
        http: false,
        ..both
    };
    assert_eq!(
        both.url(true).as_deref(),
        Some("https://example.org/mnist/")
    );
    assert_eq!(
        both.url(false).as_deref(),
        Some("http://example.org/mnist/")
    );
    assert_eq!(https_only.url(false), None);
    for remote in [Remote::Mnist, Remote::FashionMnist] {
        let urls = remote.mirrors();
        assert!(!urls.is_empty(), "{remote:?}: {urls:?}");
        assert!(
            urls.iter().all(|u| HTTPS || u.starts_with("http://")),
            "{remote:?}: {urls:?}"
        );
        let https = remote.known_mirrors().iter().filter(|m| m.https).count();
        let listed = urls.iter().filter(|u| u.starts_with("https://")).count();
        assert_eq!(
            listed,
            if HTTPS { https } else { 0 },
            "{remote:?}: {urls:?}"
        );
    }
}

/// An https mirror given to a build without https fails with a reason that
/// says how to get one, and the next mirror is tried.
#[test]
fn an_https_mirror_without_https_says_why_it_is_skipped() {
    if HTTPS {
        println!("skipped: this build has the `https` feature");
        return;
    }
    let content = idx(&[1], &[3]);
    let file = RemoteFile {
        name: "tls-idx1-ubyte",
        sha256: leak(sha256_hex(&content)),
    };
    let (a, _) = serve(HashMap::from([(
        "/tls-idx1-ubyte.gz".to_string(),
        gzip(&content),
    )]));
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let mut lines = Vec::new();
    download_files(
        dir,
        &[file],
        &["https://127.0.0.1:9/".to_string(), a],
        Timeouts::QUICK,
        &mut |l: &str| lines.push(l.to_string()),
    )
    .unwrap();
    assert!(
        lines[0].contains(
            "https://127.0.0.1:9/: this build has no https (rebuild with `--features https`)"
        ),
        "{lines:?}"
    );
    assert!(dir.join("tls-idx1-ubyte.gz").exists());
}
