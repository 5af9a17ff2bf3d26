//! Hostile input: devices, FIFOs, growing and endless files, huge trees and
//! lists, symlinks out of the tree, unreadable entries, overflowing numbers. Each gives
//! a finding or a clear error, ends (no test here asserts on time: the figures are in
//! the note), and everything else still loads.
//!
//! `tests/engine/bad_input.rs` has the core list (a FIFO in a directory, a symlink loop, a file
//! just over the limit, alias bombs, deep nesting, a port that overflows).

use meshtcp::model::{Code, Finding};
use meshtcp::resolve::{Filter, KumaVersion, resolve};
use meshtcp::source::{Loaded, MAX_FILE_BYTES, Source, load};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

const GOOD: &str = "type: Mesh\nname: default\n---\ntype: Dataplane\nname: web-1\nmesh: default\nnetworking:\n  address: 10.0.0.1\n  inbound: [{port: 8080, tags: {kuma.io/service: web}}]\n";

fn load_dir(dir: &Path) -> Loaded {
    load(&[Source::Path(dir.to_path_buf())])
}

/// (code, file name, line) of every finding.
fn codes(l: &Loaded) -> Vec<(Code, String, u32)> {
    l.findings
        .iter()
        .map(|f: &Finding| {
            let loc = f.location.clone().expect("load findings are located");
            (
                f.code,
                Path::new(&*loc.file)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or(loc.file.to_string()),
                loc.line,
            )
        })
        .collect()
}

/// A directory holding `good.yaml` (two resources).
fn good_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("good.yaml"), GOOD).unwrap();
    d
}

fn meshtcp() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_meshtcp"));
    c.env("NO_COLOR", "1");
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `report -o json` findings of a finished run, as (code, message).
fn json_findings(o: &Output) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("JSON on stdout ({e}); stderr: {}", text(&o.stderr)));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn proxies(o: &Output) -> usize {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["proxies"].as_array().unwrap().len()
}

// ---------------------------------------------------------------- devices and streams

#[cfg(unix)]
#[test]
fn a_device_file_in_the_source_directory_is_skipped_not_read() {
    let d = good_dir();
    // A real device node where the test may make one (root), else skip that half.
    let node = d.path().join("zero.yaml");
    let made = Command::new("mknod")
        .arg(&node)
        .args(["c", "1", "5"]) // /dev/zero's numbers
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("note: mknod not permitted here; only the symlink half runs");
    }
    // A symlink to a device inside the tree is the same: `dev/` is part of the tree.
    let dev = d.path().join("dev");
    fs::create_dir(&dev).unwrap();
    std::os::unix::fs::symlink("/dev/null", dev.join("null.yml")).unwrap();
    let l = load_dir(d.path());
    assert_eq!(l.resources().len(), 2, "{:?}", l.findings);
    let mut want = vec![];
    if made {
        want.push((Code::SourceUnreadable, "zero.yaml".to_string(), 1));
    }
    // /dev/null is outside the tree: not followed at all.
    want.insert(0, (Code::SourceUnreadable, "null.yml".to_string(), 1));
    assert_eq!(codes(&l), want);
    for f in &l.findings {
        assert!(
            f.message.contains("not a regular file") || f.message.contains("outside the SOURCE"),
            "{}",
            f.message
        );
    }
}

#[cfg(unix)]
#[test]
fn an_endless_device_named_as_source_is_read_only_up_to_the_limit() {
    let d = good_dir();
    let o = meshtcp()
        .args(["report", "-o", "json", "/dev/zero"])
        .arg(d.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let f = json_findings(&o);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "source-unreadable");
    assert!(f[0].1.contains("64 MiB per-file limit"), "{}", f[0].1);
    assert_eq!(proxies(&o), 1, "the directory after it still loads");
}

#[test]
fn endless_standard_input_ends_with_a_finding_at_the_limit() {
    let d = good_dir();
    let mut child = meshtcp()
        .args(["report", "-o", "json", "-"])
        .arg(d.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like /dev/zero, but through a pipe that never ends: the writer only stops when
    // meshtcp closes its end. It must stop reading at the limit and go on.
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = vec![0u8; 1 << 16];
        let mut sent: u64 = 0;
        while stdin.write_all(&chunk).is_ok() {
            sent += chunk.len() as u64;
            if sent > 8 * MAX_FILE_BYTES {
                break; // never reached unless meshtcp reads without a bound
            }
        }
        sent
    });
    let o = child.wait_with_output().unwrap();
    let sent = writer.join().unwrap();
    assert!(
        sent <= 2 * MAX_FILE_BYTES,
        "read {sent} bytes of an endless stdin"
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let f = json_findings(&o);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "source-unreadable");
    assert!(
        f[0].1.contains("standard input is over the 64 MiB limit"),
        "{}",
        f[0].1
    );
    assert_eq!(proxies(&o), 1);
}

#[test]
fn dev_zero_as_standard_input_ends_with_a_finding() {
    let Ok(zero) = fs::File::open("/dev/zero") else {
        eprintln!("skipped: no /dev/zero");
        return;
    };
    let o = meshtcp()
        .args(["check", "-o", "json", "-"])
        .stdin(zero)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "an error finding fails check");
    assert!(text(&o.stdout).contains("standard input is over the 64 MiB limit"));
}

#[test]
fn a_file_that_grows_while_read_is_bounded() {
    let d = good_dir();
    let path = d.path().join("growing.yaml");
    // Just under the limit when its size is checked; a writer keeps appending.
    let f = fs::File::create(&path).unwrap();
    f.set_len(MAX_FILE_BYTES - 1).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let mut f = fs::OpenOptions::new().append(true).open(&path).unwrap();
        std::thread::spawn(move || {
            let chunk = vec![b'#'; 1 << 20];
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 8 {
                f.write_all(&chunk).unwrap();
                n += 1;
            }
        })
    };
    let l = load_dir(d.path());
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert_eq!(l.resources().len(), 2, "{:?}", l.findings);
    // Whichever the race gave: the file grew past the limit while read, or it was read
    // at under the limit (the sparse part is NUL bytes, so: a binary file).
    let c = codes(&l);
    assert_eq!(c.len(), 1, "{:?}", l.findings);
    assert_eq!(c[0].1, "growing.yaml");
    let m = &l.findings[0].message;
    assert!(
        m.contains("grew over the 64 MiB per-file limit")
            || m.contains("per-file limit")
            || m.contains("binary file"),
        "{m}"
    );
    eprintln!("growing file: {m}");
}

// ---------------------------------------------------------------- size

#[test]
fn a_one_gigabyte_file_is_refused_by_the_per_file_limit() {
    let d = good_dir();
    let f = fs::File::create(d.path().join("huge.yaml")).unwrap();
    f.set_len(1 << 30).unwrap(); // sparse: no disk used
    let l = load_dir(d.path());
    assert_eq!(l.resources().len(), 2);
    assert_eq!(
        codes(&l),
        vec![(Code::SourceUnreadable, "huge.yaml".into(), 1)]
    );
    assert!(
        l.findings[0]
            .message
            .contains("file is 1073741824 bytes, over the 64 MiB per-file limit"),
        "{}",
        l.findings[0].message
    );
}

#[test]
fn a_one_gigabyte_file_on_standard_input_is_read_only_up_to_the_limit() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("huge.yaml");
    fs::File::create(&p).unwrap().set_len(1 << 30).unwrap();
    let o = meshtcp()
        .args(["report", "-o", "json", "-"])
        .stdin(fs::File::open(&p).unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let f = json_findings(&o);
    assert_eq!(f.len(), 1);
    assert!(f[0].1.contains("over the 64 MiB limit"), "{}", f[0].1);
}

/// 100 directories of 1 000 files, each one Dataplane: all load, in bounded time.
#[test]
fn a_source_tree_of_100k_files_loads() {
    let d = tempfile::tempdir().unwrap();
    let t = Instant::now();
    fs::write(
        d.path().join("mesh.yaml"),
        "type: Mesh\nname: default\n---\ntype: MeshTCPRoute\nname: r\nmesh: default\nspec:\n  targetRef: {kind: Mesh}\n  to:\n    - targetRef: {kind: MeshService, name: svc-1}\n      rules: [{default: {backendRefs: [{kind: MeshService, name: svc-2}]}}]\n",
    )
    .unwrap();
    for dir in 0..100 {
        let sub = d.path().join(format!("d{dir:03}"));
        fs::create_dir(&sub).unwrap();
        for i in 0..1000 {
            let n = dir * 1000 + i;
            fs::write(
                sub.join(format!("dp-{i:04}.yaml")),
                format!(
                    "type: Dataplane\nname: dp-{n}\nmesh: default\nnetworking:\n  address: 10.0.0.1\n  inbound: [{{port: 8080, tags: {{kuma.io/service: svc-{}}}}}]\n  outbound: [{{port: 10001, tags: {{kuma.io/service: svc-{}}}}}]\n",
                    n % 100,
                    (n + 1) % 100
                ),
            )
            .unwrap();
        }
    }
    let made = t.elapsed();
    let t = Instant::now();
    let l = load_dir(d.path());
    let loaded = t.elapsed();
    assert!(l.findings.is_empty(), "{:?}", &l.findings[..3]);
    assert_eq!(l.stats.files, 100_001);
    assert_eq!(l.resources().len(), 100_002);
    let t = Instant::now();
    let r = resolve(&l.snapshot, KumaVersion::DEFAULT, &Filter::default());
    assert_eq!(r.proxies.len(), 100_000);
    eprintln!(
        "100k files: made in {made:?}, loaded in {loaded:?}, resolved in {:?}",
        t.elapsed()
    );
}

/// A `kubectl get -o yaml` dump of 100k objects in one file loads: the parser's budgets
/// grow with the document.
#[test]
fn a_kubernetes_list_of_100k_items_loads() {
    let mut s = String::from("apiVersion: v1\nkind: List\nitems:\n");
    s.push_str("- apiVersion: kuma.io/v1alpha1\n  kind: Mesh\n  metadata: {name: default}\n");
    for i in 0..100_000 {
        if i % 2 == 0 {
            s.push_str(&format!(
                "- apiVersion: kuma.io/v1alpha1\n  kind: MeshService\n  metadata:\n    name: svc-{i}\n    namespace: ns-{}\n    labels: {{kuma.io/mesh: default}}\n  spec:\n    selector: {{dataplaneTags: {{app: svc-{i}}}}}\n    ports: [{{port: 80, targetPort: 8080, appProtocol: tcp}}]\n",
                i % 50
            ));
        } else {
            // Foreign objects are counted and skipped.
            s.push_str(&format!(
                "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: cm-{i}, namespace: ns}}\n  data: {{a: b}}\n"
            ));
        }
    }
    eprintln!("100k-item List: {} MiB", s.len() >> 20);
    assert!((s.len() as u64) < MAX_FILE_BYTES);
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("dump.yaml"), &s).unwrap();
    let t = Instant::now();
    let l = load_dir(d.path());
    let loaded = t.elapsed();
    assert!(l.findings.is_empty(), "{:?}", l.findings.first());
    assert_eq!(l.resources().len(), 50_001);
    assert_eq!(l.stats.foreign, 50_000);
    let last = l.resources().last().unwrap();
    assert_eq!(last.meta.name, "svc-99998");
    assert!(
        last.meta.origin.to_string().ends_with(":649994"),
        "items keep their own lines: {}",
        last.meta.origin
    );
    let t = Instant::now();
    let r = resolve(&l.snapshot, KumaVersion::DEFAULT, &Filter::default());
    assert!(r.proxies.is_empty());
    eprintln!(
        "100k-item List: loaded in {loaded:?}, resolved in {:?}",
        t.elapsed()
    );
}

// ---------------------------------------------------------------- symlinks

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_tree_is_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(
        outside.path().join("secret.yaml"),
        "type: Mesh\nname: from-outside\n",
    )
    .unwrap();
    fs::create_dir(outside.path().join("more")).unwrap();
    fs::write(
        outside.path().join("more/m.yaml"),
        "type: Mesh\nname: also-outside\n",
    )
    .unwrap();
    let d = good_dir();
    let link = |to: &Path, name: &str| std::os::unix::fs::symlink(to, d.path().join(name));
    link(&outside.path().join("secret.yaml"), "secret.yaml").unwrap();
    link(&outside.path().join("more"), "more").unwrap();
    link(Path::new("/"), "root").unwrap();
    // Relative links that climb out count too; links that stay inside are followed.
    link(Path::new("../../../../../../../../etc"), "etc").unwrap();
    fs::create_dir(d.path().join("sub")).unwrap();
    fs::write(d.path().join("sub/inner.yaml"), "type: Mesh\nname: inner\n").unwrap();
    link(Path::new("sub"), "sub-again").unwrap();
    let l = load_dir(d.path());
    let names: Vec<&str> = l.resources().iter().map(|r| r.meta.name.as_str()).collect();
    assert_eq!(names, vec!["default", "web-1", "inner"], "{:?}", l.findings);
    assert_eq!(
        codes(&l),
        vec![
            (Code::SourceUnreadable, "etc".into(), 1),
            (Code::SourceUnreadable, "more".into(), 1),
            (Code::SourceUnreadable, "root".into(), 1),
            (Code::SourceUnreadable, "secret.yaml".into(), 1),
        ]
    );
    for f in &l.findings {
        assert!(f.message.contains("outside the SOURCE"), "{}", f.message);
    }
    // Named as a SOURCE, the same file is read.
    let l = load(&[Source::Path(d.path().join("secret.yaml"))]);
    assert_eq!(l.resources()[0].meta.name, "from-outside");
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_of_files_ends_with_a_finding() {
    let d = good_dir();
    std::os::unix::fs::symlink(d.path().join("b.yaml"), d.path().join("a.yaml")).unwrap();
    std::os::unix::fs::symlink(d.path().join("a.yaml"), d.path().join("b.yaml")).unwrap();
    std::os::unix::fs::symlink(d.path().join("self.yaml"), d.path().join("self.yaml")).unwrap();
    let l = load_dir(d.path());
    assert_eq!(l.resources().len(), 2);
    let c: Vec<String> = codes(&l).into_iter().map(|c| c.1).collect();
    assert_eq!(c, vec!["a.yaml", "b.yaml", "self.yaml"], "{:?}", l.findings);
    assert!(
        l.findings
            .iter()
            .all(|f| f.code == Code::SourceUnreadable && f.message.contains("symlink")),
        "{:?}",
        l.findings
    );
}

// ---------------------------------------------------------------- permissions

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| text(&o.stdout).trim() == "0")
}

/// Give `p` (a tempdir path) mode `mode`.
#[cfg(unix)]
fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

/// A tree with an unreadable file and an unreadable directory next to good files.
#[cfg(unix)]
fn unreadable_tree() -> (tempfile::TempDir, PathBuf) {
    let top = tempfile::tempdir().unwrap();
    chmod(top.path(), 0o755);
    let d = top.path().join("src");
    fs::create_dir(&d).unwrap();
    fs::write(d.join("good.yaml"), GOOD).unwrap();
    fs::write(d.join("locked.yaml"), "type: Mesh\nname: locked\n").unwrap();
    fs::create_dir(d.join("closed")).unwrap();
    fs::write(d.join("closed/inner.yaml"), "type: Mesh\nname: inner\n").unwrap();
    fs::create_dir(d.join("open")).unwrap();
    fs::write(d.join("open/other.yaml"), "type: Mesh\nname: other\n").unwrap();
    chmod(&d, 0o755);
    chmod(&d.join("locked.yaml"), 0o000);
    chmod(&d.join("closed"), 0o000);
    (top, d)
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_directories_are_findings() {
    let (_top, d) = unreadable_tree();
    let check = |fs_: Vec<(String, String)>, proxies: usize| {
        assert_eq!(proxies, 1, "good.yaml still loads");
        let unreadable: Vec<&(String, String)> =
            fs_.iter().filter(|f| f.0 == "source-unreadable").collect();
        assert_eq!(unreadable.len(), 2, "{fs_:?}");
        assert!(
            unreadable
                .iter()
                .any(|f| f.1.contains("cannot read directory"))
        );
        assert!(unreadable.iter().any(|f| f.1.contains("cannot read:")));
        assert!(
            unreadable.iter().all(|f| f.1.contains("ermission denied")),
            "{fs_:?}"
        );
    };
    if !is_root() {
        let l = load_dir(&d);
        let r = resolve(&l.snapshot, KumaVersion::DEFAULT, &Filter::default());
        check(
            l.findings
                .iter()
                .map(|f| (f.code.as_str().to_string(), f.message.to_string()))
                .collect(),
            r.proxies.len(),
        );
        assert_eq!(l.resources().len(), 3, "good.yaml and open/other.yaml");
        return;
    }
    // As root, permissions do not stop reads: run the binary as `nobody`. The binary
    // lives under a path `nobody` may not reach, so run a copy.
    let Some(setpriv) = ["/usr/bin/setpriv", "/bin/setpriv"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        eprintln!("skipped: running as root and setpriv is not installed");
        return;
    };
    let bin_dir = tempfile::tempdir().unwrap();
    chmod(bin_dir.path(), 0o755);
    let bin = bin_dir.path().join("meshtcp");
    fs::copy(env!("CARGO_BIN_EXE_meshtcp"), &bin).unwrap();
    chmod(&bin, 0o755);
    let o = Command::new(setpriv)
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(&bin)
        .args(["report", "-o", "json"])
        .arg(&d)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    if o.status.code() != Some(0) && text(&o.stderr).contains("setpriv") {
        eprintln!(
            "skipped: setpriv cannot drop to nobody here: {}",
            text(&o.stderr)
        );
        return;
    }
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    check(json_findings(&o), proxies(&o));
}

// ---------------------------------------------------------------- numbers

#[test]
fn numbers_that_overflow_give_findings_and_the_rest_loads() {
    let d = good_dir();
    let cases = [
        // weight over u32
        "type: MeshTCPRoute\nname: w\nmesh: default\nspec:\n  targetRef: {kind: Mesh}\n  to: [{targetRef: {kind: MeshService, name: web}, rules: [{default: {backendRefs: [{kind: MeshService, name: web, weight: 4294967296}]}}]}]\n",
        // weight over u64 and i128
        "type: MeshTCPRoute\nname: w2\nmesh: default\nspec:\n  targetRef: {kind: Mesh}\n  to: [{targetRef: {kind: MeshService, name: web}, rules: [{default: {backendRefs: [{kind: MeshService, name: web, weight: 340282366920938463463374607431768211457}]}}]}]\n",
        // negative and fractional ports
        "type: Dataplane\nname: neg\nmesh: default\nnetworking:\n  inbound: [{port: -1, tags: {kuma.io/service: x}}]\n",
        "type: Dataplane\nname: frac\nmesh: default\nnetworking:\n  inbound: [{port: 80.5, tags: {kuma.io/service: x}}]\n",
        // a float that is infinite, in a port
        "type: Dataplane\nname: inf\nmesh: default\nnetworking:\n  inbound: [{port: 1e400, tags: {kuma.io/service: x}}]\n",
        // TrafficRoute split weight over u32
        "type: TrafficRoute\nname: tr\nmesh: default\nsources: [{match: {kuma.io/service: '*'}}]\ndestinations: [{match: {kuma.io/service: '*'}}]\nconf:\n  split: [{weight: 99999999999999999999999, destination: {kuma.io/service: web}}]\n",
    ];
    for (i, c) in cases.iter().enumerate() {
        fs::write(d.path().join(format!("n{i}.yaml")), c).unwrap();
    }
    let l = load_dir(d.path());
    assert_eq!(l.resources().len(), 2, "{:?}", l.findings);
    let c = codes(&l);
    assert_eq!(c.len(), cases.len(), "{:?}", l.findings);
    // Each at the line of its field (the flow collection that holds it).
    let lines = [6, 6, 5, 5, 5, 7];
    for (i, (code, file, line)) in c.iter().enumerate() {
        assert_eq!(file, &format!("n{i}.yaml"));
        assert_eq!(*line, lines[i], "{:?}", l.findings[i]);
        assert!(
            matches!(code, Code::InvalidResource | Code::ParseError),
            "{:?}",
            l.findings[i]
        );
    }
    // Big numbers that fit are not findings, and shares do not overflow: two backends
    // of weight u32::MAX share 50/50, and so do TrafficRoute splits.
    let max = u32::MAX;
    let t = format!(
        "{GOOD}---\ntype: Dataplane\nname: a-1\nmesh: default\nnetworking:\n  address: 10.0.0.2\n  inbound: [{{port: 4294967295, tags: {{kuma.io/service: a}}}}]\n  outbound: [{{port: 4294967295, tags: {{kuma.io/service: b}}}}]\n---\ntype: Dataplane\nname: b-1\nmesh: default\nnetworking:\n  address: 10.0.0.3\n  inbound: [{{port: 1, tags: {{kuma.io/service: b}}}}]\n---\ntype: MeshTCPRoute\nname: r\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to: [{{targetRef: {{kind: MeshService, name: b}}, rules: [{{default: {{backendRefs: [{{kind: MeshService, name: b, weight: {max}}}, {{kind: MeshService, name: web, weight: {max}}}]}}}}]}}]\n"
    );
    let mut l = Loaded::default();
    l.add_text("max.yaml", &t);
    assert!(l.findings.is_empty(), "{:?}", l.findings);
    let r = resolve(&l.snapshot, KumaVersion::DEFAULT, &Filter::default());
    let o = &r.proxy("a-1").unwrap().outbounds[0];
    assert_eq!(o.destination.port, max);
    let shares: Vec<f64> = o.backends.iter().map(|b| b.share).collect();
    assert_eq!(shares, vec![0.5, 0.5], "{o:?}");
    let json = meshtcp::report::to_json(&r);
    assert!(json.contains("\"weight\": 4294967295"));
    let _ = meshtcp::report::to_yaml(&r);
    let _ = meshtcp::report::render_text(&r, Default::default());
}

// ---------------------------------------------------------------- many findings

/// A list of a million broken items made a million findings (a 64 MiB one: 33 million
/// findings and 15 GB). At most `MAX_FINDINGS_PER_FILE` are kept per file, and one
/// more counts the rest with the worst severity left out.
#[test]
fn findings_per_file_are_capped_and_the_rest_is_counted() {
    use meshtcp::source::MAX_FINDINGS_PER_FILE;
    let d = good_dir();
    let mut list = String::from("apiVersion: v1\nkind: List\nitems: [");
    list.push_str(&"0, ".repeat(999));
    list.push_str("0]\n");
    fs::write(d.path().join("list.yaml"), list).unwrap();
    // Info findings (unknown kinds) count too, but do not make the summary an error.
    let unknown = "type: MeshRetry\nname: r\nmesh: default\n---\n".repeat(150);
    fs::write(d.path().join("unknown.yaml"), unknown).unwrap();
    let l = load_dir(d.path());
    assert_eq!(l.resources().len(), 2);
    let in_file = |n: &str| -> Vec<&Finding> {
        l.findings
            .iter()
            .filter(|f| f.location.as_ref().unwrap().file.ends_with(n))
            .collect()
    };
    let list = in_file("list.yaml");
    assert_eq!(list.len(), MAX_FINDINGS_PER_FILE + 1);
    assert_eq!(list[0].location.as_ref().unwrap().line, 3);
    let last = list.last().unwrap();
    assert_eq!(last.code, Code::ParseError);
    assert_eq!(
        &*last.message,
        "900 more findings in this file are not listed (at most 100 per file)"
    );
    let unknown = in_file("unknown.yaml");
    assert_eq!(unknown.len(), MAX_FINDINGS_PER_FILE + 1);
    let last = unknown.last().unwrap();
    assert_eq!(last.code, Code::UnknownKind);
    assert_eq!(last.severity, meshtcp::model::Severity::Info);
    assert!(
        last.message.starts_with("50 more findings"),
        "{}",
        last.message
    );
}

// ---------------------------------------------------------------- terminal escapes

/// Names, tags and messages come from the input: an escape sequence in a file must not
/// reach the terminal (clear the screen, retitle the window, write the clipboard, or
/// reorder text with bidi overrides). The text writers show such characters escaped;
/// JSON and YAML keep the value (escaped by their own syntax).
#[test]
fn escape_sequences_in_the_input_do_not_reach_the_terminal() {
    use meshtcp::report::{self, TextOptions};
    let text = "type: Mesh\nname: default\n---\ntype: Dataplane\nname: \"evil\\e[2J\\e]0;pwned\\a\\u202e\"\nmesh: default\nnetworking:\n  address: 10.0.0.1\n  inbound: [{port: 8080, tags: {kuma.io/service: \"web\\e]52;c;Y2xpcA==\\a\"}}]\n  outbound: [{port: 80, tags: {kuma.io/service: \"web\\e]52;c;Y2xpcA==\\a\"}}]\n---\ntype: MeshTCPRoute\nname: \"r\\x9b2J\"\nmesh: default\nspec: {to: [{targetRef: {kind: Bogus\\r}}]}\n";
    let mut l = Loaded::default();
    l.add_text("esc\u{1b}[2J.yaml", text);
    let mut r = resolve(&l.snapshot, KumaVersion::DEFAULT, &Filter::default());
    r.findings.extend(l.findings.clone());
    assert_eq!(r.proxies.len(), 1, "{:?}", l.findings);
    let pr = &r.proxies[0];
    assert!(!pr.outbounds.is_empty());
    let safe = |what: &str, s: &str, colour: bool| {
        let mut rest = s;
        while let Some(i) = rest.find('\u{1b}') {
            let after = &rest[i + 1..];
            let sgr = colour
                && after.starts_with('[')
                && after[1..]
                    .trim_start_matches(|c: char| c.is_ascii_digit() || c == ';')
                    .starts_with('m');
            assert!(sgr, "{what}: a raw escape sequence: {s:?}");
            rest = after;
        }
        for bad in ['\u{7}', '\u{9b}', '\u{202e}', '\r'] {
            assert!(!s.contains(bad), "{what}: {bad:?} in {s:?}");
        }
        assert!(s.contains("\\u{1b}"), "{what}: shown escaped: {s:?}");
    };
    safe(
        "text",
        &report::render_text(
            &r,
            TextOptions {
                color: false,
                verbose: false,
            },
        ),
        false,
    );
    safe(
        "colour text",
        &report::render_text(
            &r,
            TextOptions {
                color: true,
                verbose: false,
            },
        ),
        true,
    );
    safe("check", &report::text::check_text(&r, true, true), false);
    for o in pr.outbounds.iter() {
        safe(
            "explain",
            &report::explain(pr, o, &r.findings, "2.14"),
            false,
        );
        let _ = report::text::outbound_title(o);
    }
    assert!(report::text::proxy_title(pr).contains("evil\\u{1b}[2J"));
    for f in &r.findings {
        let t = report::text::finding_text(f);
        assert!(!t.contains('\u{1b}'), "{t:?}");
    }
    // JSON and YAML carry the value itself, escaped by their syntax.
    let json = report::to_json(&r);
    assert!(!json.contains('\u{1b}') && json.contains("evil\\u001b[2J"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["proxies"][0]["name"],
        "evil\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}"
    );
    assert!(!report::to_yaml(&r).contains('\u{1b}'));
}
