//! End to end: the real binary in a real terminal (tmux), driven by keys, with the
//! screen read back after every step. Skips, saying why, when tmux is not installed
//! (`.ci/run` installs it).
//!
//! Each test runs its own tmux server (`-L`), so nothing leaks between tests or into a
//! developer's tmux. The binary runs under `sh -c '…; echo EXITED:$?; sleep …'`, so
//! after it exits the pane shows the normal screen with its exit code.

use crate::support::tmux;
use std::path::Path;

use std::process::Command;
use tmux::{Pane, tmux_available};

const BIN: &str = env!("CARGO_BIN_EXE_meshtcp");

fn shell(args: &str) -> String {
    format!("sh -c '{BIN} {args}; echo EXITED:$?; sleep 30'")
}

#[test]
fn demo_tree_keys_filter_help_and_quit() {
    if !tmux_available() {
        return;
    }
    let p = Pane::start("keys", &shell(""), 120, 40);

    let s = p.wait_for("the tree", |s| {
        s.contains("mesh default") && s.contains("edge-gateway-1")
    });
    assert!(
        s.contains("demo (embedded) · Kuma 2.14"),
        "status line: {s}"
    );
    assert!(s.contains("? help"));
    assert!(p.alternate_on(), "the TUI runs on the alternate screen");

    p.text("*");
    let s = p.wait_for("the expanded tree", |s| {
        s.contains("⇢ backend-v1  w 90    90%")
    });
    assert!(
        s.contains("redis-canary") && s.contains("✖ not found"),
        "{s}"
    );
    assert!(
        s.contains("⊘ ignored") && s.contains("↓ overridden") && s.contains("⚑ legacy"),
        "{s}"
    );

    p.text("?");
    let s = p.wait_for("the help overlay", |s| s.contains("Keys of the Tree view"));
    assert!(s.contains("expand all") && s.contains(":version"), "{s}");

    p.keys(&["Escape"]);
    p.wait_for("the help to close", |s| {
        !s.contains("Keys of the Tree view") && s.contains("mesh default")
    });

    p.text("/canary");
    let s = p.wait_for("the filter", |s| {
        s.contains("/canary█") && s.contains("filter /canary")
    });
    assert!(
        !s.contains("api-1"),
        "rows that do not match are hidden: {s}"
    );
    assert!(
        s.contains("redis:10002"),
        "the outbound whose policy matches stays: {s}"
    );

    p.keys(&["Enter"]);
    p.text("q");
    let s = p.wait_for("the process to exit", |s| s.contains("EXITED:"));
    assert!(s.contains("EXITED:0"), "exit code 0: {s}");
    assert!(!s.contains("mesh default"), "the TUI's screen is gone: {s}");
    assert!(!p.alternate_on(), "the alternate screen is left");
}

#[test]
fn sigterm_restores_the_terminal() {
    if !tmux_available() {
        return;
    }
    let p = Pane::start("term", &shell(""), 100, 30);
    p.wait_for("the tree", |s| s.contains("mesh default"));
    let pid = p.child_pid().expect("the binary's pid");
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    let s = p.wait_for("the process to exit", |s| s.contains("EXITED:"));
    assert!(s.contains("EXITED:0"), "{s}");
    assert!(
        !p.alternate_on(),
        "the alternate screen is left after SIGTERM"
    );
}

#[test]
fn a_watched_directory_reloads_and_marks_what_changed() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tui/mesh");
    for e in std::fs::read_dir(&fixture).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let p = Pane::start("watch", &shell(&dir.path().display().to_string()), 120, 40);
    p.wait_for("the tree", |s| s.contains("mesh default"));
    p.text("*");
    p.wait_for("the 90/10 split", |s| s.contains("⇢ backend-v1  w 90"));

    let routes = dir.path().join("routes.yaml");
    let text = std::fs::read_to_string(&routes).unwrap();
    std::fs::write(&routes, text.replace("weight: 90", "weight: 70")).unwrap();
    let s = p.wait_for("the reload", |s| s.contains("⇢ backend-v1  w 70"));
    assert!(s.contains("✱ changed"), "what changed is marked: {s}");
    // The message line counts what the reload changed (web-2 is pinned elsewhere).
    p.wait_for("the reload's count", |s| {
        s.contains("reloaded: 1 outbound changed")
    });

    // A file that breaks shows its finding; the rest keeps working.
    std::fs::write(
        dir.path().join("broken.yaml"),
        "type: MeshTCPRoute\nname: [oops\n",
    )
    .unwrap();
    let s = p.wait_for("the parse error", |s| s.contains("✖ 1 error"));
    assert!(s.contains("⇢ backend-v1  w 70"), "{s}");
    p.text("q");
    p.wait_for("the process to exit", |s| s.contains("EXITED:0"));
}

#[test]
fn refuses_without_a_terminal() {
    let out = Command::new(BIN).output().expect("run meshtcp");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("needs a terminal") && err.contains("meshtcp report"),
        "{err}"
    );
}

#[test]
fn a_very_large_mesh_opens_at_once_and_resolves_proxies_on_demand() {
    if !tmux_available() {
        return;
    }
    // 100 transparent proxies × 1,000 MeshServices × 2 ports: 200,000 outbounds, over
    // the 100,000 that switch the TUI to resolving proxy by proxy.
    let dir = tempfile::tempdir().unwrap();
    let mesh = dir.path().join("mesh");
    let out = Command::new(BIN)
        .args([
            "generate",
            "--shape",
            "kubernetes-uniform",
            "--proxies",
            "0.05",
            "-o",
        ])
        .arg(&mesh)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let p = Pane::start("lazy", &shell(&mesh.display().to_string()), 140, 30);
    let s = p.wait_for("the tree with the first proxy resolved", |s| {
        s.contains("1/100 proxies resolved") && s.contains("ns-00/svc-0000:8080 http")
    });
    assert!(s.contains("100 proxies"), "{s}");
    // The last proxy: selecting it asks for it, `l` opens it with its outbounds.
    p.text("G");
    p.wait_for("the last proxy resolved", |s| {
        s.contains("2/100 proxies resolved") && s.contains("Proxy ns-19/svc-0099-00099")
    });
    p.text("l");
    p.text("j");
    p.wait_for("its first outbound selected", |s| {
        s.contains("svc-0099-00099 → ns-00/svc-0000:8080")
    });
    p.text("q");
    p.wait_for("the process to exit", |s| s.contains("EXITED:0"));
}

/// Ctrl-C quits with exit code 130 (interrupted), as a shell expects; `q` with 0.
#[test]
fn ctrl_c_exits_130() {
    if !tmux_available() {
        return;
    }
    let p = Pane::start("ctrl-c", &shell(""), 100, 30);
    p.wait_for("the tree", |s| s.contains("mesh default"));
    p.keys(&["C-c"]);
    let s = p.wait_for("the exit code", |s| s.contains("EXITED:"));
    assert!(s.contains("EXITED:130"), "{s}");
}

/// `meshtcp SOURCE --apply CHANGES`: the changed outbound is marked, `]` selects it and
/// its detail says what it was before.
#[test]
fn apply_marks_the_changed_outbound_and_shows_before_and_after() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let change = dir.path().join("change.yaml");
    std::fs::write(
        &change,
        "type: MeshTCPRoute\nname: backend-split-90-10\nmesh: default\nspec:\n  targetRef: {kind: Mesh}\n  to:\n    - targetRef: {kind: MeshService, name: backend}\n      rules:\n        - default:\n            backendRefs:\n              - {kind: MeshService, name: backend-v1, weight: 50}\n              - {kind: MeshService, name: backend-v2, weight: 50}\n",
    )
    .unwrap();
    let p = Pane::start(
        "apply",
        &shell(&format!("assets/demo --apply {}", change.display())),
        150,
        40,
    );
    p.wait_for("the applied model", |s| {
        s.contains("applied: 1 outbound changed")
    });
    p.text("]");
    let s = p.wait_for("the change selected", |s| {
        s.contains("✱ changed by the applied changes")
    });
    assert!(
        s.contains("backend-v1 90%, backend-v2 10% → backend-v1 50%"),
        "{s}"
    );
    assert!(s.contains("change 1 of 1"), "{s}");
}
