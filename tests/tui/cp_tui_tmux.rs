//! End to end: the TUI with `--cp` in tmux against the fake control plane. The API has
//! no watch: the model is read again every `--cp-poll`, and at once on `r`; a change
//! reloads it and says so. Skips when tmux is not installed.

use crate::support::fake_cp;
use crate::support::tmux;

use fake_cp::{CP_TOKEN, FakeCp, State, documents};
use serde_json::json;
use std::path::Path;
use tmux::{Pane, tmux_available};

const BIN: &str = env!("CARGO_BIN_EXE_meshtcp");

fn start() -> FakeCp {
    let shop = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cp/shop");
    FakeCp::start(State {
        objects: documents(&shop),
        require_token: true,
        ..State::default()
    })
}

/// The cart split becomes 50/50 on the control plane.
fn even_split(cp: &FakeCp) {
    cp.set(|s| {
        for o in s.objects.iter_mut().filter(|o| o["name"] == "cart-canary") {
            o["spec"]["to"][0]["rules"][0]["default"]["backendRefs"] = json!([
                {"kind": "MeshService", "name": "cart", "weight": 50},
                {"kind": "MeshService", "name": "cart-next", "weight": 50}
            ]);
        }
    });
}

fn open(name: &str, cp: &FakeCp, poll: &str, dir: &Path) -> Pane {
    let token = dir.join("token");
    std::fs::write(&token, CP_TOKEN).unwrap();
    let cmd = format!(
        "sh -c 'HOME={} {BIN} --cp {} --cp-token-file {} --cp-poll {poll}; echo EXITED:$?; sleep 30'",
        dir.display(),
        cp.url,
        token.display()
    );
    let p = Pane::start(name, &cmd, 170, 40).forbidding(CP_TOKEN);
    p.wait_for("the proxies", |s| s.contains("storefront-1"));
    p.text("*");
    p.wait_for("the expanded tree", |s| s.contains("w 75"));
    p
}

#[test]
fn tui_polls_the_control_plane() {
    if !tmux_available() {
        return;
    }
    let cp = start();
    let dir = tempfile::tempdir().unwrap();
    let p = open("cp-poll", &cp, "1s", dir.path());
    even_split(&cp);
    // No key pressed: the poll alone brings the change.
    p.wait_for("the polled change", |s| s.contains("w 50"));
    p.text("q");
    let sc = p.wait_for("the exit", |s| s.contains("EXITED:"));
    assert!(sc.contains("EXITED:0"), "{sc}");
    cp.assert_only_get();
}

#[test]
fn r_reads_the_control_plane_at_once() {
    if !tmux_available() {
        return;
    }
    let cp = start();
    let dir = tempfile::tempdir().unwrap();
    let p = open("cp-reload", &cp, "10m", dir.path());
    even_split(&cp);
    p.text("r");
    p.wait_for("the change after r", |s| s.contains("w 50"));
    p.text("q");
    let sc = p.wait_for("the exit", |s| s.contains("EXITED:"));
    assert!(sc.contains("EXITED:0"), "{sc}");
    cp.assert_only_get();
}
