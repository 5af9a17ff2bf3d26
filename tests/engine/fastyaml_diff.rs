//! The YAML fast path (src/source/fastyaml.rs) against serde-saphyr: wherever the fast
//! path reads a document, it must make exactly what serde-saphyr makes (values, key
//! order, number kinds, document and item lines). `check_fast_path` runs both on every
//! document of a text and describes the first difference.
//!
//! Inputs: every YAML/JSON file in the repository's assets, test fixtures and fuzz seeds
//! (and fuzz corpus, when there is one), generated meshes of both shapes, and a table of
//! tricky snippets. The generated meshes must be read by the fast path almost entirely,
//! so that it cannot quietly fall back to serde-saphyr for everything.

use meshtcp::source::yaml::{FastPathStats, check_fast_path, parse_documents_with};
use meshtcp::synth::{self, KubernetesShape, KubernetesUniformShape, UniversalShape};
use std::fs;
use std::path::{Path, PathBuf};

fn check(label: &str, text: &str) -> FastPathStats {
    match check_fast_path(text) {
        Ok(s) => s,
        Err(e) => panic!("{label}: {e}"),
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn repository_files_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for d in ["assets", "tests/fixtures", "fuzz/seeds", "fuzz/corpus"] {
        walk(&root.join(d), &mut files);
    }
    files.sort();
    let mut total = FastPathStats::default();
    let mut yaml = FastPathStats::default();
    for p in &files {
        let Ok(bytes) = fs::read(p) else { continue };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let s = check(&p.display().to_string(), text);
        total += s;
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        let seeded = p.components().any(|c| c.as_os_str() == "corpus");
        if matches!(ext, "yaml" | "yml") && !seeded {
            yaml += s;
        }
    }
    eprintln!(
        "{} files: fast path read {}/{} documents ({}/{} of the .yaml files outside fuzz/corpus)",
        files.len(),
        total.accepted,
        total.chunks,
        yaml.accepted,
        yaml.chunks
    );
    assert!(yaml.chunks > 50, "{yaml:?}");
    // Hand-written files use a few constructs the fast path leaves to serde-saphyr (and
    // some are broken on purpose); most must still be read.
    assert!(yaml.accepted * 10 >= yaml.chunks * 7, "{yaml:?}");
}

fn generated() -> Vec<(&'static str, Vec<(String, String)>)> {
    vec![
        (
            "universal",
            synth::universal(&UniversalShape::large().scaled(0.02, 0.05)),
        ),
        (
            "kubernetes-uniform",
            synth::kubernetes_uniform(&KubernetesUniformShape {
                seed: 7,
                proxies: 60,
                mesh_services: 30,
                namespaces: 4,
                routes: 40,
            }),
        ),
        (
            "kubernetes",
            synth::kubernetes(&KubernetesShape {
                seed: 7,
                proxies: 60,
                mesh_services: 30,
                namespaces: 6,
                zones: 2,
                tcp_routes: 40,
                http_routes: 12,
            }),
        ),
    ]
}

#[test]
fn generated_meshes_agree_and_take_the_fast_path() {
    for (shape, files) in generated() {
        let mut s = FastPathStats::default();
        for (name, text) in &files {
            s += check(&format!("{shape}/{name}"), text);
        }
        eprintln!(
            "{shape}: fast path read {}/{} documents",
            s.accepted, s.chunks
        );
        assert!(s.chunks > 100, "{shape}: {s:?}");
        assert_eq!(s.accepted, s.chunks, "{shape}: every generated document");
    }
}

/// The whole loader output is the same with and without the fast path.
#[test]
fn loader_output_is_the_same_with_and_without_the_fast_path() {
    for (shape, files) in generated() {
        for (name, text) in &files {
            let a = format!("{:?}", parse_documents_with(text, true));
            let b = format!("{:?}", parse_documents_with(text, false));
            assert!(a == b, "{shape}/{name}");
        }
    }
}

/// Tricky snippets: each must agree whenever the fast path reads it. `fast` says whether
/// the fast path must read it (`Some(true)`), must leave it (`Some(false)`), or either.
const TABLE: &[(&str, Option<bool>)] = &[
    // scalars: words
    (
        "a: yes\nb: No\nc: ON\nd: off\ne: y\nf: N\ng: True\nh: FALSE\n",
        Some(true),
    ),
    (
        "a: null\nb: Null\nc: NULL\nd: nULL\ne: ~\nf: ~x\ng:\n",
        Some(true),
    ),
    (
        "a: yess\nb: nope\nc: onion\nd: trueish\ne: nan\nf: inf\ng: Infinity\n",
        Some(true),
    ),
    // scalars: numbers and things that look like them
    (
        "a: 0\nb: 1\nc: 42\nd: 18446744073709551615\ne: 18446744073709551616\n",
        None,
    ),
    (
        "a: 0x1F\nb: 0o17\nc: 017\nd: 1e3\ne: .5\nf: -0\ng: +1\nh: 1_000\n",
        None,
    ),
    (
        "a: 0X1F\nb: 0b101\nc: 1.\nd: 1.5e-3\ne: -1.5\nf: .inf\ng: -.inf\nh: .nan\n",
        None,
    ),
    (
        "a: -.nan\nb: +.nan\nc: 1e999\nd: -17\ne: -0x10\nf: 00\ng: 0.0\n",
        None,
    ),
    (
        "a: 10.0.0.1\nb: 1.2.3\nc: 12:30\nd: 2001-12-14\ne: 2001-12-14T21:59:43.10-05:00\n",
        None,
    ),
    (
        "a: 1_\nb: _1\nc: 1__0\nd: 0x\ne: 0xg\nf: 1e\ng: e1\nh: 9223372036854775808\n",
        None,
    ),
    (
        "a: -9223372036854775808\nb: -9223372036854775809\nc: 1 2\nd: 8080/tcp\n",
        None,
    ),
    // scalars: quoting and comments
    (
        "a: \"quoted\"\nb: 'it''s'\nc: ''\nd: \"\"\ne: '#'\nf: \"a: b\"\ng: \"yes\"\n",
        Some(true),
    ),
    (
        "a: a#b\nb: a #b\nc: a  # c\nd: 'x' # c\ne: \"x\"  # c\n",
        Some(true),
    ),
    ("a: \"x\"#c\n", Some(false)),
    ("a: 'x'y\n", Some(false)),
    ("a: \"a\\nb\"\n", Some(false)),
    ("a: 'multi\n  line'\n", Some(false)),
    ("a: multi\n  line\n", Some(false)),
    ("a: a: b\n", Some(false)),
    ("a: a:b\nb: http://x/y\nc: a,b\nd: a[0]\ne: x{}\n", None),
    ("a: b:\n", Some(false)),
    ("a:b\n", Some(false)),
    ("a:b: c\n", None),
    (
        "a: /api/v1\nb: _x\nc: $HOME\nd: -x\ne: +x\nf: .x\ng: --x\nh: ...x\n",
        None,
    ),
    ("a: trailing   \nb: 'q'   \n", Some(true)),
    ("a: \"ünïcödé\"\nb: 名前\nc: x名\n", None),
    ("a: x\u{a0}\n", None),
    ("a: x\u{85}y\n", Some(false)),
    ("a: x\u{2028}y\n", Some(false)),
    ("a: \u{feff}x\n", Some(false)),
    // keys
    ("1: a\n", Some(false)),
    ("yes: a\n", Some(false)),
    ("null: a\n", Some(false)),
    ("\"a\": 1\n", Some(false)),
    ("? a\n: 1\n", Some(false)),
    ("<<: {a: 1}\n", Some(false)),
    ("a b: 1\n", Some(false)),
    ("a : 1\n", Some(false)),
    (
        "kuma.io/service: x\nk8s.kuma.io/namespace: y\na_b-c: z\n",
        Some(true),
    ),
    // duplicate keys
    ("a: 1\na: 2\n", Some(false)),
    ("a:\n  b: 1\n  b: 2\n", Some(false)),
    ("a: {b: 1, b: 2}\n", Some(false)),
    ("a:\n- b: 1\n  b: 2\n", Some(false)),
    ("items: []\nitems: []\n", Some(false)),
    ("items:\nitems: []\n", Some(false)),
    // block structure
    (
        "a:\n  b:\n    c: 1\n  d: [x, y]\ne: {}\nf: []\n",
        Some(true),
    ),
    ("a:\n- x\n- y\nb: 1\n", Some(true)),
    ("a:\n  - x\n  - y\nb: 1\n", Some(true)),
    ("- a\n- b\n", Some(true)),
    ("- - a\n  - b\n- c\n", Some(true)),
    ("a:\n  - - a\n    - b\n", Some(true)),
    ("a:\n  -\n    b: 1\n", Some(true)),
    ("a:\n  - b: 1\n    c: 2\n  - d: 3\n", Some(true)),
    ("a:\n  -   b: 1\n      c: 2\n", Some(true)),
    ("a:\n  - b:\n    - c\n", None),
    ("a:\n  - b:\n      - c\n", Some(true)),
    ("a:\n  -\n  - x\n", None),
    ("a:\n  - # c\n    b: 1\n", Some(true)),
    ("a:\n  - b: 1\n   c: 2\n", Some(false)),
    ("a:\n  b: 1\n c: 2\n", Some(false)),
    ("a: 1\n  b: 2\n", Some(false)),
    ("a: 1\n- b\n", Some(false)),
    ("a:\n  b\n", Some(false)),
    ("a:\n    - x\n  b: 1\n", Some(false)),
    ("  a: 1\n", Some(false)),
    ("a: - b\n", Some(false)),
    ("a: -\n", Some(false)),
    ("- -\n", None),
    ("-a\n", Some(false)),
    ("a:\n\tb: 1\n", Some(false)),
    ("a: 1\t\n", Some(false)),
    // flow
    ("a: {b: 1, c: [x, 'y', \"z\"], d: {e: f}}\n", Some(true)),
    ("a: { b: 1 , c: 2 }\n", Some(true)),
    ("a: [1, 2,]\n", Some(false)),
    ("a: {b: 1,}\n", Some(false)),
    ("a: {b: 1\n  , c: 2}\n", Some(false)),
    ("a: {b}\n", Some(false)),
    ("a: {b: }\n", Some(false)),
    ("a: {b:c}\n", Some(false)),
    ("a: [b: c]\n", Some(false)),
    ("a: [x] y\n", Some(false)),
    ("a: {b: 1} # c\n", Some(true)),
    ("a: {b: 1 # c\n  }\n", Some(false)),
    ("a: [a b, c]\n", Some(true)),
    ("{\"a\": 1}\n", Some(false)),
    ("[]\n", Some(false)),
    // documents
    ("# only a comment\n", None),
    ("\n\n  \n", None),
    ("a: 1\r\nb:\r\n  - x\r\n", Some(true)),
    // A BOM at the start of the text is the caller's (parse_documents strips it).
    ("\u{feff}a: 1\n", Some(true)),
    ("\u{feff}a: 1\n---\n\u{feff}b: 2\n", None),
    ("a: 1\rb: 2\n", Some(false)),
    ("%YAML 1.2\n---\na: 1\n", None),
    ("--- a: 1\n", None),
    ("--- \na: 1\n...\nb: 2\n", None),
    ("a: &x 1\nb: *x\n", Some(false)),
    ("a: !!str 1\n", Some(false)),
    ("a: |\n  x\n", Some(false)),
    ("a: >\n  x\n", Some(false)),
    ("a: @x\n", Some(false)),
    ("a: `x\n", Some(false)),
    ("a: %x\n", Some(false)),
    ("scalar\n", Some(false)),
    ("\n\n# c\na: 1 # c\n# c\n\nb: 2\n\n", Some(true)),
    // serde-saphyr refuses more than 32 comments while it looks for a value (fuzz)
    (
        "a:\n# 1\n# 2\n# 3\n# 4\n# 5\n# 6\n# 7\n# 8\n# 9\n# 10\n# 11\n# 12\n# 13\n# 14\n# 15\n# 16\n# 17\n# 18\n# 19\n# 20\n# 21\n# 22\n# 23\n# 24\n# 25\n# 26\n# 27\n# 28\n# 29\n# 30\n# 31\n# 32\n# 33\n  b: 1\n",
        Some(false),
    ),
    (
        "-\n# 1\n# 2\n# 3\n# 4\n# 5\n# 6\n# 7\n# 8\n# 9\n# 10\n# 11\n# 12\n# 13\n# 14\n# 15\n# 16\n# 17\n# 18\n# 19\n# 20\n# 21\n# 22\n# 23\n# 24\n# 25\n# 26\n# 27\n# 28\n# 29\n# 30\n# 31\n# 32\n# 33\n",
        Some(false),
    ),
    // lists and their lines
    (
        "kind: List\nitems:\n- kind: A\n  x: 1\n-\n  kind: B\n- {kind: C}\n",
        Some(true),
    ),
    ("kind: List\nitems:\n  - a\n  - 'b'\n  - [c]\n", Some(true)),
    ("kind: List\nitems: [a, b]\n", Some(true)),
    ("kind: List\nitems:\n", Some(true)),
    ("kind: List\nitems: ~\n", Some(true)),
    ("kind: List\nitems: {}\n", Some(false)),
    ("kind: List\nitems: x\n", Some(false)),
    ("kind: List\nitems:\n-\n- a\n", None),
    ("items:\n- a\nkind: NotAList\nz: 1\n", Some(true)),
    ("kind: List\nitems:\n- # c\n  kind: A\n", Some(true)),
];

#[test]
fn tricky_snippets_agree() {
    let mut read = 0;
    let mut failures = Vec::new();
    for (i, (text, fast)) in TABLE.iter().enumerate() {
        match check_fast_path(text) {
            Ok(s) => {
                read += s.accepted;
                let got = s.chunks > 0 && s.accepted == s.chunks;
                if fast.is_some_and(|want| want != got) {
                    failures.push(format!("table[{i}] {text:?}: fast path read it: {got}"));
                }
            }
            Err(e) => failures.push(format!("table[{i}]: {e}")),
        }
        // Also after another document (line offsets) and with CRLF line ends.
        for variant in [format!("x: 1\n---\n{text}"), text.replace('\n', "\r\n")] {
            if let Err(e) = check_fast_path(&variant) {
                failures.push(format!("table[{i}] {variant:?}: {e}"));
            }
        }
    }
    eprintln!("table: fast path read {read} of {} snippets", TABLE.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Nesting around serde-saphyr's depth limit and the fast path's own.
#[test]
fn nesting_at_the_limits() {
    for depth in [1usize, 10, 40, 55, 56, 57, 60, 63, 64, 65, 70] {
        let mut block = String::new();
        for d in 0..depth {
            block.push_str(&"  ".repeat(d));
            block.push_str(&format!("k{d}:\n"));
        }
        check(&format!("block depth {depth}"), &block);
        let seq = format!("{}x\n", "- ".repeat(depth));
        check(&format!("seq depth {depth}"), &seq);
        let flow = format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth));
        check(&format!("flow depth {depth}"), &flow);
    }
}
