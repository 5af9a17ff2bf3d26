//! Criterion benchmarks of every stage on generated meshes (see `src/synth.rs`):
//! load (parse), resolve, report writing, `check`, and the TUI's model, tree and frame.
//! Small, medium and large are 2 %, 20 % and 100 % of the large Universal mesh
//! (5,000 proxies, 2,550 route policies, 50k outbounds), plus both Kubernetes shapes
//! (2,000 proxies × 1,000 MeshServices × 2 ports) for `load` and `check`:
//! `kubernetes_uniform`, where every proxy is selected alike, and `kubernetes`, shaped
//! like a real mesh (namespaces, zones, policy roles, label selection).
//!
//! `cargo bench --bench pipeline` (all) or `cargo bench --bench pipeline -- resolve/`
//! (`-- kubernetes/`: the realistic shape only).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use meshtcp::report;
use meshtcp::resolve::{Engine, Filter, KumaVersion};
use meshtcp::source::Loaded;
use meshtcp::synth::{Shape, UniversalShape, generate, universal};
use meshtcp::tui::action::{self, Action, Loaded as Shown};
use meshtcp::tui::{App, render, resolve_loaded};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn sizes() -> Vec<(&'static str, Vec<(String, String)>)> {
    let large = UniversalShape::large();
    vec![
        ("small", universal(&large.scaled(0.02, 0.02))),
        ("medium", universal(&large.scaled(0.2, 0.2))),
        ("large", universal(&large)),
    ]
}

fn load(files: &[(String, String)]) -> Loaded {
    let mut l = Loaded::default();
    for (p, t) in files {
        l.add_text(p, t);
    }
    l
}

fn bench(c: &mut Criterion) {
    for (name, files) in sizes() {
        let mut g = c.benchmark_group(name);
        g.sample_size(10).measurement_time(Duration::from_secs(8));
        g.bench_function("load", |b| b.iter(|| black_box(load(&files))));
        let loaded = load(&files);
        g.bench_function("resolve", |b| {
            b.iter(|| {
                black_box(
                    Engine::new(&loaded.snapshot, KumaVersion::DEFAULT).report(&Filter::default()),
                )
            })
        });
        g.bench_function("check", |b| {
            b.iter(|| {
                black_box(
                    Engine::new(&loaded.snapshot, KumaVersion::DEFAULT).check(&Filter::default()),
                )
            })
        });
        let r = Engine::new(&loaded.snapshot, KumaVersion::DEFAULT).report(&Filter::default());
        g.bench_function("write_json", |b| b.iter(|| black_box(report::to_json(&r))));
        g.bench_function("write_text", |b| {
            b.iter(|| {
                black_box(report::render_text(
                    &r,
                    report::TextOptions {
                        color: false,
                        verbose: false,
                    },
                ))
            })
        });
        // The TUI: the display index built from the report, then the first tree frame
        // with everything expanded, then one key press + redraw.
        g.bench_function("tui_model", |b| {
            b.iter_batched(
                || resolve_loaded(&loaded, KumaVersion::DEFAULT),
                |rep| black_box(Shown::new(rep, loaded.stats.clone(), false, Instant::now())),
                BatchSize::LargeInput,
            )
        });
        let mut app = App::new(name.to_string(), KumaVersion::DEFAULT, false);
        app.update(Action::Resize(120, 40));
        app.update(Action::Loaded(Box::new(Shown::new(
            resolve_loaded(&loaded, KumaVersion::DEFAULT),
            loaded.stats.clone(),
            false,
            Instant::now(),
        ))));
        let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
        g.bench_function("tui_expand_all_and_draw", |b| {
            b.iter(|| {
                app.update(action::Action::ExpandAll);
                term.draw(|f| render(&app, f)).unwrap();
                app.update(action::Action::CollapseAll);
            })
        });
        app.update(action::Action::ExpandAll);
        g.bench_function("tui_key_down_and_draw", |b| {
            b.iter(|| {
                app.update(action::Action::Down);
                term.draw(|f| render(&app, f)).unwrap();
            })
        });
        g.finish();
    }
    for (name, shape) in [
        ("kubernetes_uniform", Shape::KubernetesUniform),
        ("kubernetes", Shape::Kubernetes),
    ] {
        let k = generate(shape, 1, 1.0, 1.0);
        let loaded = load(&k);
        let mut g = c.benchmark_group(name);
        g.sample_size(10).measurement_time(Duration::from_secs(10));
        g.bench_function("load", |b| b.iter(|| black_box(load(&k))));
        g.bench_function("check", |b| {
            b.iter(|| {
                black_box(
                    Engine::new(&loaded.snapshot, KumaVersion::DEFAULT).check(&Filter::default()),
                )
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
