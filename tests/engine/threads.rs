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

/// The proxies the TUI shows before its findings pass are the skeleton's: the same
/// proxies, ids and outbound counts, builtin gateways included, on every fixture and
/// generated shape, whole or filtered.
#[test]
fn the_proxies_shown_first_are_the_skeletons_proxies() {
    let mut all: Vec<(String, Loaded)> = meshes()
        .into_iter()
        .map(|(s, l)| (s.to_string(), l))
        .collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.extend([root.join("tui/mesh"), root.join("gitops")]);
    dirs.sort();
    for d in dirs {
        let l = meshtcp::source::load(&[meshtcp::source::Source::Path(d.clone())]);
        all.push((d.display().to_string(), l));
    }
    let mut gateways = 0;
    let mut proxies = 0;
    for (what, l) in &all {
        for v in [
            KumaVersion::DEFAULT,
            KumaVersion::new(2, 5),
            KumaVersion::new(2, 3),
        ] {
            let engine = Engine::with_threads(&l.snapshot, v, 2);
            let mut filters = vec![Filter::default()];
            let sk = engine.skeleton(&Filter::default());
            if let Some(p) = sk.report.proxies.get(sk.report.proxies.len() / 2) {
                filters.push(Filter {
                    proxy: Some(p.qualified_name()),
                    ..Filter::default()
                });
            }
            for f in filters {
                let sk = engine.skeleton(&f);
                let first = engine.proxies(&f);
                assert_eq!(
                    first.report.proxies, sk.report.proxies,
                    "{what}, {v}, {f:?}"
                );
                assert_eq!(first.ids, sk.ids, "{what}, {v}");
                assert_eq!(first.outbounds, sk.outbounds, "{what}, {v}");
                assert!(
                    first.report.findings.is_empty(),
                    "{what}: no pass, no finding"
                );
                proxies += first.report.proxies.len();
                gateways += first
                    .report
                    .proxies
                    .iter()
                    .filter(|p| p.proxy_type == meshtcp::model::ProxyType::BuiltinGateway)
                    .count();
            }
        }
    }
    assert!(
        proxies > 1000 && gateways > 0,
        "{proxies} proxies, {gateways} gateways"
    );
}

#[test]
fn proxies_selected_by_the_same_policies_share_one_list() {
    for (shape, l) in meshes() {
        let first = Engine::new(&l.snapshot, KumaVersion::DEFAULT).proxies(&Filter::default());
        let p = &first.report.proxies;
        let mut lists: Vec<&std::sync::Arc<[_]>> = Vec::new();
        for x in p {
            match lists.iter().find(|l| l[..] == x.selected_by[..]) {
                Some(l) => assert!(
                    std::sync::Arc::ptr_eq(l, &x.selected_by),
                    "{shape}: {} has a copy of an earlier list",
                    x.name
                ),
                None => lists.push(&x.selected_by),
            }
        }
        assert!(
            lists.len() < p.len() / 2,
            "{shape}: {} lists for {} proxies",
            lists.len(),
            p.len()
        );
    }
}

#[test]
fn proxies_with_the_same_outbounds_share_their_reports() {
    let (_, l) = meshes().remove(1); // kubernetes-uniform: one selection for every proxy
    let r = Engine::with_threads(&l.snapshot, KumaVersion::DEFAULT, 2).report(&Filter::default());
    let mut lists: Vec<*const meshtcp::resolve::OutboundReport> = r
        .proxies
        .iter()
        .filter(|p| !p.outbounds.is_empty())
        .map(|p| p.outbounds.as_ptr())
        .collect();
    let n = lists.len();
    lists.sort();
    lists.dedup();
    // Copies would be one list per proxy.
    assert!(
        n > 100 && lists.len() < n / 4,
        "{} lists for {n} proxies",
        lists.len()
    );
}
