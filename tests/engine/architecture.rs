//! The layering holds: the engine crate is pure, the derivation from Kubernetes
//! objects does no IO, and the YAML fast path mirrors the serde-saphyr it was built on.

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

/// The engine crate (model + resolve) depends, directly or through anything it
/// pulls in, on none of the IO, async, Kubernetes, UI or command-line crates: purity
/// is a fact of its `Cargo.toml`, read here from cargo's own resolved graph.
#[test]
fn the_engine_crate_depends_on_no_io_async_ui_or_cli_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // The host's graph only: other platforms' crates may not be downloaded here.
    let rustc = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    let host = String::from_utf8(rustc.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host");
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--filter-platform",
            &host,
        ])
        .current_dir(root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let nodes = meta["resolve"]["nodes"].as_array().unwrap();
    let name_of = |id: &str| -> String {
        meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .map(|p| p["name"].as_str().unwrap().to_string())
            .unwrap()
    };
    let engine = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "meshtcp-engine")
        .expect("the workspace has the engine crate");
    // Everything the engine reaches through normal (non-dev, non-build) dependencies.
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec![engine["id"].as_str().unwrap().to_string()];
    while let Some(id) = todo.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let node = nodes.iter().find(|n| n["id"] == id.as_str()).unwrap();
        for dep in node["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            if normal {
                todo.push(dep["pkg"].as_str().unwrap().to_string());
            }
        }
    }
    let names: Vec<String> = seen.iter().map(|id| name_of(id)).collect();
    assert!(
        names.iter().any(|n| n == "serde"),
        "the walk found {names:?}"
    );
    for bad in [
        "kube",
        "kube-client",
        "kube-runtime",
        "k8s-openapi",
        "tokio",
        "ratatui",
        "crossterm",
        "notify",
        "clap",
        "hyper",
        "meshtcp",
    ] {
        assert!(
            !names.iter().any(|n| n == bad),
            "the engine crate depends on {bad} (all: {names:?})"
        );
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
