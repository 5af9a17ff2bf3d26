//! Time each phase of `meshtcp report -o json` on a directory, with the heap in use
//! after each phase and its peak so far (a counting allocator wraps mimalloc, the
//! binary's allocator, with the same purge setting):
//! `cargo run --release --example phases -- DIR [VERSION]` (`PHASES_CHECK_ONLY=1`: stop
//! after `check`, for meshes whose full report does not fit in memory).

use meshtcp::resolve::{Engine, Filter, KumaVersion};
use meshtcp::source::{Source, load};
use mimalloc::MiMalloc as System;
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

struct Counting;
static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let n = NOW.fetch_add(l.size(), Relaxed) + l.size();
        PEAK.fetch_max(n, Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        NOW.fetch_sub(l.size(), Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if new > l.size() {
            let n = NOW.fetch_add(new - l.size(), Relaxed) + new - l.size();
            PEAK.fetch_max(n, Relaxed);
        } else {
            NOW.fetch_sub(l.size() - new, Relaxed);
        }
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn heap() -> String {
    format!(
        "heap {} MB (peak {} MB)",
        NOW.load(Relaxed) >> 20,
        PEAK.load(Relaxed) >> 20
    )
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: phases DIR [VERSION]");
    let v: KumaVersion = std::env::args()
        .nth(2)
        .unwrap_or("2.14".into())
        .parse()
        .unwrap();
    // SAFETY: as in src/main.rs (purge delay 2 ms): sets an allocator option before any
    // allocation matters.
    unsafe { libmimalloc_sys::mi_option_set(15, 2) };
    let t = Instant::now();
    let loaded = load(&[Source::Path(dir.into())]);
    eprintln!("load {:?} · {}", t.elapsed(), heap());
    let t = Instant::now();
    let engine = Engine::new(&loaded.snapshot, v);
    eprintln!("index+validate {:?} · {}", t.elapsed(), heap());
    let t = Instant::now();
    let findings = engine.check(&Filter::default()).findings.len();
    eprintln!("check {:?} ({findings} findings) · {}", t.elapsed(), heap());
    if std::env::var_os("PHASES_CHECK_ONLY").is_some() {
        return;
    }
    let t = Instant::now();
    let mut n = 0;
    engine.for_each_proxy(
        &Filter::default(),
        meshtcp::resolve::Want::WRITTEN,
        |p| p.outbounds.len(),
        |k| n += k,
    );
    eprintln!(
        "resolve proxy by proxy, dropped ({n} outbounds) {:?} · {}",
        t.elapsed(),
        heap()
    );
    let t = Instant::now();
    meshtcp::report::write_json_streaming(
        &mut std::io::sink(),
        &engine,
        &Filter::default(),
        Vec::new(),
    )
    .unwrap();
    eprintln!(
        "report --format json, streamed to a sink {:?} · {}",
        t.elapsed(),
        heap()
    );
    let t = Instant::now();
    let report = engine.report(&Filter::default());
    eprintln!("resolve {:?} · {}", t.elapsed(), heap());
    let t = Instant::now();
    let json = meshtcp::report::to_json(&report);
    eprintln!("json (whole, in memory) {:?} · {}", t.elapsed(), heap());
    let outbounds: usize = report.proxies.iter().map(|p| p.outbounds.len()).sum();
    eprintln!(
        "resources {} · proxies {} · outbounds {} · findings {} · json {} MB",
        loaded.stats.resources,
        report.proxies.len(),
        outbounds,
        report.findings.len(),
        json.len() >> 20
    );
}
