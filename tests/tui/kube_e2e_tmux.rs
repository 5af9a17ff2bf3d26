//! End to end: `meshtcp --kube` (the TUI) in tmux against the loopback API server. The
//! cluster is watched: a change shows up marked, a 401 shows a banner and `r` retries.
//! Skips when tmux is not installed.

use crate::support::fake_apiserver;

use crate::support::tmux;
use fake_apiserver::{FakeApi, TOKEN, assert_only_get, fixture, write_kubeconfig};

use tmux::{Pane, tmux_available};

const BIN: &str = env!("CARGO_BIN_EXE_meshtcp");

#[test]
fn tui_watches_the_cluster() {
    if !tmux_available() {
        return;
    }
    let s = FakeApi::start(&fixture("zone-1"));
    let dir = tempfile::tempdir().unwrap();
    let kc = write_kubeconfig(dir.path(), &FakeApi::kubeconfig(&[("zone-1", &s)]));
    let cmd = format!(
        "sh -c 'HOME={} {BIN} --kube --kubeconfig {} --request-timeout 2s; echo EXITED:$?; sleep 30'",
        dir.path().display(),
        kc.display()
    );
    let p = Pane::start("kube", &cmd, 170, 40).forbidding(TOKEN);
    let sc = p.wait_for("the cluster's tree", |s| {
        s.contains("⎈ watching") && s.contains("web-7d9c5b-x2k4q")
    });
    assert!(
        sc.contains("Kuma 2.9 · ⎈ watching · version from the kuma-cp image"),
        "{sc}"
    );
    assert!(sc.contains("⎈ zone-1"), "{sc}");
    p.text("*");
    p.wait_for("the expanded tree", |s| s.contains("w 90"));

    // A MODIFIED event: the split becomes 50/50, marked as a change.
    s.apply_yaml(
        r#"
apiVersion: kuma.io/v1alpha1
kind: MeshTCPRoute
metadata:
  name: backend-split
  namespace: kuma-demo
  labels: {kuma.io/mesh: default}
spec:
  to:
    - targetRef: {kind: MeshService, name: backend}
      rules:
        - default:
            backendRefs:
              - {kind: MeshService, name: backend-v1, port: 3001, weight: 50}
              - {kind: MeshService, name: backend-v2, port: 3001, weight: 50}
"#,
    );
    p.wait_for("the change", |s| {
        s.contains("w 50") && s.contains("changed")
    });

    // The credentials stop working: a banner; r retries once they work again.
    s.set(|f| f.unauthorized = true);
    s.drop_watches();
    let sc = p.wait_for("the banner", |s| s.contains("disconnected (r: retry)"));
    assert!(sc.contains("401"), "{sc}");
    s.set(|f| f.unauthorized = false);
    p.text("r");
    p.wait_for("watching again", |s| {
        s.contains("⎈ watching") && !s.contains("disconnected")
    });
    p.text("q");
    let sc = p.wait_for("the exit", |s| s.contains("EXITED:"));
    assert!(sc.contains("EXITED:0"), "{sc}");
    assert_only_get(&s);
}
