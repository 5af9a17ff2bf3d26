//! The real binary in a private tmux server: the end-to-end TUI tests share this driver.
#![allow(dead_code)] // each test binary uses a different part of it

use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Is tmux installed? Prints why a test is skipped when it is not; under CI (`CI` set
/// and not empty or `false`) a missing tmux fails the test instead: CI must never pass
/// an end-to-end test it did not run.
pub fn tmux_available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        assert!(
            !ci,
            "tmux is not installed, and CI is set: the end-to-end TUI tests need it (.ci/run installs it)"
        );
        eprintln!(
            "SKIPPED: tmux is not installed (apt-get install -y tmux); the end-to-end TUI test needs it"
        );
    }
    ok
}

pub struct Pane {
    socket: String,
    /// Text that must never appear on the screen (e.g. a credential).
    forbidden: Option<&'static str>,
}

impl Pane {
    /// Start `command` (a shell command line) in a fresh tmux server, `w`×`h` cells,
    /// in the crate's directory.
    pub fn start(name: &str, command: &str, w: u16, h: u16) -> Pane {
        let p = Pane {
            socket: format!("meshtcp-e2e-{name}-{}", std::process::id()),
            forbidden: None,
        };
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

    /// Every screen read from now on asserts that `text` is not on it.
    pub fn forbidding(mut self, text: &'static str) -> Pane {
        self.forbidden = Some(text);
        self
    }

    pub fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    pub fn screen(&self) -> String {
        let s = String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "e2e"]).stdout)
            .into_owned();
        if let Some(f) = self.forbidden {
            assert!(!s.contains(f), "`{f}` is on the screen:\n{s}");
        }
        s
    }

    /// Send keys as tmux names them (`Escape`, `Enter`, …).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success());
    }

    /// Type literal text.
    pub fn text(&self, s: &str) {
        assert!(
            self.tmux(&["send-keys", "-t", "e2e", "-l", s])
                .status
                .success()
        );
    }

    /// Poll the screen until `ok` holds on a settled screen; fail with the last screen
    /// after TIMEOUT.
    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            // A capture can catch a frame half drawn: accept only a screen that holds
            // still for a moment.
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

    /// A tmux format of the pane (`#{alternate_on}`, `#{cursor_flag}`, …).
    pub fn format(&self, f: &str) -> String {
        let o = self.tmux(&["display-message", "-p", "-t", "e2e", f]);
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    pub fn alternate_on(&self) -> bool {
        self.format("#{alternate_on}") == "1"
    }

    /// The pid of the shell's child (the binary).
    pub fn child_pid(&self) -> Option<u32> {
        let sh = self.format("#{pane_pid}");
        let children = std::fs::read_to_string(format!("/proc/{sh}/task/{sh}/children")).ok()?;
        children.split_whitespace().next()?.parse().ok()
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}
