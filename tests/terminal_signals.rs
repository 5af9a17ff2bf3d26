//! Issue 6, terminal safety cross-checks (the TUI's own tests cover `q` and SIGTERM in
//! `tests/e2e_tmux.rs`): SIGHUP, SIGINT and Ctrl-C also leave a working terminal — the
//! alternate screen is left, the cursor is shown, and the shell's next line is readable.
//! Skips, saying why, without tmux (`.ci/run` installs it).

use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_meshtcp");

fn tmux_available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: tmux is not installed");
    }
    ok
}

struct Pane {
    socket: String,
}

impl Pane {
    fn start(name: &str) -> Pane {
        let p = Pane {
            socket: format!("meshtcp-sig-{name}-{}", std::process::id()),
        };
        let cmd = format!("sh -c '{BIN}; echo EXITED:$?; sleep 30'");
        let o = p.tmux(&[
            "new-session",
            "-d",
            "-s",
            "sig",
            "-x",
            "100",
            "-y",
            "30",
            "-c",
            env!("CARGO_MANIFEST_DIR"),
            &cmd,
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        p
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap()
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "sig"]).stdout)
            .into_owned()
    }

    fn format(&self, f: &str) -> String {
        let o = self.tmux(&["display-message", "-p", "-t", "sig", f]);
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {what}; the screen was:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn binary_pid(&self) -> u32 {
        let sh = self.format("#{pane_pid}");
        let children = std::fs::read_to_string(format!("/proc/{sh}/task/{sh}/children"))
            .expect("the shell's children");
        children
            .split_whitespace()
            .next()
            .expect("the binary runs")
            .parse()
            .unwrap()
    }

    /// After the binary ended: the pane is back on the normal screen, the cursor shows,
    /// and the shell's line after it is on screen (not hidden behind the TUI's frame).
    fn assert_restored(&self, how: &str) {
        let s = self.wait_for("the process to exit", |s| s.contains("EXITED:"));
        assert_eq!(
            self.format("#{alternate_on}"),
            "0",
            "{how}: alternate screen left on"
        );
        assert_eq!(
            self.format("#{cursor_flag}"),
            "1",
            "{how}: the cursor is hidden"
        );
        assert!(
            !s.contains("mesh default"),
            "{how}: the TUI's frame is still shown:\n{s}"
        );
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn signal_test(name: &str, sig: &str) {
    if !tmux_available() {
        return;
    }
    let p = Pane::start(name);
    p.wait_for("the tree", |s| s.contains("mesh default"));
    assert_eq!(
        p.format("#{alternate_on}"),
        "1",
        "the TUI runs on the alternate screen"
    );
    let pid = p.binary_pid();
    assert!(
        Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    p.assert_restored(sig);
}

#[test]
fn sighup_restores_the_terminal() {
    signal_test("hup", "-HUP");
}

#[test]
fn sigint_restores_the_terminal() {
    signal_test("int", "-INT");
}

#[test]
fn ctrl_c_restores_the_terminal() {
    if !tmux_available() {
        return;
    }
    let p = Pane::start("ctrlc");
    p.wait_for("the tree", |s| s.contains("mesh default"));
    assert!(p.tmux(&["send-keys", "-t", "sig", "C-c"]).status.success());
    p.assert_restored("Ctrl-C");
}
