//! Time each phase of `meshtcp report -o json` on a directory:
//! `cargo run --release --example phases -- DIR [VERSION]`.

use meshtcp::resolve::{Engine, Filter, KumaVersion};
use meshtcp::source::{Source, load};
use std::time::Instant;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: phases DIR [VERSION]");
    let v: KumaVersion = std::env::args()
        .nth(2)
        .unwrap_or("2.14".into())
        .parse()
        .unwrap();
    let t = Instant::now();
    let loaded = load(&[Source::Path(dir.into())]);
    let t_load = t.elapsed();
    let t = Instant::now();
    let engine = Engine::new(&loaded.snapshot, v);
    let t_index = t.elapsed();
    let t = Instant::now();
    let report = engine.report(&Filter::default());
    let t_resolve = t.elapsed();
    let t = Instant::now();
    let json = meshtcp::report::to_json(&report);
    let t_json = t.elapsed();
    let outbounds: usize = report.proxies.iter().map(|p| p.outbounds.len()).sum();
    eprintln!(
        "resources {} · proxies {} · outbounds {} · findings {} · json {} MB",
        loaded.stats.resources,
        report.proxies.len(),
        outbounds,
        report.findings.len(),
        json.len() >> 20
    );
    eprintln!(
        "load {t_load:?} · index+validate {t_index:?} · resolve {t_resolve:?} · json {t_json:?}"
    );
}
