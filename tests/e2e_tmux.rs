//! End to end: the real binary in a real terminal (tmux), driven by keys, with the
//! screen read back after every step. Skips, saying why, when tmux is not installed
//! (`.ci/run` installs it).
//!
//! Each test runs its own tmux server (`-L`), so nothing leaks between tests or into a
//! developer's tmux. The binary runs under `sh -c '…; echo EXITED:$?; sleep …'`, so
//! after it exits the pane shows the normal screen with its exit code.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_meshtcp");
const TIMEOUT: Duration = Duration::from_secs(20);

fn tmux_available() -> bool {
    match Command::new("tmux").arg("-V").output() {
        Ok(o) if o.status.success() => true,
        _ => {
            eprintln!(
                "SKIPPED: tmux is not installed (apt-get install -y tmux); the end-to-end TUI test needs it"
            );
            false
        }
    }
}

struct Pane {
    socket: String,
}

impl Pane {
    /// Start `command` (a shell command line) in a fresh tmux server, `w`×`h` cells.
    fn start(name: &str, command: &str, w: u16, h: u16) -> Pane {
        let socket = format!("meshtcp-e2e-{name}-{}", std::process::id());
        let p = Pane { socket };
        let out = p.tmux(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
            "-c",
            env!("CARGO_MANIFEST_DIR"),
            command,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
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
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "e2e"]).stdout)
            .into_owned()
    }

    /// Send keys as tmux names them (`Escape`, `Enter`, or literal text with `-l`).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success());
    }

    fn text(&self, s: &str) {
        assert!(
            self.tmux(&["send-keys", "-t", "e2e", "-l", s])
                .status
                .success()
        );
    }

    /// Poll the screen until `ok` holds on a settled screen; fail with the last screen
    /// after TIMEOUT.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            // A capture can catch a frame half drawn: accept only a screen that
            // holds still for a moment.
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

    fn alternate_on(&self) -> bool {
        let o = self.tmux(&["display-message", "-p", "-t", "e2e", "#{alternate_on}"]);
        String::from_utf8_lossy(&o.stdout).trim() == "1"
    }

    /// The pid of the shell's child (the binary).
    fn child_pid(&self) -> Option<u32> {
        let o = self.tmux(&["display-message", "-p", "-t", "e2e", "#{pane_pid}"]);
        let sh = String::from_utf8_lossy(&o.stdout).trim().to_string();
        let children = std::fs::read_to_string(format!("/proc/{sh}/task/{sh}/children")).ok()?;
        children.split_whitespace().next()?.parse().ok()
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

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
