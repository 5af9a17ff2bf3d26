//! The engine resolves proxies on several threads; nothing it reports may depend on how
//! many. Every pass (report, check, the streamed JSON, the TUI's skeleton) is compared
//! between one thread and several, on generated meshes big enough to be split.

use meshtcp::report;
use meshtcp::resolve::{Engine, Filter, KumaVersion};
use meshtcp::source::Loaded;
use meshtcp::synth::{self, KubernetesShape, KubernetesUniformShape, UniversalShape};

fn loaded(files: Vec<(String, String)>) -> Loaded {
    let mut l = Loaded::default();
    for (name, text) in files {
        l.add_text(&name, &text);
    }
    assert!(l.stats.resources > 100, "a mesh worth splitting");
    l
}

fn meshes() -> Vec<(&'static str, Loaded)> {
    let universal = UniversalShape::large().scaled(0.03, 0.05);
    let uniform = KubernetesUniformShape {
        proxies: 120,
        mesh_services: 40,
        namespaces: 4,
        routes: 30,
        ..KubernetesUniformShape::large()
    };
    let kubernetes = KubernetesShape {
        proxies: 120,
        mesh_services: 40,
        namespaces: 6,
        zones: 2,
        tcp_routes: 40,
        http_routes: 12,
        ..KubernetesShape::large()
    };
    vec![
        ("universal", loaded(synth::universal(&universal))),
        (
            "kubernetes-uniform",
            loaded(synth::kubernetes_uniform(&uniform)),
        ),
        ("kubernetes", loaded(synth::kubernetes(&kubernetes))),
    ]
}

fn streamed(engine: &Engine) -> String {
    let mut out = Vec::new();
    report::write_json_streaming(&mut out, engine, &Filter::default(), vec![]).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn every_pass_gives_the_same_answer_on_one_thread_and_on_several() {
    let mut findings = 0;
    for (shape, l) in meshes() {
        for v in [KumaVersion::DEFAULT, KumaVersion::new(2, 5)] {
            let one = Engine::with_threads(&l.snapshot, v, 1);
            let full = one.report(&Filter::default());
            assert!(full.proxies.len() > 100, "{shape}: {}", full.proxies.len());
            findings += full.findings.len();
            for threads in [2, 3, 7] {
                let many = Engine::with_threads(&l.snapshot, v, threads);
                let what = format!("{shape}, {v}, {threads} threads");
                assert_eq!(many.report(&Filter::default()), full, "report: {what}");
                assert_eq!(
                    many.check(&Filter::default()),
                    one.check(&Filter::default()),
                    "check: {what}"
                );
                assert_eq!(
                    many.skeleton(&Filter::default()),
                    one.skeleton(&Filter::default()),
                    "skeleton: {what}"
                );
                assert_eq!(streamed(&many), streamed(&one), "streamed JSON: {what}");
            }
            // Streaming on several threads is still byte for byte the whole report.
            assert_eq!(
                streamed(&Engine::with_threads(&l.snapshot, v, 3)),
                report::to_json(&full),
                "{shape}, {v}"
            );
        }
    }
    assert!(findings > 0, "findings to compare too");
}

#[test]
fn a_proxy_filter_and_a_mesh_filter_work_on_several_threads() {
    let (_, l) = meshes().remove(0);
    let engine = Engine::with_threads(&l.snapshot, KumaVersion::DEFAULT, 3);
    let all = engine.report(&Filter::default());
    let name = all.proxies[all.proxies.len() / 2].name.clone();
    let one = engine.report(&Filter {
        mesh: None,
        proxy: Some(name.clone()),
        ..Filter::default()
    });
    assert_eq!(one.proxies.len(), 1);
    assert_eq!(one.proxies[0], *all.proxy(&name).unwrap());
    let none = engine.report(&Filter {
        mesh: Some("no-such-mesh".into()),
        proxy: None,
        ..Filter::default()
    });
    assert!(none.proxies.is_empty());
}
