//! `meshtcp diff` as a library: `Snapshot::apply`, the diff of two resolutions (each
//! change kind, findings added and resolved, order), the version flips of the spec's
//! worked examples, and the three writers.

use meshtcp::model::{Code, Finding, Location, ResourceKind, without_findings_of};
use meshtcp::report::TextOptions;
use meshtcp::report::diff::{self, ChangeKind, Diff, Part};
use meshtcp::resolve::{Engine, Filter, KumaVersion, Report, RouteKind, Status};
use meshtcp::source::{self, Loaded, Source};

fn v(s: &str) -> KumaVersion {
    s.parse().unwrap()
}

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/examples")
            .join(rel),
    )
    .unwrap()
}

/// Files given as (label, text): labels stand for paths, so output does not depend on
/// where the checkout is.
fn load(files: &[(&str, &str)]) -> Loaded {
    let mut l = Loaded::default();
    for (label, text) in files {
        l.add_text(label, text);
    }
    l
}

fn report(l: &Loaded, version: &str) -> Report {
    let e = Engine::new(&l.snapshot, v(version));
    diff::side_report(&e, &Filter::default(), l.findings.clone())
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(|x| x.to_string()).collect()
}

/// The diff of `before` against `after`, both read from one SOURCE each.
fn diff_of(before: &Loaded, after: &Loaded) -> Diff {
    diff::diff(
        &report(before, "2.14"),
        &strings(&["old"]),
        &report(after, "2.14"),
        &strings(&["new"]),
    )
}

fn shared() -> Vec<(String, String)> {
    vec![
        ("shared/mesh.yaml".into(), fixture("shared/mesh.yaml")),
        (
            "shared/dataplanes.yaml".into(),
            fixture("shared/dataplanes.yaml"),
        ),
    ]
}

/// The shared Dataplanes plus `extra` documents, under `dir/`.
fn mesh(dir: &str, extra: &[(&str, &str)]) -> Loaded {
    let mut files: Vec<(String, String)> = shared()
        .into_iter()
        .map(|(l, t)| (format!("{dir}/{l}"), t))
        .collect();
    for (l, t) in extra {
        files.push((format!("{dir}/{l}"), t.to_string()));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    load(&refs)
}

fn split(name: &str, w1: u32, w2: u32) -> String {
    format!(
        "type: MeshTCPRoute\nname: {name}\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: backend}}\n      rules:\n        - default:\n            backendRefs:\n              - {{kind: MeshService, name: backend-v1, weight: {w1}}}\n              - {{kind: MeshService, name: backend-v2, weight: {w2}}}\n"
    )
}

fn only_change(d: &Diff) -> &diff::Change {
    assert_eq!(d.changes.len(), 1, "{:#?}", d.changes);
    &d.changes[0]
}

// ------------------------------------------------------------------ Snapshot::apply

fn route(name: &str, backend: &str) -> String {
    format!(
        "type: MeshTCPRoute\nname: {name}\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: backend}}\n      rules: [{{default: {{backendRefs: [{{kind: MeshService, name: {backend}}}]}}}}]\n"
    )
}

fn names(l: &Loaded) -> Vec<String> {
    l.snapshot
        .resources
        .iter()
        .map(|r| match &r.body {
            meshtcp::model::Body::Route(s) => {
                let to = &s.to.as_ref().unwrap()[0];
                let b = &to.rules.as_ref().unwrap()[0]
                    .default
                    .as_ref()
                    .unwrap()
                    .backend_refs
                    .as_ref()
                    .unwrap()[0];
                format!("{}>{}", r.meta.name, b.name.as_deref().unwrap_or(""))
            }
            _ => r.meta.name.clone(),
        })
        .collect()
}

#[test]
fn apply_replaces_in_place_adds_at_the_end_and_deletes() {
    let mut base = load(&[(
        "base.yaml",
        &[route("a", "v1"), route("b", "v1"), route("c", "v1")].join("---\n"),
    )]);
    let changes = load(&[(
        "change.yaml",
        &[route("b", "v2"), route("d", "v2")].join("---\n"),
    )]);
    let delete = load(&[("delete.yaml", &route("a", "ignored"))]);
    let gone = base
        .snapshot
        .apply(changes.snapshot.resources, &delete.snapshot.resources);
    assert_eq!(names(&base), ["b>v2", "c>v1", "d>v2"]);
    let gone: Vec<String> = gone
        .iter()
        .map(|r| format!("{}@{}", r.meta.name, r.meta.origin))
        .collect();
    assert_eq!(gone, ["a@base.yaml:1", "b@base.yaml:10"]);
}

#[test]
fn apply_keys_on_kind_mesh_namespace_and_name() {
    let other_mesh = route("a", "v2").replace("mesh: default", "mesh: other");
    let other_kind = route("a", "v2").replace("MeshTCPRoute", "MeshHTTPRoute");
    let mut base = load(&[("base.yaml", &route("a", "v1"))]);
    let changes = load(&[("c.yaml", &[other_mesh, other_kind].join("---\n"))]);
    let gone = base.snapshot.apply(changes.snapshot.resources, &[]);
    assert!(gone.is_empty(), "another mesh or kind is another resource");
    assert_eq!(base.snapshot.resources.len(), 3);
    let kinds: Vec<(ResourceKind, &str)> = base
        .snapshot
        .resources
        .iter()
        .map(|r| (r.meta.kind, r.meta.mesh.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (ResourceKind::MeshTCPRoute, "default"),
            (ResourceKind::MeshTCPRoute, "other"),
            (ResourceKind::MeshHTTPRoute, "default"),
        ]
    );
}

#[test]
fn apply_leaves_one_object_of_a_duplicated_identity_and_the_last_change_wins() {
    let mut base = load(&[(
        "base.yaml",
        &[route("a", "v1"), route("x", "v1"), route("a", "v3")].join("---\n"),
    )]);
    let changes = load(&[(
        "c.yaml",
        &[
            route("a", "v2"),
            route("a", "v4"),
            route("nn", "v1"),
            route("nn", "v2"),
        ]
        .join("---\n"),
    )]);
    let gone = base.snapshot.apply(changes.snapshot.resources, &[]);
    assert_eq!(names(&base), ["a>v4", "x>v1", "nn>v2"]);
    // Both input copies of `a` left; the first change of `a` was not input.
    assert_eq!(gone.len(), 2);
}

#[test]
fn findings_about_replaced_documents_go_others_stay() {
    let base = load(&[(
        "base.yaml",
        &[route("a", "v1"), route("b", "v1")].join("---\n"),
    )]);
    let at = |line| {
        Finding::new(Code::UnknownField, "x").with_location(Some(Location {
            file: "base.yaml".into(),
            line,
        }))
    };
    let findings = vec![at(1), at(10), Finding::new(Code::ParseError, "no location")];
    let gone = vec![base.snapshot.resources[1].clone()];
    let kept = without_findings_of(findings, &gone);
    let lines: Vec<Option<u32>> = kept
        .iter()
        .map(|f| f.location.as_ref().map(|l| l.line))
        .collect();
    assert_eq!(lines, [Some(1), None]);
}

// ------------------------------------------------------------------ change kinds

#[test]
fn the_same_input_has_no_change_and_exit_code_0() {
    let a = mesh("old", &[("r.yaml", &split("split", 90, 10))]);
    let b = mesh("new", &[("r.yaml", &split("split", 90, 10))]);
    let d = diff_of(&a, &b);
    assert!(d.is_empty(), "{d:#?}");
    assert_eq!(d.exit_code(), 0);
    assert_eq!(d.summary, diff::Summary::default());
}

#[test]
fn a_weight_change_is_a_backends_change() {
    let a = mesh("old", &[("r.yaml", &split("split", 90, 10))]);
    let b = mesh("new", &[("r.yaml", &split("split", 50, 50))]);
    let d = diff_of(&a, &b);
    assert_eq!(d.exit_code(), 1);
    let c = only_change(&d);
    assert_eq!(c.change, ChangeKind::Changed);
    assert_eq!(c.what, [Part::Backends]);
    assert_eq!(
        (c.proxy.mesh.as_str(), c.proxy.name.as_str()),
        ("default", "web-1")
    );
    assert_eq!(c.destination.label(), "backend:10001");
    let shares = |o: &Option<meshtcp::resolve::OutboundReport>| -> Vec<f64> {
        o.as_ref()
            .unwrap()
            .backends
            .iter()
            .map(|b| b.share)
            .collect()
    };
    assert_eq!(shares(&c.before), [0.9, 0.1]);
    assert_eq!(shares(&c.after), [0.5, 0.5]);
    assert_eq!(
        (d.summary.proxies, d.summary.outbounds, d.summary.changed),
        (1, 1, 1)
    );
}

#[test]
fn a_route_change_with_its_backends_policies_and_findings() {
    let legacy = fixture("e9/legacy.yaml");
    let a = mesh("old", &[("legacy.yaml", &legacy)]);
    let b = mesh(
        "new",
        &[
            ("legacy.yaml", &legacy),
            ("split.yaml", &split("split-90-10", 90, 10)),
        ],
    );
    let d = diff_of(&a, &b);
    let backend = d
        .changes
        .iter()
        .find(|c| c.destination.name == "backend")
        .expect("backend changed");
    assert_eq!(backend.what, [Part::Route, Part::Backends, Part::Policies]);
    assert_eq!(
        backend.before.as_ref().unwrap().route,
        RouteKind::TrafficRoute
    );
    assert_eq!(
        backend.after.as_ref().unwrap().route,
        RouteKind::MeshTCPRoute
    );
    let status = |o: &Option<meshtcp::resolve::OutboundReport>, name: &str| {
        o.as_ref().unwrap().policy(name).map(|p| p.status)
    };
    assert_eq!(status(&backend.before, "route-all"), Some(Status::Applied));
    assert_eq!(
        status(&backend.after, "route-all"),
        Some(Status::Overridden)
    );
    assert_eq!(status(&backend.before, "split-90-10"), None);
    let added: Vec<Code> = d.findings.added.iter().map(|f| f.code).collect();
    assert!(added.contains(&Code::TrafficrouteOverridden), "{added:?}");
    assert!(d.findings.resolved.is_empty(), "{:#?}", d.findings.resolved);
}

#[test]
fn a_status_change_alone_is_a_policies_change() {
    // A second Mesh-level route with the same split whose name sorts after: overridden,
    // and nothing else of the outbound moves.
    let a = mesh("old", &[("r.yaml", &split("split", 90, 10))]);
    let b = mesh(
        "new",
        &[
            ("r.yaml", &split("split", 90, 10)),
            ("z.yaml", &split("zz-lower", 90, 10)),
        ],
    );
    let d = diff_of(&a, &b);
    let c = only_change(&d);
    assert_eq!(c.what, [Part::Policies]);
    assert_eq!(
        c.after.as_ref().unwrap().policy("zz-lower").unwrap().status,
        Status::Overridden
    );
}

#[test]
fn outbounds_added_and_removed_sorted_by_destination() {
    let a = mesh("old", &[]);
    let dps = fixture("shared/dataplanes.yaml").replace(
        "    - port: 10003\n      tags:\n        kuma.io/service: api\n",
        "    - port: 10004\n      tags:\n        kuma.io/service: cache\n    - port: 10000\n      tags:\n        kuma.io/service: auth\n",
    );
    assert_ne!(dps, fixture("shared/dataplanes.yaml"));
    let b = load(&[
        ("new/shared/mesh.yaml", &fixture("shared/mesh.yaml")),
        ("new/shared/dataplanes.yaml", &dps),
    ]);
    let d = diff_of(&a, &b);
    let got: Vec<(String, ChangeKind)> = d
        .changes
        .iter()
        .map(|c| (c.destination.label(), c.change))
        .collect();
    assert_eq!(
        got,
        [
            ("api:10003".to_string(), ChangeKind::Removed),
            ("auth:10000".to_string(), ChangeKind::Added),
            ("cache:10004".to_string(), ChangeKind::Added),
        ]
    );
    let removed = &d.changes[0];
    assert!(removed.after.is_none() && removed.before.is_some());
    assert_eq!(
        removed.what,
        [Part::Route, Part::Backends, Part::Policies, Part::Protocol]
    );
    assert!(d.changes[1].before.is_none() && d.changes[1].after.is_some());
    assert_eq!(
        (d.summary.added, d.summary.removed, d.summary.changed),
        (2, 1, 0)
    );
}

#[test]
fn a_protocol_change_is_a_protocol_change() {
    let a = mesh("old", &[("r.yaml", &split("split", 90, 10))]);
    let dps = fixture("shared/dataplanes.yaml").replace(
        "        kuma.io/service: db\n        kuma.io/protocol: tcp\n",
        "        kuma.io/service: db\n        kuma.io/protocol: http\n",
    );
    assert_ne!(dps, fixture("shared/dataplanes.yaml"));
    let b = load(&[
        ("new/shared/mesh.yaml", &fixture("shared/mesh.yaml")),
        ("new/shared/dataplanes.yaml", &dps),
        ("new/r.yaml", &split("split", 90, 10)),
    ]);
    let d = diff_of(&a, &b);
    let db = d
        .changes
        .iter()
        .find(|c| c.destination.name == "db")
        .unwrap_or_else(|| panic!("db changed: {:#?}", d.changes));
    assert!(db.what.contains(&Part::Protocol), "{:?}", db.what);
    assert_eq!(db.before.as_ref().unwrap().protocol, "tcp");
    assert_eq!(db.after.as_ref().unwrap().protocol, "http");
}

#[test]
fn findings_are_compared_below_their_source() {
    // backend-not-found, from the same file under old/ and under new/.
    let missing = route("r", "nowhere");
    let a = mesh("old", &[("r.yaml", &missing)]);
    let b = mesh("new", &[("r.yaml", &missing)]);
    let (ra, rb) = (report(&a, "2.14"), report(&b, "2.14"));
    assert!(
        ra.findings.iter().any(|f| f.code == Code::BackendNotFound),
        "{:#?}",
        ra.findings
    );
    let d = diff::diff(&ra, &strings(&["old"]), &rb, &strings(&["new/"]));
    assert!(d.is_empty(), "{:#?}", d.findings);
    // Read as other SOURCEs, they are other files: every finding resolved and added.
    let d = diff::diff(&ra, &strings(&["x"]), &rb, &strings(&["y"]));
    assert_eq!(d.findings.added.len(), rb.findings.len());
    assert_eq!(d.findings.resolved.len(), ra.findings.len());
    assert!(d.changes.is_empty());
    // A CHANGES file given to --apply is named by its file name: `pr/r.yaml` is `r.yaml`.
    let (m, dp) = (
        fixture("shared/mesh.yaml"),
        fixture("shared/dataplanes.yaml"),
    );
    let pr = load(&[
        ("old/shared/mesh.yaml", &m),
        ("old/shared/dataplanes.yaml", &dp),
        ("pr/r.yaml", &missing),
    ]);
    let rp = report(&pr, "2.14");
    let not_found = |r: &Report| {
        r.findings
            .iter()
            .filter(|f| f.code == Code::BackendNotFound)
            .map(|f| f.location.as_ref().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(not_found(&rp), ["pr/r.yaml:1"]);
    let d = diff::diff(
        &ra,
        &strings(&["old"]),
        &rp,
        &strings(&["old", "pr/r.yaml"]),
    );
    assert!(d.is_empty(), "{:#?}", d.findings);
    // Two single files are the one file they are compared as.
    let whole = format!("{m}---\n{dp}---\n{missing}");
    let (one, two) = (load(&[("a.yaml", &whole)]), load(&[("b.yaml", &whole)]));
    let (r1, r2) = (report(&one, "2.14"), report(&two, "2.14"));
    assert_eq!(not_found(&r1).len(), 1);
    let d = diff::diff(&r1, &strings(&["a.yaml"]), &r2, &strings(&["b.yaml"]));
    assert!(d.is_empty(), "{:#?}", d.findings);
    // A finding whose document moved down a line is another finding.
    let b2 = mesh("new", &[("r.yaml", &format!("# moved\n{missing}"))]);
    let d = diff::diff(
        &ra,
        &strings(&["old"]),
        &report(&b2, "2.14"),
        &strings(&["new"]),
    );
    assert!(
        d.findings
            .added
            .iter()
            .any(|f| f.code == Code::BackendNotFound)
            && d.findings
                .resolved
                .iter()
                .any(|f| f.code == Code::BackendNotFound),
        "{:#?}",
        d.findings
    );
}

#[test]
fn changes_are_sorted_by_mesh_proxy_and_destination() {
    let demo = source::load(&[Source::Demo]);
    let d = diff::diff(
        &report(&demo, "2.5"),
        &strings(&["demo"]),
        &report(&demo, "2.14"),
        &strings(&["demo"]),
    );
    assert!(d.summary.proxies > 1, "{:?}", d.summary);
    let keys: Vec<_> = d
        .changes
        .iter()
        .map(|c| {
            (
                c.proxy.clone(),
                c.destination.kind.clone(),
                c.destination.namespace.clone(),
                c.destination.name.clone(),
                c.destination.port,
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let mut proxies: Vec<_> = keys.iter().map(|k| k.0.clone()).collect();
    proxies.dedup();
    assert_eq!(proxies.len(), d.summary.proxies);
}

// ------------------------------------------------------------------ version flips

const VERSIONS: [&str; 12] = [
    "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "2.13", "2.14",
];

/// The diff of `files` between each pair of consecutive versions.
fn steps(files: &[(&str, &str)]) -> Vec<(&'static str, &'static str, Diff)> {
    let l = load(files);
    let src = strings(&["x"]);
    VERSIONS
        .windows(2)
        .map(|w| {
            let d = diff::diff(&report(&l, w[0]), &src, &report(&l, w[1]), &src);
            (w[0], w[1], d)
        })
        .collect()
}

#[test]
fn e3_the_applied_route_flips_exactly_between_2_5_and_2_6() {
    let (m, dp, e3) = (
        fixture("shared/mesh.yaml"),
        fixture("shared/dataplanes.yaml"),
        fixture("e3/routes.yaml"),
    );
    let files = [
        ("mesh.yaml", m.as_str()),
        ("dp.yaml", &dp),
        ("e3.yaml", &e3),
    ];
    for (from, to, d) in steps(&files) {
        let backend = d.changes.iter().find(|c| c.destination.name == "backend");
        if (from, to) != ("2.5", "2.6") {
            assert!(backend.is_none(), "{from} → {to}: {backend:#?}");
            continue;
        }
        let c = backend.expect("backend changes between 2.5 and 2.6");
        assert_eq!(c.what, [Part::Backends, Part::Policies]);
        let (b, a) = (c.before.as_ref().unwrap(), c.after.as_ref().unwrap());
        assert_eq!(b.backends[0].name, "backend-v2");
        assert_eq!(a.backends[0].name, "backend-v1");
        assert_eq!(b.policy("beta").unwrap().status, Status::Applied);
        assert_eq!(a.policy("alpha").unwrap().status, Status::Applied);
        assert_eq!(a.policy("beta").unwrap().status, Status::Overridden);
    }
}

#[test]
fn e9_the_trafficroute_takeover_starts_exactly_at_2_6() {
    let (m, dp, legacy, split) = (
        fixture("shared/mesh.yaml"),
        fixture("shared/dataplanes.yaml"),
        fixture("e9/legacy.yaml"),
        fixture("e9/split-90-10.yaml"),
    );
    let files = [
        ("mesh.yaml", m.as_str()),
        ("dp.yaml", &dp),
        ("legacy.yaml", &legacy),
        ("split.yaml", &split),
    ];
    for (from, to, d) in steps(&files) {
        let db = d.changes.iter().find(|c| c.destination.name == "db");
        let unmatched = d
            .findings
            .added
            .iter()
            .any(|f| f.code == Code::LegacyPolicyUnmatched);
        if (from, to) != ("2.5", "2.6") {
            assert!(db.is_none() && !unmatched, "{from} → {to}: {d:#?}");
            continue;
        }
        let c = db.expect("db changes between 2.5 and 2.6");
        assert_eq!(c.before.as_ref().unwrap().route, RouteKind::TrafficRoute);
        assert_eq!(c.after.as_ref().unwrap().route, RouteKind::Default);
        assert_eq!(
            c.after
                .as_ref()
                .unwrap()
                .policy("route-all")
                .unwrap()
                .status,
            Status::Overridden
        );
        assert!(unmatched, "db-timeout stops applying: {:#?}", d.findings);
    }
}

#[test]
fn a_kubernetes_to_item_without_rules_starts_being_rejected_at_2_10() {
    let k8s = fixture("e5-k8s/routes.yaml");
    for (from, to, d) in steps(&[("routes.yaml", &k8s)]) {
        let rejected = d
            .findings
            .added
            .iter()
            .any(|f| f.code == Code::InvalidResource);
        assert_eq!(
            rejected,
            (from, to) == ("2.9", "2.10"),
            "{from} → {to}: {d:#?}"
        );
    }
}

// ------------------------------------------------------------------ writers

/// E9's route change (a MeshTCPRoute added next to a TrafficRoute): a changed outbound
/// with every part, findings added; plus an outbound removed and one added.
fn sample() -> Diff {
    let legacy = fixture("e9/legacy.yaml");
    let a = mesh("old", &[("legacy.yaml", &legacy)]);
    let dps = fixture("shared/dataplanes.yaml").replace(
        "    - port: 10003\n      tags:\n        kuma.io/service: api\n",
        "    - port: 10004\n      tags:\n        kuma.io/service: cache\n",
    );
    let b = load(&[
        ("new/shared/mesh.yaml", &fixture("shared/mesh.yaml")),
        ("new/shared/dataplanes.yaml", &dps),
        ("new/legacy.yaml", &legacy),
        ("new/split.yaml", &split("split-90-10", 90, 10)),
    ]);
    diff_of(&a, &b)
}

#[test]
fn text_of_a_diff() {
    insta::assert_snapshot!(diff::render_text(
        &sample(),
        TextOptions {
            color: false,
            verbose: false
        }
    ));
}

#[test]
fn json_of_a_diff() {
    insta::assert_snapshot!(diff::to_json(&sample()));
}

#[test]
fn markdown_of_a_diff() {
    insta::assert_snapshot!(diff::render_markdown(&sample()));
}

#[test]
fn text_of_a_version_diff() {
    let (m, dp, e3) = (
        fixture("shared/mesh.yaml"),
        fixture("shared/dataplanes.yaml"),
        fixture("e3/routes.yaml"),
    );
    let l = load(&[
        ("shared/mesh.yaml", &m),
        ("shared/dataplanes.yaml", &dp),
        ("e3/routes.yaml", &e3),
    ]);
    let src = strings(&["shared", "e3"]);
    let d = diff::diff(&report(&l, "2.5"), &src, &report(&l, "2.6"), &src);
    insta::assert_snapshot!(diff::render_text(
        &d,
        TextOptions {
            color: false,
            verbose: false
        }
    ));
}

#[test]
fn no_change_in_every_format() {
    let a = mesh("old", &[]);
    let d = diff_of(&a, &mesh("new", &[]));
    let text = diff::render_text(
        &d,
        TextOptions {
            color: false,
            verbose: false,
        },
    );
    assert_eq!(
        text.lines().next().unwrap(),
        "meshtcp diff · Kuma 2.14 · no change"
    );
    assert_eq!(
        diff::render_markdown(&d).lines().next().unwrap(),
        "**meshtcp diff**: no change"
    );
    let v: serde_json::Value = serde_json::from_str(&diff::to_json(&d)).unwrap();
    assert_eq!(v["changes"], serde_json::json!([]));
    assert_eq!(
        v["findings"],
        serde_json::json!({"added": [], "resolved": []})
    );
}

#[test]
fn json_keeps_the_contract_names() {
    let v: serde_json::Value = serde_json::from_str(&diff::to_json(&sample())).unwrap();
    assert_eq!(v["schema"], "meshtcp.diff/v1");
    assert_eq!(v["before"]["sources"], serde_json::json!(["old"]));
    assert_eq!(v["after"]["kumaVersion"], "2.14");
    let keys: Vec<&str> = v["summary"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "proxies",
            "outbounds",
            "added",
            "removed",
            "changed",
            "findingsAdded",
            "findingsResolved"
        ]
    );
    let changes = v["changes"].as_array().unwrap();
    let added = changes.iter().find(|c| c["change"] == "added").unwrap();
    assert!(
        added["before"].is_null(),
        "an added outbound has before: null"
    );
    let removed = changes.iter().find(|c| c["change"] == "removed").unwrap();
    assert!(
        removed["after"].is_null(),
        "a removed outbound has after: null"
    );
    let changed = changes.iter().find(|c| c["change"] == "changed").unwrap();
    assert_eq!(
        changed["what"],
        serde_json::json!(["route", "backends", "policies"])
    );
    assert_eq!(
        changed["proxy"],
        serde_json::json!({"mesh": "default", "name": "web-1"})
    );
    assert_eq!(changed["after"]["route"], "MeshTCPRoute");
    assert_eq!(changed["after"]["backends"][0]["share"], 0.9);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\x1b' {
            for d in it.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn colour_is_a_second_channel_only() {
    let d = sample();
    let plain = diff::render_text(
        &d,
        TextOptions {
            color: false,
            verbose: false,
        },
    );
    let colour = diff::render_text(
        &d,
        TextOptions {
            color: true,
            verbose: false,
        },
    );
    assert!(colour.contains("\x1b[32m+ added"), "{colour}");
    assert!(!plain.contains('\x1b'));
    assert_eq!(strip_ansi(&colour), plain);
}

#[test]
fn markdown_escapes_what_the_input_says() {
    let dps = fixture("shared/dataplanes.yaml").replace("name: web-1", "name: \"web|1<b>*x*\"");
    let a = load(&[("old/dp.yaml", &dps)]);
    let b = load(&[
        ("new/dp.yaml", &dps),
        ("new/r.yaml", &split("split", 90, 10)),
    ]);
    let md = diff::render_markdown(&diff_of(&a, &b));
    assert!(
        md.contains("#### web\\|1\\<b\\>\\*x\\* · mesh default"),
        "{md}"
    );
    for row in md.lines().filter(|l| l.starts_with("| ~")) {
        // Six cell borders: no name adds one.
        assert_eq!(
            row.matches('|').count() - row.matches("\\|").count(),
            6,
            "{row}"
        );
    }
}

#[test]
fn markdown_lists_a_bounded_number_of_proxies() {
    let mut dps = String::new();
    for i in 0..(diff::MARKDOWN_MAX_PROXIES + 3) {
        dps.push_str(&format!(
            "type: Dataplane\nname: w-{i}\nmesh: default\nnetworking:\n  address: 10.1.0.{}\n  inbound: [{{port: 8080, tags: {{kuma.io/service: web}}}}]\n  outbound: [{{port: 10001, tags: {{kuma.io/service: backend}}}}]\n---\n",
            i % 250
        ));
    }
    dps.push_str(&fixture("shared/dataplanes.yaml"));
    let a = load(&[("old/dp.yaml", &dps)]);
    let b = load(&[
        ("new/dp.yaml", &dps),
        ("new/r.yaml", &split("split", 90, 10)),
    ]);
    let d = diff_of(&a, &b);
    assert_eq!(d.summary.proxies, diff::MARKDOWN_MAX_PROXIES + 4);
    let md = diff::render_markdown(&d);
    assert_eq!(md.matches("\n#### ").count(), diff::MARKDOWN_MAX_PROXIES);
    assert!(md.contains("… and 4 more proxies"), "{md}");
}

// ------------------------------------------------------------------ streamed = whole

/// `diff_engines` (what the command runs: no report held) gives `diff` of the reports.
fn both_ways(before: &Loaded, bv: &str, after: &Loaded, av: &str, filter: &Filter) {
    let (eb, ea) = (
        Engine::new(&before.snapshot, v(bv)),
        Engine::new(&after.snapshot, v(av)),
    );
    let (sb, sa) = (strings(&["old"]), strings(&["new"]));
    let whole = diff::diff(
        &diff::side_report(&eb, filter, before.findings.clone()),
        &sb,
        &diff::side_report(&ea, filter, after.findings.clone()),
        &sa,
    );
    let streamed = diff::diff_engines(
        diff::Input {
            engine: &eb,
            load_findings: before.findings.clone(),
            sources: sb.clone(),
        },
        diff::Input {
            engine: &ea,
            load_findings: after.findings.clone(),
            sources: sa.clone(),
        },
        filter,
    );
    assert!(!whole.is_empty() || before.snapshot.resources == after.snapshot.resources);
    assert_eq!(streamed, whole);
}

#[test]
fn the_streamed_diff_is_the_diff_of_the_reports() {
    let demo = source::load(&[Source::Demo]);
    both_ways(&demo, "2.5", &demo, "2.14", &Filter::default());
    both_ways(&demo, "2.14", &demo, "2.14", &Filter::default());
    let web1 = Filter {
        proxy: Some("web-1".into()),
        ..Filter::default()
    };
    both_ways(&demo, "2.5", &demo, "2.14", &web1);
    // Proxies only before, only after, and changed outbounds in between.
    let legacy = fixture("e9/legacy.yaml");
    let a = mesh("old", &[("legacy.yaml", &legacy)]);
    let dps = fixture("shared/dataplanes.yaml")
        .replace("name: web-1", "name: web-9")
        .replace("    - port: 10003\n", "    - port: 10005\n");
    let b = load(&[
        ("new/shared/mesh.yaml", &fixture("shared/mesh.yaml")),
        ("new/shared/dataplanes.yaml", &dps),
        ("new/legacy.yaml", &legacy),
        ("new/split.yaml", &split("split-90-10", 90, 10)),
    ]);
    both_ways(&a, "2.14", &b, "2.14", &Filter::default());
    both_ways(&b, "2.5", &a, "2.14", &Filter::default());
}
