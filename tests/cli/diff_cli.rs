//! `meshtcp diff` as a user runs it: the three modes, --mesh/--proxy, the formats, the
//! exit codes of `kubectl diff` (0 no change, 1 changes, 2 error).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn meshtcp_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meshtcp"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("runs")
}

fn meshtcp(args: &[&str]) -> Output {
    meshtcp_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/examples")
        .join(rel)
}

fn route(name: &str, backends: &[(&str, u32)]) -> String {
    let refs: Vec<String> = backends
        .iter()
        .map(|(b, w)| format!("              - {{kind: MeshService, name: {b}, weight: {w}}}\n"))
        .collect();
    format!(
        "type: MeshTCPRoute\nname: {name}\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: backend}}\n      rules:\n        - default:\n            backendRefs:\n{}",
        refs.concat()
    )
}

/// A directory `name` in `root` with the shared Dataplanes and one file per (name, text).
fn dir(root: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let d = root.join(name);
    std::fs::create_dir_all(&d).unwrap();
    for f in ["mesh.yaml", "dataplanes.yaml"] {
        std::fs::copy(fixture("shared").join(f), d.join(f)).unwrap();
    }
    for (f, text) in files {
        std::fs::write(d.join(f), text).unwrap();
    }
    d
}

#[test]
fn old_new_exit_0_when_nothing_changes_and_1_when_something_does() {
    let t = tempfile::tempdir().unwrap();
    let r = route("split", &[("backend-v1", 90), ("backend-v2", 10)]);
    dir(t.path(), "old", &[("r.yaml", &r)]);
    dir(t.path(), "same", &[("r.yaml", &r)]);
    let r2 = route("split", &[("backend-v1", 50), ("backend-v2", 50)]);
    dir(t.path(), "new", &[("r.yaml", &r2)]);
    let o = meshtcp_in(t.path(), &["diff", "old", "same"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).starts_with("meshtcp diff · Kuma 2.14 · no change\n"));
    let o = meshtcp_in(t.path(), &["diff", "old", "new"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("~ changed backend:10001  MeshTCPRoute"), "{s}");
    assert!(
        s.contains("⇢ backend-v1  90% (weight 90) → 50% (weight 50)"),
        "{s}"
    );
    assert!(s.contains("sources: old → new"), "{s}");
}

#[test]
fn new_from_standard_input() {
    let t = tempfile::tempdir().unwrap();
    let one = |r: &str| {
        format!(
            "{}---\n{}---\n{r}",
            std::fs::read_to_string(fixture("shared/mesh.yaml")).unwrap(),
            std::fs::read_to_string(fixture("shared/dataplanes.yaml")).unwrap()
        )
    };
    std::fs::write(
        t.path().join("old.yaml"),
        one(&route("split", &[("backend-v1", 1)])),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshtcp"))
        .args(["diff", "old.yaml", "-", "-o", "json"])
        .current_dir(t.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(one(&route("split", &[("backend-v2", 1)])).as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["after"]["sources"], serde_json::json!(["-"]));
    assert_eq!(
        v["changes"][0]["after"]["backends"][0]["name"],
        "backend-v2"
    );
    // Both one file: findings of the same document are the same findings.
    assert_eq!(v["summary"]["findingsAdded"], 0, "{v:#}");
}

#[test]
fn errors_exit_2() {
    let t = tempfile::tempdir().unwrap();
    dir(t.path(), "old", &[]);
    for args in [
        &["diff", "old"][..],
        &["diff", "old", "missing"],
        &["diff", "a", "b", "c"],
        &["diff", "old", "old", "--proxy", "nobody"],
        &["diff", "old", "old", "-o", "yaml"],
        &["diff", "old", "--apply", "missing.yaml"],
        &["diff", "old", "--from-version", "1.0"],
    ] {
        let o = meshtcp_in(t.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty(), "{args:?} says why");
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
}

/// Every `file` in the JSON reduced to its file name, and the header left out: what
/// stays is what changes.
fn normalized(mut v: serde_json::Value) -> serde_json::Value {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k == "file"
                        && let Some(s) = x.as_str()
                    {
                        *x = s.rsplit('/').next().unwrap().into();
                    } else {
                        walk(x);
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let m = v.as_object_mut().unwrap();
    m.remove("before");
    m.remove("after");
    walk(&mut v);
    v
}

#[test]
fn apply_equals_the_diff_against_the_directory_with_the_change_written_into_it() {
    let t = tempfile::tempdir().unwrap();
    let legacy = std::fs::read_to_string(fixture("e9/legacy.yaml")).unwrap();
    let alpha = route("alpha", &[("backend-v1", 1)]);
    // A backendRef that names nothing: a finding that stays through the change.
    let gamma = route("gamma", &[("nowhere", 1)]).replace("name: backend}", "name: db}");
    let files = [
        ("legacy.yaml", legacy.as_str()),
        ("alpha.yaml", &alpha),
        ("gamma.yaml", &gamma),
    ];
    dir(t.path(), "base", &files);
    // The change: alpha split 90/10 and a new route on api; gamma deleted.
    let alpha2 = format!(
        "{}---\n{}",
        route("alpha", &[("backend-v1", 90), ("backend-v2", 10)]),
        route("omega", &[("backend-v2", 1)]).replace("name: backend}", "name: api}")
    );
    std::fs::create_dir(t.path().join("pr")).unwrap();
    std::fs::write(t.path().join("pr/alpha.yaml"), &alpha2).unwrap();
    std::fs::write(t.path().join("pr/gamma.yaml"), &gamma).unwrap();
    dir(
        t.path(),
        "written",
        &[("legacy.yaml", legacy.as_str()), ("alpha.yaml", &alpha2)],
    );
    let applied = meshtcp_in(
        t.path(),
        &[
            "diff",
            "base",
            "--apply",
            "pr/alpha.yaml",
            "--delete",
            "pr/gamma.yaml",
            "-o",
            "json",
        ],
    );
    assert_eq!(applied.status.code(), Some(1), "{}", stderr(&applied));
    let v = json(&applied);
    assert_eq!(
        v["after"]["sources"],
        serde_json::json!(["base", "pr/alpha.yaml"])
    );
    assert_eq!(v["after"]["deleted"], serde_json::json!(["pr/gamma.yaml"]));
    let written = meshtcp_in(t.path(), &["diff", "base", "written", "-o", "json"]);
    assert_eq!(written.status.code(), Some(1), "{}", stderr(&written));
    let (a, w) = (normalized(v), normalized(json(&written)));
    assert_eq!(a, w);
    // And it is a real diff: backend's split, api's new route, gamma's outbound and
    // finding gone, alpha's findings kept.
    let whats: Vec<(String, String)> = a["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["destination"]["name"].as_str().unwrap().to_string(),
                c["what"].to_string(),
            )
        })
        .collect();
    assert!(whats.iter().any(|(d, _)| d == "backend"), "{whats:?}");
    assert!(whats.iter().any(|(d, _)| d == "api"), "{whats:?}");
    assert!(whats.iter().any(|(d, _)| d == "db"), "{whats:?}");
    let codes = |k: &str| -> Vec<String> {
        a["findings"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        codes("resolved").contains(&"backend-not-found".to_string()),
        "{:?}",
        codes("resolved")
    );
}

#[test]
fn apply_on_the_base_without_changes_is_no_change() {
    let t = tempfile::tempdir().unwrap();
    let r = route("split", &[("backend-v1", 90), ("backend-v2", 10)]);
    dir(t.path(), "base", &[("r.yaml", &r)]);
    std::fs::write(t.path().join("r.yaml"), &r).unwrap();
    let o = meshtcp_in(t.path(), &["diff", "base", "--apply", "r.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("sources: base + r.yaml"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn version_diff_exits_1_across_2_6_and_0_within_a_bucket() {
    let (shared, e3) = (fixture("shared"), fixture("e3"));
    let (shared, e3) = (shared.to_str().unwrap(), e3.to_str().unwrap());
    let o = meshtcp(&[
        "diff",
        shared,
        e3,
        "--from-version",
        "2.5",
        "--to-version",
        "2.6",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("Kuma 2.5 → 2.6"), "{s}");
    assert!(
        s.contains("MeshTCPRoute alpha  ↓ overridden → ✓ applied"),
        "{s}"
    );
    let o = meshtcp(&[
        "diff",
        shared,
        e3,
        "--from-version",
        "2.6",
        "--to-version",
        "2.14",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // --kuma-version is the side not given.
    let o = meshtcp(&[
        "diff",
        shared,
        e3,
        "--kuma-version",
        "2.5",
        "--to-version",
        "2.6",
        "-o",
        "json",
    ]);
    let v = json(&o);
    assert_eq!(
        (
            v["before"]["kumaVersion"].as_str(),
            v["after"]["kumaVersion"].as_str()
        ),
        (Some("2.5"), Some("2.6"))
    );
}

#[test]
fn apply_and_a_version_change_together() {
    let t = tempfile::tempdir().unwrap();
    let e3 = std::fs::read_to_string(fixture("e3/routes.yaml")).unwrap();
    dir(t.path(), "base", &[("e3.yaml", &e3)]);
    std::fs::write(
        t.path().join("beta.yaml"),
        route("beta", &[("backend-v1", 1)]),
    )
    .unwrap();
    // Under 2.5 beta wins (backend-v2); under 2.14 alpha wins (backend-v1): with beta
    // sent to backend-v1 as well, backend-v1 is what both give.
    let o = meshtcp_in(
        t.path(),
        &[
            "diff",
            "base",
            "--apply",
            "beta.yaml",
            "--from-version",
            "2.5",
            "--to-version",
            "2.14",
            "-o",
            "json",
        ],
    );
    let v = json(&o);
    let backend = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["destination"]["name"] == "backend")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(backend["before"]["backends"][0]["name"], "backend-v2");
    assert_eq!(backend["after"]["backends"][0]["name"], "backend-v1");
    assert_eq!(v["before"]["kumaVersion"], "2.5");
    assert_eq!(v["after"]["kumaVersion"], "2.14");
}

#[test]
fn mesh_and_proxy_narrow_the_diff() {
    let t = tempfile::tempdir().unwrap();
    let web2 = std::fs::read_to_string(fixture("shared/dataplanes.yaml"))
        .unwrap()
        .split("---")
        .next()
        .unwrap()
        .replace("name: web-1", "name: web-2")
        .replace("10.0.0.1", "10.0.0.9");
    let other = web2
        .replace("name: web-2", "name: web-3")
        .replace("mesh: default", "mesh: other");
    let extra = format!("{web2}---\n{other}");
    dir(t.path(), "old", &[("extra.yaml", &extra)]);
    let split = route("split", &[("backend-v1", 90), ("backend-v2", 10)]);
    let split_other = split.replace("mesh: default", "mesh: other");
    dir(
        t.path(),
        "new",
        &[
            ("extra.yaml", &extra),
            ("r.yaml", &split),
            ("o.yaml", &split_other),
        ],
    );
    let proxies = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["diff", "old", "new", "-o", "json"];
        a.extend_from_slice(args);
        let o = meshtcp_in(t.path(), &a);
        let mut v: Vec<String> = json(&o)["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{}/{}",
                    c["proxy"]["mesh"].as_str().unwrap(),
                    c["proxy"]["name"].as_str().unwrap()
                )
            })
            .collect();
        v.dedup();
        v
    };
    assert_eq!(
        proxies(&[]),
        ["default/web-1", "default/web-2", "other/web-3"]
    );
    assert_eq!(proxies(&["--mesh", "other"]), ["other/web-3"]);
    assert_eq!(proxies(&["--proxy", "web-2"]), ["default/web-2"]);
    let o = meshtcp_in(
        t.path(),
        &["diff", "old", "new", "--proxy", "web-2", "--mesh", "other"],
    );
    assert_eq!(o.status.code(), Some(2), "no such proxy in that mesh");
}

#[test]
fn formats_and_colour() {
    let (shared, e3) = (fixture("shared"), fixture("e3"));
    let (shared, e3) = (shared.to_str().unwrap(), e3.to_str().unwrap());
    let base = [
        "diff",
        shared,
        e3,
        "--from-version",
        "2.5",
        "--to-version",
        "2.6",
    ];
    let run = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        meshtcp(&a)
    };
    assert_eq!(
        stdout(&run(&["-o", "json"])),
        stdout(&run(&["--format", "json"]))
    );
    assert_eq!(json(&run(&["-o", "json"]))["schema"], "meshtcp.diff/v1");
    let md = stdout(&run(&["-o", "markdown"]));
    assert!(
        md.starts_with("**meshtcp diff**: 3 outbounds changed on 1 proxy"),
        "{md}"
    );
    assert!(
        md.contains("| ~ changed | backend:10001 | MeshTCPRoute |"),
        "{md}"
    );
    // NO_COLOR is set by meshtcp(): no escape codes unless asked for.
    assert!(!stdout(&run(&[])).contains('\x1b'));
    assert!(stdout(&run(&["--color", "always"])).contains("\x1b[33m~ changed"));
}

#[test]
fn delete_alone_removes_what_the_files_name_and_applies_nothing_else() {
    let t = tempfile::tempdir().unwrap();
    let r = route("split", &[("backend-v1", 90), ("backend-v2", 10)]);
    dir(t.path(), "base", &[("r.yaml", &r)]);
    std::fs::write(t.path().join("gone.yaml"), &r).unwrap();
    let o = meshtcp_in(
        t.path(),
        &["diff", "base", "--delete", "gone.yaml", "-o", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["after"]["sources"], serde_json::json!(["base"]));
    assert_eq!(v["after"]["deleted"], serde_json::json!(["gone.yaml"]));
    let changes = v["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{v:#}");
    assert_eq!(changes[0]["destination"]["name"], "backend");
    assert_eq!(changes[0]["before"]["route"], "MeshTCPRoute");
    assert_ne!(changes[0]["after"]["route"], "MeshTCPRoute");
    let s = stdout(&meshtcp_in(
        t.path(),
        &["diff", "base", "--delete", "gone.yaml"],
    ));
    assert!(s.contains("sources: base − gone.yaml"), "{s}");
}
