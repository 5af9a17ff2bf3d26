//! The streamed JSON report is written by hand (`src/report/json.rs`); serde's derived
//! output is the reference. Both must give the same bytes: on every example fixture,
//! with the loader's findings merged in, and on strings that need escaping at every
//! position of a word.

use meshtcp::model::{Code, Finding, Location, ProxyType, ResourceRef, Tags};
use meshtcp::report::{self, json::Pretty};
use meshtcp::resolve::{
    Backend, Destination, Engine, Filter, KumaVersion, LegacyPolicyStatus, OutboundReport,
    PolicyStatus, ProxyReport, RouteKind, Status, dedup,
};
use meshtcp::source::{Source, load};
use std::path::Path;
use std::sync::Arc;

fn by_hand(f: impl FnOnce(&mut Pretty)) -> String {
    let mut out = Vec::new();
    f(&mut Pretty::new(&mut out, 0));
    String::from_utf8(out).unwrap()
}

/// Strings with each escaped byte at each offset 0..=40 (in the 16-byte blocks, the
/// 8-byte word and the single bytes the writer checks), and ones with nothing to escape.
fn awkward() -> Vec<String> {
    let mut v = vec![
        String::new(),
        "plain".into(),
        "exactly8".into(),
        "sixteen-bytes-ok".into(),
        "ünïcödé ✓ 日本".into(),
        "del \u{7f} is not escaped".into(),
        " ~ space and tilde".into(),
    ];
    for c in [
        '"', '\\', '\n', '\r', '\t', '\u{8}', '\u{c}', '\u{0}', '\u{1}', '\u{1f}',
    ] {
        for at in 0..=40 {
            let mut s: String = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
                .chars()
                .take(at)
                .collect();
            s.push(c);
            s.push_str("tail");
            v.push(s.clone());
            s.push_str("-and-more");
            v.push(s);
        }
    }
    v
}

fn proxy_with(s: &str) -> ProxyReport {
    let mut tags = Tags::new();
    tags.insert("kuma.io/service".into(), s.into());
    tags.insert(s.into(), "v".into());
    let loc = Some(Location {
        file: Arc::from(format!("dir/{s}.yaml")),
        line: 7,
    });
    // A legacy backend of weight 0 that names nothing in the input.
    let unresolved = Backend {
        kind: "service".into(),
        name: s.into(),
        namespace: None,
        port: None,
        tags: Tags::new(),
        weight: 0,
        share: 0.0,
        resolved: false,
        how: String::new(),
    };
    ProxyReport {
        mesh: s.into(),
        name: format!("{s}-1"),
        namespace: Some(s.into()),
        proxy_type: ProxyType::Sidecar,
        tags: tags.clone(),
        outbounds: vec![OutboundReport {
            destination: Destination {
                kind: "MeshService".into(),
                name: s.into(),
                namespace: Some(s.into()),
                port: 8080,
                section_name: Some(s.into()),
                listener_port: None,
            },
            protocol: "tcp".into(),
            route: RouteKind::MeshTCPRoute,
            backends: vec![
                Backend {
                    kind: "MeshService".into(),
                    name: s.into(),
                    namespace: Some(s.into()),
                    port: Some(80),
                    tags,
                    weight: 3,
                    share: 1.0 / 3.0,
                    resolved: true,
                    how: s.into(),
                },
                unresolved.clone(),
                Backend {
                    weight: u32::MAX,
                    share: f64::NAN,
                    ..unresolved
                },
            ],
            policies: vec![
                PolicyStatus {
                    kind: "MeshTCPRoute".into(),
                    name: s.into(),
                    namespace: Some(s.into()),
                    status: Status::Applied,
                    reason: s.into(),
                    location: loc.clone(),
                    precedence: Arc::new(vec![s.to_string(), "kind Mesh(1)".into()].into()),
                },
                PolicyStatus {
                    kind: "TrafficRoute".into(),
                    name: s.into(),
                    namespace: None,
                    status: Status::Overridden,
                    reason: String::new(),
                    location: None,
                    precedence: Arc::new(Vec::<String>::new().into()),
                },
            ],
            reason: s.into(),
            notes: vec![s.into(), "second".into()],
            legacy_policies: vec![LegacyPolicyStatus {
                kind: "Timeout".into(),
                name: s.into(),
                status: "detached",
                location: loc.clone(),
            }],
        }]
        .into(),
        location: loc,
        context: Some(s.into()),
        derived_from: Some(meshtcp::model::DerivedFrom {
            kind: "Deployment".into(),
            namespace: s.into(),
            name: s.into(),
        }),
        selected_by: Default::default(),
        notes: vec![s.into()],
    }
}

#[test]
fn hand_written_json_matches_serde_on_awkward_strings() {
    for s in awkward() {
        let p = proxy_with(&s);
        let serde = serde_json::to_string_pretty(&p).unwrap();
        assert_eq!(by_hand(|j| j.proxy(&p)), serde, "string {s:?}");
        let f = Finding::new(Code::BackendNotFound, format!("message {s}"))
            .with_resource(ResourceRef {
                kind: "MeshTCPRoute".into(),
                name: s.clone(),
                namespace: Some(s.clone()),
                mesh: Some(s.clone()),
                context: Some(s.clone()),
            })
            .with_proxy(std::sync::Arc::new(meshtcp::model::ProxyRef {
                mesh: s.as_str().into(),
                name: s.as_str().into(),
                namespace: Some(s.as_str().into()),
                context: Some(s.as_str().into()),
            }))
            .with_location(p.location.clone())
            .on_outbound(s.clone());
        let serde = serde_json::to_string_pretty(&f).unwrap();
        assert_eq!(by_hand(|j| j.finding(&f)), serde, "string {s:?}");
    }
    // The sparse forms: no optional field, empty lists.
    let mut p = proxy_with("x");
    p.namespace = None;
    p.location = None;
    p.context = None;
    p.notes.clear();
    p.tags = Tags::new();
    let mut o = p.outbounds[0].clone();
    o.notes.clear();
    o.legacy_policies.clear();
    o.backends.clear();
    o.policies.clear();
    o.destination.namespace = None;
    o.destination.section_name = None;
    p.outbounds = vec![o].into();
    assert_eq!(
        by_hand(|j| j.proxy(&p)),
        serde_json::to_string_pretty(&p).unwrap()
    );
    p.outbounds = Default::default();
    assert_eq!(
        by_hand(|j| j.proxy(&p)),
        serde_json::to_string_pretty(&p).unwrap()
    );
    let bare = Finding::new(Code::ParseError, "bad");
    assert_eq!(
        by_hand(|j| j.finding(&bare)),
        serde_json::to_string_pretty(&bare).unwrap()
    );
}

#[test]
fn streamed_report_matches_serde_on_every_example_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/examples");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 20, "{} fixtures", dirs.len());
    for dir in dirs {
        let loaded = load(&[Source::Path(dir.clone())]);
        for v in [KumaVersion::DEFAULT, KumaVersion::new(2, 5)] {
            let engine = Engine::new(&loaded.snapshot, v);
            let mut whole = engine.report(&Filter::default());
            let streamed = streamed(&engine, &loaded.findings);
            // What the non-streaming path writes: the loader's findings merged in.
            let mut all = loaded.findings.clone();
            all.append(&mut whole.findings);
            whole.findings = dedup(all);
            assert_eq!(streamed, report::to_json(&whole), "{}, {v}", dir.display());
        }
    }
}

#[test]
fn streamed_report_with_one_proxy_or_none_matches_serde() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/universal");
    let loaded = load(&[Source::Path(dir)]);
    let engine = Engine::new(&loaded.snapshot, KumaVersion::DEFAULT);
    let one = engine.report(&Filter::default()).proxies[0].name.clone();
    for (proxy, proxies) in [(one, 1), ("no-such-proxy".to_string(), 0)] {
        let filter = Filter {
            mesh: None,
            proxy: Some(proxy),
            ..Filter::default()
        };
        let whole = engine.report(&filter);
        assert_eq!(whole.proxies.len(), proxies);
        let mut out = Vec::new();
        report::write_json_streaming(&mut out, &engine, &filter, vec![]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), report::to_json(&whole));
    }
}

#[test]
fn streamed_report_with_findings_in_many_pieces_matches_serde() {
    // A generated mesh with more (grouped) findings than one piece of the parallel
    // findings writer holds (256), on one thread and on three.
    let loaded = many_findings_mesh();
    for threads in [1, 3] {
        let engine = Engine::with_threads(&loaded.snapshot, KumaVersion::DEFAULT, threads);
        let whole = engine.report(&Filter::default());
        assert!(
            whole.findings.len() > 256,
            "{} findings",
            whole.findings.len()
        );
        assert_eq!(
            streamed(&engine, &[]),
            report::to_json(&whole),
            "{threads} threads"
        );
    }
}

#[test]
fn streamed_report_carries_the_loaders_findings() {
    let dir = tempdir_with(&[
        (
            "mesh.yaml",
            include_str!("../../assets/demo/universal/mesh.yaml"),
        ),
        (
            "dataplanes.yaml",
            include_str!("../../assets/demo/universal/dataplanes.yaml"),
        ),
        (
            "routes.yaml",
            include_str!("../../assets/demo/universal/routes.yaml"),
        ),
        ("broken.yaml", "type: Dataplane\nname: [unclosed\n"),
    ]);
    let loaded = load(&[Source::Path(dir.clone())]);
    assert!(
        loaded.findings.iter().any(|f| f.code == Code::ParseError),
        "the broken file gives a finding"
    );
    let engine = Engine::new(&loaded.snapshot, KumaVersion::DEFAULT);
    let text = streamed(&engine, &loaded.findings);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"parse-error"), "{codes:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The streamed JSON report of every proxy, with `extra` (the loader's findings).
fn streamed(engine: &Engine, extra: &[Finding]) -> String {
    let mut out = Vec::new();
    report::write_json_streaming(&mut out, engine, &Filter::default(), extra.to_vec()).unwrap();
    String::from_utf8(out).unwrap()
}

fn tempdir_with(files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("meshtcp-json-writer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

/// `check -o json` written in pieces is serde_json's pretty form of
/// `{schema, kumaVersion, findings}`, also when the pieces split a long list.
#[test]
fn check_json_in_pieces_matches_serde() {
    let loaded = many_findings_mesh();
    let engine = Engine::with_threads(&loaded.snapshot, KumaVersion::DEFAULT, 2);
    for r in [engine.check(&Filter::default()), {
        let mut empty = engine.check(&Filter::default());
        empty.findings.clear();
        empty
    }] {
        let mut want = serde_json::to_string_pretty(&serde_json::json!({
            "schema": r.schema,
            "kumaVersion": r.kuma_version,
            "findings": r.findings,
        }))
        .unwrap();
        want.push('\n');
        for threads in [1, 3] {
            let mut out = Vec::new();
            report::write_check_json(&mut out, &r, threads).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want, "{threads} threads");
        }
    }
}

/// A generated Universal mesh with more grouped findings than one piece of the
/// findings writer holds.
fn many_findings_mesh() -> meshtcp::source::Loaded {
    let shape = meshtcp::synth::UniversalShape {
        proxies: 300,
        services: 120,
        tcp_routes: 500,
        http_routes: 120,
        traffic_routes: 3,
        timeouts: 3,
        ..meshtcp::synth::UniversalShape::large()
    };
    let mut loaded = meshtcp::source::Loaded::default();
    for (path, text) in meshtcp::synth::universal(&shape) {
        loaded.add_text(&path, &text);
    }
    loaded
}
