//! Bad input never stops the load: every kind gives a located finding or is skipped,
//! and the good resources around it still load.

use meshtcp::model::{Code, Finding};
use meshtcp::source::{Loaded, Source, load};
use std::fs;
use std::path::Path;

const GOOD: &str = "type: Mesh\nname: default\n---\ntype: Dataplane\nname: web-1\nmesh: default\nnetworking:\n  address: 10.0.0.1\n  inbound: [{port: 8080, tags: {kuma.io/service: web}}]\n";

fn load_dir(dir: &Path) -> Loaded {
    load(&[Source::Path(dir.to_path_buf())])
}

fn codes(l: &Loaded) -> Vec<(Code, String, u32)> {
    l.findings
        .iter()
        .map(|f: &Finding| {
            let loc = f.location.clone().unwrap();
            (
                f.code,
                Path::new(&*loc.file)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                loc.line,
            )
        })
        .collect()
}

/// A directory with a good file plus `name` holding `bad`.
fn with_bad(name: &str, bad: &[u8]) -> (tempfile::TempDir, Loaded) {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("good.yaml"), GOOD).unwrap();
    fs::write(d.path().join(name), bad).unwrap();
    let l = load_dir(d.path());
    assert_eq!(
        l.resources().len(),
        2,
        "the good file still loads: {:?}",
        l.findings
    );
    (d, l)
}

#[test]
fn invalid_yaml_is_a_parse_error_at_its_line_and_later_documents_load() {
    let text = format!(
        "{GOOD}---\ntype: MeshTCPRoute\nname: broken\nmesh: default\nspec: {{to: [\n---\ntype: Mesh\nname: other\n"
    );
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("routes.yaml"), text).unwrap();
    let l = load_dir(d.path());
    assert_eq!(
        codes(&l),
        vec![(Code::ParseError, "routes.yaml".into(), 14)],
        "located at the error's line, not the document's first (11)"
    );
    assert!(
        l.findings[0].message.contains("line 14"),
        "names the error line: {}",
        l.findings[0].message
    );
    let names: Vec<&str> = l.resources().iter().map(|r| r.meta.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["default", "web-1", "other"],
        "documents before and after still load"
    );
}

#[test]
fn a_document_that_is_not_a_mapping_is_a_parse_error() {
    let (_d, l) = with_bad("list.yaml", b"- a\n- b\n---\njust a string\n");
    let c = codes(&l);
    assert_eq!(
        c.iter().map(|x| (x.0, x.2)).collect::<Vec<_>>(),
        vec![(Code::ParseError, 1), (Code::ParseError, 4)]
    );
}

#[test]
fn a_mapping_that_is_not_a_resource_is_a_parse_error() {
    let (_d, l) = with_bad("values.yaml", b"replicaCount: 3\nimage: kuma\n");
    assert_eq!(codes(&l), vec![(Code::ParseError, "values.yaml".into(), 1)]);
    assert!(l.findings[0].message.contains("not a resource"));
}

#[test]
fn a_resource_without_mesh_is_invalid_and_left_out() {
    let (_d, l) = with_bad(
        "dp.yaml",
        b"type: Dataplane\nname: orphan\nnetworking: {address: 1.2.3.4}\n",
    );
    assert_eq!(
        codes(&l),
        vec![(Code::InvalidResource, "dp.yaml".into(), 1)]
    );
    assert!(l.findings[0].message.contains("no `mesh`"));
}

#[test]
fn a_field_of_the_wrong_type_names_its_path() {
    let bad = b"type: MeshTCPRoute\nname: r\nmesh: default\nspec:\n  to:\n    - targetRef: {kind: MeshService, name: a}\n      rules: [{default: {backendRefs: [{kind: MeshService, name: b, weight: -3}]}}]\n";
    let (_d, l) = with_bad("r.yaml", bad);
    assert_eq!(l.findings.len(), 1);
    assert_eq!(l.findings[0].code, Code::InvalidResource);
    assert!(
        l.findings[0].message.contains("weight"),
        "{}",
        l.findings[0].message
    );
}

#[test]
fn numbers_that_overflow_are_invalid_resources() {
    let bad = b"type: Dataplane\nname: big\nmesh: default\nnetworking:\n  inbound: [{port: 99999999999999999999, tags: {kuma.io/service: x}}]\n";
    let (_d, l) = with_bad("big.yaml", bad);
    assert_eq!(l.findings.len(), 1, "{:?}", l.findings);
    assert!(matches!(
        l.findings[0].code,
        Code::InvalidResource | Code::ParseError
    ));
}

#[test]
fn non_utf8_and_binary_files_are_skipped_with_a_finding() {
    let (_d, l) = with_bad("latin1.yaml", b"type: Mesh\nname: caf\xe9\n");
    assert_eq!(codes(&l), vec![(Code::ParseError, "latin1.yaml".into(), 2)]);
    let (_d, l) = with_bad("blob.json", &[0x7f, b'E', b'L', b'F', 0, 0, 1, 2]);
    assert_eq!(codes(&l)[0].0, Code::ParseError);
    assert!(l.findings[0].message.contains("binary"));
}

#[test]
fn alias_bombs_are_refused() {
    let mut t = String::from("type: Mesh\nname: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..25 {
        let p = i - 1;
        t.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let (_d, l) = with_bad("bomb.yaml", t.as_bytes());
    assert_eq!(codes(&l)[0].0, Code::ParseError);
    let m = &l.findings[0].message;
    assert!(m.contains("too large for meshtcp's limits"), "{m}");
    assert!(!m.contains("budget") && !m.contains("ScalarBytes"), "{m}");
}

#[test]
fn very_deep_nesting_is_refused() {
    let t = format!(
        "type: Mesh\nname: deep\nx: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let (_d, l) = with_bad("deep.yaml", t.as_bytes());
    assert_eq!(codes(&l)[0].0, Code::ParseError);
    let m = &l.findings[0].message;
    assert!(m.ends_with("nested deeper than 64 levels"), "{m}");
}

#[test]
fn duplicate_keys_are_a_parse_error() {
    let (_d, l) = with_bad("dup.yaml", b"type: Mesh\nname: a\nname: b\n");
    assert_eq!(codes(&l), vec![(Code::ParseError, "dup.yaml".into(), 3)]);
    assert!(
        l.findings[0]
            .message
            .ends_with("duplicate key `name`: a mapping holds each key once"),
        "{}",
        l.findings[0].message
    );
}

#[test]
fn a_huge_scalar_loads_within_the_per_file_limit() {
    let t = format!(
        "type: Mesh\nname: huge\nlabels: {{note: \"{}\"}}\n",
        "x".repeat(5_000_000)
    );
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("huge.yaml"), t).unwrap();
    let l = load_dir(d.path());
    assert_eq!(l.resources().len(), 1, "{:?}", l.findings);
}

#[test]
fn a_file_over_the_limit_is_not_read() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("good.yaml"), GOOD).unwrap();
    let f = fs::File::create(d.path().join("huge.yaml")).unwrap();
    f.set_len(meshtcp::source::MAX_FILE_BYTES + 1).unwrap(); // sparse: no disk used
    let l = load_dir(d.path());
    assert_eq!(l.resources().len(), 2);
    assert_eq!(
        codes(&l),
        vec![(Code::SourceUnreadable, "huge.yaml".into(), 1)]
    );
    assert!(l.findings[0].message.contains("per-file limit"));
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_directories_named_yaml_are_walked_safely() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("good.yaml"), GOOD).unwrap();
    let sub = d.path().join("policies.yaml"); // a directory with a manifest-like name
    fs::create_dir(&sub).unwrap();
    fs::write(sub.join("mesh.yml"), "type: Mesh\nname: second\n").unwrap();
    std::os::unix::fs::symlink(d.path(), sub.join("loop")).unwrap();
    std::os::unix::fs::symlink(
        d.path().join("nowhere.yaml"),
        d.path().join("dangling.yaml"),
    )
    .unwrap();
    let l = load_dir(d.path());
    assert_eq!(l.resources().len(), 3, "{:?}", l.findings);
    assert_eq!(
        codes(&l),
        vec![(Code::SourceUnreadable, "dangling.yaml".into(), 1)]
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_in_a_directory_is_skipped_not_read() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("good.yaml"), GOOD).unwrap();
    let fifo = d.path().join("pipe.yaml");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: mkfifo not available");
        return;
    }
    let l = load_dir(d.path()); // would hang forever if the FIFO were opened
    assert_eq!(l.resources().len(), 2);
    assert_eq!(
        codes(&l),
        vec![(Code::SourceUnreadable, "pipe.yaml".into(), 1)]
    );
}

#[test]
fn bom_and_crlf_are_valid_input() {
    let d = tempfile::tempdir().unwrap();
    let text = format!("\u{feff}{}", GOOD.replace('\n', "\r\n"));
    fs::write(d.path().join("windows.yaml"), text).unwrap();
    let l = load_dir(d.path());
    assert!(l.findings.is_empty(), "{:?}", l.findings);
    assert_eq!(l.resources().len(), 2);
    assert_eq!(
        l.resources()[1].meta.origin.to_string(),
        format!("{}:4", d.path().join("windows.yaml").display())
    );
}

#[test]
fn unknown_kuma_kinds_are_info_and_foreign_objects_are_counted() {
    let text = "apiVersion: kuma.io/v1alpha1\nkind: MeshRetry\nmetadata: {name: r, namespace: kuma-system}\nspec: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\ntype: MeshTimeout\nname: t\nmesh: default\n";
    let (_d, l) = with_bad("mixed.yaml", text.as_bytes());
    assert_eq!(
        l.findings
            .iter()
            .map(|f| (f.code, f.severity.as_str()))
            .collect::<Vec<_>>(),
        vec![(Code::UnknownKind, "info"), (Code::UnknownKind, "info")]
    );
    assert_eq!(l.stats.foreign, 1);
}

#[test]
fn kind_list_items_keep_their_own_lines() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: kuma.io/v1alpha1\n  kind: Mesh\n  metadata: {name: a}\n- apiVersion: kuma.io/v1alpha1\n  kind: Mesh\n  metadata: {name: b}\n";
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("list.yaml"), text).unwrap();
    let l = load_dir(d.path());
    let lines: Vec<String> = l
        .resources()
        .iter()
        .map(|r| r.meta.origin.to_string())
        .collect();
    assert!(
        lines[0].ends_with("list.yaml:4") && lines[1].ends_with("list.yaml:7"),
        "{lines:?}"
    );
}

#[test]
fn json_files_and_json_lists_load() {
    let d = tempfile::tempdir().unwrap();
    fs::write(
        d.path().join("dump.json"),
        r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "kuma.io/v1alpha1", "kind": "Mesh", "metadata": {"name": "default"}},
  {"apiVersion": "kuma.io/v1alpha1", "kind": "MeshTCPRoute", "metadata": {"name": "r", "namespace": "kuma-system", "labels": {"kuma.io/mesh": "default"}},
   "spec": {"to": [{"targetRef": {"kind": "MeshService", "name": "a"}, "rules": [{"default": {"backendRefs": [{"kind": "MeshService", "name": "b"}]}}]}]}}
]}"#,
    )
    .unwrap();
    let l = load_dir(d.path());
    assert!(l.findings.is_empty(), "{:?}", l.findings);
    assert_eq!(l.resources().len(), 2);
    assert_eq!(
        l.resources()[1].meta.namespace.as_deref(),
        Some("kuma-system")
    );
    assert_eq!(
        l.resources()[1].meta.origin.to_string(),
        format!("{}:3", d.path().join("dump.json").display())
    );
}

// ------------------------------------------------------------ duplicates

/// A directory with only `name` holding `text`.
fn load_one(name: &str, text: &str) -> (tempfile::TempDir, Loaded) {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join(name), text).unwrap();
    let l = load_dir(d.path());
    (d, l)
}

fn findings_of(l: &Loaded, code: Code) -> Vec<&Finding> {
    l.findings.iter().filter(|f| f.code == code).collect()
}

fn line_of(f: &Finding) -> (String, u32) {
    let loc = f.location.clone().unwrap();
    (
        Path::new(&*loc.file)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned(),
        loc.line,
    )
}

const DP: &str = "type: Dataplane\nname: dp-1\nmesh: default\nnetworking:\n  address: 10.0.0.1\n  inbound: [{port: 8080, tags: {kuma.io/service: web}}]\n";

#[test]
fn a_resource_written_five_times_is_kept_once_the_last_one() {
    let d = tempfile::tempdir().unwrap();
    let text = (1..=5)
        .map(|i| DP.replace("10.0.0.1", &format!("10.0.0.{i}")))
        .collect::<Vec<_>>()
        .join("---\n");
    fs::write(d.path().join("dps.yaml"), &text).unwrap();
    let l = load_dir(d.path());
    assert_eq!(l.resources().len(), 1, "{:?}", l.findings);
    let kept = &l.resources()[0];
    assert!(
        kept.meta.origin.to_string().ends_with("dps.yaml:29"),
        "{}",
        kept.meta.origin
    );
    let dups = findings_of(&l, Code::DuplicateResource);
    assert_eq!(
        dups.iter().map(|f| line_of(f).1).collect::<Vec<_>>(),
        [1, 8, 15, 22],
        "one finding per dropped document, at its own line"
    );
    for f in &dups {
        assert_eq!(f.severity.as_str(), "error");
        assert!(
            f.message.contains("Dataplane dp-1 (mesh default)"),
            "{}",
            f.message
        );
        assert!(f.message.contains("dps.yaml:29 is used"), "{}", f.message);
    }
    let meshtcp::model::Body::Dataplane(dp) = &kept.body else {
        panic!()
    };
    assert_eq!(dp.networking.address.as_deref(), Some("10.0.0.5"));
}

#[test]
fn two_meshes_of_one_name_in_two_sources_keep_the_later_mode() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a.yaml");
    let b = d.path().join("b.yaml");
    fs::write(
        &a,
        "type: Mesh\nname: default\nmeshServices: {mode: Exclusive}\n",
    )
    .unwrap();
    // The same Mesh in the Kubernetes format: cluster-scoped, so no namespace either.
    fs::write(
        &b,
        "apiVersion: kuma.io/v1alpha1\nkind: Mesh\nmetadata: {name: default}\nspec: {meshServices: {mode: Everywhere}}\n",
    )
    .unwrap();
    for (first, second, mode) in [
        (&a, &b, meshtcp::model::MeshServicesMode::Everywhere),
        (&b, &a, meshtcp::model::MeshServicesMode::Exclusive),
    ] {
        let l = load(&[Source::Path(first.clone()), Source::Path(second.clone())]);
        assert_eq!(l.resources().len(), 1, "{:?}", l.findings);
        let meshtcp::model::Body::Mesh(m) = &l.resources()[0].body else {
            panic!()
        };
        assert_eq!(m.mode(), mode);
        let dups = findings_of(&l, Code::DuplicateResource);
        assert_eq!(dups.len(), 1);
        assert_eq!(
            line_of(dups[0]).0,
            first.file_name().unwrap().to_string_lossy(),
            "located at the dropped one"
        );
        assert!(
            dups[0]
                .message
                .contains(&format!("{}:1 is used", second.display())),
            "{}",
            dups[0].message
        );
    }
}

#[test]
fn sources_merged_one_by_one_as_the_tui_reloads_them_drop_duplicates_too() {
    let d = tempfile::tempdir().unwrap();
    let route = |file: &str, backend: &str| {
        let p = d.path().join(file);
        fs::write(
            &p,
            format!("type: MeshHTTPRoute\nname: r\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: api}}\n      rules:\n        - default: {{backendRefs: [{{kind: MeshService, name: {backend}}}]}}\n"),
        )
        .unwrap();
        p
    };
    let sources = [
        route("one.yaml", "v1"),
        route("two.yaml", "v2"),
        route("three.yaml", "v3"),
    ];
    let mut all = Loaded::default();
    for s in &sources {
        all.merge(load(&[Source::Path(s.clone())]));
    }
    assert_eq!(all.resources().len(), 1);
    assert!(
        all.resources()[0]
            .meta
            .origin
            .to_string()
            .contains("three.yaml")
    );
    let dups = findings_of(&all, Code::DuplicateResource);
    assert_eq!(dups.len(), 2, "{dups:?}");
    for f in &dups {
        assert!(
            f.message.contains("three.yaml:1 is used"),
            "a later source supersedes: {}",
            f.message
        );
    }
    // The same as loading them together; merging again changes nothing.
    let together = load(
        &sources
            .iter()
            .cloned()
            .map(Source::Path)
            .collect::<Vec<_>>(),
    );
    assert_eq!(together.findings, all.findings);
    let before = all.findings.clone();
    all.merge(Loaded::default());
    assert_eq!(all.findings, before);
}

#[test]
fn the_same_name_in_another_namespace_mesh_or_kind_is_not_a_duplicate() {
    let text = "apiVersion: kuma.io/v1alpha1\nkind: MeshTCPRoute\nmetadata: {name: r, namespace: a}\nspec: {}\n---\napiVersion: kuma.io/v1alpha1\nkind: MeshTCPRoute\nmetadata: {name: r, namespace: b}\nspec: {}\n---\napiVersion: kuma.io/v1alpha1\nkind: MeshHTTPRoute\nmetadata: {name: r, namespace: a}\nspec: {}\n---\ntype: MeshTCPRoute\nname: r\nmesh: default\nspec: {}\n---\ntype: MeshTCPRoute\nname: r\nmesh: other\nspec: {}\n";
    let (_d, l) = load_one("routes.yaml", text);
    assert_eq!(l.resources().len(), 5, "{:?}", l.findings);
    assert!(findings_of(&l, Code::DuplicateResource).is_empty());
}

/// Exports of two zone control planes may each hold a MeshService `db`: two resources
/// of two stores (their `kuma.io/zone` labels differ), not one applied twice.
#[test]
fn the_same_name_in_two_zones_is_not_a_duplicate() {
    let ms = |zone: &str| {
        format!(
            "type: MeshService\nname: db\nmesh: default\nlabels: {{kuma.io/zone: {zone}}}\nspec: {{ports: [{{port: 5432}}]}}\n"
        )
    };
    let text = format!("{}---\n{}", ms("east"), ms("west"));
    let (_d, l) = load_one("db.yaml", &text);
    assert_eq!(l.resources().len(), 2, "{:?}", l.findings);
    assert!(findings_of(&l, Code::DuplicateResource).is_empty());
    let same = format!("{}---\n{}", ms("east"), ms("east"));
    let (_d, l) = load_one("db.yaml", &same);
    assert_eq!(l.resources().len(), 1);
    assert_eq!(findings_of(&l, Code::DuplicateResource).len(), 1);
}

// ------------------------------------------------------------ fields Kuma drops or refuses

#[test]
fn http_matches_in_a_meshtcproute_rule_are_an_unknown_field_at_their_line() {
    // As the MeshTCPRoute docs page's example writes it.
    let text = "type: MeshTCPRoute\nname: tcp-route\nmesh: default\nspec:\n  targetRef:\n    kind: Mesh\n  to:\n    - targetRef:\n        kind: MeshService\n        name: backend\n      rules:\n        - matches:\n            - path: {type: PathPrefix, value: /}\n          default:\n            backendRefs:\n              - kind: MeshService\n                name: backend\n                weigth: 90\n";
    let (_d, l) = load_one("tcp.yaml", text);
    assert_eq!(
        l.resources().len(),
        1,
        "the route still loads: {:?}",
        l.findings
    );
    let unknown = findings_of(&l, Code::UnknownField);
    assert_eq!(
        unknown.iter().map(|f| line_of(f).1).collect::<Vec<_>>(),
        [12, 18]
    );
    assert_eq!(unknown[0].severity.as_str(), "warning");
    assert!(
        unknown[0].message.contains("`spec.to[0].rules[0].matches`"),
        "{}",
        unknown[0].message
    );
    assert!(
        unknown[0].message.contains("MeshHTTPRoute"),
        "{}",
        unknown[0].message
    );
    assert!(
        unknown[0].message.contains("ignores it"),
        "{}",
        unknown[0].message
    );
    assert!(
        unknown[1].message.contains("did you mean `weight`"),
        "{}",
        unknown[1].message
    );
    assert_eq!(unknown[0].resource.as_ref().unwrap().name, "tcp-route");
}

#[test]
fn fields_kuma_has_but_meshtcp_does_not_model_are_not_unknown() {
    let text = "apiVersion: kuma.io/v1alpha1\nkind: MeshHTTPRoute\nmetadata: {name: h, namespace: kuma-system}\nspec:\n  targetRef: {kind: Mesh, proxyTypes: [Sidecar]}\n  to:\n    - targetRef: {kind: MeshService, name: api, sectionName: http}\n      hostnames: [api.local]\n      rules:\n        - matches: [{path: {type: PathPrefix, value: /}}]\n          default:\n            filters: [{type: RequestHeaderModifier}]\n            backendRefs: [{kind: MeshService, name: api, port: 80, weight: 1}]\n---\ntype: Dataplane\nname: dp-2\nmesh: default\nnetworking:\n  address: 10.0.0.2\n  inbound: [{port: 80, tags: {kuma.io/service: api}}]\nmetrics: {type: prometheus}\nprobes: {port: 9000}\n";
    let (_d, l) = load_one("known.yaml", text);
    assert!(l.findings.is_empty(), "{:?}", l.findings);
}

#[test]
fn a_misspelled_targetref_field_is_unknown() {
    let text = "apiVersion: kuma.io/v1alpha1\nkind: MeshTCPRoute\nmetadata: {name: t, namespace: kuma-system}\nspec:\n  targetRef:\n    kind: MeshService\n    nmae: web\n  to: []\n";
    let (_d, l) = load_one("typo.yaml", text);
    let unknown = findings_of(&l, Code::UnknownField);
    assert_eq!(unknown.len(), 1, "{:?}", l.findings);
    assert_eq!(line_of(unknown[0]).1, 7);
    assert!(
        unknown[0].message.contains("`spec.targetRef.nmae`"),
        "{}",
        unknown[0].message
    );
    assert!(
        unknown[0].message.contains("did you mean `name`"),
        "{}",
        unknown[0].message
    );
    assert!(
        unknown[0].message.contains("Kubernetes prunes it"),
        "{}",
        unknown[0].message
    );
}

#[test]
fn legacy_policies_the_validator_refuses_are_invalid_and_left_out() {
    // Rules of pkg/core/resources/apis/mesh/*_validator.go@v2.13.0.
    for (text, says, line) in [
        (
            "type: TrafficRoute\nname: empty\nmesh: default\nspec: {}\n",
            "sources: must have at least one element",
            1,
        ),
        (
            "type: TrafficRoute\nname: no-conf\nmesh: default\nsources: [{match: {kuma.io/service: '*'}}]\ndestinations: [{match: {kuma.io/service: '*'}}]\n",
            "conf: cannot be empty",
            1,
        ),
        (
            "type: TrafficRoute\nname: empty-conf\nmesh: default\nsources: [{match: {kuma.io/service: '*'}}]\ndestinations: [{match: {kuma.io/service: '*'}}]\nconf: {loadBalancer: {roundRobin: {}}}\n",
            "conf: requires either \"destination\" or \"split\"",
            6,
        ),
        (
            "type: TrafficRoute\nname: wide-dest\nmesh: default\nsources: [{match: {kuma.io/service: '*'}}]\ndestinations:\n  - match: {kuma.io/service: '*', version: v1}\nconf: {destination: {kuma.io/service: a}}\n",
            "destinations[0].match: must consist of exactly one tag \"kuma.io/service\"",
            6,
        ),
        (
            "apiVersion: kuma.io/v1alpha1\nkind: Timeout\nmesh: default\nmetadata: {name: t}\nspec:\n  sources: []\n  destinations: [{match: {kuma.io/service: '*'}}]\n  conf: {connectTimeout: 5s}\n",
            "sources: must have at least one element",
            6,
        ),
        (
            "type: Retry\nname: r\nmesh: default\nsources: [{match: {version: v1}}]\ndestinations: [{match: {kuma.io/service: '*'}}]\nconf: {}\n",
            "sources[0].match: mandatory tag \"kuma.io/service\" is missing",
            4,
        ),
        (
            "type: TrafficTrace\nname: tt\nmesh: default\nselectors: []\n",
            "selectors: must have at least one element",
            4,
        ),
    ] {
        let (_d, l) = with_bad("legacy.yaml", text.as_bytes());
        let c = codes(&l);
        assert_eq!(
            c,
            vec![(Code::InvalidResource, "legacy.yaml".into(), line)],
            "{text}: {:?}",
            l.findings
        );
        let m = &l.findings[0].message;
        assert!(m.contains(says), "{text}: {m}");
        assert!(m.contains("refused by the control plane"), "{m}");
    }
    // What the validator accepts still loads.
    let ok = "type: TrafficRoute\nname: ok\nmesh: default\nsources: [{match: {kuma.io/service: '*'}}]\ndestinations: [{match: {kuma.io/service: '*'}}]\nconf:\n  split:\n    - {weight: 1, destination: {kuma.io/service: a}}\n";
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("ok.yaml"), ok).unwrap();
    let l = load_dir(d.path());
    assert!(l.findings.is_empty(), "{:?}", l.findings);
    assert_eq!(l.resources().len(), 1);
}

// ------------------------------------------------------------ errors in Kuma's words, at their line

#[test]
fn a_parse_error_is_located_at_its_own_line_in_yaml_words() {
    let text = "type: Mesh\nname: a\n---\ntype: Dataplane\nname: dp\nmesh: default\nnetworking:\n  address: 10.0.0.1\n  inbound:\n    - port: 80\n      tags: {kuma.io/service: a}\n      tags: {kuma.io/service: b}\n";
    let (_d, l) = load_one("dup-key.yaml", text);
    assert_eq!(l.resources().len(), 1, "the Mesh before it loads");
    assert_eq!(
        codes(&l),
        vec![(Code::ParseError, "dup-key.yaml".into(), 12)]
    );
    let m = &l.findings[0].message;
    assert!(m.contains("duplicate key `tags`"), "{m}");
    assert!(
        !m.contains("DuplicateKeyPolicy") && !m.contains("Options"),
        "{m}"
    );
}

#[test]
fn a_field_of_the_wrong_type_is_said_in_kuma_terms_at_its_line() {
    let text = "type: Dataplane\nname: dp\nmesh: default\nnetworking:\n  address: 10.0.0.1\n  inbound:\n    - port: eighty\n      tags: {kuma.io/service: a}\n";
    let (_d, l) = with_bad("port.yaml", text.as_bytes());
    assert_eq!(
        codes(&l),
        vec![(Code::InvalidResource, "port.yaml".into(), 7)]
    );
    let m = &l.findings[0].message;
    assert!(
        m.contains("`networking.inbound[0].port` must be a whole number 0–65535"),
        "{m}"
    );
    assert!(m.contains("the string \"eighty\""), "{m}");
    assert!(!m.contains("u32") && !m.contains("invalid type"), "{m}");
}

#[test]
fn yaml_1_1_booleans_where_a_string_is_expected_ask_to_quote() {
    for (text, field, line) in [
        ("type: Mesh\nname: y\n", "`name`", 2),
        (
            "apiVersion: kuma.io/v1alpha1\nkind: Timeout\nmesh: off\nmetadata:\n  name: t\nspec: {}\n",
            "`mesh`",
            3,
        ),
        (
            "apiVersion: kuma.io/v1alpha1\nkind: MeshTCPRoute\nmetadata:\n  name: t\n  namespace: no\nspec: {}\n",
            "`metadata.namespace`",
            5,
        ),
        (
            "type: Dataplane\nname: dp\nmesh: default\nlabels:\n  canary: on\nnetworking: {address: 1.2.3.4}\n",
            "`labels.canary`",
            5,
        ),
        (
            "type: Dataplane\nname: dp\nmesh: default\nnetworking:\n  address: 10.0.0.1\n  inbound:\n    - port: 80\n      tags: {kuma.io/service: a, version: no}\n",
            "`networking.inbound[0].tags.version`",
            8,
        ),
    ] {
        let (_d, l) = with_bad("bool.yaml", text.as_bytes());
        assert_eq!(
            codes(&l),
            vec![(Code::InvalidResource, "bool.yaml".into(), line)],
            "{text}"
        );
        let m = &l.findings[0].message;
        assert!(
            m.contains(field) && m.contains("boolean") && m.contains("quote it"),
            "{m}"
        );
    }
}

#[test]
fn a_template_is_one_finding_and_not_a_cascade_of_yaml_errors() {
    let text = "{{- if .Values.enabled }}\napiVersion: kuma.io/v1alpha1\nkind: MeshTCPRoute\nmetadata:\n  name: {{ .Values.name }}\n  namespace: {{ .Release.Namespace }}\nspec:\n  to:\n  {{- range .Values.routes }}\n    - targetRef: {kind: MeshService, name: {{ . }}}\n  {{- end }}\n{{- end }}\n";
    let (_d, l) = with_bad("route.yaml", text.as_bytes());
    assert_eq!(codes(&l), vec![(Code::ParseError, "route.yaml".into(), 1)]);
    let m = &l.findings[0].message;
    assert!(m.contains("looks like a Helm/Go/Liquid template"), "{m}");
    assert!(m.contains("helm template"), "{m}");
    // A template whose first marker is further down: that line.
    let (_d, l) = with_bad(
        "quoted.yaml",
        b"# {{ not this one }}\ntype: Mesh\nname: \"{{ .Values.mesh }}\"\n",
    );
    assert_eq!(codes(&l), vec![(Code::ParseError, "quoted.yaml".into(), 3)]);
}

#[test]
fn a_kustomization_is_one_finding_that_says_to_render_it() {
    let (_d, l) = with_bad(
        "kustomization.yaml",
        b"resources:\n  - routes.yaml\npatches:\n  - path: patch.yaml\n",
    );
    assert_eq!(
        codes(&l),
        vec![(Code::ParseError, "kustomization.yaml".into(), 1)]
    );
    assert!(
        l.findings[0].message.contains("kubectl kustomize"),
        "{}",
        l.findings[0].message
    );
    let (_d, l) = with_bad(
        "overlay.yaml",
        b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [base]\n",
    );
    assert_eq!(
        codes(&l),
        vec![(Code::ParseError, "overlay.yaml".into(), 1)]
    );
}

#[test]
fn the_same_parse_error_in_three_files_is_three_findings() {
    let d = tempfile::tempdir().unwrap();
    for f in ["a.yaml", "b.yaml", "c.yaml"] {
        fs::write(d.path().join(f), "type: Mesh\nname: [x\n").unwrap();
    }
    let l = load_dir(d.path());
    let r = meshtcp::resolve::dedup(l.findings.clone());
    assert_eq!(r.len(), 3, "{r:?}");
    assert_eq!(r[0].message, r[1].message, "the messages are the same");
}

#[test]
fn an_unknown_field_in_a_kubectl_json_dump_is_at_its_line() {
    let text = r#"{
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {
            "apiVersion": "kuma.io/v1alpha1",
            "kind": "MeshTCPRoute",
            "metadata": {"name": "r", "namespace": "kuma-system", "labels": {"kuma.io/mesh": "default"}},
            "spec": {
                "to": [
                    {
                        "targetRef": {"kind": "MeshService", "name": "a"},
                        "rules": [{"matches": [], "default": {}}]
                    }
                ]
            }
        }
    ]
}
"#;
    let (_d, l) = load_one("dump.json", text);
    assert_eq!(l.resources().len(), 1, "{:?}", l.findings);
    let unknown = findings_of(&l, Code::UnknownField);
    assert_eq!(unknown.len(), 1, "{:?}", l.findings);
    assert_eq!(line_of(unknown[0]).1, 13);
}
