//! The `meshtcp` binary with `--kube` against the loopback API server: report, check,
//! snapshot, exit codes, the version line on stderr, and no credential in any output.

use crate::support::fake_apiserver;

use fake_apiserver::{FakeApi, TOKEN, assert_only_get, fixture, write_kubeconfig};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn meshtcp(args: &[&str], kubeconfig_env: Option<&Path>) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_meshtcp"));
    c.args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", home.path())
        .env("NO_COLOR", "1");
    if let Some(p) = kubeconfig_env {
        c.env("KUBECONFIG", p);
    }
    let out = c.output().unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !all.contains(TOKEN),
        "the token leaked in `meshtcp {args:?}`: {all}"
    );
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The report without what differs between a cluster and its snapshot on disk:
/// locations (cluster objects have none) and contexts (files have none).
fn portable(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("location");
                m.remove("context");
                for x in m.values_mut() {
                    strip(x);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[test]
fn report_reads_the_cluster_and_says_which_version() {
    let s = FakeApi::start(&fixture("zone-1"));
    let dir = tempfile::tempdir().unwrap();
    let kc = write_kubeconfig(dir.path(), &FakeApi::kubeconfig(&[("zone-1", &s)]));
    let out = meshtcp(
        &[
            "report",
            "--kube",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "Kuma 2.9 (context `zone-1`: control-plane image docker.io/kumahq/kuma-cp:2.9.3"
        ),
        "{err}"
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["kumaVersion"], "2.9");
    let proxies = r["proxies"].as_array().unwrap();
    assert_eq!(proxies.len(), 3);
    assert!(proxies.iter().all(|p| p["context"] == "zone-1"));
    assert!(proxies.iter().all(|p| p.get("location").is_none()));
    // --kuma-version wins.
    let out = meshtcp(
        &[
            "report",
            "--kube",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--kuma-version",
            "2.12",
            "-o",
            "json",
        ],
        None,
    );
    assert!(text(&out.stderr).contains("Kuma 2.12 (from --kuma-version)"));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["kumaVersion"], "2.12");
    assert_only_get(&s);
}

#[test]
fn check_finds_the_kubeconfig_as_kubectl_does_and_warns_on_403() {
    let s = FakeApi::start(&fixture("zone-1"));
    s.set(|f| {
        f.forbidden.insert("trafficroutes".into());
    });
    let dir = tempfile::tempdir().unwrap();
    let kc = write_kubeconfig(dir.path(), &FakeApi::kubeconfig(&[("zone-1", &s)]));
    let out = meshtcp(&["check", "--kube"], Some(&kc));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("access-denied"), "{stdout}");
    assert!(stdout.contains("trafficroutes.kuma.io"), "{stdout}");
    let out = meshtcp(&["check", "--kube", "--strict", "-o", "json"], Some(&kc));
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "access-denied")
        .unwrap();
    assert_eq!(f["resource"]["kind"], "TrafficRoute");
    assert_eq!(f["resource"]["context"], "zone-1");
    assert!(f.get("location").is_none());
    assert_only_get(&s);
}

#[test]
fn unauthorized_and_stalled_exit_2_with_a_clear_message() {
    let s = FakeApi::start(&fixture("zone-1"));
    let dir = tempfile::tempdir().unwrap();
    let kc = write_kubeconfig(dir.path(), &FakeApi::kubeconfig(&[("zone-1", &s)]));
    s.set(|f| f.unauthorized = true);
    for cmd in ["report", "check"] {
        let out = meshtcp(&[cmd, "--kube"], Some(&kc));
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let err = text(&out.stderr);
        assert!(
            err.contains("401 Unauthorized") && err.contains("`zone-1`"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
    s.set(|f| {
        f.unauthorized = false;
        f.stall.insert("meshgateways".into());
    });
    let t = Instant::now();
    let out = meshtcp(&["report", "--kube", "--request-timeout", "1s"], Some(&kc));
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("did not answer within 1 s"),
        "{}",
        text(&out.stderr)
    );
    assert_only_get(&s);
}

#[test]
fn contexts_and_directories_load_together() {
    let z1 = FakeApi::start(&fixture("zone-1"));
    let z2 = FakeApi::start(&fixture("zone-2"));
    let dir = tempfile::tempdir().unwrap();
    let kc = write_kubeconfig(
        dir.path(),
        &FakeApi::kubeconfig(&[("zone-1", &z1), ("zone-2", &z2)]),
    );
    let kc = kc.to_str().unwrap();
    let out = meshtcp(
        &[
            "report",
            "--kube",
            "--kubeconfig",
            kc,
            "--context",
            "zone-1",
            "--context",
            "zone-2",
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ctx: Vec<(String, String)> = r["proxies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["context"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(ctx.contains(&("web-7d9c5b-x2k4q".into(), "zone-1".into())));
    assert!(ctx.contains(&("web-7d9c5b-x2k4q".into(), "zone-2".into())));
    assert!(ctx.contains(&("batch-6b7c8-zzzzz".into(), "zone-2".into())));
    // The cluster beside a directory: zone-2 from files (no context), zone-1 live.
    let z2_dir = fixture("zone-2");
    let out = meshtcp(
        &[
            "report",
            z2_dir.to_str().unwrap(),
            "--kube",
            "--kubeconfig",
            kc,
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ps = r["proxies"].as_array().unwrap();
    assert_eq!(ps.len(), 5);
    let batch = ps
        .iter()
        .find(|p| p["name"] == "batch-6b7c8-zzzzz")
        .unwrap();
    assert!(batch.get("context").is_none());
    assert!(
        batch["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with("all.yaml")
    );
    assert_only_get(&z1);
    assert_only_get(&z2);
}

#[test]
fn snapshot_reloads_to_the_same_report() {
    let s = FakeApi::start(&fixture("zone-1"));
    let dir = tempfile::tempdir().unwrap();
    let kc = write_kubeconfig(dir.path(), &FakeApi::kubeconfig(&[("zone-1", &s)]));
    let kc = kc.to_str().unwrap();
    let snap = dir.path().join("snap");
    let out = meshtcp(
        &[
            "snapshot",
            "--kube",
            "--kubeconfig",
            kc,
            "-o",
            snap.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("wrote 10 objects"),
        "{}",
        text(&out.stderr)
    );
    let files: Vec<String> = std::fs::read_dir(snap.join("zone-1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.contains(&"06-meshtcproutes.yaml".to_string()),
        "{files:?}"
    );
    let tcp = std::fs::read_to_string(snap.join("zone-1/06-meshtcproutes.yaml")).unwrap();
    assert!(
        !tcp.contains("managedFields") && !tcp.contains("resourceVersion"),
        "{tcp}"
    );
    assert!(tcp.contains("creationTimestamp"));

    let live = meshtcp(
        &["report", "--kube", "--kubeconfig", kc, "-o", "json"],
        None,
    );
    let offline = meshtcp(
        &[
            "report",
            snap.to_str().unwrap(),
            "--kuma-version",
            "2.9",
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(offline.status.code(), Some(0), "{}", text(&offline.stderr));
    let live: Value = serde_json::from_slice(&live.stdout).unwrap();
    let offline: Value = serde_json::from_slice(&offline.stdout).unwrap();
    assert_eq!(portable(live), portable(offline));
    // Without --kube the SOURCEs are written (none: the embedded demo), not the cluster.
    let demo = snap.join("demo");
    let out = meshtcp(&["snapshot", "-o", demo.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(demo.join("00-meshes.yaml").exists());
    assert_only_get(&s);
}
