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
fn invalid_yaml_is_a_parse_error_at_its_document_and_later_documents_load() {
    let text = format!(
        "{GOOD}---\ntype: MeshTCPRoute\nname: broken\nmesh: default\nspec: {{to: [\n---\ntype: Mesh\nname: other\n"
    );
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("routes.yaml"), text).unwrap();
    let l = load_dir(d.path());
    assert_eq!(
        codes(&l),
        vec![(Code::ParseError, "routes.yaml".into(), 11)],
        "located at the document's first line"
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
}

#[test]
fn duplicate_keys_are_a_parse_error() {
    let (_d, l) = with_bad("dup.yaml", b"type: Mesh\nname: a\nname: b\n");
    assert_eq!(codes(&l)[0].0, Code::ParseError);
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
