//! Terminal safety cross-checks (the TUI's own tests cover `q` and SIGTERM in
//! `tests/e2e_tmux.rs`): SIGHUP, SIGINT and Ctrl-C also leave a working terminal — the
//! alternate screen is left, the cursor is shown, and the shell's next line is readable.
//! Skips, saying why, without tmux (`.ci/run` installs it).

use crate::support::tmux;

use std::process::Command;
use tmux::{Pane, tmux_available};

const BIN: &str = env!("CARGO_BIN_EXE_meshtcp");

/// The TUI on the demo, 100×30, then a shell line once it ends.
fn start(name: &str) -> Pane {
    start_with(name, "")
}

/// [`start`] with environment assignments (`VAR=value ...`) before the binary.
fn start_with(name: &str, env: &str) -> Pane {
    Pane::start(
        name,
        &format!("sh -c '{env} {BIN}; echo EXITED:$?; sleep 30'"),
        100,
        30,
    )
}

/// After the binary ended: the pane is back on the normal screen, the cursor shows,
/// and the shell's line after it is on screen (not hidden behind the TUI's frame).
fn assert_restored(p: &Pane, how: &str) {
    let s = p.wait_for("the process to exit", |s| s.contains("EXITED:"));
    assert_eq!(
        p.format("#{alternate_on}"),
        "0",
        "{how}: alternate screen left on"
    );
    assert_eq!(
        p.format("#{cursor_flag}"),
        "1",
        "{how}: the cursor is hidden"
    );
    assert!(
        !s.contains("mesh default"),
        "{how}: the TUI's frame is still shown:\n{s}"
    );
}

fn signal_test(name: &str, sig: &str) {
    if !tmux_available() {
        return;
    }
    let p = start(name);
    p.wait_for("the tree", |s| s.contains("mesh default"));
    assert_eq!(
        p.format("#{alternate_on}"),
        "1",
        "the TUI runs on the alternate screen"
    );
    let pid = p.child_pid().expect("the binary runs");
    assert!(
        Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert_restored(&p, sig);
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
    let p = start("ctrlc");
    p.wait_for("the tree", |s| s.contains("mesh default"));
    p.keys(&["C-c"]);
    assert_restored(&p, "Ctrl-C");
}

#[test]
fn a_panic_on_the_ui_thread_restores_the_terminal_and_shows_the_message() {
    if !tmux_available() {
        return;
    }
    // The runtime panics right after drawing the tree (fault injection, see
    // src/tui/runtime.rs `fault`).
    let p = start_with("mainpanic", "MESHTCP_FAULT=main-panic");
    assert_restored(&p, "a main-thread panic");
    let s = p.wait_for("the exit status", |s| s.contains("EXITED:"));
    assert!(
        s.contains("injected fault (MESHTCP_FAULT=main-panic)"),
        "the panic message is readable on the normal screen:\n{s}"
    );
    assert!(!s.contains("EXITED:0"), "a panic is not a success:\n{s}");
}

#[test]
fn a_panic_in_a_worker_is_shown_in_the_ui_which_keeps_running() {
    if !tmux_available() {
        return;
    }
    let p = start_with("workerpanic", "MESHTCP_FAULT=worker-panic");
    let s = p.wait_for("the error message", |s| {
        s.contains("internal error while loading")
    });
    assert!(s.contains("please report it"), "{s}");
    assert_eq!(p.format("#{alternate_on}"), "1", "the UI is still up");
    p.keys(&["q"]);
    let s = p.wait_for("the process to exit", |s| s.contains("EXITED:"));
    assert!(s.contains("EXITED:0"), "{s}");
    assert_eq!(p.format("#{alternate_on}"), "0");
}
