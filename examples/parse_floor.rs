//! The YAML parser's floor: parse every `.yaml`/`.yml`/`.json` file under DIR with
//! serde-saphyr into `IgnoredAny` (no value built, nothing resolved), on as many
//! threads as the loader uses, and print the seconds it took. What `meshtcp` could
//! reach with this parser if everything after parsing cost nothing.
//! `cargo run --release --example parse_floor -- DIR [MODE]`
//!
//! MODE is `floor` (the default, as above), `saphyr` (meshtcp's loader without its fast
//! path: every document through serde-saphyr) or `fast` (meshtcp's loader: the fast
//! path, serde-saphyr for what it leaves). `saphyr` and `fast` build the trees the
//! decoder reads (`yaml::for_each_document`) and stop there; `fast` also prints to
//! stderr how many documents the fast path read.

use meshtcp::source::yaml;
use mimalloc::MiMalloc;
use serde::de::IgnoredAny;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// meshtcp's allocator (src/main.rs), so that building values costs what it does there.
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir)
        .expect("readable directory")
        .flatten()
    {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
        {
            out.push(p);
        }
    }
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: parse_floor DIR [MODE]");
    let mode = std::env::args().nth(2).unwrap_or_else(|| "floor".into());
    assert!(
        matches!(mode.as_str(), "floor" | "saphyr" | "fast"),
        "MODE is floor, saphyr or fast"
    );
    let mut paths = Vec::new();
    files(Path::new(&dir), &mut paths);
    let texts: Vec<String> = paths
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("UTF-8 file"))
        .collect();
    let opts = || {
        serde_saphyr::options! {
            budget: serde_saphyr::budget! {
                max_documents: usize::MAX,
                max_events: usize::MAX,
                max_nodes: usize::MAX,
                max_total_scalar_bytes: usize::MAX,
            },
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads.min(texts.len()) {
            s.spawn(|| {
                while let Some(text) = texts.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if mode == "floor" {
                        let docs: Vec<IgnoredAny> =
                            serde_saphyr::from_multiple_with_options(text, opts())
                                .expect("the generated files parse");
                        std::hint::black_box(docs);
                    } else {
                        // The trees the loader hands its decoder, each dropped after use
                        // as the loader does.
                        yaml::for_each_document(text, mode == "fast", &mut |line, doc| {
                            let _ = std::hint::black_box((line, doc));
                        });
                    }
                }
            });
        }
    });
    let elapsed = t.elapsed().as_secs_f64();
    if mode == "fast" {
        let mut s = yaml::FastPathStats::default();
        for text in &texts {
            s += yaml::fast_path_stats(text);
        }
        eprintln!("fast path read {} of {} documents", s.accepted, s.chunks);
    }
    println!("{elapsed}");
}
