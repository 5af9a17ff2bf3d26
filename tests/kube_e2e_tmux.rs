//! End to end: `meshtcp --kube` (the TUI) in tmux against the loopback API server. The
//! cluster is watched: a change shows up marked, a 401 shows a banner and `r` retries.
//! Skips when tmux is not installed.

#[path = "support/fake_apiserver.rs"]
mod fake_apiserver;

use fake_apiserver::{FakeApi, TOKEN, assert_only_get, fixture, write_kubeconfig};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_meshtcp");
const TIMEOUT: Duration = Duration::from_secs(20);

struct Pane {
    socket: String,
}

impl Pane {
    fn start(command: &str) -> Pane {
        let p = Pane {
            socket: format!("meshtcp-kube-e2e-{}", std::process::id()),
        };
        let out = p.tmux(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "170",
            "-y",
            "40",
            command,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        p
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    fn screen(&self) -> String {
        let s = String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "e2e"]).stdout)
            .into_owned();
        assert!(!s.contains(TOKEN), "the token is on the screen:\n{s}");
        s
    }

    fn text(&self, s: &str) {
        assert!(
            self.tmux(&["send-keys", "-t", "e2e", "-l", s])
                .status
                .success()
        );
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                std::thread::sleep(Duration::from_millis(60));
                if self.screen() == s {
                    return s;
                }
                continue;
            }
            if start.elapsed() > TIMEOUT {
                panic!("timed out waiting for {what}; the screen was:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

#[test]
fn tui_watches_the_cluster() {
    if !Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("SKIPPED: tmux is not installed");
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
    let p = Pane::start(&cmd);
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
