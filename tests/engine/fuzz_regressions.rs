//! Every input the fuzzers ever crashed, hung or ran out of memory on, kept in
//! `tests/fuzz_regressions/<target>/` and run through the very harness that found it
//! (`fuzz/src/lib.rs`, included below). Also runs the seed corpus (`fuzz/seeds/`) so the
//! harnesses themselves stay working. See `docs/fuzzing.md`.

use crate::harness;

use std::fs;
use std::path::Path;

fn run_all(target: &str, f: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for dir in [
        root.join("tests/fuzz_regressions").join(target),
        root.join("fuzz/seeds").join(target),
    ] {
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        let mut files: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for p in files.into_iter().filter(|p| p.is_file()) {
            let data = fs::read(&p).unwrap();
            eprintln!("{target}: {}", p.display());
            f(&data);
            n += 1;
        }
    }
    assert!(n > 0, "no inputs for {target}");
}

#[test]
fn loader_regressions() {
    run_all("loader", harness::loader);
}

/// The engine harness, printing its input as YAML first (shown when it fails).
fn engine(data: &[u8]) {
    if let Ok((v, docs)) = harness::engine_input(&mut arbitrary::Unstructured::new(data)) {
        eprintln!("Kuma {v}:\n{}", harness::engine_yaml(&docs));
    }
    harness::engine(data);
}

#[test]
fn engine_regressions() {
    run_all("engine", engine);
}

#[test]
fn yaml_diff_regressions() {
    run_all("yaml_diff", harness::yaml_diff);
}

#[test]
fn report_regressions() {
    run_all("report", harness::report);
}

/// The engine harness on a few hundred inputs drawn from a fixed-seed generator: its
/// assertions (every proxy resolved alone equals its entry in the full report, every
/// writer succeeds) run on more shapes than the saved ones, in every `cargo test`.
#[test]
fn engine_on_seeded_random_inputs() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut meshes_with_proxies = 0;
    for _ in 0..400 {
        let len = 64 + (next() % 1500) as usize;
        let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if let Ok((v, docs)) = harness::engine_input(&mut arbitrary::Unstructured::new(&data))
            && docs.len() > 1
        {
            let _ = v;
            meshes_with_proxies += 1;
        }
        harness::engine(&data);
    }
    assert!(
        meshes_with_proxies > 100,
        "the inputs hold several resources"
    );
}
