//! The engine and the model stay pure: no IO, no async, no UI crates.

use std::fs;
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn model_and_resolve_import_no_io_async_or_ui() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&root.join("model"), &mut files);
    rust_files(&root.join("resolve"), &mut files);
    assert!(files.len() > 5);
    let forbidden = [
        "kube",
        "tokio",
        "ratatui",
        "notify",
        "std::fs",
        "std::io",
        "crate::source",
        "crate::tui",
    ];
    for f in files {
        let text = fs::read_to_string(&f).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for bad in forbidden {
                let hit =
                    line.contains(&format!("use {bad}")) || line.contains(&format!("{bad}::"));
                assert!(!hit, "{} uses {bad}: {line}", f.display());
            }
        }
    }
}

#[test]
fn the_derivation_from_kubernetes_objects_is_pure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/source/derive");
    let mut files = vec![];
    rust_files(&root, &mut files);
    assert!(files.len() >= 2);
    for f in files {
        let text = fs::read_to_string(&f).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for bad in [
                "kube",
                "tokio",
                "ratatui",
                "notify",
                "std::fs",
                "std::io",
                "crate::tui",
            ] {
                let hit =
                    line.contains(&format!("use {bad}")) || line.contains(&format!("{bad}::"));
                assert!(!hit, "{} uses {bad}: {line}", f.display());
            }
        }
    }
}

/// The YAML fast path mirrors serde-saphyr 2.2.0's typing of plain scalars and its
/// refusals (`src/source/fastyaml.rs`, differentially fuzzed against it): a silent bump
/// of serde-saphyr could make the two paths disagree. Bump both together, on purpose.
#[test]
fn serde_saphyr_is_pinned_to_the_version_the_fast_path_mirrors() {
    const MIRRORED: &str = "2.2.0";
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains(&format!("serde-saphyr = \"={MIRRORED}\"")),
        "Cargo.toml pins serde-saphyr to ={MIRRORED}"
    );
    let lock = fs::read_to_string(root.join("Cargo.lock")).unwrap();
    let at = lock
        .find("name = \"serde-saphyr\"")
        .expect("serde-saphyr is locked");
    assert!(
        lock[at..].lines().nth(1) == Some(&format!("version = \"{MIRRORED}\"")),
        "Cargo.lock resolves serde-saphyr to {MIRRORED}"
    );
    let fast = fs::read_to_string(root.join("src/source/fastyaml.rs")).unwrap();
    assert!(
        fast.contains(&format!("serde-saphyr {MIRRORED}")),
        "fastyaml.rs says which version it mirrors"
    );
}
