//! Keeps ARCHITECTURE.md and the registries true (rust-analyzer's "tidy"):
//! every source file is on the code map, `unsafe` stays in the kernel module,
//! scratch folders come from tempfile, and every layer or optimizer defined is registered, which is what gives it
//! its gradient check and its place in the "every optimizer" tests.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, recursively, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The text of ARCHITECTURE.md's section `### `heading``, up to the next
/// heading of that level or above.
fn section<'a>(doc: &'a str, heading: &str) -> &'a str {
    let start = doc
        .find(&format!("### `{heading}`"))
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no section for {heading}"));
    let rest = &doc[start + 4..];
    let end = [rest.find("\n### "), rest.find("\n## ")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

fn source_dirs() -> Vec<(String, PathBuf)> {
    let mut dirs: Vec<(String, PathBuf)> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").exists())
        .map(|p| {
            let name = format!("crates/{}", p.file_name().unwrap().to_str().unwrap());
            (name, p.join("src"))
        })
        .collect();
    dirs.push(("xtask".into(), root().join("xtask/src")));
    dirs.sort();
    dirs
}

#[test]
fn every_source_file_is_on_the_code_map() {
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let mut missing = Vec::new();
    for (krate, src) in source_dirs() {
        let text = section(&doc, &krate);
        for file in rust_files(&src) {
            let rel = file
                .strip_prefix(&src)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            if rel == "lib.rs" {
                continue; // the crate root is the section itself
            }
            if !text.contains(&format!("`{rel}`")) {
                missing.push(format!("{krate}/src/{rel}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map does not name: {}",
        missing.join(", ")
    );
}

#[test]
fn unsafe_code_lives_in_the_kernel_module_only() {
    let keyword = concat!("un", "safe");
    let allowed = root().join("crates/nn-core/src/kernels");
    let mut found = Vec::new();
    for dir in ["crates", "xtask", "tests", "benches", "fuzz/fuzz_targets"] {
        for file in rust_files(&root().join(dir)) {
            if file.starts_with(&allowed) {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for (i, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                let is_word = code.match_indices(keyword).any(|(at, _)| {
                    let before = code[..at].chars().last();
                    let after = code[at + keyword.len()..].chars().next();
                    let ident =
                        |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                    !ident(before) && !ident(after)
                });
                if is_word {
                    found.push(format!("{}:{}", file.display(), i + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "`{keyword}` outside nn-core/src/kernels: {found:?}"
    );
}

/// Tests, examples and fuzz targets write only into folders from tempfile,
/// which removes them when they end: nothing is left behind in the
/// system's temporary folder (there were 325 `nn-*` folders there once).
#[test]
fn scratch_folders_come_from_tempfile() {
    let call = concat!("temp", "_dir()");
    let mut found = Vec::new();
    for dir in ["crates", "xtask", "tests", "benches", "fuzz/fuzz_targets"] {
        for file in rust_files(&root().join(dir)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (i, line) in text.lines().enumerate() {
                if line.split("//").next().unwrap_or("").contains(call) {
                    found.push(format!("{}:{}", file.display(), i + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "`{call}` instead of tempfile: {found:?}");
}

/// The type names in `impl {trait_head}... for Name` across the sources.
fn implementors(trait_head: &str) -> Vec<(String, PathBuf)> {
    let head = format!("impl {trait_head}");
    let mut out = Vec::new();
    for (_, src) in source_dirs() {
        for file in rust_files(&src) {
            let text = std::fs::read_to_string(&file).unwrap();
            for line in text.lines().filter(|l| l.trim_start().starts_with(&head)) {
                if let Some(at) = line.find(" for ") {
                    let name: String = line[at + " for ".len()..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.push((name, file.clone()));
                }
            }
        }
    }
    out
}

/// Every implementor of `trait_head` appears in `registry` as `entry(name)`.
fn assert_registered(trait_head: &str, registry: &str, entry: impl Fn(&str) -> String) {
    let text = std::fs::read_to_string(root().join(registry)).unwrap();
    let found = implementors(trait_head);
    assert!(found.len() >= 7, "the scan found only {found:?}");
    let missing: Vec<String> = found
        .iter()
        .filter(|(name, _)| !text.contains(&entry(name)))
        .map(|(name, file)| format!("{name} ({})", file.display()))
        .collect();
    assert!(missing.is_empty(), "not in {registry}: {missing:?}");
}

/// A layer kind outside the registry would have no gradient check (the
/// registry's test checks every kind) and could not be read from a file.
#[test]
fn every_layer_config_is_registered() {
    assert_registered("LayerConfig", "crates/nn-model/src/registry.rs", |name| {
        format!("each.kind::<{name}>()")
    });
}

#[test]
fn every_optimizer_rule_is_registered() {
    assert_registered("Rule<", "crates/nn-optim/src/registry.rs", |name| {
        format!("kind::<T, {name}, ")
    });
}
